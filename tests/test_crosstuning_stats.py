"""Building blocks: cluster indices, ARI, k-means, PCA, permutations and FDR against direct computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from biasorigins.analysis import adjusted_rand_index, benjamini_hochberg, cluster_indices, principal_components
from biasorigins.analysis.geometry import cosine_similarity_matrix, prepare_features, squared_distances
from biasorigins.analysis.kmeans import canonical_labels, kmeans_restarts, pairwise_adjusted_rand
from biasorigins.analysis.stats import (
    as_generator,
    count_arrangements,
    enumerate_arrangements,
    permutation_labellings,
    permutation_p_value,
    sample_arrangements,
)
from biasorigins.errors import ConfigError


def _direct_indices(X: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Textbook definitions with explicit centroids and loops."""
    groups = sorted(set(labels))
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    silhouettes = []
    for i, g in enumerate(labels):
        same = [j for j in range(len(X)) if labels[j] == g and j != i]
        if not same:
            silhouettes.append(0.0)
            continue
        a = np.mean(D[i, same])
        b = min(np.mean(D[i, labels == h]) for h in groups if h != g)
        silhouettes.append((b - a) / max(a, b))
    centroids = {g: X[labels == g].mean(0) for g in groups}
    centre = X.mean(0)
    within = sum(((X[labels == g] - centroids[g]) ** 2).sum() for g in groups)
    between = sum((labels == g).sum() * ((centroids[g] - centre) ** 2).sum() for g in groups)
    k, n = len(groups), len(X)
    scatter = {g: np.linalg.norm(X[labels == g] - centroids[g], axis=1).mean() for g in groups}
    db = np.mean([max((scatter[g] + scatter[h]) / np.linalg.norm(centroids[g] - centroids[h])
                      for h in groups if h != g) for g in groups])
    pairs = list(itertools.combinations(range(n), 2))
    return {
        "silhouette": float(np.mean(silhouettes)),
        "calinski_harabasz": between * (n - k) / (within * (k - 1)),
        "davies_bouldin": float(db),
        "intra_distance": float(np.mean([D[i, j] for i, j in pairs if labels[i] == labels[j]])),
        "inter_distance": float(np.mean([D[i, j] for i, j in pairs if labels[i] != labels[j]])),
    }


def test_cluster_indices_match_direct_definitions_for_many_labellings() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(9, 5)) + np.repeat(np.eye(3, 5) * 2, 3, axis=0)
    labellings = np.array([[0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 1, 2, 0, 1, 2, 0, 1, 2], [0, 0, 0, 0, 0, 0, 0, 1, 2]])
    batch = cluster_indices(squared_distances(X), labellings)
    for row, labels in enumerate(labellings):
        for name, value in _direct_indices(X, labels).items():
            assert batch[name][row] == pytest.approx(value, rel=1e-9), name
    assert batch["silhouette"][0] > 0.3 > batch["silhouette"][1]
    with pytest.raises(ConfigError, match="two non-empty groups"):
        cluster_indices(squared_distances(X), np.zeros((1, 9), dtype=int))


def test_adjusted_rand_index_known_values() -> None:
    assert adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)
    assert adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) == pytest.approx(0.24242424, abs=1e-8)
    partitions = np.array([[0, 0, 1, 1, 2, 2], [0, 1, 0, 1, 2, 2], [1, 1, 0, 0, 2, 2], [0, 0, 0, 0, 1, 1]])
    matrix = pairwise_adjusted_rand(partitions)
    for i, j in itertools.product(range(4), repeat=2):
        assert matrix[i, j] == pytest.approx(adjusted_rand_index(partitions[i], partitions[j]))


def test_kmeans_finds_separated_groups_and_is_deterministic() -> None:
    rng = np.random.default_rng(1)
    truth = np.repeat([0, 1, 2], 5)
    X = rng.normal(scale=0.1, size=(15, 4)) + np.repeat(np.eye(3, 4) * 3, 5, axis=0)
    labels, inertia = kmeans_restarts(X, 3, 20, np.random.default_rng(5))
    best = labels[np.argmin(inertia)]
    assert adjusted_rand_index(best, truth) == 1.0
    again, inertia_again = kmeans_restarts(X, 3, 20, np.random.default_rng(5))
    np.testing.assert_array_equal(labels, again)
    np.testing.assert_array_equal(inertia, inertia_again)
    np.testing.assert_array_equal(canonical_labels([2, 2, 0, 1]), [0, 0, 1, 2])


