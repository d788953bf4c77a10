"""Geometry of bias vectors: feature preparation, distances, cluster-quality indices, PCA, cosine similarity.

The cluster indices are computed from the squared Euclidean distance matrix alone, for many labellings at
once, so permutation tests cost the same at bias level (32 features) and scenario level (6000 features).
They match scikit-learn's definitions (silhouette with singletons scored 0, Calinski-Harabasz,
Davies-Bouldin) without depending on it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.spatial.distance import pdist, squareform

from biasorigins.errors import ConfigError

Metric = Literal["euclidean", "cosine"]


def prepare_features(X: np.ndarray, *, scale: bool = False, metric: Metric = "euclidean") -> np.ndarray:
    """Optionally z-score each feature (population std) and, for ``"cosine"``, L2-normalise each model.

    Euclidean geometry on L2-normalised vectors is the chordal form of cosine distance:
    ``||u - v||^2 = 2 (1 - cos(u, v))``.
    """
    X = np.asarray(X, dtype=float)
    if scale:
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
    if metric == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise ConfigError("cosine geometry needs every model's bias vector to be non-zero")
        X = X / norms
    elif metric != "euclidean":
        raise ConfigError(f"metric must be 'euclidean' or 'cosine', not {metric!r}")
    return X


def squared_distances(X: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``X`` (n x n)."""
    return squareform(pdist(np.asarray(X, dtype=float), "sqeuclidean"))


def one_hot(labellings: np.ndarray) -> np.ndarray:
    """Integer-coded labellings (P x n) as one-hot arrays (P x n x G)."""
    labellings = np.atleast_2d(labellings)
    n_groups = int(labellings.max()) + 1
    return (labellings[..., None] == np.arange(n_groups)).astype(float)


def cluster_indices(D2: np.ndarray, labellings: np.ndarray) -> dict[str, np.ndarray]:
    """Cluster-quality indices of many labellings of the same points.

    Parameters
    ----------
    D2
        Squared Euclidean distances (n x n).
    labellings
        Integer group codes, one labelling per row (P x n); every code 0..G-1 must be used in every row.

    Returns
    -------
    dict
        Arrays of length P: ``silhouette`` (higher is better), ``calinski_harabasz`` (higher),
        ``davies_bouldin`` (lower), ``intra_distance`` and ``inter_distance`` (mean Euclidean distance
        over unordered pairs in the same / in different groups).
    """
    D2 = np.maximum(np.asarray(D2, dtype=float), 0.0)
    D = np.sqrt(D2)
    L = one_hot(labellings)
    n, n_groups = L.shape[1], L.shape[2]
    sizes = L.sum(axis=1)  # P x G
    if np.any(sizes == 0):
        raise ConfigError("every labelling must use every group code at least once")
    if n_groups < 2 or np.any(sizes.max(axis=1) == n):
        raise ConfigError("cluster indices need at least two non-empty groups")
    own = L.astype(bool)

    # silhouette
    sums = D @ L  # P x n x G (D is symmetric)
    own_size = (L * sizes[:, None, :]).sum(axis=2)
    a = (sums * L).sum(axis=2) / np.maximum(own_size - 1, 1)
    mean_to_other = np.where(own, np.inf, sums / sizes[:, None, :])
    b = mean_to_other.min(axis=2)
    denom = np.maximum(a, b)
    s = np.where(denom > 0, (b - a) / np.where(denom > 0, denom, 1.0), 0.0)
    s = np.where(own_size > 1, s, 0.0)
    silhouette = s.mean(axis=1)

    # within-group sums of squared distances: G2[p, g, h] = sum_{i in g, j in h} D2_ij
    D2L = D2 @ L
    G2 = np.matmul(L.transpose(0, 2, 1), D2L)
    within_pairs = np.diagonal(G2, axis1=1, axis2=2)  # sum over ordered pairs in g
    within_ss = (within_pairs / (2 * sizes)).sum(axis=1)
    total_ss = D2.sum() / (2 * n)
    between_ss = total_ss - within_ss
    with np.errstate(divide="ignore", invalid="ignore"):
        calinski = np.where(within_ss > 0, between_ss * (n - n_groups) / (within_ss * (n_groups - 1)), 1.0)

    # Davies-Bouldin from distances to centroids: ||x_i - c_g||^2 = mean_j D2_ij - within_pairs_g / (2 n_g^2)
    spread_term = within_pairs / (2 * sizes**2)  # P x G
    point_to_centroid = np.sqrt(np.maximum(D2L / sizes[:, None, :] - spread_term[:, None, :], 0.0))
    scatter = (point_to_centroid * L).sum(axis=1) / sizes  # P x G
    centroid_d2 = G2 / (sizes[:, :, None] * sizes[:, None, :]) - spread_term[:, :, None] - spread_term[:, None, :]
    centroid_d = np.sqrt(np.maximum(centroid_d2, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (scatter[:, :, None] + scatter[:, None, :]) / centroid_d
    ratio = np.where(np.eye(n_groups, dtype=bool)[None], -np.inf, np.nan_to_num(ratio, nan=0.0, posinf=0.0))
    davies = ratio.max(axis=2).mean(axis=1)

    # mean distances over unordered pairs
    same = np.matmul(L, L.transpose(0, 2, 1)) > 0.5
    upper = np.triu(np.ones((n, n), dtype=bool), k=1)
    same_pairs = same & upper
    diff_pairs = ~same & upper
    intra = (D * same_pairs).sum(axis=(1, 2)) / np.maximum(same_pairs.sum(axis=(1, 2)), 1)
    inter = (D * diff_pairs).sum(axis=(1, 2)) / np.maximum(diff_pairs.sum(axis=(1, 2)), 1)
    return {
        "silhouette": silhouette,
        "calinski_harabasz": calinski,
        "davies_bouldin": davies,
        "intra_distance": intra,
        "inter_distance": inter,
    }


def cosine_similarity_matrix(X: np.ndarray) -> np.ndarray:
    """Cosine similarity between the rows of ``X`` (raw vectors, no centring)."""
    X = np.asarray(X, dtype=float)
    norms = np.linalg.norm(X, axis=1)
    if np.any(norms == 0):
        raise ConfigError("cosine similarity needs every model's bias vector to be non-zero")
    unit = X / norms[:, None]
    return np.clip(unit @ unit.T, -1.0, 1.0)


def principal_components(X: np.ndarray, *, scale: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA by SVD of the centred (optionally z-scored) matrix.

    Signs are fixed so that the largest-magnitude loading of every component is positive, which keeps
    plots stable across runs and platforms.

    Returns
    -------
    scores, loadings, explained_ratio
        Model coordinates (n x c), loadings (c x p) and the share of variance of each component (c), where
        c = min(n, p) minus components with no variance.
    """
    X = np.asarray(X, dtype=float)
    Xc = prepare_features(X, scale=True) if scale else X - X.mean(axis=0)
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    if S.size == 0 or S.max() <= 0:
        raise ConfigError("PCA needs models whose bias vectors differ; all of them are identical")
    keep = S > S.max() * 1e-10
    U, S, Vt = U[:, keep], S[keep], Vt[keep]
    flip = np.sign(Vt[np.arange(len(S)), np.abs(Vt).argmax(axis=1)])
    U, Vt = U * flip, Vt * flip[:, None]
    explained = S**2 / np.sum(S**2)
    return U * S, Vt, explained
