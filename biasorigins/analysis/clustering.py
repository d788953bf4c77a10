"""Step 2 of the cross-tuning design: do bias vectors group by backbone or by instruction data?

Cluster-quality indices of the backbone and data labellings against random labellings, permutation tests
(whole cells by default, so the seeds of one cell stay together; each index tested in its own direction),
k-means stability over many k-means++ restarts (no cherry-picked run), PCA by SVD and cosine similarity.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from biasorigins.analysis.findings import finding, findings_frame, format_p
from biasorigins.analysis.geometry import (
    Metric,
    cluster_indices,
    cosine_similarity_matrix,
    prepare_features,
    principal_components,
    squared_distances,
)
from biasorigins.analysis.kmeans import (
    adjusted_rand_index,
    canonical_labels,
    kmeans_restarts,
    pairwise_adjusted_rand,
)
from biasorigins.analysis.results import ClusteringResult
from biasorigins.analysis.scores import StudyScores
from biasorigins.analysis.stats import (
    Alternative,
    SeedLike,
    permutation_labellings,
    permutation_p_value,
    spawn_generators,
)
from biasorigins.errors import ConfigError

logger = logging.getLogger(__name__)

PermutationUnit = Literal["cell", "model"]
INDEX_DIRECTIONS: dict[str, Alternative] = {
    "silhouette": "greater",
    "calinski_harabasz": "greater",
    "davies_bouldin": "less",
}
_INDEX_COLUMNS = ["silhouette", "calinski_harabasz", "davies_bouldin", "intra_distance", "inter_distance"]


def _codes(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(values, dtype=str), return_inverse=True)[1]


def _cell_codes(models: pd.DataFrame) -> np.ndarray:
    return _codes(models["backbone"].astype(str) + "\x1f" + models["data"].astype(str))


def permutation_test(
    D2: np.ndarray,
    labels: np.ndarray,
    cells: np.ndarray,
    *,
    strata: np.ndarray,
    unit: PermutationUnit,
    n_permutations: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Permutation test of the cluster indices of one labelling.

    With ``unit="cell"`` the labels of whole (backbone, data) cells are shuffled, so seed replicates stay
    together and the test asks whether cells, not single runs, group by the label; ``unit="model"``
    shuffles model labels (the paper's test, which treats seeds as independent). Either way labels are
    shuffled within the levels of the other factor (``strata``), so an effect of that factor cannot leak
    into the test. Labellings are enumerated exactly when there are at most ``n_permutations`` of them.

    Returns
    -------
    DataFrame
        One row per index: observed, null_mean, p_value, alternative, n_labellings, exact, p_min.
    """
    if unit == "cell":
        cell_labels = np.array([labels[cells == c][0] for c in range(cells.max() + 1)])
        if any(len(np.unique(labels[cells == c])) > 1 for c in range(cells.max() + 1)):
            raise ConfigError("a cell-level permutation needs labels that are constant within each cell")
        cell_strata = np.array([strata[cells == c][0] for c in range(cells.max() + 1)])
        arrangements, exact = permutation_labellings(cell_labels, n_permutations, rng, strata=cell_strata)
        labellings = arrangements[:, cells]
    elif unit == "model":
        labellings, exact = permutation_labellings(labels, n_permutations, rng, strata=strata)
    else:
        raise ConfigError(f"permutation unit must be 'cell' or 'model', not {unit!r}")
    observed = cluster_indices(D2, labels[None])
    null = cluster_indices(D2, labellings)
    if exact:  # labellings that give the observed partition (e.g. its mirror image) tie with it
        canonical_observed = canonical_labels(labels)
        p_min = sum(np.array_equal(canonical_labels(row), canonical_observed) for row in labellings) / len(labellings)
    else:
        p_min = 1 / (len(labellings) + 1)
    rows = []
    for index, alternative in INDEX_DIRECTIONS.items():
        value = float(observed[index][0])
        rows.append({
            "index": index, "observed": value, "null_mean": float(null[index].mean()),
            "p_value": permutation_p_value(value, null[index], alternative, exact),
            "alternative": alternative, "unit": unit, "n_labellings": len(labellings), "exact": exact,
            "p_min": float(p_min),
        })
    return pd.DataFrame(rows)


