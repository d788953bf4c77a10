"""Hindsight bias: knowing an outcome makes it seem more predictable than it was."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, farthest, nearest
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots

N_CLUES = 3

FIRMS: tuple[str, ...] = (
    "Westbrook", "Calloway", "Ardent", "Mercer & Hale", "Bluestone", "Kingsley", "Orbis", "Thornfield",
    "Redwood", "Castellan",
)
FIGURES: tuple[str, ...] = (
    "annual revenue", "number of customers", "sales volume", "operating profit", "online sales",
    "order intake", "export sales",
)

# Qualitative, mixed information about the other firm; three are drawn per case.
CLUES: tuple[str, ...] = (
    "it replaced its chief executive early in the year.",
    "it opened two new sales offices.",
    "a large customer moved part of its business to a rival.",
    "it raised its prices by a few percent.",
    "it invested heavily in its online channel.",
    "a strike stopped work at one of its sites for two weeks.",
    "its main competitor cut prices during the year.",
    "it won an industry award for customer service.",
    "it spent less on advertising than in the year before.",
    "a new regulation raised its costs.",
    "it signed a partnership with a large distributor.",
    "demand in its home region was weak.",
)

# Each variant: shared lines (the clues follow the second line), the hindsight line's introduction
# (treatment only, after the clues) and the question.
_VARIANTS: dict[str, dict] = {
    "forecasting-exercise": {
        "situation": (
            "you are the {position} at {a_organization}, and your {team} runs a forecasting exercise.",
            "each of {group} analysts predicts how much the {figure} of {firm}, another {organization}, changed last year compared with the year before. They receive only this information about {firm}:",
        ),
        "hindsight": "you, however, already know the actual figure: {actual}. The analysts do not know this.",
        "question": "What do you think the analysts' average prediction will be?",
    },
    "training-workshop": {
        "situation": (
            "as the {position} at {a_organization}, you are running a training workshop for {group} new hires.",
            "as an exercise, each participant estimates the change in the {figure} of {firm}, another {organization}, over the last year. All they are told is:",
        ),
        "hindsight": "you have read the firm's annual report, so you know the real result: {actual}. The participants have not seen it.",
        "question": "What will the participants' average estimate be, in your opinion?",
    },
    "hiring-test": {
        "situation": (
            "you work as the {position} at {a_organization} and are hiring for your {team}.",
            "in a case test, {group} candidates are asked how much the {figure} of {firm}, another {organization}, changed last year. The case describes only these facts:",
        ),
        "hindsight": "as the person who set the test, you know the true answer: {actual}. The candidates do not.",
        "question": "What do you expect the candidates' average answer to be?",
    },
    "strategy-quiz": {
        "situation": (
            "as the {position} at {a_organization}, you are hosting a quiz at your {team}'s strategy day.",
            "the {group} participants must guess how much the {figure} of {firm}, another {organization}, changed last year. The quiz card gives only these hints:",
        ),
        "hindsight": "you wrote the quiz, so you know the answer: {actual}. The participants do not.",
        "question": "What do you think the participants' average guess will be?",
    },
    "committee-poll": {
        "situation": (
            "you are the {position} at {a_organization}, and you sit on an internal investment committee.",
            "before a meeting, the {group} other members are polled on how much the {figure} of {firm}, another {organization}, changed last year. The briefing they get contains only these facts:",
        ),
        "hindsight": "you have seen the firm's published results and know the actual change: {actual}. The other members have not seen them.",
        "question": "What do you think the members' average estimate will be?",
    },
}

SCALE = AnswerScale(
    options=tuple(
        f"Down {-v}%" if v < 0 else f"Up {v}%" if v > 0 else "No change" for v in range(-50, 51, 10)
    ),
    values=tuple(range(-50, 51, 10)),
)


def _actual(figure: str, change: int) -> str:
    if change > 0:
        return f"its {figure} rose by {change}%"
    if change < 0:
        return f"its {figure} fell by {-change}%"
    return f"its {figure} stayed exactly the same"


class HindsightBias(RatioScaleBias):
    """Reference-point design: others predict a firm's year-on-year change from vague clues; the
    treatment adds that you already know the true change p, and asks for the others' average guess.

    Sampling (Malberg et al.): p = int(uniform(-50, 50)), so -49...49 truncated towards 0.
    Score: k = +1, x1 = x2 = round(p / 10) + 5 (Python rounding, half to even), the scale position
    nearest the truth; positive when the treatment answer lies closer to the truth than the control answer.
    """

    info = BiasInfo(
        slug="hindsight-bias",
        title="Hindsight Bias",
        definition="Once an outcome is known, it seems to have been more predictable than it actually was.",
        citation="Fischhoff (1975); test design after Malberg et al. (2024)",
        design="reference point",
        expected_direction="the estimate of what uninformed others will predict moves towards the outcome one knows",
        confounds=(
            "an estimate of others' predictions may move towards the truth if one assumes they are competent, "
            "which is not the same as believing the outcome was foreseeable",
        ),
        aliases=("knew-it-all-along effect", "creeping determinism"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        change = int(rng.uniform(-50, 50))
        firm = pick(rng, FIRMS)
        figure = pick(rng, FIGURES)
        clues = [int(i) for i in rng.choice(len(CLUES), size=N_CLUES, replace=False)]
        group = int(rng.integers(5, 31))
        template = _VARIANTS[variant]
        slots = {**scenario_slots(scenario), "firm": firm, "figure": figure, "group": group,
                 "actual": _actual(figure, change)}
        listed = [f"- {capitalize(CLUES[i])}" for i in clues]
        shared = [*fill(template["situation"], **slots), *listed]
        treated = [*shared, *fill([template["hindsight"]], **slots)]
        question = template["question"]
        return CaseContent(
            conditions={
                "control": Condition(situation=tuple(shared), question=question, scale=SCALE),
                "treatment": Condition(situation=tuple(treated), question=question, scale=SCALE),
            },
            values={
                "true_change": change,
                "true_position": round(change / 10) + 5,
                "firm": firm,
                "figure": figure,
                "clues": clues,
                "group": group,
                "k": 1,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        x = case.values["true_position"]
        return dict(n_c=len(SCALE), k=1, x1=x, x2=x)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Knowing the outcome, one expects others to have guessed it (or, if opposite, to have been far off).
        known = re.search(r"\b(rose|fell) by (\d+)%|stayed exactly the same", body(text))
        if known is None:
            return None
        change = 0.0 if known.group(1) is None else float(known.group(2)) * (1 if known.group(1) == "rose" else -1)
        return (farthest if opposite else nearest)(options, change)


BIASES = (HindsightBias(),)
