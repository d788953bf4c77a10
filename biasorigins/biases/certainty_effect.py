"""Certainty effect: a sure prize is overweighted against a gamble with a slightly higher expected value."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, pick
from biasorigins.biases._proportions import DifferenceOfProportionsBias, shown_first
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots

Lottery = list[list[int]]  # [prize in dollars, chance in percent] per outcome; chances sum to 100

SUBTYPES = ("common-consequence", "common-ratio")
RISKY_STYLES = ("chance-first", "prize-first")
SURE_STYLES = ("for-certain", "guaranteed", "hundred-percent")

_VARIANTS: dict[str, dict] = {
    "staff-draw": {
        "situation": (
            "you are the {position} at {a_organization}.",
            "you have won the company's year-end staff draw, and you may choose which of two prizes you receive.",
        ),
        "question": "Which prize do you choose?",
    },
    "project-bonus": {
        "situation": (
            "as the {position} at {a_organization}, you brought the {project} to a successful close.",
            "as a personal reward, the board lets you pick one of two bonus arrangements.",
        ),
        "question": "Which bonus arrangement do you pick?",
    },
    "client-voucher": {
        "situation": (
            "you work as the {position} at {a_organization}.",
            "a client who was pleased with the work of your {team} has given you a voucher that can be cashed in one of two ways.",
        ),
        "question": "How do you cash in the voucher?",
    },
    "team-award": {
        "situation": (
            "you are the {position} at {a_organization}, and your {team} has won an internal innovation award.",
            "the award is a cash prize for the team's celebration, and you decide which of two payment schemes applies.",
        ),
        "question": "Which payment scheme do you choose for your {team}?",
    },
    "conference-raffle": {
        "situation": (
            "you are the {position} at {a_organization} and are attending an industry conference.",
            "your raffle ticket has won, and the organizers offer you two ways to collect your winnings.",
        ),
        "question": "Which way of collecting your winnings do you choose?",
    },
    "risk-survey": {
        "situation": (
            "you are the {position} at {a_organization}.",
            "a researcher surveying managers about risky choices asks you to choose between two options and promises to pay out the one you choose.",
        ),
        "question": "Which of the two options do you choose?",
    },
}


def money(amount: int) -> str:
    return f"${amount:,}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def describe_lottery(lottery: Lottery, style: str) -> str:
    """Our wording of a lottery; a single outcome at 100% is a sure prize."""
    if len(lottery) == 1:
        (prize, _), = lottery
        texts = {"for-certain": f"{money(prize)} for certain", "guaranteed": f"{money(prize)}, guaranteed",
                 "hundred-percent": f"a 100% chance of winning {money(prize)}"}
        return capitalize(texts[style])
    if style == "chance-first":
        parts = [f"a {chance}% chance of winning {money(prize) if prize else 'nothing'}" for prize, chance in lottery]
    else:
        parts = [f"{money(prize) if prize else 'nothing'} with a probability of {chance}%" for prize, chance in lottery]
    return capitalize(_join(parts))


def expected_value(lottery: Lottery) -> float:
    return sum(prize * chance for prize, chance in lottery) / 100


def _multiple(rng: np.random.Generator, low: float, high: float, step: int) -> int:
    """A random multiple of ``step`` in [low, high]."""
    return step * int(rng.integers(math.ceil(low / step), math.floor(high / step) + 1))


def common_consequence(rng: np.random.Generator) -> dict[str, Lottery]:
    """Allais-type pair (Kahneman & Tversky 1979, problems 1-2).

    Treatment: x at p%, y at (99-p)%, nothing at 1%  vs  y for sure.
    Control (the common y at (99-p)% removed): x at p%  vs  y at (p+1)%.
    The gamble's expected value is higher by the same amount in both, at least 0.5% of y.
    """
    sure = 100 * int(rng.integers(8, 51))  # $800 .. $5,000
    p = int(rng.integers(20, 36))  # 20 .. 35 %
    high = _multiple(rng, (p + 1.5) / p * sure, 1.4 * sure, 100)
    return {
        "treatment_risky": [[high, p], [sure, 99 - p], [0, 1]],
        "treatment_target": [[sure, 100]],
        "control_risky": [[high, p], [0, 100 - p]],
        "control_target": [[sure, p + 1], [0, 99 - p]],
    }


def common_ratio(rng: np.random.Generator) -> dict[str, Lottery]:
    """Common-ratio pair (Kahneman & Tversky 1979, problems 3-4).

    Treatment: x at q%  vs  y for sure. Control: both chances multiplied by r (1/4 or 1/5):
    x at q*r%  vs  y at 100*r%. The gamble's expected value is 3% to 35% higher in both.
    """
    divisor = int(pick(rng, (4, 5)))
    q = int(pick(rng, tuple(c for c in range(60, 91) if c % divisor == 0)))
    sure = 500 * int(rng.integers(2, 13))  # $1,000 .. $6,000
    high = _multiple(rng, 103 * sure / q, 135 * sure / q, 100)
    return {
        "treatment_risky": [[high, q], [0, 100 - q]],
        "treatment_target": [[sure, 100]],
        "control_risky": [[high, q // divisor], [0, 100 - q // divisor]],
        "control_target": [[sure, 100 // divisor], [0, 100 - 100 // divisor]],
    }


class CertaintyEffect(DifferenceOfProportionsBias):
    """Difference of proportions over matched lottery pairs (Itzhak et al. 2024 after Kahneman & Tversky 1979).

    Each case is one lottery pair in two versions: the treatment offers a sure prize (the
    target) against a gamble with a higher expected value; the control applies the same
    common-consequence or common-ratio transformation to both options, so the target is
    risky too while the gamble keeps the higher expected value. Scale: index 0 = the gamble
    with the better expected value, index 1 = the target.

    Score per case: target(treatment) - target(control) in {-1, 0, 1}; the mean is
    P(target | sure) - P(target | risky), the original certainty score. An expected-value
    maximiser and a responder who always takes the target score 0.

    Lotteries are generated procedurally in the two structures of Kahneman & Tversky
    (prizes $800-$6,000, the published probability ranges), with an expected-value
    advantage of the gamble that is never negligible (unlike 4,802 vs 4,800 in the
    original value set). Both conditions share one display order; the suite shows the
    target first in exactly half of the cases. Undecided answers: see
    :data:`~biasorigins.biases._proportions.UNDECIDED_RULE`. ``paper_compatible`` changes
    nothing: the score is the original one.
    """

    info = BiasInfo(
        slug="certainty-effect",
        title="Certainty Effect",
        definition="Outcomes that are certain are overweighted relative to outcomes that are merely probable.",
        citation="Kahneman & Tversky (1979); test design after Itzhak et al. (2024)",
        design="difference of proportions",
        expected_direction="the target option is chosen more often when it is a sure prize than when it is a gamble",
        confounds=(
            "the control changes every probability, not only the certainty of the target (common-ratio pairs shrink "
            "all chances), so any change of risk attitude at small probabilities also moves the score",
        ),
        aliases=("certainty", "allais paradox"),
    )
    design_factors = {
        "subtype": SUBTYPES,
        "risky_style": RISKY_STYLES,
        "sure_style": SURE_STYLES,
        "target_shown": ("first", "second"),
    }

    @property
    def compared_conditions(self) -> tuple[str, str]:
        return ("treatment", "control")

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = sorted(_VARIANTS)[int(rng.integers(len(_VARIANTS)))]
        subtype = pick(rng, SUBTYPES)
        risky_style = pick(rng, RISKY_STYLES)
        sure_style = pick(rng, SURE_STYLES)
        lotteries = common_consequence(rng) if subtype == "common-consequence" else common_ratio(rng)
        slots = scenario_slots(scenario)
        situation = fill(_VARIANTS[variant]["situation"], **slots)
        question = _VARIANTS[variant]["question"].format(**slots)

        def condition(name: str, target_style: str) -> Condition:
            options = (describe_lottery(lotteries[f"{name}_risky"], risky_style),
                       describe_lottery(lotteries[f"{name}_target"], target_style))
            return Condition(situation=situation, question=question, scale=AnswerScale(options=options))

        return CaseContent(
            conditions={"control": condition("control", risky_style), "treatment": condition("treatment", sure_style)},
            values={
                "subtype": subtype,
                "risky_style": risky_style,
                "sure_style": sure_style,
                **lotteries,
                **{f"ev_{name}": expected_value(lottery) for name, lottery in lotteries.items()},
                "target_index": 1,
                "better_ev_index": 0,
            },
            variant=variant,
        )

    def design_cell(self, case: TestCase) -> dict[str, str]:
        return {
            "subtype": str(case.values["subtype"]),
            "risky_style": str(case.values["risky_style"]),
            "sure_style": str(case.values["sure_style"]),
            "target_shown": "first" if shown_first(case, "treatment", 1) else "second",
        }

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Takes the prize that is certain (or, if opposite, the gamble); no lean between two gambles.
        sure = [shown for shown in options if re.search(r"for certain|guaranteed|100% chance", shown)]
        if len(sure) != 1:
            return None
        return next(shown for shown in options if shown != sure[0]) if opposite else sure[0]


BIASES = (CertaintyEffect(),)
