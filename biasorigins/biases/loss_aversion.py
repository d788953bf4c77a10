"""Loss aversion: a sure gain is preferred to a gamble whose possible loss weighs more than its larger gain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import body, option
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# Neutral names of the two plans, always described and scaled in this order; which one is the
# sure plan swaps between the conditions (the framing narrative), the payoffs stay the same.
PLAN_NAMES: tuple[tuple[str, str], ...] = (
    ("Plan North", "Plan South"),
    ("Plan Red", "Plan Blue"),
    ("Route East", "Route West"),
    ("Contract Oak", "Contract Elm"),
)

# Loss-aversion coefficients at which a person with a linear value function is indifferent
# between the two plans; people's coefficients lie around 1.5-2.5, so they are split.
COEFFICIENT_RANGE = (1.5, 4.0)

_VARIANTS: dict[str, dict] = {
    "client-contract": {
        "intro": "you are the {position} at {a_organization}, and your {team} must pick one of two ways to be paid for the {project}.",
        "question": "Which plan do you choose for the {project}?",
    },
    "pilot-bonus": {
        "intro": "as the {position} at {a_organization}, you are deciding {decision}, and the results will decide a bonus pool for your {team}.",
        "question": "Which plan do you choose for the bonus pool of your {team}?",
    },
    "supplier-deal": {
        "intro": "you work as the {position} at {a_organization}; a partner offers two ways to share the savings of the {project}.",
        "question": "Which plan do you accept from the partner?",
    },
    "grant": {
        "intro": "you are the {position} at {a_organization}, and an industry fund supports the {project} in one of two ways.",
        "question": "Which plan do you choose for the support of the {project}?",
    },
}
_CLOSING = "both plans settle at the same time, and nothing else about them differs."
_SURE = re.compile(r"^Under (.+?), your team receives \$[\d,]+ for certain", re.MULTILINE)
_GAMBLE = re.compile(r"^Under (.+?), there is a 50% chance", re.MULTILINE)


def _money(thousands: int) -> str:
    return f"${thousands * 1000:,}"


def _sure_text(name: str, base: int) -> str:
    return f"under {name}, your team receives {_money(base)} for certain."


def _gamble_text(name: str, base: int, gain: int) -> str:
    return (
        f"under {name}, there is a 50% chance that your team receives {_money(gain)} and a 50% chance "
        f"that it loses {_money(base)} (a net loss)."
    )


def _scale(first: str, second: str) -> AnswerScale:
    return seven_point(
        f"Definitely {first}", f"Very likely {first}", f"Probably {first}", "No preference",
        f"Probably {second}", f"Very likely {second}", f"Definitely {second}",
    )


class LossAversion(RatioScaleBias):
    """Mirrored pair: a sure gain against a 50/50 gamble of a larger gain or a loss, in both
    conditions; only which named plan carries the sure payoff swaps (Malberg et al.'s swapped
    choice descriptions). Both conditions describe and scale the plans in the same name order.

    Sampling: base B = 1...99 thousand dollars (the sure gain and the gamble's loss); the gamble's
    gain is (2 + lambda) * B with lambda ~ uniform(1.5, 4), rounded to $1,000: lambda is the
    loss-aversion coefficient at which a person with a linear value function is indifferent
    (0.5 * gain - 0.5 * lambda * B = B). The gamble always has the higher expected value.

    Score (the ratio-scale metric on the scale "Definitely <first plan> ... Definitely <second plan>"):
    k = -1 when the first plan is the sure one in the control, else +1; x = 0, no flip. In terms
    of distances from the sure end this is exactly Malberg et al.'s formula (flip_t = True, k set
    by the position of the sure choice), so ``paper_compatible`` changes nothing. Choosing the
    sure plan in both conditions scores +1, the gamble in both -1, the same plan (name or
    position) in both 0.
    """

    info = BiasInfo(
        slug="loss-aversion",
        title="Loss Aversion",
        definition="Losses loom larger than gains of the same size, so a gamble that risks a loss is avoided even when it pays more on average.",
        citation="Kahneman & Tversky (1979); test design after Malberg et al. (2024)",
        version=2,
        design="mirrored pair",
        expected_direction="the sure gain is preferred to a gamble with a higher expected value that risks a loss",
        confounds=(
            "preferring the sure gain is also what plain risk aversion (a concave value of money) predicts; the test "
            "cannot separate loss aversion from risk aversion",
            "with coefficients of 1.5-4 a person with typical loss aversion (about 2) prefers the gamble in most cases, "
            "so a positive score means more loss aversion than that, not necessarily an irrational answer",
        ),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        names = PLAN_NAMES[int(rng.integers(len(PLAN_NAMES)))]
        base = int(rng.integers(1, 100))  # thousands
        coefficient = round(float(rng.uniform(*COEFFICIENT_RANGE)), 2)
        gain = int(round((2 + coefficient) * base))
        sure_first_in_control = bool(rng.integers(2))
        slots = scenario_slots(scenario)
        question = _VARIANTS[variant]["question"].format(**slots)
        scale = _scale(*names)

        def condition(sure_first: bool) -> Condition:
            first = _sure_text(names[0], base) if sure_first else _gamble_text(names[0], base, gain)
            second = _gamble_text(names[1], base, gain) if sure_first else _sure_text(names[1], base)
            lines = [_VARIANTS[variant]["intro"], first, second, _CLOSING]
            return Condition(situation=fill(lines, **slots), question=question, scale=scale)

        return CaseContent(
            conditions={
                "control": condition(sure_first_in_control),
                "treatment": condition(not sure_first_in_control),
            },
            values={
                "base_thousands": base,
                "coefficient": coefficient,
                "gain_thousands": gain,
                "sure_first_in_control": sure_first_in_control,
                "k": -1 if sure_first_in_control else 1,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=case.values["k"])

    def counterbalance_stratum(self, case: TestCase) -> str:
        return f"k={case.values['k']}"

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Takes the plan that pays for certain; the opposite tendency takes the gamble.
        found = (_GAMBLE if opposite else _SURE).search(body(text))
        return None if found is None else option(options, f"Definitely {found.group(1)}")


BIASES = (LossAversion(),)
