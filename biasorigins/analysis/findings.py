"""Machine-readable findings: one row per claim a summary makes, and the words that print them.

Every summary sentence that states a test result is written from these rows, so what is printed and what a
program reads never disagree. Each row names the assumption its p-value rests on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

FINDING_COLUMNS = ["analysis", "factor", "level", "test", "statistic", "p_value", "p_min", "significant", "alpha",
                   "correction", "estimate", "chance", "assumes"]
FACTORS = ("backbone", "data", "interaction", "seed")


def finding(*, analysis: str, factor: str, level: str, test: str, statistic: float, p_value: float, alpha: float,
            assumes: str, p_min: float = math.nan, correction: str = "none", significant: bool | None = None,
            estimate: float = math.nan, chance: float = math.nan) -> dict[str, Any]:
    """One claim: ``significant`` defaults to ``p_value < alpha`` (False when p is missing)."""
    if factor not in FACTORS:
        raise ValueError(f"factor must be one of {FACTORS}, not {factor!r}")
    if significant is None:
        significant = bool(p_value < alpha) if not math.isnan(p_value) else False
    return {"analysis": analysis, "factor": factor, "level": level, "test": test, "statistic": float(statistic),
            "p_value": float(p_value), "p_min": float(p_min), "significant": bool(significant), "alpha": alpha,
            "correction": correction, "estimate": float(estimate), "chance": float(chance), "assumes": assumes}


def findings_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The findings table with its fixed columns (empty when there are no claims)."""
    frame = pd.DataFrame(list(rows), columns=FINDING_COLUMNS)
    return frame.astype({"significant": bool})


def format_p(p_value: float, p_min: float = math.nan) -> str:
    """``p = 0.074``, ``p < 0.001``, or ``p <= 0.005`` when p is the smallest the permutations can give."""
    if math.isnan(p_value):
        return "p undefined"
    if not math.isnan(p_min) and p_value <= p_min * (1 + 1e-9):
        return f"p <= {p_min:.3g} (the smallest this test can give)"
    return f"p = {p_value:.3f}" if p_value >= 0.001 else "p < 0.001"


def verdict(row: Mapping[str, Any]) -> str:
    """``significant`` or ``not significant`` at the row's alpha."""
    return ("significant" if row["significant"] else "not significant") + f" at {row['alpha']:g}"
