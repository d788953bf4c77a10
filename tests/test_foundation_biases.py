"""Bias-specific checks of the three pattern biases (the shared contract is in test_bias_conformance)."""

from __future__ import annotations

import pytest

from biasorigins import get_bias
from biasorigins.suite import BiasSuite


def cases(slug: str, n: int = 200):
    return BiasSuite([slug], cases=n, seed=0).cases()


def test_anchoring_anchor_is_only_in_the_treatment_and_sets_the_reference() -> None:
    bias = get_bias("anchoring")
    for case in cases("anchoring"):
        anchor = case.values["anchor"]
        control = "\n".join(case.conditions["control"].situation)
        treatment = "\n".join(case.conditions["treatment"].situation)
        assert f"{anchor}%" in treatment and f"{anchor}%" not in control
        assert case.values["anchor_position"] == round(anchor / 10)
        x = case.values["anchor_position"]
        assert bias.score(case, {"control": x, "treatment": x}) == 0.0
        if x >= 2:
            assert bias.score(case, {"control": 0, "treatment": x - 1}) == pytest.approx((x - 1) / x)


def test_framing_uses_complementary_shares() -> None:
    bias = get_bias("framing-effect")
    for case in cases("framing-effect"):
        success, failure = case.values["success_share"], case.values["failure_share"]
        assert 51 <= success <= 89 and success + failure == 100
        assert f"{success}%" in " ".join(case.conditions["control"].situation)
        assert f"{failure}%" in " ".join(case.conditions["treatment"].situation)
        assert bias.score(case, {"control": 1, "treatment": 4}) == pytest.approx(0.75)  # golden (1, 4)


def test_loss_aversion_scores_content_consistent_answers_zero() -> None:
    bias = get_bias("loss-aversion")
    for case in cases("loss-aversion"):
        sure_c, sure_t = case.values["sure_first_in_control"], case.values["sure_first_in_treatment"]
        assert sure_c != sure_t
        sure_position = lambda first: 0 if first else 6  # noqa: E731
        # always the sure plan, or always the gamble: no loss aversion
        assert bias.score(case, {"control": sure_position(sure_c), "treatment": sure_position(sure_t)}) == 0.0
        assert bias.score(case, {"control": 6 - sure_position(sure_c), "treatment": 6 - sure_position(sure_t)}) == 0.0
        # gamble when amounts are final, sure plan once a loss is named: biased
        assert bias.score(case, {"control": 6 - sure_position(sure_c), "treatment": sure_position(sure_t)}) > 0
        treatment = " ".join(case.conditions["treatment"].situation)
        assert "lose" in treatment and "lose" not in " ".join(case.conditions["control"].situation)


def test_loss_aversion_golden_vectors_from_case_parameters() -> None:
    bias = get_bias("loss-aversion")
    by_order = {c.values["sure_first_in_treatment"]: c for c in cases("loss-aversion", 20)}
    assert bias.score(by_order[True], {"control": 0, "treatment": 0}) == pytest.approx(1.0)
    assert bias.score(by_order[True], {"control": 6, "treatment": 6}) == pytest.approx(-1.0)
    assert bias.score(by_order[True], {"control": 3, "treatment": 3}) == pytest.approx(0.0)
    assert bias.score(by_order[False], {"control": 6, "treatment": 6}) == pytest.approx(1.0)
