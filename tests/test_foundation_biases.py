"""Bias-specific checks of anchoring and framing (Loss Aversion has test_loss_aversion.py; the shared contract is in test_bias_conformance)."""

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
