"""Bias scores and their aggregation.

- :func:`ratio_scale_score` is the per-test metric of Malberg et al. (2024):
  ``B = k * (|c - x1| - |t - x2|) / max(|c - x1|, |t - x2|)`` on 0-based scale
  positions, after optional flips, with range [-1, 1] and positive = biased. When both
  answers sit on their reference points (0/0) the score is exactly 0: no distance on
  either side, so no shift to call a bias.
- :func:`difference_of_proportions` is the score of Itzhak et al. (2024).
- :func:`summarize` aggregates per-case scores: mean, bootstrap CI, counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict


def ratio_scale_score(
    c: int,
    t: int,
    *,
    n_c: int,
    n_t: int | None = None,
    k: float = -1.0,
    x1: float = 0.0,
    x2: float = 0.0,
    flip_c: bool = False,
    flip_t: bool = False,
) -> float:
    """Malberg et al.'s ratio-scale bias score of one control/treatment answer pair.

    Parameters
    ----------
    c, t
        Control and treatment answers as 0-based positions in the scale's own order.
    n_c, n_t
        Number of options of the control and treatment scales (``n_t`` defaults to ``n_c``).
    k
        Sign that makes positive scores mean "biased" (+1 or -1).
    x1, x2
        Reference positions of the control and treatment answers.
    flip_c, flip_t
        Mirror the control / treatment answer (``n - 1 - position``) before scoring.

    Both answers on their reference points (``|c - x1| = |t - x2| = 0``, the 0/0 case) score
    exactly 0: neither answer moved away from its reference, so there is no shift to call a
    bias (the same score as any other pair of equal distances). Scores are exact ratios: no
    epsilon in the denominator, and never ``-0.0``.
    """
    n_t = n_c if n_t is None else n_t
    for name, pos, n in (("control", c, n_c), ("treatment", t, n_t)):
        if not 0 <= pos < n:
            raise ValueError(f"{name} answer {pos} is outside the scale 0..{n - 1}")
    if flip_c:
        c = (n_c - 1) - c
    if flip_t:
        t = (n_t - 1) - t
    d1 = abs(c - x1)
    d2 = abs(t - x2)
    if d1 == d2:  # equal distances, including 0/0: no shift (and no -0.0 from k = -1)
        return 0.0
    return float(k * (d1 - d2) / max(d1, d2))


def difference_of_proportions(treatment_hits: Sequence[bool], control_hits: Sequence[bool]) -> float:
    """P(target | treatment) - P(target | control), in [-1, 1]; NaN when a side is empty."""
    if len(treatment_hits) == 0 or len(control_hits) == 0:
        return float("nan")
    return float(np.mean(treatment_hits) - np.mean(control_hits))


class ScoreSummary(BaseModel):
    """Aggregate of per-case scores for one bias (and model)."""

    model_config = ConfigDict(frozen=True)

    mean: float
    ci_low: float
    ci_high: float
    n_valid: int
    n_invalid: int
    mean_abs: float


def bootstrap_ci(
    values: Sequence[float], *, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean (NaN when empty)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return float("nan"), float("nan")
    if data.size == 1:
        return float(data[0]), float(data[0])
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(n_boot, data.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def summarize(scores: Sequence[float | None], *, confidence: float = 0.95, seed: int = 0) -> ScoreSummary:
    """Mean, bootstrap CI, mean absolute score and valid/invalid counts of per-case scores.

    ``None`` and NaN entries count as invalid (no valid answer pair) and are excluded.
    """
    valid = [float(s) for s in scores if s is not None and not np.isnan(s)]
    low, high = bootstrap_ci(valid, confidence=confidence, seed=seed)
    return ScoreSummary(
        mean=float(np.mean(valid)) if valid else float("nan"),
        ci_low=low,
        ci_high=high,
        n_valid=len(valid),
        n_invalid=len(scores) - len(valid),
        mean_abs=float(np.mean(np.abs(valid))) if valid else float("nan"),
    )