def test_pca_by_svd_reconstructs_and_fixes_signs() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(6, 4)) @ np.diag([3.0, 2.0, 1.0, 0.5])
    scores, loadings, explained = principal_components(X)
    np.testing.assert_allclose(scores @ loadings, X - X.mean(0), atol=1e-12)
    assert explained.sum() == pytest.approx(1.0) and np.all(np.diff(explained) <= 0)
    assert np.all(loadings[np.arange(len(loadings)), np.abs(loadings).argmax(1)] > 0)
    flipped_scores, _, _ = principal_components(-X)
    np.testing.assert_allclose(np.abs(flipped_scores), np.abs(scores), atol=1e-12)
    _, _, scaled = principal_components(X, scale=True)
    assert scaled.sum() == pytest.approx(1.0)


def test_cosine_similarity_and_cosine_geometry() -> None:
    X = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    np.testing.assert_allclose(cosine_similarity_matrix(X), [[1, 0, -1], [0, 1, 0], [-1, 0, 1]], atol=1e-12)
    unit = prepare_features(X, metric="cosine")
    np.testing.assert_allclose(squared_distances(unit), 2 * (1 - cosine_similarity_matrix(X)), atol=1e-12)
    with pytest.raises(ConfigError, match="non-zero"):
        cosine_similarity_matrix(np.zeros((2, 2)))


def test_arrangements_are_counted_enumerated_and_sampled_within_strata() -> None:
    labels = [0, 0, 1, 1]
    assert count_arrangements(labels) == 6
    rows = enumerate_arrangements(labels)
    assert len({tuple(r) for r in rows}) == 6 and all(sorted(r) == labels for r in rows)
    strata = [0, 0, 1, 1]
    assert count_arrangements([0, 1, 0, 1], strata) == 4
    within = enumerate_arrangements([0, 1, 0, 1], strata)
    assert {tuple(r) for r in within} == {(0, 1, 0, 1), (1, 0, 0, 1), (0, 1, 1, 0), (1, 0, 1, 0)}
    sampled = sample_arrangements([0, 1, 0, 1], 50, np.random.default_rng(0), strata)
    assert np.all(sampled[:, :2].sum(1) == 1) and np.all(sampled[:, 2:].sum(1) == 1)
    exact_rows, exact = permutation_labellings(labels, 10, np.random.default_rng(0))
    assert exact and len(exact_rows) == 6
    sampled_rows, exact = permutation_labellings(list(range(8)), 10, np.random.default_rng(0))
    assert not exact and sampled_rows.shape == (10, 8)


def test_permutation_p_values_use_the_right_tail_and_correction() -> None:
    null = np.array([0.1, 0.2, 0.3, 0.4])
    assert permutation_p_value(0.35, null, "greater", exact=True) == 0.25
    assert permutation_p_value(0.35, null, "greater", exact=False) == pytest.approx(2 / 5)
    assert permutation_p_value(0.15, null, "less", exact=True) == 0.25
    assert permutation_p_value(0.5, null, "greater", exact=False) == pytest.approx(1 / 5)  # never 0
    with pytest.raises(ConfigError):
        permutation_p_value(0.5, null, "two-sided", exact=True)  # type: ignore[arg-type]


def test_benjamini_hochberg_matches_statsmodels_and_keeps_nan() -> None:
    p = np.random.default_rng(3).uniform(size=40) ** 2
    np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], rtol=1e-12)
    q = benjamini_hochberg([0.01, np.nan, 0.04])
    assert np.isnan(q[1]) and q[0] == pytest.approx(0.02) and q[2] == pytest.approx(0.04)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True])
def test_seeds_must_be_non_negative_integers_or_generators(bad) -> None:
    with pytest.raises(ConfigError, match="seed"):
        as_generator(bad)


def test_vectorised_indices_ari_and_kmeans_agree_with_scikit_learn() -> None:
    """Parity with scikit-learn (a test-only dependency) on the paper's table and random labellings."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import (
        adjusted_rand_score,
        calinski_harabasz_score,
        davies_bouldin_score,
        silhouette_score,
    )

    from biasorigins.analysis import load_paper_scores

    X = load_paper_scores("full").matrix("bias").to_numpy()
    rng = np.random.default_rng(0)
    for k in (2, 3, 4):
        labellings = np.array([rng.permutation(np.arange(14) % k) for _ in range(4)])
        ours = cluster_indices(squared_distances(X), labellings)
        for row, labels in enumerate(labellings):
            assert ours["silhouette"][row] == pytest.approx(silhouette_score(X, labels), abs=1e-10)
            assert ours["calinski_harabasz"][row] == pytest.approx(calinski_harabasz_score(X, labels), rel=1e-10)
            assert ours["davies_bouldin"][row] == pytest.approx(davies_bouldin_score(X, labels), rel=1e-10)
            assert adjusted_rand_index(labels, labellings[0]) == pytest.approx(adjusted_rand_score(labels, labellings[0]))
    for k in (2, 3):
        _, inertia = kmeans_restarts(X, k, 100, np.random.default_rng(k))
        reference = KMeans(n_clusters=k, n_init=50, random_state=0).fit(X).inertia_
        assert inertia.min() == pytest.approx(reference, rel=1e-9)
