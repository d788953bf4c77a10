"""Illusion of control: overestimating one's influence over outcomes that are largely out of one's hands."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, percent_scale, scenario_slots

# The five treatment cues of the original design (after Langer 1975); "none" adds no sentence.
CUES: dict[str, str | None] = {
    "none": None,
    "competition": "a rival {organization} is attempting something similar at the same time, and its manager comes across as nervous and poorly prepared.",
    "choice": "you personally chose the approach, the partners and the timing of the {project}.",
    "familiarity": "you have led several initiatives of this kind before and know every step well.",
    "involvement": "you will be closely involved in every stage of the {project}, day by day.",
}
CUE_ORDER = tuple(CUES)

# (control, treatment) line: whose success is estimated.
TARGET: tuple[str, str] = (
    "you are asked how often initiatives like the {project} succeed when other managers in your industry lead them.",
    "you are asked how likely the {project} is to succeed under your own leadership.",
)

_VARIANTS: dict[str, dict] = {
    "board-forecast": {
        "situation": (
            "you are the {position} at {a_organization}.",
            "the {project} is due to start in {months} months with a budget of ${budget} million.",
            "in preparation for a board meeting,",
        ),
        "question": "What percentage do you give?",
    },
    "planning-template": {
        "situation": (
            "as the {position} at {a_organization}, you are filling in the planning template for the {project}.",
            "the {project} would run for {months} months and cost ${budget} million.",
            "in one field of the template,",
        ),
        "question": "What percentage do you enter in that field?",
    },
    "lender-question": {
        "situation": (
            "you work as the {position} at {a_organization}, which sells {product}.",
            "a bank is considering a ${budget} million loan for the {project}, planned to take {months} months.",
            "in the loan application,",
        ),
        "question": "What percentage do you state in the application?",
    },
    "strategy-review": {
        "situation": (
            "you are the {position} at {a_organization}, and you are deciding {decision}.",
            "the {project} would take about {months} months and ${budget} million.",
            "during the annual strategy review,",
        ),
        "question": "What percentage do you give in the review?",
    },
    "peer-survey": {
        "situation": (
            "as the {position} at {a_organization}, you take part in a survey run by an industry association.",
            "you mention that your {team} is planning the {project}, a {months}-month effort costing ${budget} million.",
            "in the next question of the survey,",
        ),
        "question": "What percentage do you give in your answer?",
    },
}

SCALE = percent_scale()


def cue_for(scenario_id: str, index: int) -> str:
    """The treatment cue of instance ``index``: the five cues cycle, so any five consecutive
    instances of a scenario cover all of them (as in the original), from a per-scenario start."""
    return CUE_ORDER[(zlib.crc32(scenario_id.encode("utf-8")) + index) % len(CUE_ORDER)]


class IllusionOfControl(RatioScaleBias):
    """Simple contrast: the success rate of initiatives like yours under other managers (control)
    versus the chance of your own initiative under your leadership (treatment), with one of five
    cues (none, competition, choice, familiarity, involvement) added to the treatment.

    The cue is not sampled: the five cues cycle over a scenario's instances, starting at a point
    fixed by the scenario id, so the five instances of a scenario cover all five cues.
    Score (Malberg et al.): k = -1, x = 0, so B = (t - c) / max(c, t) on the 0%...100% scale;
    positive when the own chance is rated higher.
    """

    info = BiasInfo(
        slug="illusion-of-control",
        title="Illusion of Control",
        definition="Overestimating one's ability to control events whose outcome depends largely on chance or others.",
        citation="Langer (1975); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the own initiative's chance of success is rated higher than the typical success rate under other managers",
        confounds=(
            "the treatment also asks about one's own project rather than a base rate, so general overconfidence and "
            "optimism push in the same direction",
        ),
        aliases=("illusory control",),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        cue = cue_for(scenario.id, index)
        months = int(rng.integers(6, 37))
        budget = int(rng.integers(1, 51))
        slots = {**scenario_slots(scenario), "months": months, "budget": budget}
        template = _VARIANTS[variant]
        *opening, lead_in = template["situation"]

        def condition(own: bool) -> Condition:
            target = TARGET[own]
            lines = [*opening, f"{lead_in} {target}"]
            if own and CUES[cue] is not None:
                lines.append(CUES[cue])
            return Condition(situation=fill(lines, **slots), question=template["question"], scale=SCALE)

        return CaseContent(
            conditions={"control": condition(False), "treatment": condition(True)},
            values={"cue": cue, "months": months, "budget_millions": budget, "k": -1, "x": 0},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=len(SCALE), k=-1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # One's own initiative seems more likely to succeed than the same initiative under others.
        if not re.search(r"your own leadership", body(text)):
            return option(options, "50%")
        return option(options, "20%" if opposite else "90%")


BIASES = (IllusionOfControl(),)
