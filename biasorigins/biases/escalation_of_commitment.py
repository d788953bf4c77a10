"""Escalation of commitment: putting more into a failing course of action because one chose it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, option
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots

N_SETBACKS = 2

# Discouraging interim results; two are drawn per case.
SETBACKS: tuple[str, ...] = (
    "the latest review shows the {project} running {overrun}% over budget.",
    "so far the {metric} has not improved at all.",
    "the work is {delay} months behind schedule.",
    "an external auditor rates the chance of reaching the original goals as low.",
    "two key members of the project group have left the company.",
    "a competitor has launched a cheaper solution that does much the same.",
    "early feedback from customers on the first results has been disappointing.",
    "the savings expected by now have come in at only a fraction of the plan.",
)

# (control, treatment) line: who made the original investment decision.
DECIDER: tuple[str, str] = (
    "{ago} ago you decided to invest {amount} in the {project}, an ambitious plan that you championed.",
    "{ago} ago your predecessor, who has since left the company, decided to invest {amount} in the {project}, an ambitious plan that they championed.",
)

# Each variant: lines before the decider line, the line introducing the setbacks, and the closing line.
_VARIANTS: dict[str, dict] = {
    "annual-budget": {
        "before": ("you are the {position} at {a_organization}.",),
        "news": "the interim results are discouraging:",
        "closing": "you now have to set next year's funding for the {project}; the original plan foresaw the same amount as this year.",
    },
    "board-request": {
        "before": ("as the {position} at {a_organization}, you report to the board on the {project}.",),
        "news": "the latest progress report brings bad news:",
        "closing": "the board asks how you want to change the funding of the {project} for the coming year.",
    },
    "steering-review": {
        "before": ("you work as the {position} at {a_organization}, which sells {product}.",),
        "news": "at the half-way review, the steering group hears two pieces of bad news:",
        "closing": "as the person responsible, you must propose the budget of the {project} for the next year.",
    },
    "quarterly-check": {
        "before": ("you are the {position} at {a_organization}, and your {team} runs the {project}.",),
        "news": "the quarterly check-in has turned up two problems:",
        "closing": "finance needs your decision on how much money the {project} gets next year.",
    },
    "investor-update": {
        "before": ("you are the {position} at {a_organization}.",),
        "news": "while preparing an update for investors, you learn of two setbacks:",
        "closing": "the update must say how the company will change its spending on the {project} next year.",
    },
}

SCALE = AnswerScale(
    options=tuple(
        "Cut it by 100% (stop it)" if v == -100 else f"Cut it by {-v}%" if v < 0
        else "Keep it unchanged" if v == 0 else f"Increase it by {v}%"
        for v in range(-100, 101, 20)
    ),
    values=tuple(range(-100, 101, 20)),
)

AGO = {1: "eighteen months", 2: "two years", 3: "three years"}

QUESTION = "Compared with this year, how do you change the funding of the {project} for next year?"


class EscalationOfCommitment(RatioScaleBias):
    """Simple contrast: an ambitious investment meets discouraging interim results; in the control you
    made the investment yourself, in the treatment your predecessor did.

    Score (Malberg et al.): k = +1, x = 0, so B = (c - t) / max(c, t) on the scale
    "-100% ... +100%"; positive when you give more money to your own decision.
    """

    info = BiasInfo(
        slug="escalation-of-commitment",
        title="Escalation of Commitment",
        definition="Continuing or increasing investment in a failing course of action because one is responsible for it.",
        citation="Staw (1976); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="more funding for a struggling investment when you made it than when your predecessor did",
        aliases=("commitment bias", "sunk cost escalation"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        setbacks = [int(i) for i in rng.choice(len(SETBACKS), size=N_SETBACKS, replace=False)]
        years = int(rng.integers(1, 4))
        millions = int(rng.integers(2, 41))
        overrun = int(rng.integers(15, 61))
        delay = int(rng.integers(3, 13))
        slots = {
            **scenario_slots(scenario), "ago": AGO[years], "amount": f"${millions} million",
            "overrun": overrun, "delay": delay,
        }
        template = _VARIANTS[variant]
        news = [f"- {capitalize(SETBACKS[i].format(**slots))}" for i in setbacks]
        question = QUESTION.format(**slots)

        def condition(own: bool) -> Condition:
            head = fill([*template["before"], DECIDER[not own], template["news"]], **slots)
            tail = fill([template["closing"]], **slots)
            return Condition(situation=(*head, *news, *tail), question=question, scale=SCALE)

        return CaseContent(
            conditions={"control": condition(True), "treatment": condition(False)},
            values={
                "setbacks": setbacks, "years": years, "amount_millions": millions, "overrun": overrun, "delay": delay,
                "k": 1, "x": 0,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=len(SCALE), k=1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Puts more money into a struggling plan one chose oneself than into a predecessor's (reversed if opposite).
        own = re.search(r"\byou decided to invest\b", body(text)) is not None
        return option(options, "Increase it by 20%" if own != opposite else "Cut it by 40%")


BIASES = (EscalationOfCommitment(),)
