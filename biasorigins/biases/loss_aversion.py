"""Loss aversion: a gamble is avoided more when its bad outcome is framed as a loss."""

from __future__ import annotations

from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# Neutral names of the two plans; which one is the sure plan swaps between conditions.
PLAN_NAMES: tuple[tuple[str, str], ...] = (
    ("Plan North", "Plan South"),
    ("Offer Red", "Offer Blue"),
    ("Route East", "Route West"),
    ("Contract Oak", "Contract Elm"),
)

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


def _money(thousands: float) -> str:
    return f"${int(round(thousands * 1000)):,}"


def _plans_text(sure_name: str, risky_name: str, base: int, gain: float, loss_frame: bool) -> list[str]:
    """The two plan descriptions; the outcomes are the same in both frames, only the wording differs."""
    if not loss_frame:
        return [
            f"{sure_name} pays your team {_money(base)} for certain.",
            f"{risky_name} pays {_money(base + gain)} with a 50% chance and nothing with a 50% chance.",
        ]
    return [
        f"your team has already been promised {_money(base)}.",
        f"{sure_name} keeps the {_money(base)}, which is guaranteed.",
        f"{risky_name} stakes it: with a 50% chance your team gains another {_money(gain)}, "
        f"and with a 50% chance it loses the {_money(base)} it was promised.",
    ]


def _scale(first: str, second: str):
    return seven_point(
        f"Definitely {first}", f"Very likely {first}", f"Probably {first}", "No preference",
        f"Probably {second}", f"Very likely {second}", f"Definitely {second}",
    )


class LossAversion(RatioScaleBias):
    """Mirrored pair with flip: the control describes final amounts; the treatment frames the
    same bad outcome as losing money already promised, and swaps which plan is the sure one.

    Score (Malberg et al.): flip_t = True, k = -1 when the first plan of the treatment is the
    sure plan, else +1. Answering by content alone (the same preference in both frames) scores 0;
    moving towards the sure plan when losses are named scores positive.
    """

    info = BiasInfo(
        slug="loss-aversion",
        title="Loss Aversion",
        definition="Losses loom larger than gains of the same size, so gambles framed as risking a loss are avoided.",
        citation="Kahneman & Tversky (1979); test design after Malberg et al. (2024)",
        design="mirrored pair",
        expected_direction="a stronger preference for the sure plan when the gamble's bad outcome is framed as a loss",
        confounds=(
            "with the sampled ratios the gamble almost always has the higher expected value, so choosing the sure plan "
            "is also risk aversion, not only loss aversion",
        ),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        names = PLAN_NAMES[int(rng.integers(len(PLAN_NAMES)))]
        base = int(rng.integers(1, 100))  # thousands
        ratio = round(float(rng.uniform(2, 100)), 1)
        gain = round(ratio * base, 1)
        sure_first_in_control = bool(rng.integers(2))
        slots = scenario_slots(scenario)
        intro = _VARIANTS[variant]["intro"]
        question = _VARIANTS[variant]["question"].format(**slots)
        scale = _scale(*names)

        def condition(sure_first: bool, loss_frame: bool) -> Condition:
            sure_name, risky_name = (names[0], names[1]) if sure_first else (names[1], names[0])
            lines = [intro, *_plans_text(sure_name, risky_name, base, gain, loss_frame)]
            if not loss_frame and not sure_first:
                lines = [intro, lines[2], lines[1]]  # list the plans in name order
            return Condition(situation=fill(lines, **slots), question=question, scale=scale)

        return CaseContent(
            conditions={
                "control": condition(sure_first_in_control, loss_frame=False),
                "treatment": condition(not sure_first_in_control, loss_frame=True),
            },
            values={
                "base_thousands": base,
                "gain_ratio": ratio,
                "gain_thousands": gain,
                "sure_first_in_control": sure_first_in_control,
                "sure_first_in_treatment": not sure_first_in_control,
                "k": -1 if not sure_first_in_control else 1,
                "flip_treatment": True,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        k = case.values["k"]
        return dict(n_c=7, k=k, flip_t=True)

    def counterbalance_stratum(self, case: TestCase) -> str:
        return f"k={case.values['k']}"

    def biased_answers(self, case: TestCase, rng: np.random.Generator) -> dict[str, int]:
        # Leans towards the gamble when amounts are final, towards the sure plan when a loss is named.
        lean_risky = 4 + int(rng.integers(0, 2))  # on a 0..6 "sure ... risky" axis
        lean_sure = int(rng.integers(0, 2))

        def position(sure_first: bool, towards_risky: int) -> int:
            return towards_risky if sure_first else 6 - towards_risky

        return {
            "control": position(bool(case.values["sure_first_in_control"]), lean_risky),
            "treatment": position(bool(case.values["sure_first_in_treatment"]), lean_sure),
        }


BIASES = (LossAversion(),)
