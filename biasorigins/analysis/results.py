"""Result records of the cross-tuning analyses: pandas tables plus one quotable summary sentence each."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from biasorigins.analysis.findings import findings_frame



class AnalysisResult(BaseModel):
    """Base of every analysis result: its tables (DataFrames) and one sentence a paper could quote."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    summary: str
    notes: tuple[str, ...] = ()
    findings: pd.DataFrame = Field(default_factory=lambda: findings_frame([]))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the result, by name, in reading order (the findings last)."""
        tables = {name: value for name, value in self if isinstance(value, pd.DataFrame) and name != "findings"}
        return {**tables, "findings": self.findings}

    def __str__(self) -> str:
        lines = [self.summary, *self.notes]
        for name, table in self.tables().items():
            lines += ["", f"[{name}]", table.to_string(max_rows=20, float_format=lambda v: f"{v:.4g}")]
        return "\n".join(lines)


class RandomnessResult(AnalysisResult):
    """Step 1: how much training randomness (the seed) moves bias scores.

    Tables
    ------
    groups
        One row per (backbone, data) group with at least two seeds: ``mean_bias_std`` (the mean over biases
        of the across-seed std; the paper's "Bias Std"), its median and maximum, the mean seed-seed
        correlation, the share of biases on which all seeds agree in sign, and for each capability metric
        (e.g. MMLU) its seed mean and across-seed std (``MMLU_seed_mean``, ``MMLU_seed_std``).
    per_bias
        Seed scores summarised per group and bias: mean, median, sample std (ddof = 1), range, and the
        reference model's score where the group has one.
    seed_correlations
        Pearson r between every pair of seeds of a group, over biases.
    reference_agreement, reference_summary, reference_seed_correlations
        Seed aggregates (mean, median, majority category with threshold ``tau``) against the reference
        (original) model of the same backbone and data, per bias and summarised; Pearson r of the
        reference with the seed mean and with each seed.
    reliability
        Per bias: ICC(1) (how much of the variance lies between groups rather than between seeds) and
        ICC(1,k) (reliability of a seed mean).
    """

    level: Literal["bias", "scenario"]
    tau: float
    groups: pd.DataFrame
    per_bias: pd.DataFrame
    seed_correlations: pd.DataFrame
    reference_agreement: pd.DataFrame
    reference_summary: pd.DataFrame
    reference_seed_correlations: pd.DataFrame
    reliability: pd.DataFrame


class ClusteringResult(AnalysisResult):
    """Step 2: do bias vectors group by backbone (pretraining) or by instruction data?

    Tables
    ------
    indices
        Silhouette, Calinski-Harabasz, Davies-Bouldin and mean intra/inter-group distances of the backbone
        labelling, the data labelling, random labellings (mean) and the lowest-inertia 2-means partition.
    permutation_tests
        Per labelling, index and permutation unit: observed value, null mean, p-value in the index's own
        direction, number of labellings, whether the set was exhaustive, and the smallest attainable p.
    kmeans, kmeans_partitions
        Per k: restarts, distinct partitions, lowest inertia, how often that partition recurs, mean ARI
        between restarts, silhouettes, ARI with backbone and data; the lowest-inertia partition per k.
    pca, pca_variance, pca_loadings
        Model coordinates, explained variance ratios and loadings of the principal components.
    similarity, similarity_contrasts
        Cosine similarity between models (sorted by backbone, data, name) and mean cosine similarity /
        Euclidean distance over pairs sharing backbone, data, both or neither.
    """

    level: Literal["bias", "scenario"]
    n_models: int
    n_features: int
    scale: bool
    metric: str
    indices: pd.DataFrame
    permutation_tests: pd.DataFrame
    kmeans: pd.DataFrame
    kmeans_partitions: pd.DataFrame
    pca: pd.DataFrame
    pca_variance: pd.DataFrame
    pca_loadings: pd.DataFrame
    similarity: pd.DataFrame
    similarity_contrasts: pd.DataFrame


class AttributionResult(AnalysisResult):
    """How much of the variance of bias scores the backbone, the data, their interaction and the seed explain.

    Tables
    ------
    anova
        Per bias and term: two-way ANOVA (backbone x data, seeds as replicates; statsmodels, type II) with
        df, sums of squares, F, p, Benjamini-Hochberg q across biases, eta^2, its no-effect level
        ``chance_eta_sq`` (df / (N - 1)), partial eta^2 and omega^2 (0 on average with no effect).
    shares
        One row per bias: eta^2 and omega^2 of each term, q-values and the largest term.
    pooled
        All biases at once (z-scored within bias when ``standardize``): each term's share of the within-bias
        variance, its no-effect level ``chance_share``, omega^2, and the pooled F with its restricted-permutation
        p-value and the smallest p the permutations can give (``p_min``).
    mixed
        Backbone and data tested against the interaction (a random effect per training set-up): F, df, p.
    permanova
        Distance-based partition of the raw bias vectors (pseudo-F, R^2, permutation p respecting the design).
    effects
        Per bias: cell means, main effects and interaction with t-intervals (statsmodels contrasts).
    share_intervals
        Percentile intervals of the pooled shares over the choice of biases (``scipy.stats.bootstrap``).
    findings
        One row per test the summary reports (see `StudyAnalysis.findings`).
    """

    n_models: int
    n_biases: int
    standardize: bool
    alpha: float
    anova: pd.DataFrame
    shares: pd.DataFrame
    pooled: pd.DataFrame
    mixed: pd.DataFrame
    permanova: pd.DataFrame
    effects: pd.DataFrame
    share_intervals: pd.DataFrame
