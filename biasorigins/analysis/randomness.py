"""Step 1 of the cross-tuning design: how much does the training seed move bias scores?

Follows the paper's procedure (per-bias std across seeds, seed aggregates against the original model with
a threshold tau) over *all* biases, without the original code's off-by-one (which summed 31 biases and
divided by 30), and adds seed-seed correlations, sign agreement, the true across-seed std of capability
metrics and ICC reliabilities.
"""

from __future__ import annotations

import itertools
import logging
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from biasorigins.analysis.results import RandomnessResult
from biasorigins.analysis.scores import StudyScores
from biasorigins.errors import ConfigError

logger = logging.getLogger(__name__)

#: The paper's agreement threshold; its origin is undocumented (it equals the median T5-Flan seed std).
PAPER_TAU = 0.088


def category(values: np.ndarray | float, tau: float) -> np.ndarray:
    """The paper's three-way category: +1 if above ``tau``, -1 if below ``-tau``, else 0 (neutral)."""
    values = np.asarray(values, dtype=float)
    return np.where(values > tau, 1, np.where(values < -tau, -1, 0))


def majority_category(seed_values: np.ndarray, tau: float) -> np.ndarray:
    """Category shared by a strict majority of seeds (rows = features, columns = seeds); NaN if none."""
    cats = category(seed_values, tau)
    n_seeds = cats.shape[1]
    out = np.full(cats.shape[0], np.nan)
    for value in (-1, 0, 1):
        out[(cats == value).sum(axis=1) > n_seeds / 2] = value
    return out


def _group_name(backbone: str, data: str) -> str:
    return f"{backbone}-{data}"


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan"), float("nan")
    result = scipy_stats.pearsonr(x, y)
    return float(result.statistic), float(result.pvalue)


