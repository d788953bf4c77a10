"""Attribution: how much of the variance of bias scores do the backbone, the data, their interaction and the seed explain?

Beyond the paper (which only clusters), following the variance-partition view of the design, and with every
share beside its no-effect level:

* per bias, a two-way ANOVA ``score ~ backbone * data`` with the seeds of a cell as replicates (statsmodels
  ``ols`` + ``anova_lm``, type II, sum contrasts), so the residual *is* seed noise; eta^2 with its chance
  level df / (N - 1), partial eta^2 and omega^2; terms tested by Welch t (1 df) or Welch-James F (more df),
  each cell with its own seed variance; Benjamini-Hochberg q-values across biases per term;
* the per-bias sums of squares pooled over biases (z-scored within each bias by default, so every bias counts
  equally), tested by restricted permutations of whole models (the scores of one model are not independent);
* backbone and data against the interaction (random training set-up effects), by permuting whole cells;
* PERMANOVA on the raw bias vectors, with permutations that respect the crossed design (backbone labels
  shuffled within data levels and vice versa; the interaction by permuting residuals of the additive model);
* Welch t-intervals for per-bias effects, and percentile intervals of the shares over the choice of biases.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from biasorigins.analysis.findings import findings_frame, finding, format_p, verdict
from biasorigins.analysis.geometry import Metric, prepare_features
from biasorigins.analysis.results import AttributionResult
from biasorigins.analysis.scores import StudyScores
from biasorigins.analysis.stats import (
    NUMERICAL_ZERO,
    SeedLike,
    benjamini_hochberg,
    permutation_labellings,
    permutation_p_min,
    permutation_p_value,
    spawn_generators,
)
from biasorigins.analysis.welch_james import cell_moments, factorial_contrasts, welch_james
from biasorigins.display import plural
from biasorigins.errors import ConfigError

logger = logging.getLogger(__name__)

TERMS = ("backbone", "data", "backbone:data")
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


def per_bias_anova(long: pd.DataFrame, *, interaction: bool, robust: pd.DataFrame | None = None) -> pd.DataFrame:
    """Two-way ANOVA per bias with statsmodels (type II, sum contrasts); effect sizes; BH q per term.

    ``F`` and ``p_value_pooled`` are the classic F test (pooled seed variance). ``statistic`` and ``p_value``,
    which the q-values and the findings use, are the test in ``test``: where ``robust``
    (`per_bias_welch_james`) has the term, its Welch t (one df) or Welch-James F (more df), since a pooled
    variance rejects too often when seed noise differs between cells; else the classic F.
    """
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
    anova["p_value_pooled"] = anova["p_value"]
    anova["statistic"] = anova["F"]
    anova["test"] = np.where(anova["term"] == "seed", "", "F (pooled seed variance)")
    if robust is not None and len(robust):
        tests = robust.set_index(["bias", "term"])
        key = pd.MultiIndex.from_frame(anova[["bias", "term"]])
        found = key.isin(tests.index)
        chosen = tests.reindex(key[found])
        anova.loc[found, "p_value"] = chosen["p_value"].to_numpy()
        anova.loc[found, "statistic"] = chosen["statistic"].to_numpy()
        anova.loc[found, "test"] = np.where(chosen["df_num"] == 1, WELCH_T, WELCH_JAMES)
    anova["q_value"] = np.nan
    for term in TERMS:
        mask = anova["term"] == term
        anova.loc[mask, "q_value"] = benjamini_hochberg(anova.loc[mask, "p_value"].to_numpy())
    n_per_bias = long.groupby("bias", sort=False)["score"].count()
    anova["chance_eta_sq"] = anova["df"] / (anova["bias"].map(n_per_bias) - 1)
    columns = ["bias", "term", "df", "sum_sq", "mean_sq", "F", "p_value_pooled", "test", "statistic", "p_value",
               "q_value", "eta_sq", "chance_eta_sq", "partial_eta_sq", "omega_sq"]
    return anova[columns]


WELCH_T = "Welch t (each cell its own seed variance)"
WELCH_JAMES = "Welch-James F (each cell its own seed variance)"


def _cell_codes(models: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray]:
    """Sorted backbone and data levels, and each model's cell number (backbone-major)."""
    backbone_levels = sorted(models["backbone"].astype(str).unique())
    data_levels = sorted(models["data"].astype(str).unique())
    backbone = np.array([backbone_levels.index(str(b)) for b in models["backbone"]])
    data = np.array([data_levels.index(str(d)) for d in models["data"]])
    return backbone_levels, data_levels, backbone * len(data_levels) + data


