"""Bandwagon effect: siding with an opinion because many others hold it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots, seven_point

# Pairs of equally defensible views about how to handle the scenario's initiative.
OPINIONS: tuple[tuple[str, str], ...] = (
    ("the {project} should start right away, so that competitors do not get there first.",
     "the {project} should start next quarter, once the current workload of the {team} has eased."),
    ("the {project} should be run by the existing {team}, who know the business best.",
     "the {project} should be handed to outside specialists, who have done similar work before."),
    ("the {project} should be rolled out everywhere at once, to get the full benefit quickly.",
     "the {project} should begin as a small pilot, to learn before spending more."),
    ("the {project} should be paid for from this year's budget, while the money is available.",
     "the {project} should be funded from next year's budget, so that this year's reserves stay untouched."),
    ("the first goal of the {project} should be to improve the {metric}.",
     "the first goal of the {project} should be to keep its costs as low as possible."),
    ("the final call on {decision} should be made now, with the information at hand.",
     "one more month of data should be collected before the final call on {decision}."),
    ("progress on the {project} should be reviewed every week in a short meeting.",
     "progress on the {project} should be reviewed once a month in a detailed written report."),
    ("the {project} should be led by a single manager with full authority.",
     "the {project} should be steered by a small committee drawn from several departments."),
    ("customers should be told about the {project} early, to build interest.",
     "customers should hear about the {project} only once it is finished, to avoid raising expectations."),
    ("the {project} should aim for a modest first version that can be delivered quickly.",
     "the {project} should aim for a complete version, even if that takes longer."),
)

# Each variant: lines before the two opinions, the majority line after them, and the question.
_VARIANTS: dict[str, dict] = {
    "team-meeting": {
        "intro": (
            "you are the {position} at {a_organization}, and your {team} meets every week to discuss the {project}.",
            "two views keep coming up, and both are reasonable:",
        ),
        "majority": "of the {group} colleagues who attend, most usually speak in favour of opinion {majority}, and over the past {weeks} weeks more and more of them have come round to it.",
        "question": "Which opinion do you support?",
    },
    "email-thread": {
        "intro": (
            "as the {position} at {a_organization}, you are copied on a long email thread about the {project}.",
            "the thread has settled into two positions, each with sound arguments:",
        ),
        "majority": "most of the {group} people writing in the thread usually back opinion {majority}, and in the last {weeks} weeks its supporters have kept growing.",
        "question": "Which opinion do you back?",
    },
    "offsite": {
        "intro": (
            "you work as the {position} at {a_organization}; at the management offsite, the {project} is on the agenda.",
            "the discussion splits into two camps, and neither view is clearly better:",
        ),
        "majority": "among the {group} managers present, most usually side with opinion {majority}, and the camp has been gaining members over the past {weeks} weeks.",
        "question": "Which opinion do you side with?",
    },
    "internal-forum": {
        "intro": (
            "you are the {position} at {a_organization}, which sells {product}.",
            "on the company's internal forum, colleagues are debating the {project}, and two well-argued views stand out:",
        ),
        "majority": "of the {group} colleagues who have posted, most usually vote for opinion {majority}, and for {weeks} weeks the number of its supporters has been rising.",
        "question": "Which opinion do you vote for?",
    },
    "steering-group": {
        "intro": (
            "as the {position} at {a_organization}, you sit on the steering group for the {project}.",
            "the group must recommend one of two approaches, and both are defensible:",
        ),
        "majority": "of the {group} members of the steering group, most usually argue for opinion {majority}, and over the past {weeks} weeks more of them have joined that side.",
        "question": "Which opinion do you argue for?",
    },
}

SCALE = seven_point(
    "Strongly support opinion A", "Support opinion A", "Lean towards opinion A", "Undecided",
    "Lean towards opinion B", "Support opinion B", "Strongly support opinion B",
)


class BandwagonEffect(RatioScaleBias):
    """Mirrored pair with flip: the majority stays with the same *label* while the treatment swaps
    which view carries label A and which label B.

    Score (Malberg et al.): flip_t = True, k = -1 when the majority backs opinion A, else +1.
    Answering by content alone (the same view in both versions) scores 0; following the
    majority label in both versions scores positive.
    """

    info = BiasInfo(
        slug="bandwagon-effect",
        title="Bandwagon Effect",
        definition="Adopting an opinion or behaviour because many others hold it.",
        citation="Asch (1951); Leibenstein (1950); test design after Malberg et al. (2024)",
        design="mirrored pair",
        expected_direction="the opinion that the majority holds is preferred whichever content it stands for",
        confounds=(
            "a model with a fixed preference for the label 'opinion A' or 'opinion B' looks biased in half of the cases "
            "and anti-biased in the other half; only the mean over both majority labels is meaningful",
        ),
        aliases=("bandwagon", "herd behaviour", "conformity bias"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        majority = pick(rng, ("A", "B"))
        pair = int(rng.integers(len(OPINIONS)))
        first_view_is_a_in_control = bool(rng.integers(2))
        group = int(rng.integers(6, 31))
        weeks = int(rng.integers(2, 13))
        slots = {**scenario_slots(scenario), "majority": majority, "group": group, "weeks": weeks}
        template = _VARIANTS[variant]
        views = OPINIONS[pair] if first_view_is_a_in_control else OPINIONS[pair][::-1]
        question = template["question"]

        def condition(view_a: str, view_b: str) -> Condition:
            lines = [
                *template["intro"],
                f"opinion A: {capitalize(view_a)}",
                f"opinion B: {capitalize(view_b)}",
                template["majority"],
            ]
            return Condition(situation=fill(lines, **slots), question=question, scale=SCALE)

        return CaseContent(
            conditions={"control": condition(*views), "treatment": condition(*views[::-1])},
            values={
                "majority": majority,
                "opinions": pair,
                "first_view_is_a_in_control": first_view_is_a_in_control,
                "group": group,
                "weeks": weeks,
                "k": -1 if majority == "A" else 1,
                "x": 0,
                "flip_treatment": True,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        k = -1 if case.values["majority"] == "A" else 1
        return dict(n_c=len(SCALE), k=k, flip_t=True)

    def counterbalance_stratum(self, case: TestCase) -> str:
        return f"majority={case.values['majority']}"

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Sides with the opinion that most of the others back (or, if opposite, with the minority).
        majority = re.search(r"\b[Mm]ost\b[^.]*?\bopinion ([AB])\b", body(text))
        if majority is None:
            return None
        label = majority.group(1) if not opposite else "B" if majority.group(1) == "A" else "A"
        return option(options, f"Support opinion {label}")


BIASES = (BandwagonEffect(),)