def _icc(matrix_by_group: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """ICC(1) and ICC(1,k) per feature from groups of replicate rows (one-way random-effects ANOVA)."""
    sizes = np.array([len(g) for g in matrix_by_group], dtype=float)
    total_n, n_groups = sizes.sum(), len(sizes)
    grand = np.vstack(matrix_by_group).mean(axis=0)
    means = np.array([g.mean(axis=0) for g in matrix_by_group])
    ms_between = (sizes[:, None] * (means - grand) ** 2).sum(axis=0) / (n_groups - 1)
    ms_within = sum(((g - g.mean(axis=0)) ** 2).sum(axis=0) for g in matrix_by_group) / (total_n - n_groups)
    k0 = (total_n - (sizes**2).sum() / total_n) / (n_groups - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (ms_between - ms_within) / (ms_between + (k0 - 1) * ms_within)
        icck = (ms_between - ms_within) / ms_between
    return icc1, icck


def analyze_randomness(
    scores: StudyScores | pd.DataFrame | str,
    *,
    level: Literal["bias", "scenario"] = "bias",
    tau: float = PAPER_TAU,
) -> RandomnessResult:
    """Seed variability of bias scores per (backbone, data) group, and seed aggregates vs the reference model.

    Parameters
    ----------
    scores
        A `StudyScores` or anything `StudyScores.load` accepts.
    level
        ``"bias"`` (one score per bias) or ``"scenario"`` (one per bias and scenario).
    tau
        Threshold of the positive / neutral / negative categories (default: the paper's 0.088).

    Raises
    ------
    ConfigError
        If no (backbone, data) group has at least two seeds.
    """
    scores = StudyScores.load(scores)
    if tau < 0:
        raise ConfigError(f"tau must be non-negative, got {tau}")
    matrix = scores.matrix(level)
    features = list(matrix.columns)
    models = scores.models
    seeded = models[~models["reference"]]
    groups = [
        (backbone, data, frame)
        for (backbone, data), frame in seeded.groupby(["backbone", "data"], sort=False)
        if len(frame) >= 2
    ]
    if not groups:
        raise ConfigError(
            "the randomness analysis needs a (backbone, data) group with at least two seeds; the table has "
            f"{len(seeded)} seeded model(s) in {seeded.groupby(['backbone', 'data']).ngroups} group(s)"
        )
    feature_frame = scores.features(level).drop(columns="feature")
    capabilities = scores.capabilities
    group_rows, per_bias, correlations = [], [], []
    agreement, agreement_summary, reference_correlations = [], [], []
    for backbone, data, frame in groups:
        name = _group_name(backbone, data)
        values = matrix.loc[frame["model"]].to_numpy().T  # features x seeds
        std = values.std(axis=1, ddof=1)
        references = models[(models["reference"]) & (models["backbone"] == backbone) & (models["data"] == data)]
        reference_model = references["model"].iloc[0] if len(references) else None
        if len(references) > 1:
            logger.info("group %s has several reference models; comparing with %s", name, reference_model)
        reference_scores = matrix.loc[reference_model].to_numpy() if reference_model else np.full(len(features), np.nan)
        block = feature_frame.copy()
        block.insert(0, "group", name)
        block.insert(1, "backbone", backbone)
        block.insert(2, "data", data)
        block["n_seeds"] = values.shape[1]
        block["mean"] = values.mean(axis=1)
        block["median"] = np.median(values, axis=1)
        block["std"] = std
        block["min"] = values.min(axis=1)
        block["max"] = values.max(axis=1)
        block["reference_model"] = reference_model
        block["reference_score"] = reference_scores
        per_bias.append(block)

        pair_rs = []
        for (i, a), (j, b) in itertools.combinations(enumerate(frame.itertuples()), 2):
            r, p = _pearson(values[:, i], values[:, j])
            pair_rs.append(r)
            correlations.append({"group": name, "model_a": a.model, "model_b": b.model, "seed_a": a.seed,
                                 "seed_b": b.seed, "pearson_r": r, "p_value": p, "n_features": len(features)})
        signs = np.sign(values)
        row = {
            "group": name, "backbone": backbone, "data": data, "n_seeds": values.shape[1],
            "n_features": len(features), "mean_bias_std": float(std.mean()), "median_bias_std": float(np.median(std)),
            "max_bias_std": float(std.max()), "mean_abs_score": float(np.abs(values).mean()),
            "mean_seed_correlation": float(np.nanmean(pair_rs)) if np.isfinite(pair_rs).any() else float("nan"),
            "all_seeds_same_sign": float((signs == signs[:, :1]).all(axis=1).mean()),
        }
        for metric in capabilities.columns:
            seed_metric = capabilities[metric].reindex(frame["model"]).dropna()
            row[f"{metric}_seed_mean"] = float(seed_metric.mean()) if len(seed_metric) else float("nan")
            row[f"{metric}_seed_std"] = float(seed_metric.std(ddof=1)) if len(seed_metric) >= 2 else float("nan")
        group_rows.append(row)

        if reference_model is None:
            continue
        mean, median = values.mean(axis=1), np.median(values, axis=1)
        majority = majority_category(values, tau)
        reference_category = category(reference_scores, tau)
        majority_agrees = majority == reference_category  # False where there is no majority (NaN)
        mean_close = np.abs(mean - reference_scores) < tau
        median_close = np.abs(median - reference_scores) < tau
        block = feature_frame.copy()
        block.insert(0, "group", name)
        block.insert(1, "reference_model", reference_model)
        block["reference_score"] = reference_scores
        block["seed_mean"] = mean
        block["seed_median"] = median
        block["reference_category"] = reference_category
        block["majority_category"] = majority
        block["majority_agrees"] = majority_agrees
        block["mean_within_tau"] = mean_close
        block["median_within_tau"] = median_close
        block["aggregate_similar"] = majority_agrees | mean_close | median_close
        agreement.append(block)
        r_mean, p_mean = _pearson(reference_scores, mean)
        seed_rs = []
        for i, seed_row in enumerate(frame.itertuples()):
            r, p = _pearson(reference_scores, values[:, i])
            seed_rs.append(r)
            reference_correlations.append({"group": name, "reference_model": reference_model, "model": seed_row.model,
                                           "seed": seed_row.seed, "pearson_r": r, "p_value": p})
        agreement_summary.append({
            "group": name, "reference_model": reference_model, "n_features": len(features),
            "mean_abs_diff_seed_mean": float(np.abs(mean - reference_scores).mean()),
            "mean_abs_diff_seed_median": float(np.abs(median - reference_scores).mean()),
            "majority_agreement": float(majority_agrees.mean()),
            "majority_agreement_chance": _chance_agreement(majority, reference_category),
            "aggregate_similarity": float(block["aggregate_similar"].mean()),
            "pearson_r_seed_mean": r_mean, "p_value_seed_mean": p_mean,
            "mean_pearson_r_single_seed": float(np.nanmean(seed_rs)) if np.isfinite(seed_rs).any() else float("nan"),
        })

    reliability = feature_frame.copy()
    if len(groups) >= 2:
        icc1, icck = _icc([matrix.loc[frame["model"]].to_numpy() for _, _, frame in groups])
        reliability["icc1"] = icc1
        reliability["icc1k"] = icck
    else:
        reliability = reliability.iloc[0:0].assign(icc1=[], icck=[])
    group_table = pd.DataFrame(group_rows)
    summary_table = pd.DataFrame(agreement_summary)
    return RandomnessResult(
        summary=_sentence(group_table, summary_table, tau, level),
        notes=(f"Seed std is the sample std (ddof = 1) across seeds; categories use tau = {tau:g}.",),
        level=level,
        tau=tau,
        groups=group_table,
        per_bias=pd.concat(per_bias, ignore_index=True),
        seed_correlations=pd.DataFrame(correlations),
        reference_agreement=pd.concat(agreement, ignore_index=True) if agreement else pd.DataFrame(),
        reference_summary=summary_table,
        reference_seed_correlations=pd.DataFrame(reference_correlations),
        reliability=reliability,
    )


def _chance_agreement(majority: np.ndarray, reference: np.ndarray) -> float:
    """Agreement expected if the reference's categories were unrelated to the seeds' (same frequencies).

    The sum over categories of (share of biases with that seed majority) x (share with that reference
    category); biases without a seed majority never agree.
    """
    majority, reference = pd.Series(majority), pd.Series(reference)
    n = len(reference)
    return float(sum((majority == c).sum() / n * (reference == c).sum() / n for c in reference.dropna().unique()))


def _sentence(groups: pd.DataFrame, references: pd.DataFrame, tau: float, level: str) -> str:
    unit = "biases" if level == "bias" else "bias-scenario features"
    stds = groups.set_index("group")["mean_bias_std"]
    text = (
        f"Across seeds, bias scores vary with a mean standard deviation of {stds.mean():.3f} over "
        f"{int(groups['n_features'].iloc[0])} {unit}"
    )
    if len(stds) > 1:
        text += f" (from {stds.min():.3f} for {stds.idxmin()} to {stds.max():.3f} for {stds.idxmax()})"
    text += (
        f"; all seeds share the sign of a bias for {groups['all_seeds_same_sign'].min():.0%} to "
        f"{groups['all_seeds_same_sign'].max():.0%} of {unit}"
    )
    if not references.empty:
        parts = [
            f"{row.majority_agreement:.1%} of {unit} for {row.reference_model} (chance "
            f"{row.majority_agreement_chance:.1%}; r = {row.pearson_r_seed_mean:.2f} with the seed mean)" if i == 0 else
            f"{row.majority_agreement:.1%} for {row.reference_model} (chance {row.majority_agreement_chance:.1%}; "
            f"r = {row.pearson_r_seed_mean:.2f})"
            for i, row in enumerate(references.itertuples())
        ]
        text += (
            f", and the seeds' majority category (tau = {tau:g}) matches the reference model's on "
            + " and ".join(parts)
        )
    return text + "."
