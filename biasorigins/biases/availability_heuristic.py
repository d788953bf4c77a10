"""Availability heuristic: an outcome that comes easily to mind is judged more likely."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, line_with, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, percent_scale, scenario_slots

OUTCOMES = ("failure", "success")

# One vivid, recent story per outcome: (failure version, success version), about someone else's initiative.
STORIES: tuple[tuple[str, str], ...] = (
    (
        "last week a business newspaper reported that another {organization} had to abandon a similar initiative after it ran far over budget and missed every deadline.",
        "last week a business newspaper reported that another {organization} finished a similar initiative ahead of schedule and well under budget.",
    ),
    (
        "yesterday you read that a rival {organization} wrote off millions of dollars when its own version of this initiative collapsed.",
        "yesterday you read that a rival {organization} won major new business thanks to its own version of this initiative.",
    ),
    (
        "at a recent industry dinner, a former colleague described how a comparable effort at another {organization} failed so badly that the manager in charge lost their job.",
        "at a recent industry dinner, a former colleague described how a comparable effort at another {organization} turned into the best decision the company had made in years.",
    ),
    (
        "this morning the news carried a story about a competitor whose similar project was stopped halfway amid angry complaints from customers.",
        "this morning the news carried a story about a competitor whose similar project was praised by customers and analysts alike.",
    ),
    (
        "a trade magazine has just run a cover story on another {organization} whose similar initiative ended in an expensive failure.",
        "a trade magazine has just run a cover story on another {organization} whose similar initiative became a great success.",
    ),
    (
        "on a podcast you listened to on the way to work, the head of another {organization} talked at length about how a similar initiative went badly wrong.",
        "on a podcast you listened to on the way to work, the head of another {organization} talked at length about how a similar initiative paid off handsomely.",
    ),
)

VERBS = {"failure": "fail", "success": "succeed"}

# Situation lines shared by both conditions; the story is inserted before the last line.
_VARIANTS: dict[str, dict] = {
    "board-estimate": {
        "situation": (
            "you are the {position} at {a_organization}.",
            "your {team} plans to start the {project} in {months} months, with {staff} people assigned to it.",
            "the board has asked you for your own estimate of the chance that the {project} will {verb}.",
        ),
        "question": "How likely is it that the {project} will {verb}?",
    },
    "risk-register": {
        "situation": (
            "as the {position} at {a_organization}, you keep the register of risks and opportunities for the {project}.",
            "the {project} should begin in {months} months and will involve {staff} members of your {team}.",
            "you now have to enter the probability that the {project} will {verb}.",
        ),
        "question": "What probability do you enter for the {project} to {verb}?",
    },
    "investor-memo": {
        "situation": (
            "you work as the {position} at {a_organization}, which sells {product}.",
            "you are writing a memo for investors about the {project}, which {staff} people will start working on in {months} months.",
            "the memo has to state how likely you think it is that the {project} will {verb}.",
        ),
        "question": "What chance do you give the {project} to {verb}?",
    },
    "planning-workshop": {
        "situation": (
            "you are the {position} at {a_organization}, and you are deciding {decision}.",
            "if approved, the {project} will start in {months} months with a core group of {staff} people.",
            "in a planning workshop, the facilitator asks everyone to estimate the chance that the {project} will {verb}.",
        ),
        "question": "How likely do you think it is that the {project} will {verb}?",
    },
    "budget-review": {
        "situation": (
            "as the {position} at {a_organization}, you are preparing next year's budget for your {team}.",
            "it includes the {project}, which is due to start in {months} months and would occupy {staff} people.",
            "the finance department wants your estimate of the likelihood that the {project} will {verb}.",
        ),
        "question": "What is the likelihood that the {project} will {verb}?",
    },
}

SCALE = percent_scale()


class AvailabilityHeuristic(RatioScaleBias):
    """Simple contrast: the treatment adds a vivid recent story of the asked-about outcome elsewhere.

    The outcome (failure or success of the scenario's initiative) is sampled; both conditions
    ask for its probability. Score (Malberg et al.): k = -1, x = 0, so B = (t - c) / max(c, t)
    on the 0%...100% scale; positive when the story makes the outcome seem more likely.
    """

    info = BiasInfo(
        slug="availability-heuristic",
        title="Availability Heuristic",
        definition="Judging how likely an event is by how easily examples of it come to mind.",
        citation="Tversky & Kahneman (1973); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the probability of the outcome is estimated higher after a vivid story of that outcome elsewhere",
        confounds=(
            "a story about a similar initiative is weak evidence, so a small upward revision can be read as updating "
            "on a base rate rather than as relying on ease of recall",
        ),
        aliases=("availability", "availability bias"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        outcome = pick(rng, OUTCOMES)
        story_index = int(rng.integers(len(STORIES)))
        months = int(rng.integers(3, 19))
        staff = int(rng.integers(3, 26))
        slots = {**scenario_slots(scenario), "verb": VERBS[outcome], "months": months, "staff": staff}
        template = _VARIANTS[variant]
        shared = list(template["situation"])
        story = STORIES[story_index][OUTCOMES.index(outcome)]
        treated = [*shared[:-1], story, shared[-1]]
        question = template["question"].format(**slots)
        return CaseContent(
            conditions={
                "control": Condition(situation=fill(shared, **slots), question=question, scale=SCALE),
                "treatment": Condition(situation=fill(treated, **slots), question=question, scale=SCALE),
            },
            values={"outcome": outcome, "story": story_index, "months": months, "staff": staff, "k": -1, "x": 0},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=len(SCALE), k=-1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # A vivid story about someone else's initiative makes its outcome feel likely for this one too.
        story = line_with(body(text), r"newspaper|\bnews\b|read that|described how|magazine|podcast")
        if story is None:
            return option(options, "50%")
        story_failed = re.search(r"abandon|collapsed|fail|stopped|wrong|wrote off", story, re.IGNORECASE) is not None
        asks_failure = re.search(r"\bto fail\b|\bwill fail\b", body(text)) is not None
        higher = (story_failed == asks_failure) != opposite
        return option(options, "90%" if higher else "10%")


BIASES = (AvailabilityHeuristic(),)
