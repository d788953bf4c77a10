"""Attribution: how much of the variance of bias scores do the backbone, the data, their interaction and the seed explain?

Beyond the paper (which only clusters), following the variance-partition view of the design:

* per bias, a two-way ANOVA ``score ~ backbone * data`` with the seeds of a cell as replicates (statsmodels
  ``ols`` + ``anova_lm``, type II, sum contrasts), so the residual *is* seed noise; eta^2, partial eta^2 and
  omega^2 shares; Benjamini-Hochberg q-values across biases per term;
* a pooled model over all biases with bias as a blocking factor,
  ``score ~ C(bias) + C(bias):C(backbone) + C(bias):C(data) + C(bias):C(backbone):C(data)`` (type I), fitted on
  scores z-scored within each bias by default so that every bias counts equally; its shares are then the
  mean of the per-bias eta^2 and its F-tests pool the evidence across biases;
* PERMANOVA on the bias vectors, with permutations that respect the crossed design (backbone labels shuffled
  within data levels and vice versa; the interaction by permuting residuals of the additive model);
* bootstrap percentile intervals from resampling seeds within cells, and test cases within biases when
  case-level scores are given (a multi-bootstrap).
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from biasorigins.analysis.geometry import Metric, prepare_features
from biasorigins.analysis.results import AttributionResult
from biasorigins.analysis.scores import StudyScores
from biasorigins.analysis.stats import (
    SeedLike,
    benjamini_hochberg,
    permutation_labellings,
    permutation_p_value,
    percentile_interval,
    spawn_generators,
)
from biasorigins.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

TERMS = ("backbone", "data", "backbone:data")
# Sums of squares and spreads at or below this are rounding noise of exactly constant values.
NUMERICAL_ZERO = 1e-12
_SHARE_NAMES = {"backbone": "backbone", "data": "data", "backbone:data": "interaction", "seed": "seed"}


# ---------------------------------------------------------------------------------------------- design algebra
def _one_hot(codes: np.ndarray) -> np.ndarray:
    return (codes[..., None] == np.arange(int(codes.max()) + 1)).astype(float)


def _projection(design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthogonal projections onto the column spaces of (batched) design matrices, and their ranks."""
    U, S, _ = np.linalg.svd(design, full_matrices=False)
    tol = S.max(axis=-1, keepdims=True) * max(design.shape[-2:]) * 1e-12
    keep = (S > tol).astype(float)
    return np.einsum("...ik,...k,...jk->...ij", U, keep, U), keep.sum(axis=-1).astype(int)


