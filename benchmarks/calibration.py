"""Calibration of the attribution tests on simulated studies: false-positive rates, power and coverage.

Usage: python benchmarks/calibration.py [n_simulations]   (default 400; about 3 minutes per 100 on 2 cores)

Every null here is messy on purpose: unequal seed noise between cells (3x from the quietest to the noisiest),
biases correlated within a model (0.3), scores clipped to [-1, 1]. The output table is what docs/analyses.md
records. The tests in tests/test_calibration.py check the same quantities with fewer simulations.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from scipy import stats

from biasorigins.analysis.attribution import (
    _standardized,
    design_df,
    design_projections,
    per_bias_welch_james,
    permanova,
    pooled_tests,
    sums_of_squares,
)
from biasorigins.analysis.simulation import simulate_design, simulate_matrix
from biasorigins.analysis.stats import benjamini_hochberg

MESSY = {"seed_sd": 0.1, "seed_sd_ratio": 3.0, "bias_correlation": 0.3, "clip": True}
ALPHA = 0.05


def one_study(design: pd.DataFrame, n_biases: int, rng: np.random.Generator, **effects) -> dict[str, float]:
    """p-values of every test that can set ``significant`` in the attribution findings."""
    backbone = np.unique(design["backbone"], return_inverse=True)[1]
    data = np.unique(design["data"], return_inverse=True)[1]
    Y = simulate_matrix(design, n_biases, rng=rng, **{**MESSY, **effects})
    values = _standardized(Y)
    pooled, mixed = pooled_tests(values, backbone, data, n_permutations=199, rng=rng)
    pooled, mixed = pooled.set_index("term"), mixed.set_index("term")
    raw = permanova(Y, backbone, data, n_permutations=199, rng=rng).set_index("term")
    projections = design_projections(backbone, data)
    df = design_df(projections, len(design))
    ss = sums_of_squares(Y, projections)
    robust = per_bias_welch_james(pd.DataFrame(Y, columns=[f"b{i:02d}" for i in range(n_biases)]), design,
                                  interaction=True)
    out = {}
    for term in ("backbone", "data", "backbone:data"):
        out[f"pooled {term}"] = pooled.loc[term, "p_value"]
        out[f"PERMANOVA {term}"] = raw.loc[term, "p_value"]
        F = (ss[term] / df[term]) / (ss["seed"] / df["seed"])
        q = benjamini_hochberg(stats.f.sf(F, df[term], df["seed"]))
        out[f"per-bias pooled-variance F, any q<0.05 {term}"] = 0.0 if (q < ALPHA).any() else 1.0
        # what the analysis uses: Welch t for 1-df terms, Welch-James F for more df
        q = benjamini_hochberg(robust.loc[robust["term"] == term, "p_value"].to_numpy())
        out[f"per-bias Welch / Welch-James, any q<0.05 {term}"] = 0.0 if (q < ALPHA).any() else 1.0
        out[f"share {term}"] = pooled.loc[term, "share"]
        out[f"chance {term}"] = pooled.loc[term, "chance_share"]
    for term in ("backbone", "data"):
        out[f"random set-up {term}"] = mixed.loc[term, "p_value"]
        out[f"F table {term}"] = mixed.loc[term, "p_f_table"]
    return out


SCENARIOS = {
    "no effect": {},
    "set-up effects (half the seed SD), no backbone or data effect": {"cell_sd": 0.05},
    "backbone effect 0.1": {"backbone_sd": 0.1},
    "backbone effect 0.05 (where per-bias tests differ in power)": {"backbone_sd": 0.05},
    "backbone 0.1 and set-up effects": {"backbone_sd": 0.1, "cell_sd": 0.05},
}


def main(n_sims: int = 400) -> None:
    rows = []
    for shape in ((2, 2, 3), (4, 3, 3)):
        design = simulate_design(*shape)
        for name, effects in SCENARIOS.items():
            rng = np.random.default_rng(2025)
            start = time.perf_counter()
            results = pd.DataFrame([one_study(design, 32, rng, **effects) for _ in range(n_sims)])
            rates = {c: float((results[c] <= ALPHA).mean()) for c in results if not c.startswith(("share", "chance"))}
            rates.update({c: float(results[c].mean()) for c in results if c.startswith(("share", "chance"))})
            rows.append({"design": "x".join(map(str, shape)), "scenario": name, **rates,
                         "seconds": time.perf_counter() - start})
    table = pd.DataFrame(rows).set_index(["design", "scenario"]).T
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        print(f"rejection rates at {ALPHA} ({n_sims} simulations each); share/chance rows are means")
        print(table)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
