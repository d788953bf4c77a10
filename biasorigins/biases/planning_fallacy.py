"""Planning fallacy: time plans stay optimistic even when the record of similar projects says otherwise."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from biasorigins.bias import Bias, BiasInfo, CaseContent, answers_complete, rotate
from biasorigins.biases._reading import body, nearest, option
from biasorigins.metrics import ratio_scale_score
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, percent_scale, scenario_slots

N_OPTIONS = 11  # 0%, 10%, ..., 100%
PAPER_TREATMENT_SHIFT = 3  # the original's constant x2 = -3 (paper_compatible only)

# Each variant: an intro and a planning line (shared), the source of the record of similar
# projects (treatment only) and the question (shared). The record line says by how many
# percentage points of working time similar projects overran (or underran) their plans.
_VARIANTS: dict[str, dict[str, str]] = {
    "quarterly-plan": {
        "intro": "you are the {position} at {a_organization}, and next quarter you will lead the {project} alongside your regular duties.",
        "plan": "your manager asks you to plan how your working time next quarter will be split between the {project} and the rest of your work with the {team}.",
        "source": "the company's time-tracking records",
        "question": "What share of your working time next quarter will the {project} take?",
    },
    "half-year": {
        "intro": "as the {position} at {a_organization}, you have taken charge of the {project} for the next six months.",
        "plan": "before it starts, you must tell your {team} how much of your time you will be able to give to the {project}.",
        "source": "an industry benchmarking study",
        "question": "What share of your working time over the next six months do you expect the {project} to take?",
    },
    "staffing-request": {
        "intro": "you work as the {position} at {a_organization}, and the finance department needs your time plan for the {project}, which runs for the rest of the year.",
        "plan": "your remaining time will go to your usual work with the {team}, so the two must add up to your full working time.",
        "source": "a review of past projects by the company's project office",
        "question": "What share of your working time for the rest of the year will the {project} take?",
    },
    "calendar": {
        "intro": "you are the {position} at {a_organization}, and you are blocking time in your calendar for the {project} over the next four months.",
        "plan": "whatever time the {project} does not take stays with your regular work leading the {team}.",
        "source": "a survey of managers at comparable companies",
        "question": "What share of your working time over the next four months do you plan for the {project}?",
    },
    "board-timeline": {
        "intro": "you are the {position} at {a_organization}, and the board has approved the {project}, which you will lead for the next nine months.",
        "plan": "the board wants to know how much of your working time the {project} will take, since you also remain responsible for the {team}.",
        "source": "an internal audit of earlier projects",
        "question": "What share of your working time over the next nine months will the {project} take?",
    },
}

_RECORD = (
    "according to {source}, managers in your position who led similar projects ended up spending on average "
    "{points} percentage points {direction} of their working time on them than they had planned."
)


def missed_update_score(control: int, treatment: int, *, record_steps: int, overrun: bool,
                        n_options: int = N_OPTIONS) -> float:
    """Share of the record's implied update that the treatment plan leaves out, in [-1, 1].

    The record implies the plan ``control + record_steps`` (overrun) or ``control - record_steps``
    (underrun), kept on the scale. The score is ``(implied - treatment) / record_steps``, cut to
    [-1, 1]: 0 for a rational update, +1 for a plan a whole record shorter than implied (an overrun
    ignored, or an underrun taken up twice), -1 for one a whole record longer.
    """
    if record_steps <= 0:
        raise ValueError(f"record_steps must be positive, got {record_steps}")
    implied = min(max(control + (record_steps if overrun else -record_steps), 0), n_options - 1)
    return float(min(max((implied - treatment) / record_steps, -1.0), 1.0))


class PlanningFallacy(Bias):
    """Reference-point design: a time plan without (control) and with (treatment) the record of
    how far similar projects overran or underran their planned share of working time.

    The record says the actual share was ``u`` percentage points higher ("over") or lower
    ("under") than planned, ``u`` in {10, 20, 30, 40}. A responder who updates rationally
    answers ``t = c + u/10`` (over) or ``t = c - u/10`` (under) in scale steps.

    Default score (`missed_update_score`): how much of that update the treatment plan leaves out,
    as a share of the record, ``(c ± u/10 - t) / (u/10)`` cut to [-1, 1]. Rational updating scores
    0; a plan that stays more optimistic (shorter) than the record implies scores positive:
    ignoring an overrun +1, ignoring an underrun -1, so a responder that ignores every record
    averages 0, and only asymmetric, optimistic updating (discounting bad news, taking up good
    news) scores positive. Half the cases (rotated per scenario) carry an underrun record.

    Deliberate deviations from the paper's design: the original gives overrun records only (a
    responder that ignores the record, and with it a random one, then scores positive), and
    scores with Malberg et al.'s ratio formula and a constant x2 = -3. That formula divides the
    missing update by the distance to the scale's end, so even the prototypical optimistic
    planner (ignores overruns, takes underruns up twice) scored only about +0.24 (version 1);
    measuring the missing update in units of the record makes it +1.

    ``paper_compatible=True`` reproduces the paper: overrun records only and the ratio formula
    with x2 = -3, ``(c + u/10 - t - 3) / max(c + u/10, t + 3)``. Under it a rational responder
    scores about -0.30, a non-updating one about -0.08 and a random one about -0.054. An underrun
    case scored in that mode (generated in default mode) uses the same formula on the mirrored scale.
    """

    info = BiasInfo(
        slug="planning-fallacy",
        title="Planning Fallacy",
        definition="Underestimating the time a task will take, even when similar tasks are known to have overrun.",
        citation="Kahneman & Tversky (1979); Buehler, Griffin & Ross (1994); test design after Malberg et al. (2024)",
        design="reference point",
        expected_direction="the time plan after learning the record of similar projects stays shorter than the record implies",
        aliases=("planning fallacy bias",),
        version=2,
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        direction = "over" if self.paper_compatible else rotate(("over", "under"), scenario, index, salt="direction")
        mirrored = direction == "under"
        points = 10 * int(rng.integers(1, 5))
        slots = scenario_slots(scenario)
        record = _RECORD.format(
            source=template["source"], points=points, direction="more" if direction == "over" else "less"
        )
        shared = [template["intro"], template["plan"]]
        question = template["question"].format(**slots)
        scale = percent_scale()
        return CaseContent(
            conditions={
                "control": Condition(situation=fill(shared, **slots), question=question, scale=scale),
                "treatment": Condition(situation=fill([*shared, record], **slots), question=question, scale=scale),
            },
            values={
                "direction": direction,
                "record_points": points,
                "record_steps": points // 10,
                "k": -1 if mirrored else 1,
                "x1": -(points // 10),
                "x2_paper": -PAPER_TREATMENT_SHIFT,
                "flip_both": mirrored,
            },
            variant=variant,
        )

    def score(self, case: TestCase, answers: Mapping[str, int]) -> float | None:
        if not answers_complete(answers, "control", "treatment"):
            return None
        values = case.values
        if self.paper_compatible:
            return ratio_scale_score(answers["control"], answers["treatment"], n_c=N_OPTIONS, k=values["k"],
                                     x1=values["x1"], x2=values["x2_paper"], flip_c=values["flip_both"],
                                     flip_t=values["flip_both"])
        return missed_update_score(answers["control"], answers["treatment"], record_steps=values["record_steps"],
                                   overrun=values["direction"] == "over")

    def counterbalance_stratum(self, case: TestCase) -> str:
        return f"{case.values['direction']}-{case.values['record_steps']}"

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # The plan stays at 50%; a record of overruns is ignored and one of underruns taken up twice over
        # (if opposite: underruns ignored, overruns taken up twice over).
        record = re.search(r"(\d+) percentage points (more|less)", body(text))
        if record is None:
            return option(options, "50%")
        points, more = float(record.group(1)), record.group(2) == "more"
        if more == opposite:
            return nearest(options, 50 + (2 if more else -2) * points)
        return option(options, "50%")


BIASES = (PlanningFallacy(),)
