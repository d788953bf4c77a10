"""Statistical building blocks: seeded generators, restricted permutations, p-values, FDR, percentile CIs."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np

from biasorigins.errors import ConfigError

#: Sums of squares and spreads at or below this are rounding noise of exactly constant values.
NUMERICAL_ZERO = 1e-12

SeedLike = int | np.random.Generator
Alternative = Literal["greater", "less"]


def as_generator(seed: SeedLike) -> np.random.Generator:
    """A numpy Generator from an integer seed (or the Generator itself)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise ConfigError(f"seed must be a non-negative integer or a numpy Generator, not {seed!r}")


def spawn_generators(seed: SeedLike, n: int) -> list[np.random.Generator]:
    """``n`` independent generators derived from ``seed`` (the same seed always gives the same ones)."""
    return as_generator(seed).spawn(n)


def _codes(labels: Sequence | np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(labels), return_inverse=True)[1].astype(np.int64)


def _strata_indices(strata: Sequence | np.ndarray | None, n: int) -> list[np.ndarray]:
    if strata is None:
        return [np.arange(n)]
    codes = _codes(strata)
    if len(codes) != n:
        raise ConfigError(f"strata has {len(codes)} entries for {n} labels")
    return [np.flatnonzero(codes == c) for c in np.unique(codes)]


def count_arrangements(labels: Sequence | np.ndarray, strata: Sequence | np.ndarray | None = None) -> int:
    """How many distinct labellings shuffling ``labels`` within each stratum can produce (a multinomial)."""
    codes = _codes(labels)
    total = 1
    for idx in _strata_indices(strata, len(codes)):
        counts = np.bincount(codes[idx])
        total *= math.factorial(len(idx)) // math.prod(math.factorial(int(c)) for c in counts)
    return total


def _multiset_arrangements(values: np.ndarray) -> Iterator[np.ndarray]:
    """Every distinct ordering of the multiset ``values`` (positions chosen label by label)."""
    n = len(values)
    labels, counts = np.unique(values, return_counts=True)

    def place(free: tuple[int, ...], level: int, current: np.ndarray) -> Iterator[np.ndarray]:
        if level == len(labels):
            yield current.copy()
            return
        for chosen in itertools.combinations(free, int(counts[level])):
            current[list(chosen)] = labels[level]
            rest = tuple(i for i in free if i not in chosen)
            yield from place(rest, level + 1, current)

    yield from place(tuple(range(n)), 0, np.empty(n, dtype=values.dtype))


def enumerate_arrangements(labels: Sequence | np.ndarray, strata: Sequence | np.ndarray | None = None) -> np.ndarray:
    """All distinct labellings reachable by shuffling ``labels`` within strata, as integer codes (m x n)."""
    codes = _codes(labels)
    blocks = _strata_indices(strata, len(codes))
    per_block = [list(_multiset_arrangements(codes[idx])) for idx in blocks]
    rows = []
    for combo in itertools.product(*per_block):
        row = np.empty(len(codes), dtype=np.int64)
        for idx, part in zip(blocks, combo):
            row[idx] = part
        rows.append(row)
    return np.array(rows)


def sample_arrangements(
    labels: Sequence | np.ndarray, n: int, rng: np.random.Generator, strata: Sequence | np.ndarray | None = None
) -> np.ndarray:
    """``n`` random labellings (integer codes, n x len(labels)) shuffled within strata."""
    codes = _codes(labels)
    out = np.tile(codes, (n, 1))
    for idx in _strata_indices(strata, len(codes)):
        keys = rng.random((n, len(idx)))
        out[:, idx] = codes[idx][np.argsort(keys, axis=1)]
    return out


def permutation_labellings(
    labels: Sequence | np.ndarray,
    n_permutations: int,
    rng: np.random.Generator,
    strata: Sequence | np.ndarray | None = None,
) -> tuple[np.ndarray, bool]:
    """Labellings for a permutation test: all of them when there are at most ``n_permutations``.

    Returns
    -------
    labellings, exact
        Integer-coded labellings (one per row) and whether they are the complete, exact set.
    """
    if n_permutations < 1:
        raise ConfigError(f"n_permutations must be at least 1, got {n_permutations}")
    if count_arrangements(labels, strata) <= n_permutations:
        return enumerate_arrangements(labels, strata), True
    return sample_arrangements(labels, n_permutations, rng, strata), False


def permutation_p_value(observed: float, null: np.ndarray, alternative: Alternative, exact: bool) -> float:
    """p-value of ``observed`` against permuted statistics, in the index's own direction.

    Exact sets contain the observed labelling, so p is the fraction at least as extreme; sampled sets use
    the (b + 1) / (m + 1) rule, so p is never 0.
    """
    null = np.asarray(null, dtype=float)
    tolerance = 1e-10 * max(1.0, abs(observed))
    if alternative == "greater":
        extreme = int(np.sum(null >= observed - tolerance))
    elif alternative == "less":
        extreme = int(np.sum(null <= observed + tolerance))
    else:
        raise ConfigError(f"alternative must be 'greater' or 'less', not {alternative!r}")
    if exact:
        return extreme / len(null)
    return (extreme + 1) / (len(null) + 1)


def permutation_p_min(null: np.ndarray, exact: bool) -> float:
    """The smallest p-value the permutation set can give (ties with the largest statistic count)."""
    null = np.asarray(null, dtype=float)
    if not exact:
        return 1 / (len(null) + 1)
    finite = null[np.isfinite(null)]
    if not len(finite):
        return 1.0
    top = finite.max()
    return float(np.sum(null >= top - 1e-10 * max(1.0, abs(top))) / len(null))


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values, statsmodels ``multipletests``); NaN entries stay NaN."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    q = np.full_like(p, np.nan)
    valid = ~np.isnan(p)
    if valid.any():
        q[valid] = multipletests(p[valid], method="fdr_bh")[1]
    return q


def percentile_interval(samples: np.ndarray, confidence: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile bounds of bootstrap ``samples`` along ``axis`` (NaNs ignored)."""
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must lie in (0, 1), got {confidence}")
    tail = (1 - confidence) / 2 * 100
    return (np.nanpercentile(samples, tail, axis=axis), np.nanpercentile(samples, 100 - tail, axis=axis))
