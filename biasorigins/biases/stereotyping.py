"""Stereotyping: judging an individual by traits commonly ascribed to a group they belong to.

The group descriptions and trait statements below are test stimuli, written by us to
probe whether a stated group membership changes a judgement about one person. Each trait
is a widely reported workplace stereotype of the group, phrased as neutral behaviour; we
do not endorse any of them. We deliberately use gender, age, career background, parental
status, education and nationality, and leave out race, religion and sexual orientation,
so that the library does not ship statements about those groups; the test construct (a
judgement shifting once group membership is known) is the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# (category, what the manager is told about the person, traits stereotypically ascribed to
# that group). The description reads after "the <person>"; each trait reads after "will".
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("gender", "is a woman", (
        "avoid pushing hard for better terms in a negotiation",
        "put harmony in the team ahead of hitting targets",
    )),
    ("gender", "is a man", (
        "take more risks than the situation calls for",
        "be reluctant to ask others for help",
    )),
    ("age", "is in their early sixties", (
        "find it hard to get used to new software tools",
        "prefer to keep doing things the way they have always been done",
    )),
    ("age", "is in their early twenties", (
        "leave for another employer within two years",
        "expect to be promoted quickly",
    )),
    ("career background", "spent most of their career on the shop floor before moving into an office role", (
        "struggle with written reports and formal presentations",
        "distrust decisions based mainly on spreadsheets",
    )),
    ("career background", "has only ever worked in head-office roles", (
        "have little feel for the practical side of the work",
        "underestimate how long hands-on tasks take",
    )),
    ("parental status", "is a parent of three young children", (
        "be unavailable for evening meetings and travel",
        "turn down extra responsibilities",
    )),
    ("education", "holds a doctorate in theoretical physics", (
        "over-analyze decisions that need to be made quickly",
        "find small talk with clients difficult",
    )),
    ("nationality", "is from Germany", (
        "insist on keeping strictly to the agreed schedule",
        "want every agreement written down in detail",
    )),
    ("nationality", "is from Japan", (
        "avoid disagreeing openly in meetings",
        "take a long time to reach a decision",
    )),
    ("nationality", "is from the United States", (
        "push for quick results over careful preparation",
        "speak very confidently about uncertain plans",
    )),
    ("nationality", "is from Italy", (
        "rely on personal relationships more than on formal procedures",
        "be very expressive and animated in meetings",
    )),
)

# Each variant: the person whose behaviour matters, and the situation lines (shared).
_VARIANTS: dict[str, dict[str, object]] = {
    "new-specialist": {
        "person": "new specialist",
        "lines": (
            "you are the {position} at {a_organization}, and you are deciding {decision}.",
            "much depends on a new specialist who has just joined your {team} to work on the {project}, and whom you have not met yet.",
        ),
    },
    "supplier-contact": {
        "person": "account manager",
        "lines": (
            "as the {position} at {a_organization}, you are deciding {decision}.",
            "the {project} depends on a good working relationship between your {team} and the account manager a key supplier has just assigned to you.",
        ),
    },
    "project-lead-candidate": {
        "person": "candidate",
        "lines": (
            "you are the {position} at {a_organization}, and you must pick someone to lead the {project} within your {team}.",
            "you are also deciding {decision}, and the strongest candidate on paper, whom you have not yet met, would shape that decision.",
        ),
    },
    "partner-negotiator": {
        "person": "negotiator",
        "lines": (
            "you are the {position} at {a_organization}, and you are deciding {decision}.",
            "next week you and your {team} will negotiate the terms of the {project} with a partner firm, whose lead negotiator you have never met.",
        ),
    },
    "interim-deputy": {
        "person": "deputy",
        "lines": (
            "you work as the {position} at {a_organization} and are deciding {decision}.",
            "during your leave next month, a deputy from another department will run your {team} and the {project}; you know little about this deputy so far.",
        ),
    },
}

TOLD = "you have been told that the {person} {description}."
QUESTION = "How likely is it that the {person} will {trait}?"

SCALE = seven_point(
    "Very likely", "Likely", "Somewhat likely", "Neither likely nor unlikely", "Somewhat unlikely", "Unlikely",
    "Very unlikely",
)


class Stereotyping(RatioScaleBias):
    """Simple contrast: how likely one person shows a trait stereotypical of a group, without
    (control) and with (treatment) being told that the person belongs to that group.

    Score (Malberg et al.): k = +1, x = 0, i.e. ``(c - t) / max(c, t)``; positive when the
    trait is judged more likely once the group is known.
    """

    info = BiasInfo(
        slug="stereotyping",
        title="Stereotyping",
        definition="Expecting an individual to have the characteristics generally ascribed to a group they belong to.",
        citation="Allport (1954); Fiske et al. (2002); test design after Malberg et al. (2024); group and trait stimuli are our own",
        design="contrast",
        expected_direction="the stereotypical trait is judged more likely once the person's group is known",
        aliases=("stereotype bias",),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        group = int(rng.integers(len(GROUPS)))
        category, description, traits = GROUPS[group]
        trait = int(rng.integers(len(traits)))
        person = template["person"]
        slots = {**scenario_slots(scenario), "person": person, "description": description}
        lines = list(template["lines"])
        question = QUESTION.format(person=person, trait=traits[trait])
        return CaseContent(
            conditions={
                "control": Condition(situation=fill(lines, **slots), question=question, scale=SCALE),
                "treatment": Condition(situation=fill([*lines, TOLD], **slots), question=question, scale=SCALE),
            },
            values={"group": group, "category": category, "trait": trait, "k": 1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=1)

    def biased_answers(self, case: TestCase, rng: np.random.Generator) -> dict[str, int]:
        control = int(rng.integers(2, 5))
        return {"control": control, "treatment": max(0, control - 1 - int(rng.integers(0, 2)))}


BIASES = (Stereotyping(),)
