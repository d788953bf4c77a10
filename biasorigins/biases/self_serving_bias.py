"""Self-serving bias: success is credited to oneself, failure to circumstances."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# Challenging tasks: (the task as a gerund phrase, how it ended in success, how it ended in
# failure). The two endings mirror each other; "{pct}", "{weeks}" and "{years}" are sampled.
TASKS: tuple[tuple[str, str, str], ...] = (
    ("renegotiating the largest outside contract that your {team} manages",
     "the new contract cut costs by {pct}%", "the new contract raised costs by {pct}%"),
    ("bringing the {project} in on schedule after a late start",
     "it was finished {weeks} weeks ahead of schedule", "it was finished {weeks} weeks behind schedule"),
    ("turning around the {metric} of your {team}",
     "it improved by {pct}% within a quarter", "it worsened by {pct}% within a quarter"),
    ("securing the board's funding for the {project}",
     "the board approved the full budget you asked for", "the board turned down the budget you asked for"),
    ("winning back a major client that had moved to a competitor",
     "the client signed a new {years}-year contract with your company",
     "the client signed a {years}-year contract with the competitor"),
    ("preparing your {team} for a demanding external audit",
     "the auditors found no issues at all", "the auditors found several serious issues"),
    ("hiring an experienced specialist for the {project} in a tight labor market",
     "your first-choice candidate accepted the offer", "every candidate you approached turned the offer down"),
)

# Each variant: an intro, the line that introduces the task, the outcome line (with the
# manipulated word) and the question.
_VARIANTS: dict[str, dict[str, str]] = {
    "quarterly-review": {
        "intro": "you are the {position} at {a_organization}, and you are preparing for your quarterly review with your manager.",
        "task": "this quarter you took on a challenging task: {task}.",
        "outcome": "in the end you {verb}: {ending}.",
        "question": "To what extent was this outcome due to your own actions and decisions?",
    },
    "debrief": {
        "intro": "as the {position} at {a_organization}, you are writing a short debrief for the management team.",
        "task": "it concerns a difficult assignment you handled over the past months: {task}.",
        "outcome": "you {verb} at it, and {ending}.",
        "question": "How far was the result down to you personally?",
    },
    "self-assessment": {
        "intro": "you work as the {position} at {a_organization}, and the yearly self-assessment form is due.",
        "task": "one section asks about your hardest task of the year, which was {task}.",
        "outcome": "you {verb}, and {ending}.",
        "question": "To what extent do you attribute this outcome to your own performance?",
    },
    "mentor-talk": {
        "intro": "you are the {position} at {a_organization}, and you are talking with a mentor from outside the company.",
        "task": "you describe a tough challenge from the last few months: {task}.",
        "outcome": "as it turned out, you {verb}: {ending}.",
        "question": "How much of this outcome was caused by what you yourself did?",
    },
    "board-note": {
        "intro": "you are the {position} at {a_organization}, and the board has asked for a note on a recent assignment.",
        "task": "the assignment was a demanding one: {task}.",
        "outcome": "the result is that you {verb}, and {ending}.",
        "question": "To what extent was the result due to your own work and judgment?",
    },
}

SCALE = seven_point(
    "To a very large extent", "To a large extent", "To a fairly large extent", "To a moderate extent",
    "To a fairly small extent", "To a small extent", "To a very small extent",
)


class SelfServingBias(RatioScaleBias):
    """Simple contrast: the same challenging task ended in failure (control) or in success
    (treatment); how far was the outcome due to oneself?

    Score (Malberg et al.): k = +1, x = 0, i.e. ``(c - t) / max(c, t)``; positive when the
    success is attributed to oneself more than the failure.
    """

    info = BiasInfo(
        slug="self-serving-bias",
        title="Self-Serving Bias",
        definition="Attributing successes to one's own abilities and failures to outside factors.",
        citation="Miller & Ross (1975); Campbell & Sedikides (1999); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="a success is attributed to oneself to a larger extent than the same task's failure",
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        task_index = int(rng.integers(len(TASKS)))
        pct = int(rng.integers(5, 26))
        weeks = int(rng.integers(2, 9))
        years = int(rng.integers(2, 6))
        task, success, failure = TASKS[task_index]
        slots = {**scenario_slots(scenario), "pct": pct, "weeks": weeks, "years": years}
        slots["task"] = task.format(**slots)
        question = template["question"]

        def condition(succeeded: bool) -> Condition:
            ending = (success if succeeded else failure).format(**slots)
            lines = [template["intro"], template["task"], template["outcome"]]
            return Condition(
                situation=fill(lines, **slots, verb="succeeded" if succeeded else "failed", ending=ending),
                question=question,
                scale=SCALE,
            )

        return CaseContent(
            conditions={"control": condition(succeeded=False), "treatment": condition(succeeded=True)},
            values={"task": task_index, "pct": pct, "weeks": weeks, "years": years, "k": 1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Success is down to oneself, failure to circumstances (reversed if opposite).
        succeeded = re.search(r"\byou succeeded\b", body(text), re.IGNORECASE) is not None
        return option(options, "To a large extent" if succeeded != opposite else "To a small extent")


BIASES = (SelfServingBias(),)
