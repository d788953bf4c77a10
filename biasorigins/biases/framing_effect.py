"""Framing effect: the same record judged differently when described by successes or by failures."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import body, line_with, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# (positive frame, negative frame) of one record; "{share}%" precedes each phrase.
FRAMES: tuple[tuple[str, str], ...] = (
    ("of the client projects they led finished on schedule", "of the client projects they led finished behind schedule"),
    ("of their sales calls ended with a signed order", "of their sales calls ended without an order"),
    ("of the customer issues they handled were solved at the first contact", "of the customer issues they handled were still open after the first contact"),
    ("of their reports were accepted without changes", "of their reports were sent back for changes"),
    ("of the deadlines they agreed to were met", "of the deadlines they agreed to were missed"),
    ("of the quality audits of their work were passed", "of the quality audits of their work were failed"),
    ("of the budget targets they owned were reached", "of the budget targets they owned were missed"),
    ("of the new hires they trained passed certification at the first attempt", "of the new hires they trained failed certification at the first attempt"),
    ("of the supplier orders they placed arrived complete", "of the supplier orders they placed arrived incomplete"),
    ("of the process changes they introduced were kept after the trial", "of the process changes they introduced were dropped after the trial"),
)

_VARIANTS: dict[str, dict] = {
    "annual-review": {
        "situation": (
            "you are the {position} at {a_organization}.",
            "you are writing the annual performance review of a member of your {team}.",
            "over the past year, {share}% {record}.",
        ),
        "question": "How do you rate this employee's performance?",
    },
    "probation": {
        "situation": (
            "as the {position} at {a_organization}, you must evaluate an analyst whose first year in your {team} has just ended.",
            "the records show that {share}% {record}.",
        ),
        "question": "How would you rate the analyst's work during the year?",
    },
    "promotion": {
        "situation": (
            "your {team} is considering one of its coordinators for promotion.",
            "you are the {position} at {a_organization}, and your rating of the coordinator's record will decide the matter.",
            "according to the internal dashboard, {share}% {record}.",
        ),
        "question": "How good is the coordinator's record?",
    },
    "quarterly": {
        "situation": (
            "you supervise a project lead in your {team} at {a_organization}, where you work as the {position}.",
            "the quarterly summary states that {share}% {record}.",
        ),
        "question": "How do you judge the project lead's performance?",
    },
}

SCALE = seven_point("Very good", "Good", "Somewhat good", "Neither good nor bad", "Somewhat bad", "Bad", "Very bad")


class FramingEffect(RatioScaleBias):
    """Simple contrast: a success share (control) versus the complementary failure share (treatment).

    Score (Malberg et al.): k = -1, x = 0, so positive when the failure-framed record is rated worse.
    """

    info = BiasInfo(
        slug="framing-effect",
        title="Framing Effect",
        definition="Logically equivalent descriptions of the same facts lead to different judgements.",
        citation="Tversky & Kahneman (1981); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the record described by its failure share is rated worse than the same record described by its success share",
        aliases=("framing",),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        frame = rotate(range(len(FRAMES)), scenario, index, salt="frame")
        success = int(rng.integers(51, 90))
        slots = scenario_slots(scenario)
        lines = _VARIANTS[variant]["situation"]
        question = _VARIANTS[variant]["question"]
        positive, negative = FRAMES[frame]
        return CaseContent(
            conditions={
                "control": Condition(
                    situation=fill(lines, **slots, share=success, record=positive), question=question, scale=SCALE
                ),
                "treatment": Condition(
                    situation=fill(lines, **slots, share=100 - success, record=negative), question=question, scale=SCALE
                ),
            },
            values={"success_share": success, "failure_share": 100 - success, "frame": frame, "k": -1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=-1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # A record stated as its failures sounds worse than the same record stated as its successes.
        record = line_with(body(text), r"\d+%") or ""
        failure_frame = re.search(r"\b(?:behind|without an?|still open|sent back|missed|failed|incomplete|dropped)\b", record) is not None
        if opposite:
            return option(options, "Good" if failure_frame else "Somewhat good")
        return option(options, "Somewhat bad" if failure_frame else "Good")


BIASES = (FramingEffect(),)
