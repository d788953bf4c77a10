"""Cross-tuning analyses: where do a model's biases come from (pretraining, instruction data or seed)?

Start with `analyze_scores`, which runs every analysis on a long or wide score table and returns a
`StudyAnalysis` with tables, machine-readable findings, quotable summaries and ``.report(path)``. The
analyses work on score tables alone; running studies lives in `biasorigins.crosstuning`.
"""

from biasorigins.analysis.analyze import StudyAnalysis, analyze_scores
from biasorigins.analysis.attribution import analyze_attribution, permanova
from biasorigins.analysis.clustering import analyze_clustering
from biasorigins.analysis.geometry import cluster_indices, cosine_similarity_matrix, principal_components
from biasorigins.analysis.kmeans import adjusted_rand_index, kmeans_restarts
from biasorigins.analysis.paper import load_paper_scores, paper_table_path
from biasorigins.analysis.randomness import PAPER_TAU, analyze_randomness
from biasorigins.analysis.results import (
    AnalysisResult,
    AttributionResult,
    ClusteringResult,
    RandomnessResult,
)
from biasorigins.analysis.scores import PAPER_MODELS, PAPER_REFERENCE_MODELS, StudyScores, parse_model_name
from biasorigins.analysis.simulation import simulate_scores
from biasorigins.analysis.stats import benjamini_hochberg

__all__ = [
    "PAPER_MODELS",
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
    "load_paper_scores",
    "paper_table_path",
    "parse_model_name",
    "permanova",
    "principal_components",
    "simulate_scores",
]
