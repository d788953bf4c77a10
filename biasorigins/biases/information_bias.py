"""Information bias: asking for more information although it would not change the decision."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# Situation lines shared by both conditions: a hard, evenly balanced decision and the option
# the manager leans towards. Only the question (and its scale) differs between conditions.
_VARIANTS: dict[str, tuple[str, ...]] = {
    "board-deadline": (
        "as the {position} at {a_organization}, you are deciding {decision}, and the board expects your answer within {days} days.",
        "your {team} has spent {weeks} weeks on the analysis, and no option has come out clearly ahead: each one brings its own mix of gains and risks.",
        "on balance, you lean towards going ahead with the {project}.",
    ),
    "committee": (
        "you are the {position} at {a_organization}, and in {days} days you must recommend to the management committee {decision}.",
        "for {weeks} weeks your {team} has collected figures, expert opinions and customer feedback, but the evidence points in no clear direction.",
        "of the options on the table, you currently favor going ahead with the {project}.",
    ),
    "workshop": (
        "you work as the {position} at {a_organization} and are deciding {decision}.",
        "after {weeks} weeks of meetings and a two-day workshop with your {team}, the options still look about equally good, each with real drawbacks.",
        "you are inclined to go ahead with the {project}, and the decision is due in {days} days.",
    ),
    "consultant-report": (
        "you are the {position} at {a_organization}, and you have {days} days left to decide {decision}.",
        "an outside adviser worked with your {team} for {weeks} weeks and concluded that none of the options is clearly the best choice.",
        "your own preference, by a small margin, is to go ahead with the {project}.",
    ),
    "budget-round": (
        "you are the {position} at {a_organization}, where the annual budget round closes in {days} days, and you must settle {decision}.",
        "your {team} has weighed the options for {weeks} weeks; every one of them has clear advantages and clear weaknesses, and none is obviously best.",
        "at this point you are leaning towards going ahead with the {project}.",
    ),
}

# Shared by every variant: asking for more information cannot help, because none can be had in time.
NO_MORE_INFORMATION = (
    "every study and review you could commission has been done, and no further information can be obtained "
    "before the decision is due."
)

_PROCEED_QUESTION = "Would you go ahead with the {project} now?"
_INFORMATION_QUESTION = "Do you need more information before you decide on the {project}?"

PROCEED_SCALE = seven_point(
    "Certainly go ahead", "Very likely go ahead", "Probably go ahead", "Unsure whether to go ahead",
    "Probably not go ahead", "Very likely not go ahead", "Certainly not go ahead",
)
INFORMATION_SCALE = seven_point(
    "Certainly need more information", "Very likely need more information", "Probably need more information",
    "Unsure whether more information is needed", "Probably do not need more information",
    "Very likely do not need more information", "Certainly do not need more information",
)


class InformationBias(RatioScaleBias):
    """Mirrored pair with a treatment flip: confidence in proceeding (control) against the
    felt need for more information (treatment), about the same evenly balanced decision.

    The two scales run in opposite senses: "certainly go ahead" (control position 0) is
    consistent with "certainly do not need more information" (treatment position 6).
    Score (Malberg et al.): k = -1, x = 0, flip_t = True, i.e. ``(6 - t - c) / max(c, 6 - t)``;
    consistent answers score 0, asking for more information than the stated confidence
    implies scores positive.
    """

    info = BiasInfo(
        slug="information-bias",
        title="Information Bias",
        definition="Seeking more information even when it cannot change the decision at hand.",
        citation="Baron, Beattie & Hershey (1988); test design after Malberg et al. (2024)",
        design="mirrored pair",
        expected_direction="more demand for information in the treatment than the confidence stated in the control implies",
        version=2,
        confounds=(
            "the two conditions ask different questions, so a responder that tends to agree (or to disagree) with "
            "whatever is asked moves the score as well",
            "'needing' more information can also be read as admitting uncertainty rather than wanting to delay; the "
            "situation states that no more information can be had before the decision is due",
        ),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        weeks = int(rng.integers(2, 13))
        days = int(rng.integers(5, 31))
        slots = {**scenario_slots(scenario), "weeks": weeks, "days": days}
        situation = fill([*_VARIANTS[variant], NO_MORE_INFORMATION], **slots)
        return CaseContent(
            conditions={
                "control": Condition(
                    situation=situation, question=_PROCEED_QUESTION.format(**slots), scale=PROCEED_SCALE
                ),
                "treatment": Condition(
                    situation=situation, question=_INFORMATION_QUESTION.format(**slots), scale=INFORMATION_SCALE
                ),
            },
            values={"weeks": weeks, "days": days, "k": -1, "flip_treatment": True},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=-1, flip_t=True)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Confident about going ahead, yet asks for more information; the opposite tendency doubts the plan
        # and still wants no more information.
        if any("information" in shown for shown in options):
            return option(options, "Certainly do not need more information" if opposite else "Certainly need more information")
        return option(options, "Certainly not go ahead" if opposite else "Certainly go ahead")


BIASES = (InformationBias(),)
