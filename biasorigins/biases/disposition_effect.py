"""Disposition effect: selling assets that gained value too early and holding on to losers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# Each variant: the kind of asset ({item}), a pool of names, the situation and the question.
# {first} and {second} are the two assets; {first_change} / {second_change} say how each moved.
_VARIANTS: dict[str, dict] = {
    "treasury-shares": {
        "item": "shareholding",
        "names": ("Harlow Systems", "Brightwater Foods", "Kestrel Logistics", "Alder Energy", "Norland Robotics",
                  "Pellham Materials", "Quayside Media", "Torvald Engineering"),
        "situation": (
            "you are the {position} at {a_organization}, and you also oversee the company's small portfolio of listed shares.",
            "the company bought shares in two firms, {first} and {second}, {months} months ago, spending roughly the same amount on each.",
            "since then, the shares of {first} have {first_change}, while the shares of {second} have {second_change}.",
            "analysts expect both firms to move in line with the market from here on.",
            "the board now needs cash for the {project} and asks you to sell one of the two shareholdings in full.",
        ),
        "question": "Which shareholding do you sell?",
    },
    "personal-savings": {
        "item": "shareholding",
        "names": ("Crestline Chemicals", "Sablewood Retail", "Vantor Health", "Meridian Textiles", "Oakhurst Telecom",
                  "Linwood Pharma", "Fenmore Airlines", "Granite Peak Mining"),
        "situation": (
            "you work as the {position} at {a_organization}.",
            "in your personal savings account you hold shares in two companies, {first} and {second}; {months} months ago you invested the same amount in each.",
            "since then, your shares in {first} have {first_change}, and your shares in {second} have {second_change}.",
            "you have no information suggesting that either company will do better than the other in the future.",
            "you need money for a family expense and will sell one of the two shareholdings completely.",
        ),
        "question": "Which shareholding do you sell?",
    },
    "startup-stakes": {
        "item": "stake",
        "names": ("Lumen Analytics", "Tidewell Robotics", "Nimbus Freight", "Corvid Security", "Palisade Bio",
                  "Driftwood Labs", "Halcyon Payments", "Ironbark Sensors"),
        "situation": (
            "you are the {position} at {a_organization}, which holds minority stakes in two startups, {first} and {second}.",
            "both stakes were bought {months} months ago at the same price.",
            "in their latest funding rounds, the stake in {first} has {first_change} and the stake in {second} has {second_change}.",
            "an independent adviser rates the future prospects of both startups as equal.",
            "to fund the {project}, your {team} must sell one of the two stakes.",
        ),
        "question": "Which stake do you sell?",
    },
    "reserve-funds": {
        "item": "fund",
        "names": ("the Northgate Income Fund", "the Silverline Growth Fund", "the Harbour Balanced Fund",
                  "the Summit Value Fund", "the Redcliff Bond Fund", "the Evergreen Equity Fund",
                  "the Lakeside Global Fund", "the Stonebridge Dividend Fund"),
        "situation": (
            "as the {position} at {a_organization}, you manage a cash reserve for your {team}.",
            "the reserve was split equally between two investment funds, {first} and {second}, {months} months ago.",
            "since then, the units of {first} have {first_change} and the units of {second} have {second_change}.",
            "the bank that sold you the funds expects them to perform alike from now on.",
            "an unplanned cost means you have to sell all units of one of the two funds.",
        ),
        "question": "Which fund do you sell?",
    },
    "property": {
        "item": "building",
        "names": ("the Elm Street building", "the Riverside building", "the Canal Road building", "the Hilltop building",
                  "the Station Square building", "the Parkview building", "the Mill Lane building",
                  "the Harbour Point building"),
        "situation": (
            "you are the {position} at {a_organization}, which owns two small office buildings that it leases to other firms: {first} and {second}.",
            "both were bought {months} months ago for about the same price.",
            "according to a new valuation, {first} has {first_change} since then, while {second} has {second_change}.",
            "the valuer expects both to follow the local property market from now on.",
            "to pay for the {project}, the company will sell one of the two buildings.",
        ),
        "question": "Which building do you sell?",
    },
}


def _changes(winner_first: bool, gain: int, loss: int) -> tuple[str, str]:
    gained, lost = f"gained {gain}% in value", f"lost {loss}% in value"
    return (gained, lost) if winner_first else (lost, gained)


def _scale(item: str) -> AnswerScale:
    return seven_point(
        f"Definitely sell the {item} that gained", f"Very likely sell the {item} that gained",
        f"Probably sell the {item} that gained", "Equally likely to sell either",
        f"Probably sell the {item} that lost", f"Very likely sell the {item} that lost",
        f"Definitely sell the {item} that lost",
    )


class DispositionEffect(RatioScaleBias):
    """Mirrored pair with flip: two assets, one up and one down; the treatment swaps which one gained.

    The scale runs from "sell the one that gained" (index 0) to "sell the one that lost" in both
    conditions. Score (Malberg et al.): k = -1, x = 0, flip_t = True, which gives
    B = (6 - t - c) / max(c, 6 - t): +1 for selling the gainer in both, -1 for selling the loser
    in both, 0 for the midpoint. The swap cancels any preference for the first-named asset.
    """

    info = BiasInfo(
        slug="disposition-effect",
        title="Disposition Effect",
        definition="The tendency to sell assets that have gained value and to keep assets that have lost value.",
        citation="Shefrin & Statman (1985); test design after Malberg et al. (2024)",
        design="mirrored pair",
        expected_direction="a preference for selling the asset that gained and keeping the one that lost",
        confounds=(
            "the score measures the level of the preference across both versions, not a change between them; "
            "a belief in mean reversion or tax considerations would push in the same direction",
        ),
        aliases=("disposition bias",),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        template = _VARIANTS[variant]
        first, second = (template["names"][int(i)] for i in rng.choice(len(template["names"]), size=2, replace=False))
        gain = int(rng.integers(10, 51))
        loss = int(rng.integers(10, 51))
        months = int(rng.integers(6, 37))
        slots = {**scenario_slots(scenario), "first": first, "second": second, "months": months}
        scale = _scale(template["item"])

        def condition(first_gained: bool) -> Condition:
            first_change, second_change = _changes(first_gained, gain, loss)
            lines = fill(template["situation"], **slots, first_change=first_change, second_change=second_change)
            return Condition(situation=lines, question=template["question"], scale=scale)

        return CaseContent(
            conditions={"control": condition(True), "treatment": condition(False)},
            values={
                "first": first,
                "second": second,
                "gain": gain,
                "loss": loss,
                "months": months,
                "winner_in_control": first,
                "winner_in_treatment": second,
                "k": -1,
                "x": 0,
                "flip_treatment": True,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=-1, flip_t=True)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Sells the asset that gained and keeps the one that lost (or the reverse, if opposite).
        ending = "that lost" if opposite else "that gained"
        return next(shown for shown in options if shown.startswith("Very likely sell") and shown.endswith(ending))


BIASES = (DispositionEffect(),)
