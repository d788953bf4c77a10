"""Anchoring: an arbitrary number mentioned before an estimate pulls the estimate towards it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import body, farthest, nearest
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, percent_scale, scenario_slots

# Each variant: situation lines shared by both conditions, the anchor line (treatment only,
# inserted before the last situation line) and the allocation question.
_VARIANTS: dict[str, dict] = {
    "budget": {
        "situation": (
            "you are the {position} at {a_organization} and you are deciding {decision}.",
            "the {project} is one of several initiatives that compete for next year's budget of your {team}.",
        ),
        "anchor": "at the planning meeting the finance director asked whether you would give the {project} more than {anchor}% of that budget.",
        "question": "What share of next year's budget of your {team} do you allocate to the {project}?",
    },
    "staff-time": {
        "situation": (
            "as the {position} at {a_organization}, you are deciding {decision}.",
            "your {team} has a fixed number of working hours next quarter, and the {project} would need some of them.",
        ),
        "anchor": "in the corridor a colleague asked you whether the {project} would take up more than {anchor}% of those hours.",
        "question": "What share of the working hours of your {team} next quarter do you assign to the {project}?",
    },
    "investment-fund": {
        "situation": (
            "you work as the {position} at {a_organization}, which has set aside a fund for new initiatives this year.",
            "you are deciding {decision}, and the {project} would be paid from that fund.",
        ),
        "anchor": "in an earlier email the chief executive asked whether you intend to request more than {anchor}% of the fund.",
        "question": "What share of the fund do you request for the {project}?",
    },
    "own-time": {
        "situation": (
            "you are the {position} at {a_organization}.",
            "over the coming months you must split your own working time between routine duties and the {project}, since you are deciding {decision}.",
        ),
        "anchor": "your manager asked whether you expect to spend more than {anchor}% of your time on the {project}.",
        "question": "What share of your own working time do you plan to spend on the {project}?",
    },
    "capacity": {
        "situation": (
            "you are the {position} at {a_organization}, which sells {product}.",
            "you are deciding {decision}; the {project} would use part of the capacity your {team} has available this year.",
        ),
        "anchor": "a board member asked you whether the {project} deserves more than {anchor}% of that capacity.",
        "question": "What share of the available capacity of your {team} do you reserve for the {project}?",
    },
}


class Anchoring(RatioScaleBias):
    """Reference-point design: the treatment first asks whether the share exceeds a random anchor.

    Score (Malberg et al.): k = +1, x1 = x2 = the scale position nearest the anchor;
    positive when the treatment answer lies closer to the anchor than the control answer.
    """

    info = BiasInfo(
        slug="anchoring",
        title="Anchoring",
        definition="An initial, arbitrary number biases a later numeric judgement towards it.",
        citation="Tversky & Kahneman (1974); test design after Malberg et al. (2024)",
        design="reference point",
        expected_direction="the treatment allocation lies closer to the anchor than the control allocation",
        aliases=("anchoring bias", "anchoring effect"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        anchor = int(rng.uniform(10, 90))
        slots = {**scenario_slots(scenario), "anchor": anchor}
        shared = list(template["situation"])
        treated = [*shared[:-1], template["anchor"], shared[-1]]
        question = template["question"].format(**slots)
        scale = percent_scale()
        return CaseContent(
            conditions={
                "control": Condition(situation=fill(shared, **slots), question=question, scale=scale),
                "treatment": Condition(situation=fill(treated, **slots), question=question, scale=scale),
            },
            values={"anchor": anchor, "anchor_position": round(anchor / 10), "k": 1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        x = case.values["anchor_position"]
        return dict(n_c=11, k=1, x1=x, x2=x)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Pulled towards the number someone mentioned ("more than 40%"); pushed away from it if opposite.
        anchor = re.search(r"more than (\d+)%", body(text))
        if anchor is None:
            return None
        return (farthest if opposite else nearest)(options, float(anchor.group(1)))


BIASES = (Anchoring(),)
