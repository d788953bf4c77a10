"""`analyze_scores`: every cross-tuning analysis of a score table in one call."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from biasorigins.crosstuning.attribution import analyze_attribution
from biasorigins.crosstuning.clustering import analyze_clustering
from biasorigins.crosstuning.geometry import Metric
from biasorigins.crosstuning.randomness import PAPER_TAU, analyze_randomness
from biasorigins.crosstuning.results import ClusteringResult, StudyAnalysis
from biasorigins.crosstuning.scores import StudyScores
from biasorigins.crosstuning.stats import SeedLike, spawn_generators
from biasorigins.errors import ConfigError

logger = logging.getLogger(__name__)


def analyze_scores(
    scores: StudyScores | pd.DataFrame | str | Path,
    *,
    seed: SeedLike = 0,
    levels: Sequence[Literal["bias", "scenario"]] | None = None,
    n_permutations: int = 999,
    n_bootstrap: int = 1000,
    n_restarts: int = 100,
    tau: float = PAPER_TAU,
    scale: bool = False,
    metric: Metric = "euclidean",
    standardize: bool = True,
    labels: Mapping[str, Mapping[str, Any]] | pd.DataFrame | None = None,
) -> StudyAnalysis:
    """Run the randomness, clustering and attribution analyses on a cross-tuning score table.

    Analyses the design does not allow (e.g. attribution without seed replicates) are skipped, with the
    reason in ``StudyAnalysis.skipped``.

    Parameters
    ----------
    scores
        A `StudyScores`, a long or wide DataFrame, or a CSV/TSV/Parquet path (see `StudyScores.load`).
    seed
        Integer seed or numpy Generator; the same seed gives the same analysis.
    levels
        Clustering levels; default ``["bias"]`` plus ``"scenario"`` when scenario scores are given.
    n_permutations, n_bootstrap, n_restarts
        Permutations per test, bootstrap replicates, k-means restarts per k.
    tau
        Category threshold of the randomness analysis (the paper's 0.088).
    scale, metric
        Clustering geometry (the paper: raw scores, Euclidean).
    standardize
        Pool z-scored biases in the attribution (every bias counts equally).
    labels
        Per-model labels, when ``scores`` is not yet a `StudyScores` (see `StudyScores.load`).
    """
    scores = StudyScores.load(scores, labels=labels) if not isinstance(scores, StudyScores) else scores
    if levels is None:
        levels = ["bias", "scenario"] if scores.has_scenarios else ["bias"]
    rng_clustering, rng_attribution = spawn_generators(seed, 2)
    level_generators = spawn_generators(rng_clustering, len(levels))
    skipped: dict[str, str] = {}

    randomness = None
    try:
        randomness = analyze_randomness(scores, tau=tau)
    except ConfigError as exc:
        skipped["randomness"] = str(exc)
        logger.info("randomness analysis skipped: %s", exc)

    clustering: dict[str, ClusteringResult] = {}
    for level, generator in zip(levels, level_generators):
        try:
            clustering[level] = analyze_clustering(
                scores, level=level, scale=scale, metric=metric, n_permutations=n_permutations,
                n_restarts=n_restarts, seed=generator,
            )
        except ConfigError as exc:
            skipped[f"clustering ({level} level)"] = str(exc)
            logger.info("clustering at %s level skipped: %s", level, exc)

    attribution = None
    try:
        attribution = analyze_attribution(
            scores, standardize=standardize, n_permutations=n_permutations, n_bootstrap=n_bootstrap,
            seed=rng_attribution,
        )
    except ConfigError as exc:
        skipped["attribution"] = str(exc)
        logger.info("attribution skipped: %s", exc)

    settings = {
        "seed": seed if isinstance(seed, int) else "numpy Generator", "levels": list(levels),
        "n_permutations": n_permutations, "n_bootstrap": n_bootstrap, "n_restarts": n_restarts, "tau": tau,
        "scale": scale, "metric": metric, "standardize": standardize,
    }
    return StudyAnalysis(scores=scores, randomness=randomness, clustering=clustering, attribution=attribution,
                         skipped=skipped, settings=settings)