def kmeans_stability(
    X: np.ndarray,
    D2: np.ndarray,
    models: pd.DataFrame,
    *,
    k_values: Sequence[int],
    n_restarts: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """k-means over many restarts per k: the lowest-inertia partition and how stable it is."""
    backbone, data = _codes(models["backbone"]), _codes(models["data"])
    rows, partitions = [], {}
    generators = spawn_generators(rng, len(k_values))
    for k, generator in zip(k_values, generators):
        labels, inertia = kmeans_restarts(X, k, n_restarts, generator)
        unique, first, inverse, counts = np.unique(labels, axis=0, return_index=True, return_inverse=True,
                                                   return_counts=True)
        inverse = inverse.reshape(-1)
        best = unique[inverse[np.argmin(inertia)]]
        silhouettes = cluster_indices(D2, unique)["silhouette"][inverse]
        aris = pairwise_adjusted_rand(unique)
        weights = counts[:, None] * counts[None, :] - np.diag(counts)
        pair_total = n_restarts * (n_restarts - 1)
        best_indices = cluster_indices(D2, best[None])
        rows.append({
            "k": k, "n_restarts": n_restarts, "n_distinct_partitions": len(unique),
            "best_inertia": float(inertia.min()),
            "best_partition_recurrence": float(counts[inverse[np.argmin(inertia)]] / n_restarts),
            "mean_pairwise_ari": float((aris * weights).sum() / pair_total) if pair_total else 1.0,
            "best_silhouette": float(best_indices["silhouette"][0]),
            "best_calinski_harabasz": float(best_indices["calinski_harabasz"][0]),
            "best_davies_bouldin": float(best_indices["davies_bouldin"][0]),
            "median_silhouette": float(np.median(silhouettes)),
            "min_silhouette": float(silhouettes.min()), "max_silhouette": float(silhouettes.max()),
            "ari_best_vs_backbone": adjusted_rand_index(best, backbone),
            "ari_best_vs_data": adjusted_rand_index(best, data),
            "share_restarts_equal_backbone": float(counts[(unique == canonical_labels(backbone)).all(axis=1)].sum()
                                                   / n_restarts),
            "share_restarts_equal_data": float(counts[(unique == canonical_labels(data)).all(axis=1)].sum() / n_restarts),
        })
        partitions[f"k{k}"] = best
    partition_table = models[["model", "backbone", "data"]].copy()
    for name, labels in partitions.items():
        partition_table[name] = labels
    return pd.DataFrame(rows), partition_table


def similarity_contrasts(matrix: np.ndarray, models: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Cosine matrix and mean cosine / Euclidean distance over unordered pairs, by shared labels."""
    cosine = cosine_similarity_matrix(matrix)
    distance = np.sqrt(squared_distances(matrix))
    backbone, data = models["backbone"].to_numpy(), models["data"].to_numpy()
    same_b = backbone[:, None] == backbone[None, :]
    same_d = data[:, None] == data[None, :]
    upper = np.triu(np.ones_like(same_b), k=1)
    contrasts = {
        "within_backbone": same_b,
        "within_data": same_d,
        "same_backbone_different_data": same_b & ~same_d,
        "different_backbone_same_data": ~same_b & same_d,
        "same_backbone_same_data": same_b & same_d,
        "different_backbone_different_data": ~same_b & ~same_d,
    }
    rows = []
    for name, mask in contrasts.items():
        pairs = mask & upper
        rows.append({
            "pairs": name, "n_pairs": int(pairs.sum()),
            "mean_cosine": float(cosine[pairs].mean()) if pairs.any() else float("nan"),
            "mean_euclidean": float(distance[pairs].mean()) if pairs.any() else float("nan"),
        })
    return cosine, pd.DataFrame(rows)


def analyze_clustering(
    scores: StudyScores | pd.DataFrame | str,
    *,
    level: Literal["bias", "scenario"] = "bias",
    include_references: bool = True,
    scale: bool = False,
    metric: Metric = "euclidean",
    n_permutations: int = 999,
    permutation_units: Sequence[PermutationUnit] = ("cell", "model"),
    n_random: int = 1000,
    k_values: Sequence[int] = (2, 3, 4, 5),
    n_restarts: int = 100,
    n_components: int = 5,
    alpha: float = 0.05,
    seed: SeedLike = 0,
) -> ClusteringResult:
    """Do bias profiles cluster by backbone or by instruction data?

    Parameters
    ----------
    scores
        A `StudyScores` or anything `StudyScores.load` accepts.
    level
        Features are biases (``"bias"``) or bias x scenario means (``"scenario"``).
    include_references
        Keep the reference (original) models, as the paper does (14 models).
    scale, metric
        Geometry of the indices, k-means and PCA: z-score features (the paper's table: no) and Euclidean
        or cosine (chordal) distance. The cosine matrix always uses the raw scores.
    n_permutations
        Labellings per permutation test (all of them when there are fewer).
    permutation_units
        ``"cell"`` shuffles whole (backbone, data) cells; ``"model"`` shuffles single models (the paper's).
    n_random
        Random model-level relabellings of the backbone labels averaged in the ``random`` row.
    k_values, n_restarts
        k-means: which k (capped at models - 1 and at the number of distinct profiles) and how many k-means++
        restarts each.
    n_components
        Principal components kept in the PCA tables.
    alpha
        Significance level of the findings (the silhouette permutation tests).
    seed
        Integer seed or numpy Generator; the same seed gives the same result.
    """
    scores = StudyScores.load(scores)
    unknown_units = sorted(set(permutation_units) - {"cell", "model"})
    if unknown_units:
        raise ConfigError(f"permutation units must be 'cell' or 'model', not {unknown_units}")
    if not include_references:
        scores = scores.select(references=False)
    matrix = scores.matrix(level)
    models = scores.models.set_index("model").loc[matrix.index].reset_index()
    if models["backbone"].nunique() < 2 or models["data"].nunique() < 2:
        raise ConfigError(
            "the clustering analysis compares the backbone and data labellings and needs at least two "
            f"backbones and two datasets; got backbones {sorted(models['backbone'].unique())} and data "
            f"{sorted(models['data'].unique())}"
        )
    if len(models) < 4:
        raise ConfigError(f"the clustering analysis needs at least 4 models, got {len(models)}")
    rng_tests, rng_random, rng_kmeans = spawn_generators(seed, 3)
    X = prepare_features(matrix.to_numpy(), scale=scale, metric=metric)
    D2 = squared_distances(X)
    cells = _cell_codes(models)
    labellings = {"backbone": _codes(models["backbone"]), "data": _codes(models["data"])}

    index_rows = []
    for name, labels in labellings.items():
        values = cluster_indices(D2, labels[None])
        index_rows.append({"labelling": name, "n_groups": int(labels.max() + 1),
                           **{c: float(values[c][0]) for c in _INDEX_COLUMNS}})
    random_labellings, _ = permutation_labellings(labellings["backbone"], n_random, rng_random)
    random_values = cluster_indices(D2, random_labellings)
    index_rows.append({"labelling": "random", "n_groups": index_rows[0]["n_groups"],
                       **{c: float(random_values[c].mean()) for c in _INDEX_COLUMNS}})

    tests = []
    unit_generators = spawn_generators(rng_tests, 2 * len(permutation_units))
    for i, unit in enumerate(permutation_units):
        for j, (name, labels) in enumerate(labellings.items()):
            other = labellings["data" if name == "backbone" else "backbone"]
            table = permutation_test(D2, labels, cells, strata=other, unit=unit, n_permutations=n_permutations,
                                     rng=unit_generators[2 * i + j])
            table.insert(0, "labelling", name)
            tests.append(table)
    test_columns = ["labelling", "index", "observed", "null_mean", "p_value", "alternative", "unit", "n_labellings",
                    "exact", "p_min"]
    test_table = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame(columns=test_columns)

    distinct = len(np.unique(X, axis=0))  # k-means cannot form more groups than there are distinct profiles
    ks = [k for k in k_values if 2 <= k < len(models) and k <= distinct]
    if not ks:
        raise ConfigError(f"k_values {list(k_values)} leave no k between 2 and {min(len(models) - 1, distinct)}")
    kmeans_table, partitions = kmeans_stability(X, D2, models, k_values=ks, n_restarts=n_restarts, rng=rng_kmeans)
    if 2 in ks:
        values = cluster_indices(D2, partitions["k2"].to_numpy()[None])
        index_rows.append({"labelling": "k-means (k=2, lowest inertia)", "n_groups": 2,
                           **{c: float(values[c][0]) for c in _INDEX_COLUMNS}})
    indices = pd.DataFrame(index_rows)

    scores_pc, loadings, explained = principal_components(X)
    keep = min(n_components, len(explained))
    pc_names = [f"PC{i + 1}" for i in range(keep)]
    pca = models[["model", "backbone", "data", "seed", "reference"]].copy()
    for i, name in enumerate(pc_names):
        pca[name] = scores_pc[:, i]
    pca_variance = pd.DataFrame({"component": [f"PC{i + 1}" for i in range(len(explained))],
                                 "explained_variance_ratio": explained, "cumulative": np.cumsum(explained)})
    pca_loadings = pd.DataFrame(loadings[:keep].T, index=matrix.columns, columns=pc_names).reset_index()

    cosine, contrasts = similarity_contrasts(matrix.to_numpy(), models)
    similarity = pd.DataFrame(cosine, index=matrix.index, columns=matrix.index)

    findings = clustering_findings(test_table, level, alpha)
    result_summary = _sentence(level, matrix.shape, indices, findings, kmeans_table, partitions, contrasts)
    notes = (
        "Permutation p-values test each index in its own direction (higher silhouette and "
        "Calinski-Harabasz, lower Davies-Bouldin are better); 'cell' shuffles whole (backbone, data) cells "
        "so seeds stay together, 'model' shuffles single models as the paper did; both shuffle within the "
        "levels of the other factor.",
        f"The 'random' row averages {len(random_labellings)} random relabellings of the backbone labels.",
        f"Geometry: {metric} distance on {'z-scored' if scale else 'raw'} scores; cosine similarities on raw scores.",
    )
    return ClusteringResult(
        summary=result_summary, notes=notes, level=level, n_models=len(models), n_features=matrix.shape[1],
        scale=scale, metric=metric, indices=indices, permutation_tests=test_table, kmeans=kmeans_table,
        kmeans_partitions=partitions, pca=pca, pca_variance=pca_variance, pca_loadings=pca_loadings,
        similarity=similarity, similarity_contrasts=contrasts, findings=findings,
    )


_ASSUMES = {
    "model": "the seeds of a cell are independent runs and training set-ups add nothing of their own (no set-up "
             "effects); labels shuffled within the other factor",
    "cell": "whole (backbone, data) cells are exchangeable within the other factor's levels; allows set-up effects",
}


def clustering_findings(tests: pd.DataFrame, level: str, alpha: float) -> pd.DataFrame:
    """One finding per labelling and permutation unit: the silhouette permutation test."""
    rows = []
    for row in tests[tests["index"] == "silhouette"].itertuples():
        unit = "whole cells" if row.unit == "cell" else "single models"
        rows.append(finding(
            analysis="clustering", factor=row.labelling, level=f"{level} level",
            test=f"silhouette, permutation test shuffling {unit}", statistic=row.observed, p_value=row.p_value,
            p_min=row.p_min, alpha=alpha, estimate=row.observed, chance=row.null_mean, assumes=_ASSUMES[row.unit]))
    return findings_frame(rows)


def _sentence(
    level: str,
    shape: tuple[int, int],
    indices: pd.DataFrame,
    findings: pd.DataFrame,
    kmeans: pd.DataFrame,
    partitions: pd.DataFrame,
    contrasts: pd.DataFrame,
) -> str:
    by = indices.set_index("labelling")["silhouette"]

    def ps(labelling: str) -> str:
        rows = findings[findings["factor"] == labelling]
        return "".join(f"; {format_p(row.p_value, row.p_min)} shuffling {row.test.split('shuffling ')[1]} "
                       f"({'significant' if row.significant else 'not significant'})" for row in rows.itertuples())

    stronger, weaker = ("backbone", "data") if by["backbone"] >= by["data"] else ("data", "backbone")
    word = {"backbone": "backbone", "data": "instruction data"}
    text = (
        f"At {level} level ({shape[1]} features, {shape[0]} models), bias profiles cluster more by "
        f"{word[stronger]} (silhouette {by[stronger]:.3f}{ps(stronger)}) than by {word[weaker]} "
        f"({by[weaker]:.3f}{ps(weaker)}; random labellings {by['random']:.3f})"
    )
    cell = findings[(findings["factor"] == "backbone") & findings["test"].str.contains("whole cells")]
    if len(cell) and cell["p_min"].iloc[0] > cell["alpha"].iloc[0]:
        text += (f", and with this design no whole-cell test can go below p = {cell['p_min'].iloc[0]:.3f}: too few "
                 "cells to tell a backbone effect from training set-up effects")
    cos = contrasts.set_index("pairs")["mean_cosine"]
    if np.isfinite(cos["same_backbone_different_data"]) and np.isfinite(cos["different_backbone_same_data"]):
        text += (
            f"; mean cosine similarity is {cos['same_backbone_different_data']:.3f} between models sharing only "
            f"the backbone vs {cos['different_backbone_same_data']:.3f} sharing only the data"
        )
    if (kmeans["k"] == 2).any():
        row = kmeans.set_index("k").loc[2]
        groups = partitions.groupby("k2")["model"].apply(list)
        smallest = min(groups, key=len)
        split = "the backbone split" if row["ari_best_vs_backbone"] == 1 else (
            "the data split" if row["ari_best_vs_data"] == 1 else f"{{{', '.join(smallest)}}} vs the rest"
        )
        text += (
            f"; the lowest-inertia 2-means partition is {split} (ARI {row['ari_best_vs_backbone']:.2f} with "
            f"backbone, {row['ari_best_vs_data']:.2f} with data; reached by {row['best_partition_recurrence']:.0%} "
            f"of {int(row['n_restarts'])} restarts)"
        )
    return text + "."