def design_projections(backbone: np.ndarray, data: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Projections (and ranks) of the nested two-way models, for one or many labellings (leading axes)."""
    backbone, data = np.asarray(backbone), np.asarray(data)
    ones = np.ones(backbone.shape + (1,))
    A, B = _one_hot(backbone), _one_hot(data)
    cells = _one_hot(backbone * (int(data.max()) + 1) + data)
    return {
        "mean": _projection(ones),
        "backbone": _projection(np.concatenate([ones, A], axis=-1)),
        "data": _projection(np.concatenate([ones, B], axis=-1)),
        "additive": _projection(np.concatenate([ones, A, B], axis=-1)),
        "cells": _projection(cells),
    }


def _quadratic(P: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Column-wise ||P Y||^2 (P: ... x n x n, Y: ... x n x p) -> ... x p."""
    return np.einsum("...ip,...ip->...p", Y, P @ Y)


def sums_of_squares(Y: np.ndarray, projections: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """Type II sums of squares of backbone, data, interaction and residual, per column of ``Y``."""
    P = {name: value[0] for name, value in projections.items()}
    identity = np.eye(Y.shape[-2])
    return {
        "backbone": _quadratic(P["additive"] - P["data"], Y),
        "data": _quadratic(P["additive"] - P["backbone"], Y),
        "backbone:data": _quadratic(P["cells"] - P["additive"], Y),
        "seed": _quadratic(identity - P["cells"], Y),
        "total": _quadratic(identity - P["mean"], Y),
    }


def design_df(projections: dict[str, tuple[np.ndarray, np.ndarray]], n: int) -> dict[str, int]:
    """Degrees of freedom of each term from the ranks of the nested projections."""
    rank = {name: int(np.asarray(value[1]).reshape(-1)[0]) for name, value in projections.items()}
    return {
        "backbone": rank["additive"] - rank["data"],
        "data": rank["additive"] - rank["backbone"],
        "backbone:data": rank["cells"] - rank["additive"],
        "seed": n - rank["cells"],
        "total": n - 1,
    }


def _check_design(models: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    backbone = np.unique(models["backbone"].astype(str), return_inverse=True)[1]
    data = np.unique(models["data"].astype(str), return_inverse=True)[1]
    if backbone.max() < 1 or data.max() < 1:
        raise ConfigError(
            "attribution needs at least two backbones and two instruction datasets; got "
            f"{sorted(models['backbone'].unique())} x {sorted(models['data'].unique())}"
        )
    df = design_df(design_projections(backbone, data), len(models))
    if df["backbone"] < 1 or df["data"] < 1:
        raise ConfigError(
            "backbone and instruction data are confounded among the analysed models (each backbone was tuned "
            "on one dataset only); add the missing cells, or include_references=True if reference models fill them"
        )
    if df["seed"] < 1:
        raise ConfigError(
            "attribution needs replicates: at least one (backbone, data) cell with two or more seeds "
            "(the residual is the seed variance)"
        )
    return backbone, data, df


# ---------------------------------------------------------------------------------------------- per-bias ANOVA
def _effect_sizes(ss: float, df: float, ss_total: float, ss_res: float, ms_res: float) -> dict[str, float]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "eta_sq": ss / ss_total if ss_total > 0 else np.nan,
            "partial_eta_sq": ss / (ss + ss_res) if ss + ss_res > 0 else np.nan,
            "omega_sq": (ss - df * ms_res) / (ss_total + ms_res) if ss_total + ms_res > 0 else np.nan,
        }


def per_bias_anova(long: pd.DataFrame, *, interaction: bool) -> pd.DataFrame:
    """Two-way ANOVA per bias with statsmodels (type II, sum contrasts); effect sizes; BH q per term."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    formula = "score ~ C(backbone, Sum) * C(data, Sum)" if interaction else "score ~ C(backbone, Sum) + C(data, Sum)"
    names = {"C(backbone, Sum)": "backbone", "C(data, Sum)": "data",
             "C(backbone, Sum):C(data, Sum)": "backbone:data", "Residual": "seed"}
    rows = []
    for bias, frame in long.groupby("bias", sort=False):
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # F of a zero residual; handled below
            table = sm.stats.anova_lm(smf.ols(formula, data=frame).fit(), typ=2)
        ss_total = float(((frame["score"] - frame["score"].mean()) ** 2).sum())
        ss_res, df_res = float(table.loc["Residual", "sum_sq"]), float(table.loc["Residual", "df"])
        ms_res = ss_res / df_res
        # Seeds that answer identically leave no residual: F is then undefined, not "infinitely significant".
        no_seed_noise = ss_res <= NUMERICAL_ZERO * max(ss_total, 1.0)
        for term, row in table.iterrows():
            name = names[str(term)]
            effect = name != "seed"
            sizes = _effect_sizes(row["sum_sq"], row["df"], ss_total, ss_res, ms_res) if effect else {
                "eta_sq": row["sum_sq"] / ss_total if ss_total > 0 else np.nan,
                "partial_eta_sq": np.nan, "omega_sq": np.nan}
            rows.append({
                "bias": bias, "term": name, "df": float(row["df"]), "sum_sq": float(row["sum_sq"]),
                "mean_sq": float(row["sum_sq"] / row["df"]),
                "F": float(row["F"]) if effect and not no_seed_noise else np.nan,
                "p_value": float(row["PR(>F)"]) if effect and not no_seed_noise else np.nan, **sizes,
            })
    anova = pd.DataFrame(rows)
    anova["q_value"] = np.nan
    for term in TERMS:
        mask = anova["term"] == term
        anova.loc[mask, "q_value"] = benjamini_hochberg(anova.loc[mask, "p_value"].to_numpy())
    columns = ["bias", "term", "df", "sum_sq", "mean_sq", "F", "p_value", "q_value", "eta_sq", "partial_eta_sq",
               "omega_sq"]
    return anova[columns]


def _shares_table(anova: pd.DataFrame) -> pd.DataFrame:
    wide = anova.pivot(index="bias", columns="term", values="eta_sq")
    out = pd.DataFrame(index=pd.Index(anova["bias"].unique(), name="bias"))
    for term, short in _SHARE_NAMES.items():
        if term in wide:
            out[f"eta_sq_{short}"] = wide[term]
    omega = anova.pivot(index="bias", columns="term", values="omega_sq")
    q = anova.pivot(index="bias", columns="term", values="q_value")
    for term in TERMS:
        if term in omega:
            out[f"omega_sq_{_SHARE_NAMES[term]}"] = omega[term]
    for term in TERMS:
        if term in q:
            out[f"q_{_SHARE_NAMES[term]}"] = q[term]
    eta = out[[c for c in out.columns if c.startswith("eta_sq_")]]
    # A bias whose scores never vary has no shares; its "largest" term stays missing.
    largest = eta.dropna(how="all").idxmax(axis=1).str.removeprefix("eta_sq_")
    out["largest"] = largest.reindex(out.index)
    return out.reset_index()


# ---------------------------------------------------------------------------------------------- pooled model
def pooled_anova(long: pd.DataFrame, *, standardize: bool, interaction: bool) -> pd.DataFrame:
    """All biases in one model with bias as a block; shares of within-bias variance per term."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    frame = long.copy()
    if standardize:
        grouped = frame.groupby("bias", sort=False)["score"]
        std = grouped.transform("std")
        frame = frame[std > 0].copy()
        frame["score"] = (frame["score"] - grouped.transform("mean")[std > 0]) / std[std > 0]
    formula = "score ~ C(bias) + C(bias):C(backbone) + C(bias):C(data)"
    if interaction:
        formula += " + C(bias):C(backbone):C(data)"
    table = sm.stats.anova_lm(smf.ols(formula, data=frame).fit(), typ=1)
    names = {"C(bias)": "bias", "C(bias):C(backbone)": "backbone", "C(bias):C(data)": "data",
             "C(bias):C(backbone):C(data)": "backbone:data", "Residual": "seed"}
    table = table.rename(index=lambda t: names[str(t)])
    within_total = float(table["sum_sq"].sum() - table.loc["bias", "sum_sq"])
    ms_res = float(table.loc["seed", "sum_sq"] / table.loc["seed", "df"])
    rows = []
    for term in [*TERMS, "seed"]:
        if term not in table.index:
            continue
        row = table.loc[term]
        effect = term != "seed"
        rows.append({
            "term": term, "df": float(row["df"]), "sum_sq": float(row["sum_sq"]),
            "share": float(row["sum_sq"] / within_total),
            "omega_sq": float((row["sum_sq"] - row["df"] * ms_res) / (within_total + ms_res)) if effect else np.nan,
            "F": float(row["F"]) if effect else np.nan, "p_value": float(row["PR(>F)"]) if effect else np.nan,
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------- PERMANOVA
def _trace(P: np.ndarray, G: np.ndarray) -> np.ndarray:
    return np.einsum("...ij,...ji->...", P, G)


def permanova(
    Y: np.ndarray,
    backbone: np.ndarray,
    data: np.ndarray,
    *,
    n_permutations: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Two-way PERMANOVA (Euclidean geometry of ``Y``): pseudo-F, R^2 and permutation p per term.

    Main effects are tested by shuffling one factor's labels within the levels of the other (exact under
    "no effect of this factor and no interaction"); the interaction by permuting residuals of the additive
    model (Freedman-Lane). Labellings are enumerated exhaustively when there are at most ``n_permutations``.
    """
    n = len(Y)
    Yc = Y - Y.mean(axis=0)
    G = Yc @ Yc.T
    base = design_projections(backbone, data)
    df = design_df(base, n)
    identity = np.eye(n)

    def f_statistic(ss_term, df_term, ss_res):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (ss_term / df_term) / (ss_res / df["seed"])

    ss = {
        "backbone": _trace(base["additive"][0] - base["data"][0], G),
        "data": _trace(base["additive"][0] - base["backbone"][0], G),
        "backbone:data": _trace(base["cells"][0] - base["additive"][0], G),
        "seed": _trace(identity - base["cells"][0], G),
        "total": np.trace(G),
    }
    rng_b, rng_d, rng_i = spawn_generators(rng, 3)
    rows = []
    for term, labels, strata, generator in (("backbone", backbone, data, rng_b), ("data", data, backbone, rng_d)):
        permuted, exact = permutation_labellings(labels, n_permutations, generator, strata=strata)
        if term == "backbone":
            proj = design_projections(permuted, np.broadcast_to(data, permuted.shape))
            other = proj["data"][0]
        else:
            proj = design_projections(np.broadcast_to(backbone, permuted.shape), permuted)
            other = proj["backbone"][0]
        null = f_statistic(_trace(proj["additive"][0] - other, G), df[term], _trace(identity - proj["cells"][0], G))
        observed = float(f_statistic(ss[term], df[term], ss["seed"]))
        rows.append({"term": term, "df": df[term], "sum_sq": float(ss[term]), "pseudo_F": observed,
                     "p_value": permutation_p_value(observed, null, "greater", exact), "n_permutations": len(permuted),
                     "exact": exact, "permutation": f"{term} labels within {'data' if term == 'backbone' else 'backbone'} levels"})
    if df["backbone:data"] > 0:
        fitted = base["additive"][0] @ Yc
        residual = Yc - fitted
        orders, exact = permutation_labellings(np.arange(n), n_permutations, rng_i)
        FF, FR, RR = fitted @ fitted.T, fitted @ residual.T, residual @ residual.T
        rows_index = orders[:, :, None]
        cols_index = orders[:, None, :]
        G_star = FF[None] + FR[:, orders].transpose(1, 0, 2) + FR.T[orders, :] + RR[rows_index, cols_index]
        null = f_statistic(_trace(base["cells"][0] - base["additive"][0], G_star), df["backbone:data"],
                           _trace(identity - base["cells"][0], G_star))
        observed = float(f_statistic(ss["backbone:data"], df["backbone:data"], ss["seed"]))
        rows.append({"term": "backbone:data", "df": df["backbone:data"], "sum_sq": float(ss["backbone:data"]),
                     "pseudo_F": observed, "p_value": permutation_p_value(observed, null, "greater", exact),
                     "n_permutations": len(orders), "exact": exact,
                     "permutation": "residuals of the additive model (Freedman-Lane)"})
    rows.append({"term": "seed", "df": df["seed"], "sum_sq": float(ss["seed"])})
    rows.append({"term": "total", "df": df["total"], "sum_sq": float(ss["total"])})
    table = pd.DataFrame(rows)
    table["R2"] = table["sum_sq"] / float(ss["total"])
    return table[["term", "df", "sum_sq", "R2", "pseudo_F", "p_value", "n_permutations", "exact", "permutation"]]


# ---------------------------------------------------------------------------------------------- bootstrap
def _case_arrays(scores: StudyScores, models: Sequence[str], biases: Sequence[str]) -> list[np.ndarray]:
    """Per bias: models x cases array of case scores (NaN where a model lacks the case or it is unscorable)."""
    table = scores.table
    table = table[table["model"].isin(models)]
    arrays = []
    for bias in biases:
        frame = table[table["bias"] == bias]
        key = frame["scenario"].fillna("").astype(str) + "\x1f" + frame["case"].fillna("").astype(str)
        wide = frame.assign(key=key).pivot(index="model", columns="key", values="score").reindex(models)
        arrays.append(wide.to_numpy(dtype=float))
    return arrays


def _resampled_means(arrays: list[np.ndarray], n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap bias-level means (B x models x biases) from resampling cases within each bias."""
    out = np.empty((n_bootstrap, arrays[0].shape[0], len(arrays)))
    for b, values in enumerate(arrays):
        n_cases = values.shape[1]
        counts = np.stack([np.bincount(rng.integers(n_cases, size=n_cases), minlength=n_cases)
                           for _ in range(n_bootstrap)]).astype(float)
        valid = ~np.isnan(values)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, :, b] = (counts @ np.where(valid, values, 0.0).T) / (counts @ valid.T)
    return out


def _seed_resamples(cells: np.ndarray, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices (B x n) that resample models with replacement within their cell."""
    index = np.tile(np.arange(len(cells)), (n_bootstrap, 1))
    for cell in np.unique(cells):
        members = np.flatnonzero(cells == cell)
        index[:, members] = members[rng.integers(len(members), size=(n_bootstrap, len(members)))]
    return index


def _effects(Y: np.ndarray, backbone: np.ndarray, data: np.ndarray, levels: tuple[list[str], list[str]]):
    """Cell means, marginal means and 2-level contrasts per bias (Y: ... x n x biases) -> {name: ... x biases}."""
    backbone_levels, data_levels = levels
    cell_means = {}
    for i, b in enumerate(backbone_levels):
        for j, d in enumerate(data_levels):
            mask = (backbone == i) & (data == j)
            if mask.any():
                cell_means[(b, d)] = Y[..., mask, :].mean(axis=-2)
    out = {f"cell mean ({b}, {d})": value for (b, d), value in cell_means.items()}
    for factor, own, other in (("backbone", backbone_levels, data_levels), ("data", data_levels, backbone_levels)):
        marginal = {}
        for level in own:
            parts = [cell_means[(level, o) if factor == "backbone" else (o, level)] for o in other
                     if ((level, o) if factor == "backbone" else (o, level)) in cell_means]
            marginal[level] = np.mean(parts, axis=0)
        if len(own) == 2:
            out[f"{factor} effect ({own[1]} - {own[0]})"] = marginal[own[1]] - marginal[own[0]]
        else:
            out.update({f"{factor} mean ({level})": value for level, value in marginal.items()})
    if len(backbone_levels) == 2 and len(data_levels) == 2 and len(cell_means) == 4:
        (b0, b1), (d0, d1) = backbone_levels, data_levels
        out[f"interaction ({b1}: {d1} - {d0}) - ({b0}: {d1} - {d0})"] = (
            cell_means[(b1, d1)] - cell_means[(b1, d0)] - cell_means[(b0, d1)] + cell_means[(b0, d0)]
        )
    return out


def _standardized(Y: np.ndarray) -> np.ndarray:
    """z-score each bias (last axis) over models (second-to-last axis); constant biases become 0."""
    std = Y.std(axis=-2, ddof=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > NUMERICAL_ZERO, (Y - Y.mean(axis=-2, keepdims=True)) / std, 0.0)


def bootstrap_attribution(
    scores: StudyScores,
    models: pd.DataFrame,
    matrix: pd.DataFrame,
    *,
    n_bootstrap: int,
    confidence: float,
    standardize: bool,
    resample_cases: bool,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    """Percentile intervals for per-bias effects and for the pooled shares.

    Effects (cell means, main-effect contrasts, interaction) resample seeds within cells; the pooled shares
    resample biases (a pooled share is a mean over biases, and resampling three seeds with replacement would
    shrink the residual and bias the shares). Both also resample cases within biases when case-level scores
    are given.
    """
    if n_bootstrap < 1:
        raise ConfigError(f"n_bootstrap must be at least 1, got {n_bootstrap}")
    backbone_levels = sorted(models["backbone"].astype(str).unique())
    data_levels = sorted(models["data"].astype(str).unique())
    backbone = np.array([backbone_levels.index(b) for b in models["backbone"]])
    data = np.array([data_levels.index(d) for d in models["data"]])
    cells = backbone * len(data_levels) + data
    rng_seeds, rng_cases, rng_biases = spawn_generators(rng, 3)
    biases = list(matrix.columns)
    cases = resample_cases and scores.has_cases
    if cases:
        base = _resampled_means(_case_arrays(scores, list(models["model"]), biases), n_bootstrap, rng_cases)
    else:
        base = np.broadcast_to(matrix.to_numpy(), (n_bootstrap, *matrix.shape))
    index = _seed_resamples(cells, n_bootstrap, rng_seeds)
    Y = np.take_along_axis(base, index[:, :, None], axis=1)
    case_note = " and cases within biases" if cases else ""

    levels = (backbone_levels, data_levels)
    estimates = _effects(matrix.to_numpy(), backbone, data, levels)
    samples = _effects(Y, backbone, data, levels)
    rows = []
    for quantity, estimate in estimates.items():
        low, high = percentile_interval(samples[quantity], confidence)
        for i, bias in enumerate(biases):
            rows.append({"bias": bias, "quantity": quantity, "estimate": float(estimate[i]),
                         "ci_low": float(low[i]), "ci_high": float(high[i])})
    effects = pd.DataFrame(rows)

    projections = design_projections(backbone, data)
    point_values = matrix.to_numpy()
    unique_base = base[:1] if not cases else base
    if standardize:
        point_values, unique_base = _standardized(point_values), _standardized(unique_base)
    point = sums_of_squares(point_values, projections)
    boot = sums_of_squares(unique_base, projections)  # (1 or B) x biases per term
    picks = rng_biases.integers(len(biases), size=(n_bootstrap, len(biases)))
    rows_index = np.arange(n_bootstrap)[:, None] if cases else np.zeros((n_bootstrap, 1), dtype=int)
    total = boot["total"][rows_index, picks].sum(axis=1)
    share_rows = []
    for term in (*TERMS, "seed"):
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = np.where(total > NUMERICAL_ZERO, boot[term][rows_index, picks].sum(axis=1) / total, np.nan)
        shares = np.clip(shares, 0.0, 1.0)  # a share lies in [0, 1]; this removes rounding noise only
        low, high = percentile_interval(shares, confidence)
        share_rows.append({"term": term, "share": float(point[term].sum() / point["total"].sum()),
                           "ci_low": float(low), "ci_high": float(high)})
    return (effects, pd.DataFrame(share_rows), f"seeds within cells{case_note}", f"biases{case_note}")


# ---------------------------------------------------------------------------------------------- entry point
def analyze_attribution(
    scores: StudyScores | pd.DataFrame | str,
    *,
    include_references: bool = False,
    standardize: bool = True,
    alpha: float = 0.05,
    n_permutations: int = 999,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    resample_cases: bool = True,
    permanova_metric: Metric = "euclidean",
    permanova_scale: bool = False,
    seed: SeedLike = 0,
) -> AttributionResult:
    """Variance of bias scores attributed to backbone, instruction data, their interaction and the seed.

    Parameters
    ----------
    scores
        A `StudyScores` or anything `StudyScores.load` accepts; analysed at bias level.
    include_references
        Also use the reference (original) models as members of their cell (default: seed models only).
    standardize
        z-score each bias before pooling, so that every bias counts equally (else biases weigh by variance).
    alpha
        Threshold on Benjamini-Hochberg q-values used in the summary.
    n_permutations, n_bootstrap, confidence
        PERMANOVA permutations; bootstrap replicates and interval level.
    resample_cases
        Also resample test cases within biases when case-level scores are given.
    permanova_metric, permanova_scale
        Geometry of the bias vectors for PERMANOVA (default: Euclidean on raw scores, as in the clustering).
    seed
        Integer seed or numpy Generator; the same seed gives the same result.
    """
    scores = StudyScores.load(scores)
    if not include_references:
        if scores.models["reference"].all():
            raise ConfigError("attribution needs seed models; every model is a reference (pass include_references=True)")
        scores = scores.select(references=False)
    matrix = scores.matrix("bias")
    models = scores.models.set_index("model").loc[matrix.index].reset_index()
    backbone, data, df = _check_design(models)
    interaction = df["backbone:data"] > 0
    long = scores.scores("bias")
    if not (long.groupby("bias")["score"].std() > 0).any():
        raise ConfigError("attribution needs scores that vary between models; every bias score is the same for all models")
    anova = per_bias_anova(long, interaction=interaction)
    shares = _shares_table(anova)
    pooled = pooled_anova(long, standardize=standardize, interaction=interaction)
    rng_permanova, rng_bootstrap = spawn_generators(seed, 2)
    Y = prepare_features(matrix.to_numpy(), scale=permanova_scale, metric=permanova_metric)
    permanova_table = permanova(Y, backbone, data, n_permutations=n_permutations, rng=rng_permanova)
    effects, share_ci, effect_resampling, share_resampling = bootstrap_attribution(
        scores, models, matrix, n_bootstrap=n_bootstrap, confidence=confidence, standardize=standardize,
        resample_cases=resample_cases, rng=rng_bootstrap,
    )
    notes = [
        "Per-bias ANOVA: score ~ C(backbone, Sum) * C(data, Sum), type II; the residual is the seed variance.",
        "Pooled: score ~ C(bias) + C(bias):C(backbone) + C(bias):C(data) + C(bias):C(backbone):C(data), type I, "
        + ("on scores z-scored within bias (every bias counts equally)." if standardize
           else "on raw scores (biases weigh by their variance)."),
        f"Bootstrap ({n_bootstrap} replicates, {confidence:.0%} percentile intervals): per-bias effects resample "
        f"{effect_resampling}, pooled shares resample {share_resampling}. With few seeds per cell, seed-resampling "
        "intervals are too narrow; read them as a lower bound on the uncertainty.",
    ]
    if not interaction:
        notes.append("Some (backbone, data) cells are empty, so the interaction is not estimable and was left out.")
    if models["backbone"].nunique() < 3 or models["data"].nunique() < 3:
        notes.append("With two levels per factor the shares describe these backbones and datasets; they do not "
                     "estimate population variance components.")
    return AttributionResult(
        summary=_sentence(len(models), matrix.shape[1], pooled, share_ci, anova, permanova_table, alpha, standardize,
                          confidence),
        notes=tuple(notes), n_models=len(models), n_biases=matrix.shape[1], standardize=standardize, alpha=alpha,
        anova=anova, shares=shares, pooled=pooled, permanova=permanova_table, bootstrap=effects,
        bootstrap_shares=share_ci,
    )


def _fmt_p(p: float) -> str:
    return f"p = {p:.3f}" if p >= 0.001 else "p < 0.001"


def _sentence(
    n_models: int,
    n_biases: int,
    pooled: pd.DataFrame,
    share_ci: pd.DataFrame,
    anova: pd.DataFrame,
    permanova_table: pd.DataFrame,
    alpha: float,
    standardize: bool,
    confidence: float,
) -> str:
    share = pooled.set_index("term")["share"]
    ci = share_ci.set_index("term")
    words = {"backbone": "the backbone", "data": "the instruction data", "backbone:data": "their interaction",
             "seed": "the seed"}
    parts = [
        f"{words[t]} {share[t]:.1%} ({confidence:.0%} CI {ci.loc[t, 'ci_low']:.1%} to {ci.loc[t, 'ci_high']:.1%})"
        if t in ci.index and np.isfinite(ci.loc[t, "ci_low"]) else f"{words[t]} {share[t]:.1%}"
        for t in share.index
    ]
    weighting = "each bias weighted equally" if standardize else "biases weighted by their variance"
    significant = {
        t: int(((anova["term"] == t) & (anova["q_value"] < alpha)).sum()) for t in ("backbone", "data")
    }
    uncorrected = {t: int(((anova["term"] == t) & (anova["p_value"] < alpha)).sum()) for t in ("backbone", "data")}
    untested = int(anova.loc[anova["term"] == "backbone", "p_value"].isna().sum())
    text = (
        f"Across {n_biases} biases and {n_models} models ({weighting}), the share of within-bias variance is "
        + ", ".join(parts)
        + f"; {significant['backbone']} biases depend on the backbone and {significant['data']} on the data at "
        f"FDR q < {alpha:g} ({uncorrected['backbone']} and {uncorrected['data']} at uncorrected p < {alpha:g})"
    )
    if untested:
        text += f" ({untested} untested: their seeds answered identically, so there is no residual for an F test)"
    perm = permanova_table.set_index("term")
    text += (
        f"; PERMANOVA on bias vectors gives backbone R\u00b2 = {perm.loc['backbone', 'R2']:.3f} "
        f"({_fmt_p(perm.loc['backbone', 'p_value'])}) and data R\u00b2 = {perm.loc['data', 'R2']:.3f} "
        f"({_fmt_p(perm.loc['data', 'p_value'])})."
    )
    return text
