"""Golden tests of the Malberg ratio-scale metric (malberg_spec.md section 7) and aggregation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from biasorigins.metrics import bootstrap_ci, difference_of_proportions, ratio_scale_score, summarize

# (label, params, control, treatment, expected) -- computed with the original code by the spec's author.
GOLDEN = [
    ("anchoring x=7", dict(n_c=11, k=1, x1=7, x2=7), 3, 6, 0.75),
    ("anchoring x=7", dict(n_c=11, k=1, x1=7, x2=7), 3, 3, 0.0),
    ("anchoring x=7", dict(n_c=11, k=1, x1=7, x2=7), 6, 3, -0.75),
    ("anthropomorphism", dict(n_c=7, k=1), 3, 1, 0.667),
    ("availability", dict(n_c=11, k=-1), 4, 7, 0.429),
    ("availability", dict(n_c=11, k=-1), 0, 0, 0.0),
    ("bandwagon A", dict(n_c=7, k=-1, flip_t=True), 1, 1, 0.8),
    ("bandwagon A", dict(n_c=7, k=-1, flip_t=True), 2, 4, 0.0),
    ("bandwagon A", dict(n_c=7, k=-1, flip_t=True), 3, 3, 0.0),
    ("bandwagon B", dict(n_c=7, k=1, flip_t=True), 5, 5, 0.8),
    ("bandwagon B", dict(n_c=7, k=1, flip_t=True), 2, 4, 0.0),
    ("confirmation", dict(n_c=11, k=1), 8, 3, 0.625),
    ("conservatism fixed", dict(n_c=7, k=-1), 1, 5, 0.8),
    ("conservatism fixed", dict(n_c=7, k=-1), 5, 1, -0.8),
    ("conservatism fixed", dict(n_c=7, k=-1), 3, 3, 0.0),
    ("disposition", dict(n_c=7, k=-1, flip_t=True), 0, 0, 1.0),
    ("disposition", dict(n_c=7, k=-1, flip_t=True), 6, 6, -1.0),
    ("disposition", dict(n_c=7, k=-1, flip_t=True), 3, 3, 0.0),
    ("endowment", dict(n_c=11, k=1), 8, 3, 0.625),
    ("escalation", dict(n_c=11, k=1), 3, 1, 0.667),
    ("framing", dict(n_c=7, k=-1), 1, 4, 0.75),
    ("hindsight x=8", dict(n_c=11, k=1, x1=8, x2=8), 5, 7, 0.667),
    ("hindsight x=8", dict(n_c=11, k=1, x1=8, x2=8), 5, 5, 0.0),
    ("information", dict(n_c=7, k=-1, flip_t=True), 2, 1, 0.6),
    ("information", dict(n_c=7, k=-1, flip_t=True), 2, 5, -0.5),
    ("loss aversion A sure", dict(n_c=7, k=-1, flip_t=True), 0, 0, 1.0),
    ("loss aversion A sure", dict(n_c=7, k=-1, flip_t=True), 6, 6, -1.0),
    ("loss aversion A sure", dict(n_c=7, k=-1, flip_t=True), 3, 3, 0.0),
    ("loss aversion A gamble", dict(n_c=7, k=1, flip_t=True), 6, 6, 1.0),
    ("negativity", dict(n_c=7, k=-1, flip_t=True), 0, 6, 0.0),
    ("planning u=30 compat", dict(n_c=11, k=1, x1=-3, x2=-3), 5, 5, 0.0),
    ("planning u=30 compat", dict(n_c=11, k=1, x1=-3, x2=-3), 5, 8, -0.273),
    ("planning u=30 compat", dict(n_c=11, k=1, x1=-3, x2=-3), 5, 10, -0.385),
    ("planning u=10 compat", dict(n_c=11, k=1, x1=-1, x2=-3), 5, 5, -0.25),
    ("planning u=10 compat", dict(n_c=11, k=1, x1=-1, x2=-3), 5, 6, -0.333),
    ("self-serving", dict(n_c=7, k=1), 5, 1, 0.8),
]


@pytest.mark.parametrize(("label", "params", "c", "t", "expected"), GOLDEN, ids=[f"{g[0]}-{g[2]}{g[3]}" for g in GOLDEN])
def test_golden_vectors(label: str, params: dict, c: int, t: int, expected: float) -> None:
    assert ratio_scale_score(c, t, **params) == pytest.approx(expected, abs=5e-4)


# 0/0: both answers on their reference points. No distance on either side, so no shift: exactly 0.
ZERO_OVER_ZERO = [
    ("plain k=-1", dict(n_c=7, k=-1), 0, 0),
    ("plain k=+1", dict(n_c=7, k=1), 0, 0),
    ("anchoring x=7", dict(n_c=11, k=1, x1=7, x2=7), 7, 7),
    ("anchor k=-1 x1=2 x2=5", dict(n_c=7, k=-1, x1=2, x2=5), 2, 5),
    ("flip_t k=-1", dict(n_c=7, k=-1, flip_t=True), 0, 6),
    ("flip_c k=+1", dict(n_c=5, n_t=7, k=1, flip_c=True), 4, 0),
]


@pytest.mark.parametrize(("label", "params", "c", "t"), ZERO_OVER_ZERO, ids=[z[0] for z in ZERO_OVER_ZERO])
def test_both_answers_on_their_reference_score_exactly_plus_zero(label: str, params: dict, c: int, t: int) -> None:
    score = ratio_scale_score(c, t, **params)
    assert score == 0.0 and not math.copysign(1.0, score) < 0, f"{label}: {score!r}"


def test_scores_are_exact_ratios_without_epsilon_noise() -> None:
    # With an epsilon in the denominator these would be 0.99999999..., 0.79999999...
    assert ratio_scale_score(0, 0, n_c=7, k=-1, flip_t=True) == 1.0
    assert ratio_scale_score(6, 6, n_c=7, k=-1, flip_t=True) == -1.0
    assert ratio_scale_score(5, 1, n_c=7, k=1) == 0.8
    assert ratio_scale_score(3, 6, n_c=11, k=1, x1=7, x2=7) == 0.75
    assert ratio_scale_score(5, 7, n_c=11, k=1, x1=8, x2=8) == 2 / 3


def test_no_score_is_negative_zero() -> None:
    for k in (-1.0, 1.0):
        for c in range(7):
            for t in range(7):
                for x in (0, 3):
                    score = ratio_scale_score(c, t, n_c=7, k=k, x1=x, x2=x)
                    assert not (score == 0 and math.copysign(1.0, score) < 0), (k, c, t, x)


def test_swapping_control_and_treatment_negates_the_plain_score() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        c, t = (int(v) for v in rng.integers(0, 7, size=2))
        k = float(rng.choice([-1, 1]))
        assert ratio_scale_score(c, t, n_c=7, k=k) == pytest.approx(-ratio_scale_score(t, c, n_c=7, k=k))


def test_score_stays_in_range_and_rejects_positions_off_the_scale() -> None:
    for c in range(11):
        for t in range(11):
            assert -1.0 <= ratio_scale_score(c, t, n_c=11, k=1, x1=4, x2=4) <= 1.0
    with pytest.raises(ValueError, match="treatment answer 7 is outside the scale 0..6"):
        ratio_scale_score(0, 7, n_c=7)


def test_difference_of_proportions() -> None:
    assert difference_of_proportions([True, True, False, True], [False, True, False, False]) == pytest.approx(0.5)
    assert math.isnan(difference_of_proportions([], [True]))


def test_summary_counts_invalid_cases_and_brackets_the_mean() -> None:
    summary = summarize([0.5, None, 1.0, float("nan"), 0.0, -0.5])
    assert (summary.n_valid, summary.n_invalid) == (4, 2)
    assert summary.mean == pytest.approx(0.25)
    assert summary.mean_abs == pytest.approx(0.5)
    assert summary.ci_low <= summary.mean <= summary.ci_high


def test_bootstrap_ci_is_deterministic_and_narrows_with_more_data() -> None:
    rng = np.random.default_rng(1)
    small, large = rng.normal(size=50), rng.normal(size=5000)
    assert bootstrap_ci(small, seed=3) == bootstrap_ci(small, seed=3)
    width = lambda ci: ci[1] - ci[0]  # noqa: E731
    assert width(bootstrap_ci(large)) < width(bootstrap_ci(small))
    low, high = bootstrap_ci(large)
    assert low < large.mean() < high
