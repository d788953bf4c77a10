"""Optimism bias: good events are judged more likely, and bad events less likely, for oneself than for others."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick, rotate
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, percent_scale, scenario_slots

# Unforeseen events that can befall any company; each reads after "the company in question".
POSITIVE_EVENTS: tuple[str, ...] = (
    "receives a large, unexpected order from a customer it has never worked with",
    "wins a national industry award",
    "is offered an attractive partnership by a much larger firm",
    "sees its main competitor withdraw from the market",
    "gets unexpectedly favorable coverage in a major newspaper",
    "receives a public grant that covers a large part of its development costs",
    "sees one of its offerings become a surprise bestseller",
)
NEGATIVE_EVENTS: tuple[str, ...] = (
    "suffers a cyber attack that halts its operations for at least a day",
    "loses its largest customer without warning",
    "is sued by a former business partner",
    "sees a key supplier go out of business",
    "loses a senior manager to a competitor at short notice",
    "is fined by a regulator for a compliance failure",
    "has to withdraw one of its offerings because of a safety problem",
)
EVENTS = {"positive": POSITIVE_EVENTS, "negative": NEGATIVE_EVENTS}

# Each variant: an intro, the line that names the company the estimate is about (the
# manipulation: an average peer in the control, the manager's own company in the treatment).
_VARIANTS: dict[str, dict[str, str]] = {
    "risk-review": {
        "intro": "you are the {position} at {a_organization}, and your {team} is preparing its yearly review of risks and opportunities.",
        "control": "the first section of the review is about an average {organization} in your industry, not about your own company.",
        "treatment": "the first section of the review is about your own company, the {organization} where you work.",
    },
    "industry-survey": {
        "intro": "an industry association is surveying managers, and you take part as the {position} at {a_organization}, where you lead the {team}.",
        "control": "the survey question you are answering concerns an average {organization} in your industry rather than your own employer.",
        "treatment": "the survey question you are answering concerns your own employer, the {organization} where you work.",
    },
    "investor-call": {
        "intro": "you are the {position} at {a_organization}, and before an investor call your {team} collects estimates of how likely certain surprises are.",
        "control": "the estimate you are asked for refers to an average {organization} in the sector, not to your company.",
        "treatment": "the estimate you are asked for refers to your own company, the {organization} you work for.",
    },
    "scenario-planning": {
        "intro": "you are the {position} at {a_organization}, and your {team} is running a scenario-planning exercise for the coming years.",
        "control": "in this exercise you consider an average {organization} in your industry, not your own firm.",
        "treatment": "in this exercise you consider your own firm, the {organization} where you work.",
    },
    "strategy-offsite": {
        "intro": "you are the {position} at {a_organization}, and at a strategy offsite the leaders of each team, your {team} included, are asked to estimate a few probabilities.",
        "control": "each estimate is about an average {organization} in your line of business, not about your own company.",
        "treatment": "each estimate is about your own company, the {organization} where you work.",
    },
}

QUESTION = "How likely is it that the company in question {event} within the next {years} years?"


class OptimismBias(RatioScaleBias):
    """Simple contrast: the chance of an unforeseen good or bad event for an average peer company
    (control) against the manager's own company (treatment).

    Score (Malberg et al.): x = 0 and k = -1 for a good event, +1 for a bad one, so positive
    when the own company's chance is higher for good events and lower for bad events.
    """

    info = BiasInfo(
        slug="optimism-bias",
        title="Optimism Bias",
        definition="Believing that one is more likely than others to experience good events and less likely to experience bad ones.",
        citation="Weinstein (1980); Sharot (2011); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the own company gets a higher chance of a good event and a lower chance of a bad event than an average peer",
        aliases=("unrealistic optimism", "optimistic bias"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        kind = pick(rng, ("positive", "negative"))
        event = int(rng.integers(len(EVENTS[kind])))
        years = int(rng.integers(2, 6))
        slots = scenario_slots(scenario)
        question = QUESTION.format(event=EVENTS[kind][event], years=years)
        scale = percent_scale()

        def condition(name: str) -> Condition:
            return Condition(
                situation=fill([template["intro"], template[name]], **slots), question=question, scale=scale
            )

        return CaseContent(
            conditions={"control": condition("control"), "treatment": condition("treatment")},
            values={"event_kind": kind, "event": event, "years": years, "k": -1 if kind == "positive" else 1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=11, k=case.values["k"])

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Good surprises seem likelier, bad ones less likely, for one's own company than for an average one.
        situation = body(text)
        if re.search(r"\baverage\b", situation):
            return option(options, "30%")
        bad = re.search(r"\b(?:attack|loses|sued|out of business|fined|safety problem)\b", situation) is not None
        return option(options, "10%" if bad != opposite else "50%")


BIASES = (OptimismBias(),)
