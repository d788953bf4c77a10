"""Cross-tuning analyses: where do a model's biases come from (pretraining, instruction data or seed)?

Start with `analyze_scores` (or `StudyScores.load(...).analyze()`), which runs every analysis on a long or
wide score table and returns a `StudyAnalysis` with tables, quotable summaries and ``.report(path)``.
"""

from biasorigins.crosstuning.analysis import analyze_scores
from biasorigins.crosstuning.attribution import analyze_attribution, permanova
from biasorigins.crosstuning.clustering import analyze_clustering
from biasorigins.crosstuning.geometry import cluster_indices, cosine_similarity_matrix, principal_components
from biasorigins.crosstuning.kmeans import adjusted_rand_index, kmeans_restarts
from biasorigins.crosstuning.randomness import PAPER_TAU, analyze_randomness
from biasorigins.crosstuning.results import (
    AnalysisResult,
    AttributionResult,
    ClusteringResult,
    RandomnessResult,
    StudyAnalysis,
)
from biasorigins.crosstuning.scores import PAPER_REFERENCE_MODELS, StudyScores, parse_model_name
from biasorigins.crosstuning.simulation import simulate_scores
from biasorigins.crosstuning.stats import benjamini_hochberg

__all__ = [
    "PAPER_REFERENCE_MODELS",
    "PAPER_TAU",
    "AnalysisResult",
    "AttributionResult",
    "ClusteringResult",
    "RandomnessResult",
    "StudyAnalysis",
    "StudyScores",
    "adjusted_rand_index",
    "analyze_attribution",
    "analyze_clustering",
    "analyze_randomness",
    "analyze_scores",
    "benjamini_hochberg",
    "cluster_indices",
    "cosine_similarity_matrix",
    "kmeans_restarts",
    "parse_model_name",
    "permanova",
    "principal_components",
    "simulate_scores",
]
