"""Loss Aversion: the sure-gain-versus-gamble construct, scored from answers chosen by reading the prompt text."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from biasorigins import BiasSuite
from biasorigins.biases.loss_aversion import COEFFICIENT_RANGE, PLAN_NAMES, LossAversion
from biasorigins.records import Prompt, Response
from biasorigins.scenarios import load_scenarios
from biasorigins.testing.responders import FirstDescribedResponder, FirstOptionResponder, RandomResponder

CASES = 200


class PlanReader:
    """Reads the situation and picks "Definitely <plan>" for the plan chosen by ``pick`` (written apart from the bias)."""

    def __init__(self, name: str, pick) -> None:
        self.name = name
        self.fingerprint = f"plan-reader-{name}"
        self.pick = pick

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        out = []
        for prompt in prompts:
            situation = prompt.text.split("Question:")[0]
            plans = re.findall(r"Under ((?:Plan|Route|Contract) \w+), (.*)", situation)
            wanted = self.pick(plans)
            out.append(Response(choice=prompt.options.index(f"Definitely {wanted}")))
        return out


def _sure(plans):
    return next(name for name, line in plans if "for certain" in line)


def _gamble(plans):
    return next(name for name, line in plans if "50% chance" in line)


def _first_described(plans):
    return plans[0][0]


@pytest.fixture(scope="module")
def suite() -> BiasSuite:
    return BiasSuite([LossAversion()], cases=CASES, seed=1)


def _mean(suite: BiasSuite, runner) -> float:
    return float(suite.run(runner, progress=False).summary["mean"].iloc[0])


def test_always_sure_is_biased_and_always_gamble_is_opposite(suite):
    assert _mean(suite, PlanReader("sure", _sure)) > 0.9
    assert _mean(suite, PlanReader("gamble", _gamble)) < -0.9


def test_order_and_position_preferences_score_zero(suite):
    assert abs(_mean(suite, PlanReader("first-described", _first_described))) < 0.1
    assert abs(_mean(suite, FirstDescribedResponder([n for pair in PLAN_NAMES for n in pair]))) < 0.1
    assert abs(_mean(suite, FirstOptionResponder())) < 0.1
    assert abs(_mean(suite, RandomResponder(seed=2))) < 0.1


def test_same_options_in_both_conditions_only_the_sure_plan_swaps(suite):
    for case in suite.cases()[:40]:
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        assert control.scale == treatment.scale and control.question == treatment.question
        names = [o.removeprefix("Definitely ") for o in (control.scale.options[0], control.scale.options[-1])]
        for cond in (control, treatment):  # both plans described in the scale's name order
            assert cond.situation[1].startswith(f"Under {names[0]},") and cond.situation[2].startswith(f"Under {names[1]},")
        sure_in_control = "for certain" in control.situation[1]
        assert ("for certain" in treatment.situation[1]) != sure_in_control
        amounts = [sorted(re.findall(r"\$[\d,]+", " ".join(c.situation))) for c in (control, treatment)]
        assert amounts[0] == amounts[1]


def test_stakes_leave_people_split():
    bias = LossAversion()
    bank = load_scenarios()
    for i in range(300):
        values = bias.make_case(bank[i % len(bank)], 0, 0).values
        base, gain, coefficient = values["base_thousands"], values["gain_thousands"], values["coefficient"]
        assert COEFFICIENT_RANGE[0] <= coefficient <= COEFFICIENT_RANGE[1]
        assert gain == round((2 + coefficient) * base)
        assert 0.5 * gain - 0.5 * base > base  # the gamble has the higher expected value ...
        assert gain <= 6 * base  # ... by at most 2.5 times, not the original's median 26x


@pytest.mark.parametrize(("sure_first", "c", "t", "expected"), [
    (True, 0, 6, 1.0), (True, 6, 0, -1.0), (True, 3, 3, 0.0), (True, 0, 0, 0.0),
    (False, 6, 0, 1.0), (False, 0, 6, -1.0),
    (True, 2, 4, 0.5),  # Malberg's "A sure" vector (2, 2) in sure-distance terms: (6 - 2 - 2) / 4
])
def test_golden_scores_equal_malbergs_formula_in_distances_from_the_sure_end(sure_first, c, t, expected):
    bias = LossAversion()
    case = bias.make_case(load_scenarios()[0], 0, 0)
    case = case.model_copy(update={"values": {**case.values, "sure_first_in_control": sure_first, "k": -1 if sure_first else 1}})
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-6)
    assert bias.configured(paper_compatible=True).score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-6)


class SureDescribedFirst(LossAversion):
    """Mutation: the sure plan is always described first (the order confound of the former design)."""

    def generate(self, scenario, rng, index):
        content = super().generate(scenario, rng, index)
        conditions = {}
        for name, cond in content.conditions.items():
            intro, first, second, closing = cond.situation
            if "for certain" not in first:
                first, second = second, first
            conditions[name] = cond.model_copy(update={"situation": (intro, first, second, closing)})
        return content.model_copy(update={"conditions": conditions})


def test_the_first_described_check_catches_an_order_confound():
    mutated = BiasSuite([SureDescribedFirst()], cases=CASES, seed=1)
    assert _mean(mutated, PlanReader("first-described", _first_described)) > 0.9