def per_bias_welch_james(matrix: pd.DataFrame, models: pd.DataFrame, *, interaction: bool) -> pd.DataFrame:
    """Per bias and term, the Welch-James test of its cell-mean contrasts (`biasorigins.analysis.welch_james`):
    the squared Welch t for a 1-df term, an approximate F for more df. A bias is left out where a cell has
    fewer than two scores, since every term's contrasts use every cell (the classic F stands in then)."""
    backbone_levels, data_levels, cells = _cell_codes(models)
    Y = matrix.to_numpy(dtype=float)
    _, _, counts = cell_moments(Y, cells, len(backbone_levels) * len(data_levels))
    testable = (counts >= 2).all(axis=0)
    frames = []
    for term, contrasts in factorial_contrasts(len(backbone_levels), len(data_levels)).items():
        if term == "backbone:data" and not interaction:
            continue
        tested = welch_james(Y, cells, contrasts)
        frames.append(pd.DataFrame({"bias": matrix.columns, "term": term, **tested})[testable])
    return pd.concat(frames, ignore_index=True)


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
def pooled_tests(
    values: np.ndarray, backbone: np.ndarray, data: np.ndarray, *, n_permutations: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All biases at once (``values``: models x biases, z-scored per bias when every bias should count equally).

    Returns the pooled shares with their no-effect level and restricted-permutation tests (the statistic sums
    each term's sums of squares over biases, so it is PERMANOVA on these values), and the random set-up
    (mixed-model) tests of backbone and data against the interaction.
    """
    projections = design_projections(backbone, data)
    df = design_df(projections, len(values))
    ss = {term: float(value.sum()) for term, value in sums_of_squares(values, projections).items()}
    n_biases = values.shape[1]
    within = ss["total"]
    ms_res = ss["seed"] / (df["seed"] * n_biases)
    tests = permanova(values, backbone, data, n_permutations=n_permutations, rng=rng).set_index("term")
    rows = []
    for term in (*TERMS, "seed"):
        if term == "backbone:data" and df[term] < 1:
            continue
        effect = term != "seed"
        rows.append({
            "term": term, "df": df[term] * n_biases, "sum_sq": ss[term], "share": ss[term] / within,
            "chance_share": df[term] / df["total"],
            "omega_sq": (ss[term] - df[term] * n_biases * ms_res) / (within + ms_res) if effect else np.nan,
            "F": tests.loc[term, "pseudo_F"] if effect else np.nan,
            "p_value": tests.loc[term, "p_value"] if effect else np.nan,
            "p_min": tests.loc[term, "p_min"] if effect else np.nan,
            "n_permutations": tests.loc[term, "n_permutations"] if effect else np.nan,
        })
    mixed = []
    if df["backbone:data"] >= 1:
        G = values @ values.T
        rng_backbone, rng_data = spawn_generators(rng, 2)
        for term, generator in (("backbone", rng_backbone), ("data", rng_data)):
            df_num, df_den = df[term] * n_biases, df["backbone:data"] * n_biases
            with np.errstate(divide="ignore", invalid="ignore"):
                statistic = (ss[term] / df_num) / (ss["backbone:data"] / df_den)
            null, exact = _cell_permutation_null(G, backbone, data, term, n_permutations, generator)
            mixed.append({"term": term, "F": statistic, "df_num": df_num, "df_den": df_den,
                          "p_value": permutation_p_value(statistic, null, "greater", exact),
                          "p_min": permutation_p_min(null, exact), "n_permutations": len(null),
                          "p_f_table": float(scipy_stats.f.sf(statistic, df_num, df_den)),
                          "n_cells": int(len(np.unique(backbone * (data.max() + 1) + data)))})
    columns = ["term", "F", "df_num", "df_den", "p_value", "p_min", "n_permutations", "p_f_table", "n_cells"]
    return pd.DataFrame(rows), pd.DataFrame(mixed, columns=columns)


def _projections_with(term: str, labels: np.ndarray, backbone: np.ndarray, data: np.ndarray
                      ) -> tuple[dict, np.ndarray]:
    """The design projections with ``labels`` (rows of relabellings) as ``term``'s levels, and the
    projection onto the other factor alone."""
    if term == "backbone":
        proj = design_projections(labels, np.broadcast_to(data, labels.shape))
        return proj, proj["data"][0]
    proj = design_projections(np.broadcast_to(backbone, labels.shape), labels)
    return proj, proj["backbone"][0]


def _cell_permutation_null(
    G: np.ndarray, backbone: np.ndarray, data: np.ndarray, term: str, n_permutations: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """F of ``term`` against the interaction with the term's labels shuffled between whole cells, within the
    levels of the other factor (valid when each training set-up adds its own random effect)."""
    cells = backbone * (data.max() + 1) + data
    first = np.array([np.flatnonzero(cells == c)[0] for c in np.unique(cells)])
    own, other = (backbone, data) if term == "backbone" else (data, backbone)
    cell_of = np.unique(cells, return_inverse=True)[1]
    permuted, exact = permutation_labellings(own[first], n_permutations, rng, strata=other[first])
    labels = permuted[:, cell_of]
    proj, reduced = _projections_with(term, labels, backbone, data)
    df = design_df(design_projections(backbone, data), len(backbone))
    with np.errstate(divide="ignore", invalid="ignore"):
        null = (_trace(proj["additive"][0] - reduced, G) / df[term]) / (
            _trace(proj["cells"][0] - proj["additive"][0], G) / df["backbone:data"])
    return null, exact


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
        proj, other = _projections_with(term, permuted, backbone, data)
        null = f_statistic(_trace(proj["additive"][0] - other, G), df[term], _trace(identity - proj["cells"][0], G))
        observed = float(f_statistic(ss[term], df[term], ss["seed"]))
        rows.append({"term": term, "df": df[term], "sum_sq": float(ss[term]), "pseudo_F": observed,
                     "p_value": permutation_p_value(observed, null, "greater", exact),
                     "p_min": permutation_p_min(null, exact), "n_permutations": len(permuted),
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
                     "p_min": permutation_p_min(null, exact), "n_permutations": len(orders), "exact": exact,
                     "permutation": "residuals of the additive model (Freedman-Lane)"})
    rows.append({"term": "seed", "df": df["seed"], "sum_sq": float(ss["seed"])})
    rows.append({"term": "total", "df": df["total"], "sum_sq": float(ss["total"])})
    table = pd.DataFrame(rows)
    table["R2"] = table["sum_sq"] / float(ss["total"])
    return table[["term", "df", "sum_sq", "R2", "pseudo_F", "p_value", "p_min", "n_permutations", "exact", "permutation"]]


# ---------------------------------------------------------------------------------------------- intervals
def _contrasts(backbone_levels: list[str], data_levels: list[str]) -> dict[str, tuple[str, np.ndarray]]:
    """Quantity name -> (term it tests, weights over the cells in backbone-major order)."""
    n_b, n_d = len(backbone_levels), len(data_levels)
    out = {}
    for i, b in enumerate(backbone_levels):
        for j, d in enumerate(data_levels):
            out[f"cell mean ({b}, {d})"] = ("cell", np.eye(n_b * n_d)[i * n_d + j])
    row_of = np.repeat(np.arange(n_b), n_d).astype(float)  # backbone of each cell
    column_of = np.tile(np.arange(n_d), n_b).astype(float)
    if n_b == 2:
        out[f"backbone effect ({backbone_levels[1]} - {backbone_levels[0]})"] = ("backbone", (2 * row_of - 1) / n_d)
    if n_d == 2:
        out[f"data effect ({data_levels[1]} - {data_levels[0]})"] = ("data", (2 * column_of - 1) / n_b)
    if n_b == 2 and n_d == 2:
        (b0, b1), (d0, d1) = backbone_levels, data_levels
        out[f"interaction ({b1}: {d1} - {d0}) - ({b0}: {d1} - {d0})"] = ("backbone:data", np.array([1.0, -1.0, -1.0, 1.0]))
    return out


def welch_contrasts(Y: np.ndarray, cells: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contrasts of cell means per column of ``Y`` (models x biases) with Welch-Satterthwaite standard errors.

    Each cell keeps its own seed variance, so unequal seed noise between cells does not inflate the tests
    (a pooled variance does: 6% instead of 5% per bias when the noisiest cell's SD is 3 times the quietest's).

    Returns
    -------
    estimate, standard_error, df
        Arrays over the columns of ``Y``; NaN where a cell with non-zero weight has fewer than 2 scores.
    """
    means, variances, counts = cell_moments(Y, cells, int(cells.max()) + 1)
    w = weights[:, None]
    used = (w != 0) & np.ones_like(means, dtype=bool)
    estimate = np.nansum(np.where(used, w * means, 0.0), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = np.where(used, w**2 * variances / counts, 0.0)
        se2 = parts.sum(axis=0)
        df = se2**2 / np.where(used, parts**2 / (counts - 1), 0.0).sum(axis=0)
    return estimate, np.sqrt(se2), df


def effect_intervals(matrix: pd.DataFrame, models: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per bias: cell means, main effects and interaction with Welch t-intervals (each cell its own variance).

    Also the Welch t-test of each effect (``p_value``; for a 1-df term the same as `per_bias_welch_james`).
    """
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must lie in (0, 1), got {confidence}")
    backbone_levels, data_levels, cells = _cell_codes(models)
    Y = matrix.to_numpy(dtype=float)
    frames = []
    for quantity, (term, weights) in _contrasts(backbone_levels, data_levels).items():
        if not all((cells == c).any() for c in np.flatnonzero(weights)):
            continue  # needs a cell without models
        estimate, se, df = welch_contrasts(Y, cells, weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            half = scipy_stats.t.ppf(0.5 + confidence / 2, df) * se
            p = 2 * scipy_stats.t.sf(np.abs(estimate) / se, df)
        frames.append(pd.DataFrame({"bias": matrix.columns, "quantity": quantity, "term": term, "estimate": estimate,
                                    "ci_low": estimate - half, "ci_high": estimate + half, "df": df,
                                    "p_value": np.where(se > NUMERICAL_ZERO, p, np.nan)}))
    out = pd.concat(frames, ignore_index=True)
    order = {bias: i for i, bias in enumerate(matrix.columns)}
    return out.sort_values("bias", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)


def share_intervals(
    values: np.ndarray, backbone: np.ndarray, data: np.ndarray, *, n_bootstrap: int, confidence: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Percentile intervals of the pooled shares over the choice of biases (``scipy.stats.bootstrap``).

    They say how much the shares would move with another set of biases of the same kind; they are not a
    test (a share has a positive no-effect level, ``chance_share`` in the pooled table).
    """
    if n_bootstrap < 1:
        raise ConfigError(f"n_bootstrap must be at least 1, got {n_bootstrap}")
    ss = sums_of_squares(values, design_projections(backbone, data))
    rows = []
    for term in (*TERMS, "seed"):
        def ratio(part, total, axis=-1):
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.clip(part.sum(axis=axis) / total.sum(axis=axis), 0.0, 1.0)

        share = float(ratio(ss[term], ss["total"]))
        if values.shape[1] < 2 or not np.isfinite(share):
            low = high = np.nan
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a degenerate resample gives NaN, kept as such
                result = scipy_stats.bootstrap((ss[term], ss["total"]), ratio, paired=True, vectorized=True,
                                               n_resamples=n_bootstrap, confidence_level=confidence,
                                               method="percentile", random_state=rng)
            low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        rows.append({"term": term, "share": share, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def _standardized(Y: np.ndarray) -> np.ndarray:
    """z-score each bias (last axis) over models (second-to-last axis); constant biases become 0."""
    std = Y.std(axis=-2, ddof=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > NUMERICAL_ZERO, (Y - Y.mean(axis=-2, keepdims=True)) / std, 0.0)


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
        Significance level of the findings (per-bias tests after Benjamini-Hochberg across biases).
    n_permutations, n_bootstrap, confidence
        Permutations per test; bootstrap replicates of the share intervals; interval level.
    permanova_metric, permanova_scale
        Geometry of the bias vectors for PERMANOVA (default: Euclidean on raw scores, as in the clustering).
    seed
        Integer seed or numpy Generator; the same seed gives the same result.
    """
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must lie in (0, 1), got {alpha}")
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
    complete = matrix.loc[:, matrix.notna().all()]
    values = _standardized(complete.to_numpy()) if standardize else complete.to_numpy()
    effects = effect_intervals(matrix, models, confidence)
    anova = per_bias_anova(long, interaction=interaction,
                           robust=per_bias_welch_james(matrix, models, interaction=interaction))
    shares = _shares_table(anova)
    rng_pooled, rng_permanova, rng_bootstrap = spawn_generators(seed, 3)
    pooled, mixed = pooled_tests(values, backbone, data, n_permutations=n_permutations, rng=rng_pooled)
    Y = prepare_features(complete.to_numpy(), scale=permanova_scale, metric=permanova_metric)
    permanova_table = permanova(Y, backbone, data, n_permutations=n_permutations, rng=rng_permanova)
    share_ci = share_intervals(values, backbone, data, n_bootstrap=n_bootstrap, confidence=confidence,
                               rng=rng_bootstrap)
    findings = attribution_findings(anova, pooled, mixed, permanova_table, alpha=alpha, standardize=standardize)
    n_cells = len(np.unique(backbone * (data.max() + 1) + data))
    notes = [
        "Per-bias ANOVA: score ~ C(backbone, Sum) * C(data, Sum), type II; the residual is the seed variance. "
        "chance_eta_sq is the share a term gets on average with no effect at all (df / (N - 1)).",
        "Pooled: the per-bias sums of squares added over "
        + ("biases z-scored within bias (every bias counts equally)" if standardize
           else "raw biases (biases weigh by their variance)")
        + f"; tested by restricted permutations of whole models ({n_permutations} or all), not by an F table, "
        "because the biases of one model are not independent.",
        "Random set-up tests: backbone and data against the interaction, as if every (backbone, data) training "
        f"set-up had its own random effect, by permuting whole cells within the other factor; with {n_cells} cells "
        "they have little power (2 x 2: no p below 0.5). p_f_table is the F-table p-value, which assumes "
        "independent biases and rejects too often when biases are correlated.",
        f"Effects: Welch t-intervals ({confidence:.0%}) of the cell means and contrasts, each cell with its own seed "
        "variance. Per-bias p-values: Welch t-tests (1-df terms) and Welch-James F tests (more df), each cell with "
        "its own seed variance (p_value_pooled: the classic F).",
        f"Share intervals: {confidence:.0%} percentile bootstrap over the choice of biases ({n_bootstrap} replicates); "
        "not a test: a share has a positive no-effect level (chance_share).",
    ]
    if complete.shape[1] < matrix.shape[1]:
        notes.append(f"{plural(matrix.shape[1] - complete.shape[1], 'bias')} with missing scores left out of the pooled "
                     "tests, PERMANOVA and share intervals.")
    if not interaction:
        notes.append("Some (backbone, data) cells are empty, so the interaction is not estimable and was left out.")
    if models["backbone"].nunique() < 3 or models["data"].nunique() < 3:
        notes.append("With two levels per factor the shares describe these backbones and datasets; they do not "
                     "estimate population variance components.")
    return AttributionResult(
        summary=_sentence(len(models), matrix.shape[1], pooled, share_ci, findings, mixed, standardize, confidence),
        notes=tuple(notes), n_models=len(models), n_biases=matrix.shape[1], standardize=standardize, alpha=alpha,
        anova=anova, shares=shares, pooled=pooled, mixed=mixed, permanova=permanova_table, effects=effects,
        share_intervals=share_ci, findings=findings,
    )


_FIXED = ("models are exchangeable within the levels of the other factor when this factor has no effect; each "
          "(backbone, data) training set-up counts as fixed, so set-up-to-set-up differences count as effect")
_MIXED = ("every (backbone, data) training set-up adds its own random effect, so whole cells are exchangeable "
          "within the levels of the other factor when this factor has no effect")
_PER_BIAS = "seeds are the only noise (no set-up effects), normal with equal variance in every cell"
_PER_BIAS_WELCH = "seeds are the only noise (no set-up effects), roughly normal; cells may differ in seed noise"
_FACTOR = {"backbone": "backbone", "data": "data", "backbone:data": "interaction"}


def attribution_findings(
    anova: pd.DataFrame, pooled: pd.DataFrame, mixed: pd.DataFrame, permanova_table: pd.DataFrame, *,
    alpha: float, standardize: bool,
) -> pd.DataFrame:
    """One row per test the attribution reports (see `biasorigins.analysis.findings`)."""
    weighting = "z-scored biases" if standardize else "raw biases"
    rows = []
    for row in pooled[pooled["term"] != "seed"].itertuples():
        rows.append(finding(
            analysis="attribution", factor=_FACTOR[row.term], level="pooled",
            test=f"pooled F over {weighting}, restricted permutation", statistic=row.F, p_value=row.p_value,
            p_min=row.p_min, alpha=alpha, estimate=row.omega_sq, chance=0.0, assumes=_FIXED))
    for row in mixed.itertuples():
        rows.append(finding(
            analysis="attribution", factor=row.term, level="pooled",
            test="F against the interaction, permuting whole cells (random set-up)",
            statistic=row.F, p_value=row.p_value, p_min=row.p_min, alpha=alpha, assumes=_MIXED))
    for row in permanova_table[permanova_table["pseudo_F"].notna()].itertuples():
        rows.append(finding(
            analysis="attribution", factor=_FACTOR[row.term], level="bias vectors",
            test="PERMANOVA, restricted permutation", statistic=row.pseudo_F, p_value=row.p_value, p_min=row.p_min,
            alpha=alpha, estimate=row.R2, assumes=_FIXED))
    for row in anova[anova["term"] != "seed"].itertuples():
        welch = row.test.startswith("Welch")
        rows.append(finding(
            analysis="attribution", factor=_FACTOR[row.term], level=str(row.bias), test=f"per bias: {row.test}",
            statistic=row.statistic, p_value=row.p_value, alpha=alpha, correction="Benjamini-Hochberg across biases",
            significant=bool(row.q_value < alpha), estimate=row.omega_sq, chance=0.0,
            assumes=_PER_BIAS_WELCH if welch else _PER_BIAS))
    return findings_frame(rows)


def _sentence(
    n_models: int,
    n_biases: int,
    pooled: pd.DataFrame,
    share_ci: pd.DataFrame,
    findings: pd.DataFrame,
    mixed_table: pd.DataFrame,
    standardize: bool,
    confidence: float,
) -> str:
    words = {"backbone": "the backbone", "data": "the instruction data", "interaction": "their interaction"}
    pool = pooled.set_index("term").rename(index=_FACTOR)
    ci = share_ci.set_index("term").rename(index=_FACTOR)
    weighting = "each bias weighted equally" if standardize else "biases weighted by their variance"
    parts = []
    for factor in ("backbone", "data", "interaction"):
        if factor not in pool.index:
            continue
        row = pool.loc[factor]
        parts.append(f"{words[factor]} omega\u00b2 = {row['omega_sq']:.3f} (eta\u00b2 {row['share']:.1%} against "
                     f"{row['chance_share']:.1%} with no effect; {confidence:.0%} interval over the choice of biases "
                     f"{ci.loc[factor, 'ci_low']:.1%} to {ci.loc[factor, 'ci_high']:.1%})")
    text = (f"Across {n_biases} biases and {n_models} models ({weighting}), " + "; ".join(parts) + ". ")
    fixed = findings[findings["test"].str.startswith("pooled F")].set_index("factor")
    claims = [f"{words[f]} {verdict(fixed.loc[f])} ({format_p(fixed.loc[f, 'p_value'], fixed.loc[f, 'p_min'])})"
              for f in ("backbone", "data", "interaction") if f in fixed.index]
    text += ("Treating each training set-up as fixed (permutation test): " + ", ".join(claims) + ".")
    mixed = findings[findings["test"].str.startswith("F against")].set_index("factor")
    if not mixed.empty:
        claims = []
        for f in ("backbone", "data"):
            row, table = mixed.loc[f], mixed_table.set_index("term").loc[f]
            claims.append(f"{words[f]} F = {row['statistic']:.2f} against the interaction, "
                          f"{format_p(row['p_value'], row['p_min'])} permuting whole cells, {verdict(row)} (an F table, "
                          f"which wrongly treats biases as independent, would give p = {table['p_f_table']:.3f})")
        text += " Allowing a random effect per training set-up: " + "; ".join(claims)
        if mixed["p_min"].min() > mixed["alpha"].iloc[0]:
            text += (f" — with {int(mixed_table['n_cells'].iloc[0])} cells no such test can reach "
                     f"p < {mixed['alpha'].iloc[0]:g}, so this design cannot tell a backbone or data effect from "
                     "training set-up effects")
        text += "."
    per_bias = findings[findings["test"].str.startswith("per bias")]
    counts = {f: int(per_bias.loc[per_bias["factor"] == f, "significant"].sum()) for f in ("backbone", "data")}
    untested = int(per_bias.loc[per_bias["factor"] == "backbone", "p_value"].isna().sum())
    text += (f" Per bias, assuming seeds are the only noise: {counts['backbone']} biases depend on the backbone and "
             f"{counts['data']} on the data at FDR q < {per_bias['alpha'].iloc[0]:g}" if len(per_bias) else "")
    if untested:
        text += f" ({untested} untested: their seeds answered identically, so there is no residual for an F test)"
    return text + "."
