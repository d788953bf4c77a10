"""Welch-James tests of the per-bias attribution: exact where they must be, at their level where they claim it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from biasorigins.analysis.attribution import (
    WELCH_JAMES,
    WELCH_T,
    _contrasts,
    analyze_attribution,
    design_df,
    design_projections,
    per_bias_welch_james,
    sums_of_squares,
    welch_contrasts,
)
from biasorigins.analysis.simulation import simulate_design, simulate_matrix
from biasorigins.analysis.stats import benjamini_hochberg
from biasorigins.analysis.welch_james import factorial_contrasts, welch_james

MESSY = {"seed_sd": 0.1, "seed_sd_ratio": 3.0, "bias_correlation": 0.3, "clip": True}


def _cells(design: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    backbone = np.unique(design["backbone"], return_inverse=True)[1]
    data = np.unique(design["data"], return_inverse=True)[1]
    return backbone, data, backbone * (data.max() + 1) + data


def _heteroscedastic(design: pd.DataFrame, n_columns: int, seed: int) -> np.ndarray:
    """Scores with a different mean and spread in every cell, some scores missing."""
    rng = np.random.default_rng(seed)
    _, _, cells = _cells(design)
    k = cells.max() + 1
    Y = rng.normal(rng.normal(0, 1, (k, n_columns))[cells], rng.uniform(0.2, 2.0, (k, n_columns))[cells])
    Y[rng.random(Y.shape) < 0.1] = np.nan
    return Y


def test_one_contrast_is_the_squared_welch_t() -> None:
    """For a 1-df hypothesis the matrix formula reduces to Welch's t with Welch-Satterthwaite df, which
    `welch_contrasts` computes separately, contrast by contrast."""
    design = simulate_design(2, 2, 4)
    Y = _heteroscedastic(design, 50, seed=1)
    _, _, cells = _cells(design)
    for term, weights in _contrasts(["A", "B"], ["X", "Y"]).values():
        estimate, se, df = welch_contrasts(Y, cells, weights)
        tested = welch_james(Y, cells, weights[None, :])
        finite = np.isfinite(se)
        assert finite.sum() > 40, term
        np.testing.assert_allclose(tested["statistic"][finite], (estimate / se)[finite] ** 2, rtol=1e-10)
        np.testing.assert_allclose(tested["df_den"][finite], df[finite], rtol=1e-10)
        np.testing.assert_allclose(tested["p_value"][finite], 2 * stats.t.sf(np.abs(estimate / se), df)[finite],
                                   rtol=1e-8)
        assert np.array_equal(np.isnan(tested["p_value"]), ~finite)


def test_one_factor_is_welchs_anova_of_statsmodels() -> None:
    """With one factor the Welch-James test is Welch's (1951) heteroscedastic one-way ANOVA, which
    statsmodels implements on its own (`anova_oneway(use_var="unequal")`)."""
    from statsmodels.stats.oneway import anova_oneway

    rng = np.random.default_rng(6)
    for k in (3, 4, 6):
        counts = rng.integers(3, 8, k)
        groups = [rng.normal(rng.normal(0, 0.5), rng.uniform(0.3, 3.0), n) for n in counts]
        cells = np.repeat(np.arange(k), counts)
        tested = welch_james(np.concatenate(groups)[:, None], cells, factorial_contrasts(k, 1)["backbone"])
        reference = anova_oneway(groups, use_var="unequal", welch_correction=True)
        assert tested["statistic"][0] == pytest.approx(reference.statistic, rel=1e-10)
        assert tested["df_den"][0] == pytest.approx(reference.df[1], rel=1e-10)
        assert tested["p_value"][0] == pytest.approx(reference.pvalue, rel=1e-8)


def test_the_choice_of_contrasts_for_a_hypothesis_does_not_matter() -> None:
    """Any basis of the same hypothesis (here: invertible mixtures of the contrast rows) gives the same test."""
    design = simulate_design(3, 3, 3)
    Y = _heteroscedastic(design, 20, seed=2)
    _, _, cells = _cells(design)
    rng = np.random.default_rng(3)
    for term, contrasts in factorial_contrasts(3, 3).items():
        mixed = rng.normal(size=(len(contrasts), len(contrasts))) @ contrasts
        first, second = welch_james(Y, cells, contrasts), welch_james(Y, cells, mixed)
        for name in ("statistic", "df_den", "p_value"):
            np.testing.assert_allclose(second[name], first[name], rtol=1e-8, err_msg=f"{term} {name}")
        assert set(first["df_num"][np.isfinite(first["df_num"])]) == {len(contrasts)}


def test_with_many_seeds_and_equal_noise_it_agrees_with_the_classic_f() -> None:
    """Balanced cells, equal true variances, 150 seeds each: the Welch-James and the pooled-variance F test
    the same hypotheses and should give nearly the same p-values (statsmodels, type II)."""
    design = simulate_design(3, 2, 150)
    rng = np.random.default_rng(4)
    _, _, cells = _cells(design)
    y = rng.normal(0.0, 1.0, len(design)) + np.array([0.0, 0.1, 0.2, 0.0, 0.3, 0.1])[cells]
    frame = design.assign(score=y)
    table = sm.stats.anova_lm(smf.ols("score ~ C(backbone, Sum) * C(data, Sum)", data=frame).fit(), typ=2)
    names = {"backbone": "C(backbone, Sum)", "data": "C(data, Sum)", "backbone:data": "C(backbone, Sum):C(data, Sum)"}
    for term, contrasts in factorial_contrasts(3, 2).items():
        tested = welch_james(y[:, None], cells, contrasts)
        assert tested["p_value"][0] == pytest.approx(table.loc[names[term], "PR(>F)"], abs=0.02), term
        assert tested["statistic"][0] == pytest.approx(table.loc[names[term], "F"], rel=0.05), term


def test_seeds_that_answer_alike_leave_the_term_untested() -> None:
    design = simulate_design(3, 2, 3)
    _, _, cells = _cells(design)
    Y = np.repeat(np.arange(6, dtype=float)[cells][:, None], 2, axis=1)
    Y[:, 1] += np.random.default_rng(5).normal(0, 0.1, len(Y))
    tested = welch_james(Y, cells, factorial_contrasts(3, 2)["backbone"])
    assert np.isnan(tested["p_value"][0]) and 0 <= tested["p_value"][1] <= 1


def _any_discovery_rates(shape: tuple[int, int, int], n_sims: int, seed: int, **effects) -> dict[str, float]:
    """How often any of 32 biases passes BH at q < 0.05, per term: the analysis's per-bias test and the
    pooled-variance F it replaced."""
    design = simulate_design(*shape)
    backbone, data, _ = _cells(design)
    projections = design_projections(backbone, data)
    df = design_df(projections, len(design))
    rng = np.random.default_rng(seed)
    hits: dict[str, int] = {}
    for _ in range(n_sims):
        Y = simulate_matrix(design, 32, rng=rng, **{**MESSY, **effects})
        tests = per_bias_welch_james(pd.DataFrame(Y, columns=[f"b{i:02d}" for i in range(32)]), design,
                                     interaction=True)
        ss = sums_of_squares(Y, projections)
        for term in ("backbone", "data", "backbone:data"):
            robust = benjamini_hochberg(tests.loc[tests["term"] == term, "p_value"].to_numpy())
            pooled = benjamini_hochberg(stats.f.sf((ss[term] / df[term]) / (ss["seed"] / df["seed"]),
                                                   df[term], df["seed"]))
            hits[f"robust {term}"] = hits.get(f"robust {term}", 0) + bool((robust < 0.05).any())
            hits[f"pooled {term}"] = hits.get(f"pooled {term}", 0) + bool((pooled < 0.05).any())
    return {name: count / n_sims for name, count in hits.items()}


@pytest.mark.parametrize("shape", [(4, 3, 3), (3, 2, 3)])
def test_per_bias_tests_of_many_level_factors_hold_their_level_where_the_pooled_f_does_not(shape) -> None:
    """No effect, messy seeds (3-fold SD spread between cells, correlated biases, clipping): the per-bias
    Welch-James tests find something in at most 7% of studies on every term; the pooled-variance F, which
    the analysis used for these terms before, above that on at least one."""
    rates = _any_discovery_rates(shape, n_sims=200, seed=7)
    for term in ("backbone", "data", "backbone:data"):
        assert rates[f"robust {term}"] <= 0.07, (term, rates)
    assert max(rates[f"pooled {t}"] for t in ("backbone", "data", "backbone:data")) > 0.08, rates


def test_per_bias_tests_of_many_level_factors_find_a_planted_backbone() -> None:
    rates = _any_discovery_rates((4, 3, 3), n_sims=40, seed=8, backbone_sd=0.1)
    assert rates["robust backbone"] >= 0.9, rates


def _attribution(design: pd.DataFrame, seed: int):
    Y = simulate_matrix(design, 4, rng=np.random.default_rng(seed), **MESSY)
    names = [f"bias{i}" for i in range(Y.shape[1])]
    long = design.loc[design.index.repeat(len(names))].assign(bias=names * len(design), score=Y.ravel())
    return analyze_attribution(long, n_permutations=19, n_bootstrap=20, seed=0)


def test_the_attribution_names_the_test_each_term_got() -> None:
    """Three backbones and two datasets: Welch-James F for the 2-df terms, Welch t for the 1-df data term;
    with a cell of one seed the classic F stands in, and its findings say what it assumes."""
    design = simulate_design(3, 2, 3)
    result = _attribution(design, seed=9)
    anova = result.anova.set_index(["bias", "term"])
    assert set(anova.xs("backbone", level="term")["test"]) == {WELCH_JAMES}
    assert set(anova.xs("backbone:data", level="term")["test"]) == {WELCH_JAMES}
    assert set(anova.xs("data", level="term")["test"]) == {WELCH_T}
    assert (anova.loc[("bias0", "backbone"), "statistic"] != anova.loc[("bias0", "backbone"), "F"])
    per_bias = result.findings[result.findings["level"] == "bias0"].set_index("factor")
    assert per_bias.loc["backbone", "statistic"] == anova.loc[("bias0", "backbone"), "statistic"]
    assert "cells may differ" in per_bias.loc["backbone", "assumes"]

    thin = _attribution(design.drop(index=[0, 1]), seed=9)  # the first cell keeps one seed
    assert set(thin.anova.loc[thin.anova["term"] != "seed", "test"]) == {"F (pooled seed variance)"}
    per_bias = thin.findings[thin.findings["level"] == "bias0"].set_index("factor")
    assert "equal variance" in per_bias.loc["backbone", "assumes"]
