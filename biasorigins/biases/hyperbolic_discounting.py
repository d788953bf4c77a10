"""Hyperbolic discounting: a delay weighs more when it starts now than when it starts later."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, option
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# (control, treatment) timing of the smaller, earlier and of the larger, later payment.
EARLY: tuple[str, str] = ("immediately", "in one year")
LATE: tuple[str, str] = ("in {m} months", "in one year and {m} months")

# Each variant: what the two alternatives are called ({noun}) and the lines before and after them.
_VARIANTS: dict[str, dict] = {
    "innovation-grant": {
        "noun": "scheme",
        "before": (
            "you are the {position} at {a_organization}, and your {team} has won public funding for the {project}.",
            "the funding programme lets you choose one of two payment schemes:",
        ),
        "after": "both payments are guaranteed by the programme.",
        "question": "Which payment scheme do you choose?",
    },
    "customer-settlement": {
        "noun": "arrangement",
        "before": (
            "as the {position} at {a_organization}, you are settling a dispute with a customer over a cancelled order.",
            "the customer proposes two ways of paying compensation:",
        ),
        "after": "a bank guarantees either payment, so there is no risk of default.",
        "question": "Which arrangement do you accept?",
    },
    "insurance-claim": {
        "noun": "offer",
        "before": (
            "you work as the {position} at {a_organization}, which sells {product}.",
            "after a storm damaged one of your sites, the insurer makes two settlement offers:",
        ),
        "after": "either payment is certain once you sign.",
        "question": "Which offer do you take?",
    },
    "supplier-rebate": {
        "noun": "plan",
        "before": (
            "you are the {position} at {a_organization}.",
            "a long-standing supplier rewards your {team} with a rebate, paid under one of two plans:",
        ),
        "after": "the supplier is financially sound, so either plan will certainly be paid.",
        "question": "Which rebate plan do you pick?",
    },
    "team-bonus": {
        "noun": "scheme",
        "before": (
            "as the {position} at {a_organization}, you lead the {team}, which did excellent work on the {project}.",
            "the company offers your {team} a one-off bonus pool under one of two schemes:",
        ),
        "after": "the company has committed to either scheme in writing.",
        "question": "Which bonus scheme do you choose for your {team}?",
    },
}


# A payment line as rendered, e.g. "Scheme A: $12,000, paid in one year and 3 months."
_PAYMENT = re.compile(r"^(\w+) ([AB]): \$[\d,]+, paid (.+)\.$", re.MULTILINE)


def _scale(noun: str) -> AnswerScale:
    return seven_point(
        f"Definitely {noun} A", f"Very likely {noun} A", f"Probably {noun} A", "No preference",
        f"Probably {noun} B", f"Very likely {noun} B", f"Definitely {noun} B",
    )


def _money(thousands: int) -> str:
    return f"${thousands:,},000"


class HyperbolicDiscounting(RatioScaleBias):
    """Simple contrast with a sampled sign: a smaller-sooner versus a larger-later payment, either
    starting now (control) or with both pushed one year into the future (treatment).

    Sampling (Malberg et al.): R1 = 1...99, coef = uniform(1, 5), R2 = int(min(R1 * coef, 100)),
    delay m = 2...11 months, and a random A/B order. Amounts are in thousands of dollars.
    Score: k = -1 when the sooner payment is alternative A, else +1; x = 0. Positive when the
    sooner payment is preferred more when it is immediate than when both lie a year ahead.
    As in the original, R2 can equal R1 when coef is close to 1 (about 1% of cases).
    """

    info = BiasInfo(
        slug="hyperbolic-discounting",
        title="Hyperbolic Discounting",
        definition="Preferring smaller rewards now over larger rewards later more strongly than the same trade-off in the future.",
        citation="Laibson (1997); Thaler (1981); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="a stronger preference for the sooner, smaller payment when it is immediate than when both are a year away",
        confounds=(
            "an organisation with an urgent need for cash may rationally prefer immediate money; the test assumes no such need",
        ),
        version=2,
        aliases=("present bias", "time-inconsistent discounting"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        early_amount = int(rng.integers(1, 100))
        coef = float(rng.uniform(1, 5))
        late_amount = int(min(early_amount * coef, 100))
        months = int(rng.integers(2, 12))
        early_is_a = bool(rng.integers(2))
        template = _VARIANTS[variant]
        noun = template["noun"]
        slots = {**scenario_slots(scenario), "m": months}
        question = template["question"].format(**slots)
        scale = _scale(noun)

        def condition(delayed: bool) -> Condition:
            early = f"{_money(early_amount)}, paid {EARLY[delayed]}."
            late = f"{_money(late_amount)}, paid {LATE[delayed]}."
            first, second = (early, late) if early_is_a else (late, early)
            lines = [*template["before"], f"{noun} A: {first}", f"{noun} B: {second}", template["after"]]
            return Condition(situation=fill(lines, **slots), question=question, scale=scale)

        return CaseContent(
            conditions={"control": condition(False), "treatment": condition(True)},
            values={
                "early_thousands": early_amount,
                "coef": coef,
                "late_thousands": late_amount,
                "months": months,
                "early_is_a": early_is_a,
                "k": -1 if early_is_a else 1,
                "x": 0,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        k = -1 if case.values["early_is_a"] else 1
        return dict(n_c=7, k=k)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Takes the sooner payment when it is paid immediately and the larger, later one when both
        # lie a year ahead; the opposite tendency does the reverse.
        payments = _PAYMENT.findall(body(text))
        sooner = [(noun, letter) for noun, letter, when in payments if when in EARLY]
        later = [(noun, letter) for noun, letter, when in payments if when not in EARLY]
        if len(sooner) != 1 or len(later) != 1:
            return None
        immediate = any(when == EARLY[0] for _, _, when in payments)
        noun, letter = sooner[0] if immediate != opposite else later[0]
        return option(options, f"Definitely {noun} {letter}")


BIASES = (HyperbolicDiscounting(),)
