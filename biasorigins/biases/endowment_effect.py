"""Endowment effect: people ask more to give up an item they own than they would pay to get it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, option
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots

# Second-hand business assets with a plausible purchase price range in thousands of dollars (inclusive).
ASSETS: tuple[tuple[str, int, int], ...] = (
    ("a used delivery van", 20, 60),
    ("a video conferencing system for a large meeting room", 10, 40),
    ("a 3D printer for prototypes", 10, 80),
    ("an electric forklift truck", 15, 50),
    ("a rack of servers and network equipment", 20, 120),
    ("a company car", 25, 70),
    ("a modular exhibition stand for trade fairs", 10, 50),
    ("a set of office furniture for one floor", 20, 90),
    ("a set of professional video cameras", 8, 40),
    ("a portable power generator", 10, 60),
    ("a large-format printer", 8, 35),
    ("an electric minibus for staff transport", 60, 150),
)

# Each variant: (owner, non-owner) versions of the lines that differ, around shared lines.
# The control is the owner (minimum selling price), the treatment the non-owner (maximum buying price).
_VARIANTS: dict[str, dict] = {
    "outside-offer": {
        "lines": (
            "you are the {position} at {a_organization}.",
            ("your company bought {asset} {years} years ago for {price}.",
             "another {organization} bought {asset} {years} years ago for {price}."),
            "it is in good condition, and your {team} would find occasional use for it.",
            ("another {organization} has asked whether you would sell it.",
             "that company has asked whether you would like to buy it."),
            ("you have to tell them the lowest price at which you would sell.",
             "you have to tell them the highest price at which you would buy."),
        ),
    },
    "broker": {
        "lines": (
            "as the {position} at {a_organization}, you handle a deal that a broker has brought to you.",
            ("your company owns {asset}, which it bought {years} years ago for {price}, and the broker has found a buyer for it.",
             "another company owns {asset}, which it bought {years} years ago for {price}, and the broker is offering it to you."),
            "the asset works well and would be of some use to your {team}.",
            ("before the talks start, the broker needs to know your minimum selling price.",
             "before the talks start, the broker needs to know your maximum buying price."),
        ),
    },
    "internal-transfer": {
        "lines": (
            "you work as the {position} at {a_organization}.",
            ("your {team} owns {asset}, bought {years} years ago for {price}; another department wants to buy it from you.",
             "another department owns {asset}, bought {years} years ago for {price}; your {team} could buy it from them."),
            "internal sales are settled at a price the two departments agree on, and both would use the asset about equally.",
            ("you must state the lowest internal price at which your {team} would give it up.",
             "you must state the highest internal price your {team} would pay for it."),
        ),
    },
    "restructuring": {
        "lines": (
            "you are the {position} at {a_organization}, and you are deciding {decision}.",
            ("as part of the {project}, you are reviewing the assets your {team} owns, among them {asset} bought {years} years ago for {price}.",
             "as part of the {project}, you are reviewing assets your {team} could acquire, among them {asset} that a partner firm bought {years} years ago for {price}."),
            "it is still in good working order.",
            ("a partner firm has offered to buy it, and you must set the lowest price you would accept.",
             "the partner firm has offered to sell it to you, and you must set the highest price you would pay."),
        ),
    },
    "online-marketplace": {
        "lines": (
            "you are the {position} at {a_organization}.",
            ("on a marketplace for used business equipment, you are about to list {asset} that your company bought {years} years ago for {price}.",
             "on a marketplace for used business equipment, you see {asset} listed by a firm that bought it {years} years ago for {price}."),
            "it has been well maintained, and your {team} would find some use for it.",
            ("you must enter the lowest price at which you are willing to sell.",
             "you must enter the highest price at which you are willing to buy."),
        ),
    },
}

SCALE = AnswerScale(
    options=tuple(
        f"{-v}% below the original price" if v < 0 else f"{v}% above the original price" if v > 0 else "The original price"
        for v in range(-50, 51, 10)
    ),
    values=tuple(range(-50, 51, 10)),
)


def _lines(template: tuple, owner: bool) -> list[str]:
    return [line if isinstance(line, str) else line[0 if owner else 1] for line in template]


class EndowmentEffect(RatioScaleBias):
    """Simple contrast: the minimum selling price of an asset you own (control) versus the maximum
    buying price of the same asset owned by someone else (treatment), relative to its purchase price.

    Score (Malberg et al.): k = +1, x = 0, so B = (c - t) / max(c, t) on the scale
    "-50% ... +50%"; positive when the selling price exceeds the buying price.
    """

    info = BiasInfo(
        slug="endowment-effect",
        title="Endowment Effect",
        definition="Valuing an item more highly simply because one owns it.",
        citation="Thaler (1980); Kahneman, Knetsch & Thaler (1990); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the minimum selling price as owner is higher than the maximum buying price as non-owner",
        confounds=(
            "a gap between selling and buying prices is also ordinary bargaining strategy, so part of it may "
            "reflect negotiation rather than ownership",
        ),
        aliases=("endowment bias", "WTA-WTP gap"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        asset_index = int(rng.integers(len(ASSETS)))
        asset, low, high = ASSETS[asset_index]
        price = int(rng.integers(low, high + 1))
        years = int(rng.integers(2, 6))
        price_text = f"${price * 1000:,}"
        slots = {**scenario_slots(scenario), "asset": asset, "price": price_text, "years": years}
        template = _VARIANTS[variant]["lines"]
        question = f"What price do you name, relative to the original price of {price_text}?"

        def condition(owner: bool) -> Condition:
            return Condition(situation=fill(_lines(template, owner), **slots), question=question, scale=SCALE)

        return CaseContent(
            conditions={"control": condition(True), "treatment": condition(False)},
            values={"asset": asset_index, "price_thousands": price, "years": years, "k": 1, "x": 0},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=len(SCALE), k=1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # As owner asks for more than the original price, as buyer offers less (reversed if opposite).
        selling = re.search(r"\b(?:lowest|minimum)\b", body(text)) is not None
        high = selling != opposite
        return option(options, "20% above the original price" if high else "20% below the original price")


BIASES = (EndowmentEffect(),)
