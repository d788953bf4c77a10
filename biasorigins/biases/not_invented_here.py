"""Not invented here: ideas from outside one's own group are judged worse than the same ideas from inside."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick, rotate
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# One-sentence proposals (infinitive clauses) that fit any of the managerial scenarios.
PROPOSALS: tuple[str, ...] = (
    "to run the {project} as a three-month pilot at one site before rolling it out everywhere",
    "to review the {metric} every week on a shared dashboard instead of in a monthly report",
    "to pair every new member of your {team} with an experienced colleague for their first three months",
    "to replace the long weekly meeting of your {team} with a fifteen-minute meeting each morning",
    "to set aside one afternoon a month in which your {team} tests small improvements to its own routines",
    "to replace the paper approval forms used for the {project} with a simple online workflow",
    "to bring in a second supplier for the most critical inputs of the {project}",
    "to send the whole company a one-page progress summary of the {project} every two weeks",
    "to cut the sign-offs needed for routine purchases of your {team} from three to one",
    "to list the ten most common causes of delay in the {project} and tackle the largest one first",
    "to hold a short review after every milestone of the {project} and record what should change next time",
    "to let members of your {team} spend one day a quarter with the people who use their work",
)

# Departments whose work differs from most managerial roles (contextual externality).
DEPARTMENTS: tuple[str, ...] = (
    "legal", "internal audit", "facilities", "corporate communications", "tax", "archives",
)
# Where a colleague works (spatial externality).
COUNTRIES: tuple[str, ...] = (
    "Australia", "Brazil", "Canada", "Egypt", "Germany", "India", "Indonesia", "Japan",
    "Kenya", "Mexico", "Poland", "South Korea", "Spain", "Sweden", "Turkey", "Vietnam",
)
EXTERNALITIES = ("organizational", "contextual", "spatial")

# Who made the proposal; every source has the same credential ({years} years of experience with
# such work), so only where the proposal comes from differs.
_CREDENTIAL = "who has {years} years of experience with work like the {project}."
_SOURCES: dict[str, str] = {
    "internal": "the proposal comes from a colleague in your own {team} " + _CREDENTIAL,
    "organizational": "the proposal comes from a consultant at an outside firm " + _CREDENTIAL,
    "contextual": "the proposal comes from a colleague in the {department} department " + _CREDENTIAL,
    "spatial": "the proposal comes from a colleague at your company's office in {country} " + _CREDENTIAL,
}
YEARS_RANGE = (5, 16)

_VARIANTS: dict[str, dict[str, str]] = {
    "email": {
        "intro": "you are the {position} at {a_organization}, and your {team} is looking for ways to make the {project} a success.",
        "idea": "this morning a proposal reached you by email: the idea is {proposal}.",
        "question": "How good is this proposal?",
    },
    "workshop": {
        "intro": "as the {position} at {a_organization}, you are leading a workshop in which your {team} looks for ways to improve its work on the {project}.",
        "idea": "one proposal put forward during the workshop is {proposal}.",
        "question": "How do you rate the proposal?",
    },
    "suggestion-scheme": {
        "intro": "you work as the {position} at {a_organization}, which collects improvement ideas through an internal suggestion scheme; you decide which ideas your {team} adopts.",
        "idea": "one suggestion that reached you this month is {proposal}.",
        "question": "How good do you find this suggestion?",
    },
    "steering-meeting": {
        "intro": "you are the {position} at {a_organization} and chair the steering meeting of the {project}, where your {team} reports on progress.",
        "idea": "an item on today's agenda is a proposal {proposal}.",
        "question": "What is your assessment of the proposal?",
    },
    "planning-round": {
        "intro": "you are the {position} at {a_organization}, and your {team} is drawing up next year's plans for the {project}.",
        "idea": "in this planning round you received a proposal {proposal}.",
        "question": "How would you rate this proposal?",
    },
}

SCALE = seven_point("Very good", "Good", "Somewhat good", "Neither good nor bad", "Somewhat bad", "Bad", "Very bad")


class NotInventedHere(RatioScaleBias):
    """Simple contrast: the same proposal from a colleague in one's own team (control) or from
    outside the group (treatment): another company, a distant department, or another country.

    Score (Malberg et al.): k = -1, x = 0, i.e. ``(t - c) / max(c, t)``; positive when the
    external proposal is rated worse.
    """

    info = BiasInfo(
        slug="not-invented-here",
        title="Not Invented Here",
        definition="Ideas, products or knowledge from outside one's own group are undervalued because of their origin.",
        citation="Katz & Allen (1982); Antons & Piller (2015); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the proposal is rated worse when it comes from outside the own team",
        version=2,
        confounds=(
            "an outsider may know less about the team's own situation than a colleague inside it, whatever their "
            "stated experience, so rating an outside proposal lower can be partly reasonable",
        ),
        aliases=("not-invented-here syndrome", "NIH"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        proposal = int(rng.integers(len(PROPOSALS)))
        externality = pick(rng, EXTERNALITIES)
        own_words = f"{scenario.team} {scenario.position}".lower()
        departments = [d for d in DEPARTMENTS if d.split()[-1] not in own_words]
        department = pick(rng, departments)
        country = pick(rng, COUNTRIES)
        years = int(rng.integers(*YEARS_RANGE))
        slots = {**scenario_slots(scenario), "years": years}
        slots |= {"proposal": PROPOSALS[proposal].format(**slots), "department": department, "country": country}
        question = template["question"]

        def condition(source: str) -> Condition:
            lines = [template["intro"], template["idea"], _SOURCES[source]]
            return Condition(situation=fill(lines, **slots), question=question, scale=SCALE)

        return CaseContent(
            conditions={"control": condition("internal"), "treatment": condition(externality)},
            values={
                "proposal": proposal,
                "externality": externality,
                "department": department if externality == "contextual" else None,
                "country": country if externality == "spatial" else None,
                "years": years,
                "k": -1,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=-1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Rates a proposal from the own team better than the same proposal from outside it.
        own = "a colleague in your own" in body(text)
        return option(options, "Good" if own != opposite else "Somewhat bad")


BIASES = (NotInventedHere(),)
