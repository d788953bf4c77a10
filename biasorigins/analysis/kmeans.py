"""k-means (scipy, k-means++ starts) over many seeded restarts, and partition agreement (ARI)."""

from __future__ import annotations

import numpy as np

from biasorigins.errors import ConfigError


def kmeans_once(X: np.ndarray, k: int, rng: np.random.Generator, max_iter: int = 100) -> tuple[np.ndarray, float]:
    """One k-means run: ``scipy.cluster.vq.kmeans2`` from a k-means++ start.

    A start that leaves a cluster empty is redrawn, so every run returns k groups.

    Returns
    -------
    labels, inertia
        Cluster of each row and the within-cluster sum of squared distances.
    """
    from scipy.cluster.vq import ClusterError, kmeans2

    X = np.asarray(X, dtype=float)
    if not 1 <= k <= len(np.unique(X, axis=0)):
        raise ConfigError(f"k must lie between 1 and the number of distinct models ({len(X)}), got {k}")
    for _ in range(100):
        try:
            centres, labels = kmeans2(X, k, iter=max_iter, minit="++", missing="raise", seed=rng)
        except ClusterError:
            continue
        return labels, float(((X - centres[labels]) ** 2).sum())
    raise ConfigError(f"k-means with k = {k} keeps emptying a cluster; use a smaller k")


def kmeans_restarts(
    X: np.ndarray, k: int, n_restarts: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n_restarts`` independent k-means runs: canonical labels (R x n) and inertias (R)."""
    if n_restarts < 1:
        raise ConfigError(f"n_restarts must be at least 1, got {n_restarts}")
    runs = [kmeans_once(X, k, rng) for _ in range(n_restarts)]
    labels = np.array([canonical_labels(r[0]) for r in runs])
    return labels, np.array([r[1] for r in runs])


def canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Relabel groups by order of first appearance, so equal partitions get equal label vectors."""
    _, first, inverse = np.unique(np.asarray(labels), return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inverse]


def adjusted_rand_index(a: np.ndarray, b: np.ndarray) -> float:
    """Adjusted Rand index between two partitions (1 = identical, about 0 = chance agreement)."""
    a = np.unique(np.asarray(a), return_inverse=True)[1]
    b = np.unique(np.asarray(b), return_inverse=True)[1]
    if len(a) != len(b):
        raise ConfigError(f"partitions have different lengths ({len(a)} and {len(b)})")
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1)

    def pairs(x: np.ndarray) -> float:
        return float((x * (x - 1) / 2).sum())

    index = pairs(table)
    rows, cols, total = pairs(table.sum(axis=1)), pairs(table.sum(axis=0)), len(a) * (len(a) - 1) / 2
    expected = rows * cols / total if total else 0.0
    maximum = (rows + cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def pairwise_adjusted_rand(partitions: np.ndarray) -> np.ndarray:
    """Adjusted Rand index between every pair of partitions (rows of integer labels) -> U x U matrix."""
    codes = np.array([np.unique(row, return_inverse=True)[1] for row in np.atleast_2d(partitions)])
    n = codes.shape[1]
    onehot = (codes[..., None] == np.arange(int(codes.max()) + 1)).astype(float)
    table = np.einsum("anx,bny->abxy", onehot, onehot)

    def pairs(x: np.ndarray) -> np.ndarray:
        return x * (x - 1) / 2

    index = pairs(table).sum(axis=(2, 3))
    sizes = pairs(onehot.sum(axis=1)).sum(axis=1)
    total = n * (n - 1) / 2
    expected = sizes[:, None] * sizes[None, :] / total if total else np.zeros_like(index)
    maximum = (sizes[:, None] + sizes[None, :]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ari = (index - expected) / (maximum - expected)
    return np.where(np.isclose(maximum, expected), 1.0, ari)
