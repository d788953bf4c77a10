"""Result records of the cross-tuning analyses: pandas tables plus one quotable summary sentence each."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from biasorigins.crosstuning.scores import StudyScores


class AnalysisResult(BaseModel):
    """Base of every analysis result: its tables (DataFrames) and one sentence a paper could quote."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    summary: str
    notes: tuple[str, ...] = ()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the result, by name, in reading order."""
        return {name: value for name, value in self if isinstance(value, pd.DataFrame)}

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
        df, sums of squares, F, p, Benjamini-Hochberg q across biases, eta^2, partial eta^2 and omega^2.
    shares
        One row per bias: eta^2 and omega^2 of each term, q-values and the largest term.
    pooled
        All biases in one model with bias as a blocking factor (on z-scored biases when ``standardize``):
        the share of within-bias variance of each term, with F and p.
    permanova
        Distance-based partition of the bias vectors (pseudo-F, R^2, permutation p respecting the design).
    bootstrap, bootstrap_shares
        Percentile confidence intervals from resampling seeds within cells (and test cases within biases
        when case-level scores are given): per-bias effects, and the pooled shares.
    """

    n_models: int
    n_biases: int
    standardize: bool
    alpha: float
    anova: pd.DataFrame
    shares: pd.DataFrame
    pooled: pd.DataFrame
    permanova: pd.DataFrame
    bootstrap: pd.DataFrame
    bootstrap_shares: pd.DataFrame


class StudyAnalysis(BaseModel):
    """Every analysis of a cross-tuning score table, with a report writer.

    Attributes
    ----------
    scores
        The analysed `StudyScores`.
    randomness, attribution
        Results, or None when the design does not allow them (the reason is in ``skipped``).
    clustering
        Clustering results by level (``"bias"``, and ``"scenario"`` when scenario scores are given).
    skipped
        Analysis name -> why it was not run.
    settings
        The options the analyses ran with (seed, permutations, ...).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    scores: StudyScores
    randomness: RandomnessResult | None
    clustering: dict[str, ClusteringResult]
    attribution: AttributionResult | None
    skipped: dict[str, str]
    settings: dict[str, Any]

    def results(self) -> dict[str, AnalysisResult]:
        """The results that were computed, by name (``randomness``, ``clustering (bias level)``, ...)."""
        out: dict[str, AnalysisResult] = {}
        if self.randomness is not None:
            out["randomness"] = self.randomness
        for level, result in self.clustering.items():
            out[f"clustering ({level} level)"] = result
        if self.attribution is not None:
            out["attribution"] = self.attribution
        return out

    def summaries(self) -> dict[str, str]:
        """One quotable sentence per analysis, by name."""
        return {name: result.summary for name, result in self.results().items()}

    def report(self, path: str | Path, *, figures: bool = True, title: str = "Cross-tuning analysis",
               note: str | None = None) -> Path:
        """Write a self-contained HTML report (tables, embedded figures, summaries) and a Markdown twin.

        ``note`` is a caveat shown under the title.

        The Markdown file ``<stem>.md`` is written beside ``path`` with its figures as PNG files in
        ``<stem>_figures/``. Figures need matplotlib (``pip install biasorigins[plots]``).

        Returns
        -------
        Path
            The HTML file.
        """
        from biasorigins.crosstuning.report import write_report

        return write_report(self, Path(path), figures=figures, title=title, note=note)

    def __str__(self) -> str:
        lines = [f"{name}: {sentence}" for name, sentence in self.summaries().items()]
        lines += [f"{name}: skipped ({reason})" for name, reason in self.skipped.items()]
        return "\n".join(lines)
