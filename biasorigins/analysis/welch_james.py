"""Tests of cell-mean contrasts that let every cell keep its own seed variance (Welch; Welch-James).

A study's seeds are few (three per cell in the paper) and their noise differs between training set-ups. The
classic ANOVA F pools one seed variance over all cells and rejects too often when the cells differ in noise
(docs/analyses.md, Calibration). Welch's t-test of a one-contrast hypothesis, and Johansen's (1980)
Welch-James generalisation to hypotheses of several contrasts (a factor with more than two levels, or their
interaction), use each cell's own variance instead:

    T = (C m)' (C V C')^-1 (C m),   V = diag(s_j^2 / n_j),
    A = sum_j P_jj^2 / (n_j - 1),   P = V C' (C V C')^-1 C,
    F = T / (q + 2A - 6A / (q + 2))  on  q  and  q (q + 2) / (3A)  degrees of freedom,

with m the cell means and C the q x cells contrast matrix. For q = 1 this is exactly the squared Welch t with
Welch-Satterthwaite degrees of freedom. Hypotheses concern unweighted cell means (each cell counts once), so
with unequal seed counts they are the "type III" hypotheses; with equal counts they equal type II.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats as scipy_stats

from biasorigins.analysis.stats import NUMERICAL_ZERO


def cell_moments(Y: np.ndarray, cells: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell and column of ``Y`` (models x columns): mean, sample variance (ddof 1; NaN below 2 scores) and
    the count of non-missing scores; arrays of shape (n_cells, columns)."""
    means, variances, counts = [], [], []
    for c in range(n_cells):
        block = Y[cells == c]
        count = np.sum(~np.isnan(block), axis=0).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # empty cells: NaN, kept as such
            means.append(np.nanmean(block, axis=0))
            variances.append(np.where(count >= 2, np.nanvar(block, axis=0, ddof=1), np.nan))
        counts.append(count)
    return np.array(means), np.array(variances), np.array(counts)


def factorial_contrasts(n_backbones: int, n_data: int) -> dict[str, np.ndarray]:
    """Contrast matrices (rows: contrasts; columns: cells in backbone-major order) of the two main effects and
    the interaction of a crossed design: each level against the last, on unweighted cell means."""
    def against_last(n: int) -> np.ndarray:
        return np.hstack([np.eye(n - 1), -np.ones((n - 1, 1))])

    def mean_over(n: int) -> np.ndarray:
        return np.full((1, n), 1.0 / n)

    return {
        "backbone": np.kron(against_last(n_backbones), mean_over(n_data)),
        "data": np.kron(mean_over(n_backbones), against_last(n_data)),
        "backbone:data": np.kron(against_last(n_backbones), against_last(n_data)),
    }


def welch_james(Y: np.ndarray, cells: np.ndarray, contrasts: np.ndarray) -> dict[str, np.ndarray]:
    """Welch-James test of ``contrasts @ cell means == 0`` for every column of ``Y`` (models x columns).

    ``cells`` numbers each model's cell 0..k-1 (the columns of ``contrasts``). Returns arrays over the columns:
    ``statistic`` (the approximate F; the squared Welch t for one contrast), ``df_num``, ``df_den`` and
    ``p_value``. They are NaN for a column where a cell the contrasts use has fewer than 2 scores, or where
    the contrasts have no seed variance (every seed of the cells they use answered identically).
    """
    contrasts = np.atleast_2d(np.asarray(contrasts, dtype=float))
    q, k = contrasts.shape
    means, variances, counts = cell_moments(np.asarray(Y, dtype=float), np.asarray(cells), k)
    used = np.flatnonzero(np.abs(contrasts).sum(axis=0) > 0)
    C = contrasts[:, used]
    out = {name: np.full(means.shape[1], np.nan) for name in ("statistic", "df_num", "df_den", "p_value")}
    for col in range(means.shape[1]):
        n, s2, m = counts[used, col], variances[used, col], means[used, col]
        if not np.all(np.isfinite(s2)):  # a cell with fewer than 2 scores
            continue
        V = s2 / n
        M = (C * V) @ C.T
        if np.linalg.eigvalsh(M).min() <= NUMERICAL_ZERO**2:  # a contrast's standard error of (about) 0
            continue
        M_inv = np.linalg.inv(M)
        estimate = C @ m
        P_diag = V * np.einsum("ij,ik,kj->j", C, M_inv, C)  # diagonal of V C' M^-1 C
        A = float(np.sum(P_diag**2 / (n - 1)))
        statistic = float(estimate @ M_inv @ estimate) / (q + 2 * A - 6 * A / (q + 2))
        df_den = q * (q + 2) / (3 * A)  # A > 0: the trace of P is q
        out["statistic"][col], out["df_num"][col], out["df_den"][col] = statistic, q, df_den
        out["p_value"][col] = float(scipy_stats.f.sf(statistic, q, df_den))
    return out
