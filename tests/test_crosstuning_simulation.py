"""Simulated studies with planted effects: the attribution finds the dominant source, and the permutation
tests hold their nominal level when there is no effect."""

from __future__ import annotations

import numpy as np
import pytest

from biasorigins.analysis import analyze_attribution, permanova
from biasorigins.analysis.attribution import design_projections, per_bias_anova, sums_of_squares
from biasorigins.analysis.clustering import _cell_codes, _codes, permutation_test
from biasorigins.analysis.geometry import squared_distances
from biasorigins.analysis.simulation import simulate_design, simulate_matrix, simulate_scores

ALPHA = 0.05
N_SIMULATIONS = 300


@pytest.mark.parametrize(
    ("effects", "dominant"),
    [
        ({"backbone_sd": 0.3, "data_sd": 0.05}, "backbone"),
        ({"backbone_sd": 0.05, "data_sd": 0.3}, "data"),
        ({"interaction_sd": 0.3}, "backbone:data"),
        ({}, "seed"),
    ],
)
def test_attribution_recovers_the_dominant_source(effects: dict, dominant: str) -> None:
    table = simulate_scores(backbones=2, datasets=2, seeds=3, biases=24, seed_sd=0.1, seed=11, **effects)
    result = analyze_attribution(table, n_permutations=199, n_bootstrap=200, seed=0)
    shares = result.pooled.set_index("term")["share"]
    assert shares.idxmax() == dominant
    per_bias_largest = result.shares["largest"].value_counts().idxmax()
    assert per_bias_largest == {"backbone:data": "interaction"}.get(dominant, dominant)
    tests = result.permanova.set_index("term")["p_value"]
    for term in ("backbone", "data", "backbone:data"):
        if term == dominant:
            assert tests[term] < ALPHA
        elif dominant == "seed":
            assert tests[term] > 0.01
    low, high = result.share_intervals.set_index("term").loc[dominant, ["ci_low", "ci_high"]]
    assert low <= shares[dominant] <= high


def test_numpy_sums_of_squares_match_statsmodels_type_ii() -> None:
    rng = np.random.default_rng(3)
    design = simulate_design(3, 2, 3).iloc[:-2]  # unbalanced: two cells lose a seed
    Y = simulate_matrix(design, 5, backbone_sd=0.2, data_sd=0.1, interaction_sd=0.1, rng=rng)
    long = design.loc[design.index.repeat(5)].reset_index(drop=True)
    long["bias"] = np.tile([f"b{i}" for i in range(5)], len(design))
    long["score"] = Y.reshape(-1)
    anova = per_bias_anova(long, interaction=True).pivot(index="bias", columns="term", values="sum_sq")
    ss = sums_of_squares(Y, design_projections(_codes(design["backbone"]), _codes(design["data"])))
    for term in ("backbone", "data", "backbone:data", "seed"):
        np.testing.assert_allclose(anova[term].to_numpy(), ss[term], rtol=1e-8)


def _rates(p_values: np.ndarray) -> np.ndarray:
    return (np.asarray(p_values) <= ALPHA).mean(axis=0)


def test_cluster_permutation_tests_hold_their_level_under_no_effect() -> None:
    """No backbone or data effect: both permutation units reject at about 5% for every index."""
    rng = np.random.default_rng(2024)
    design = simulate_design(4, 3, 2)
    cells = _cell_codes(design)
    backbone, data = _codes(design["backbone"]), _codes(design["data"])
    p_values = {"cell": [], "model": []}
    for _ in range(2 * N_SIMULATIONS):  # both units are exact tests; 600 studies tell 5% from 7%
        D2 = squared_distances(simulate_matrix(design, 8, seed_sd=0.1, rng=rng))
        for unit in p_values:
            table = permutation_test(D2, backbone, cells, strata=data, unit=unit, n_permutations=99, rng=rng)
            p_values[unit].append(table["p_value"].to_numpy())
    for unit, values in p_values.items():
        rates = _rates(values)
        assert np.all(rates <= 0.07), (unit, rates)
        assert np.all(rates >= 0.01), (unit, rates)  # a test that never rejects would be useless


def test_cell_level_test_stays_valid_when_cells_differ_but_backbones_do_not() -> None:
    """Independent cell effects and no systematic backbone effect: shuffling single models (the paper's
    unit) rejects far too often because seeds of a cell are alike; shuffling whole cells keeps the level."""
    rng = np.random.default_rng(7)
    design = simulate_design(4, 3, 2)
    cells = _cell_codes(design)
    backbone, data = _codes(design["backbone"]), _codes(design["data"])
    p_values = {"cell": [], "model": []}
    for _ in range(N_SIMULATIONS // 2):
        D2 = squared_distances(simulate_matrix(design, 8, cell_sd=0.15, seed_sd=0.1, rng=rng))
        for unit in p_values:
            table = permutation_test(D2, backbone, cells, strata=data, unit=unit, n_permutations=99, rng=rng)
            p_values[unit].append(table["p_value"].to_numpy()[0])
    assert _rates(p_values["cell"]) <= 0.08
    assert _rates(p_values["model"]) > 0.15


def test_cell_level_test_has_power_against_a_backbone_effect() -> None:
    rng = np.random.default_rng(5)
    design = simulate_design(4, 3, 2)
    cells, backbone, data = _cell_codes(design), _codes(design["backbone"]), _codes(design["data"])
    p_values = []
    for _ in range(40):
        D2 = squared_distances(simulate_matrix(design, 8, backbone_sd=0.15, seed_sd=0.1, rng=rng))
        p_values.append(permutation_test(D2, backbone, cells, strata=data, unit="cell", n_permutations=99, rng=rng)["p_value"][0])
    assert _rates(p_values) >= 0.8


def test_permanova_holds_its_level_for_the_absent_factor() -> None:
    """A strong data effect and no backbone effect (nor interaction): the backbone test rejects at about 5%,
    because backbone labels are shuffled only within data levels; likewise for the interaction."""
    rng = np.random.default_rng(99)
    design = simulate_design(2, 2, 3)
    backbone, data = _codes(design["backbone"]), _codes(design["data"])
    p_values = []
    for _ in range(N_SIMULATIONS):
        Y = simulate_matrix(design, 12, data_sd=0.3, seed_sd=0.1, rng=rng)
        table = permanova(Y, backbone, data, n_permutations=99, rng=rng).set_index("term")
        p_values.append(table.loc[["backbone", "data", "backbone:data"], "p_value"].to_numpy(dtype=float))
    rates = _rates(p_values)
    assert rates[0] <= 0.07 and rates[2] <= 0.07
    assert rates[0] >= 0.01
    assert rates[1] > 0.9  # the planted data effect is found
