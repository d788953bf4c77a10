"""Planted versus recovered: does a cross-tuning study find biases whose origin is known?

Works on a long score table alone (columns ``backbone, data, seed, bias, case, score``, as
in a study's ``scores.csv``), independent of the study's other analyses.

For every bias, the effect of each factor is a contrast of cell means: the backbone effect is
the mean score of the models on the carrying backbone minus that of the models on the other
backbone, averaged over the instruction datasets (and the data effect likewise). Confidence
intervals come from a paired bootstrap that resamples test cases (the same cases for every
model) and, within each cell, seeds; they are Bonferroni-adjusted over every (bias, factor)
interval of the table, so the whole table holds at the stated level.

A plant is *recovered with the right attribution* when the interval of its factor lies above
zero and the interval of the other factor contains zero. A control (unplanted) bias is *clean*
when both of its intervals contain zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from biasorigins.errors import ConfigError

FACTORS = ("backbone", "data")
_REQUIRED = ("backbone", "data", "seed", "bias", "case", "score")


@dataclass(frozen=True)
class Plant:
    """A bias put into one level of one factor on purpose.

    Attributes
    ----------
    bias
        The bias slug, as in the score table.
    factor
        ``"backbone"`` (planted in pretraining) or ``"data"`` (planted in instruction data).
    carrier
        The label of the backbone or dataset that carries it.
    where
        How it was planted, in words (for the report).
    """

    bias: str
    factor: str
    carrier: str
    where: str = ""


def _check(scores: pd.DataFrame, plants: Sequence[Plant]) -> None:
    missing = [c for c in _REQUIRED if c not in scores.columns]
    if missing:
        raise ConfigError(f"score table lacks columns {missing}; it needs {list(_REQUIRED)}")
    for plant in plants:
        if plant.factor not in FACTORS:
            raise ConfigError(f"plant of {plant.bias!r}: factor must be one of {FACTORS}, got {plant.factor!r}")
        levels = sorted(scores[plant.factor].dropna().unique())
        if len(levels) != 2 or plant.carrier not in levels:
            raise ConfigError(f"plant of {plant.bias!r}: {plant.factor} needs two levels including "
                              f"{plant.carrier!r}, the score table has {levels}")
        if plant.bias not in set(scores["bias"]):
            raise ConfigError(f"planted bias {plant.bias!r} is not in the score table")


def _carriers(scores: pd.DataFrame, plants: Sequence[Plant]) -> dict[str, str]:
    """The level of each factor whose effect is measured (carrier minus the other level)."""
    chosen = {p.factor: p.carrier for p in plants}
    for factor in FACTORS:
        chosen.setdefault(factor, sorted(scores[factor].dropna().unique())[-1])
    return chosen


def _bootstrap_effects(frame: pd.DataFrame, carriers: dict[str, str], n_boot: int,
                       rng: np.random.Generator) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Point effects and bootstrap draws of each factor's contrast for one bias."""
    matrix = frame.pivot_table(index=["backbone", "data", "seed"], columns="case", values="score", aggfunc="mean")
    values = matrix.to_numpy(dtype=float)
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    cells = [(b, d) for b, d in matrix.index.droplevel("seed").unique()]
    index = matrix.index.droplevel("seed")
    rows_of = {cell: np.flatnonzero([(b, d) == cell for b, d in index]) for cell in cells}
    n_models, n_cases = values.shape
    case_weights = np.vstack([np.ones(n_cases), rng.multinomial(n_cases, np.full(n_cases, 1 / n_cases), size=n_boot)])
    with np.errstate(invalid="ignore", divide="ignore"):
        model_means = (filled @ case_weights.T) / (present @ case_weights.T)  # models x (1 + n_boot)
    cell_means = {}
    for cell, rows in rows_of.items():
        seed_weights = np.vstack([np.ones(len(rows)),
                                  rng.multinomial(len(rows), np.full(len(rows), 1 / len(rows)), size=n_boot)])
        means, known = model_means[rows], ~np.isnan(model_means[rows])
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted = (np.where(known, means, 0) * seed_weights.T).sum(axis=0)
            cell_means[cell] = weighted / (known * seed_weights.T).sum(axis=0)
    effects, draws = {}, {}
    for position, factor in enumerate(FACTORS):
        other = FACTORS[1 - position]
        diffs = []
        for level in sorted({cell[1 - position] for cell in cells}):
            inside = [c for c in cells if c[1 - position] == level and c[position] == carriers[factor]]
            outside = [c for c in cells if c[1 - position] == level and c[position] != carriers[factor]]
            if inside and outside:
                diffs.append(np.mean([cell_means[c] for c in inside], axis=0)
                             - np.mean([cell_means[c] for c in outside], axis=0))
        if not diffs:
            raise ConfigError(f"the score table has no {factor} contrast within a level of {other}")
        contrast = np.mean(diffs, axis=0)
        effects[factor], draws[factor] = float(contrast[0]), contrast[1:]
    return effects, draws


def effect_table(scores: pd.DataFrame, plants: Sequence[Plant], *, level: float = 0.95, n_boot: int = 2000,
                 seed: int = 0) -> pd.DataFrame:
    """One row per bias: where it was planted, each factor's effect with its CI, and the verdict.

    Columns: ``bias, planted_in, carrier, backbone_effect, backbone_low, backbone_high,
    data_effect, data_low, data_high, verdict``. Planted biases come first, then the controls.
    """
    _check(scores, plants)
    rng = np.random.default_rng(seed)
    carriers = _carriers(scores, plants)
    plant_of = {p.bias: p for p in plants}
    biases = [p.bias for p in plants] + sorted(set(scores["bias"]) - set(plant_of))
    alpha = (1 - level) / (2 * len(biases))  # Bonferroni over every (bias, factor) interval
    rows = []
    for bias in biases:
        frame = scores[(scores["bias"] == bias) & scores["score"].notna()]
        effects, draws = _bootstrap_effects(frame, carriers, n_boot, rng)
        row: dict[str, object] = {"bias": bias}
        plant = plant_of.get(bias)
        row["planted_in"] = plant.factor if plant else "not planted (control)"
        row["carrier"] = plant.carrier if plant else ""
        for factor in FACTORS:
            low, high = np.nanquantile(draws[factor], [alpha / 2, 1 - alpha / 2])
            row.update({f"{factor}_effect": effects[factor], f"{factor}_low": float(low),
                        f"{factor}_high": float(high)})
        row["verdict"] = _verdict(row, plant)
        rows.append(row)
    return pd.DataFrame(rows)


def _excludes_zero(row: dict[str, object], factor: str) -> bool:
    return float(row[f"{factor}_low"]) > 0 or float(row[f"{factor}_high"]) < 0  # type: ignore[arg-type]


def _verdict(row: dict[str, object], plant: Plant | None) -> str:
    if plant is None:
        found = [f for f in FACTORS if _excludes_zero(row, f)]
        return "no effect (as planted)" if not found else f"spurious {' and '.join(found)} effect"
    other = FACTORS[1 - FACTORS.index(plant.factor)]
    if float(row[f"{plant.factor}_low"]) <= 0:  # type: ignore[arg-type]
        return "not recovered"
    if _excludes_zero(row, other):
        return f"recovered, but also attributed to {other}"
    return f"recovered, attributed to {plant.factor}"


def recovered(table: pd.DataFrame) -> bool:
    """Whether every plant of an `effect_table` was recovered with the right attribution."""
    planted = table[table["planted_in"].isin(FACTORS)]
    return bool(len(planted)) and bool(planted["verdict"].str.startswith("recovered, attributed").all())


def headline(table: pd.DataFrame) -> str:
    """One sentence: were the plants recovered and attributed right, and are the controls clean?"""
    planted = table[table["planted_in"].isin(FACTORS)]
    controls = table[~table["planted_in"].isin(FACTORS)]
    parts = [f"{row.bias} ({'pretraining' if row.planted_in == 'backbone' else 'instruction data'}: {row.verdict})"
             for row in planted.itertuples()]
    clean = int(controls["verdict"].str.startswith("no effect").sum())
    controls_text = (f"{clean} of {len(controls)} unplanted control biases show no effect" if len(controls)
                     else "no controls")
    if recovered(table):
        lead = "Both plants were recovered and attributed to the right factor" if len(planted) == 2 else \
            "Every plant was recovered and attributed to the right factor"
    else:
        lead = "Not every plant was recovered with the right attribution"
    return f"{lead}: {'; '.join(parts)}; {controls_text}."


def subsample_recovery(scores: pd.DataFrame, plants: Sequence[Plant], *, seeds: Sequence[int | None] = (None, 1),
                       case_fractions: Sequence[float] = (1.0, 0.5, 0.25), repeats: int = 20, n_boot: int = 400,
                       seed: int = 0) -> pd.DataFrame:
    """How often the plants are still recovered when the run had fewer seeds or cases.

    For each distinct (seeds per cell, cases per bias) the table is subsampled ``repeats`` times (seeds
    and cases drawn without replacement; ``None`` seeds = all) and `effect_table` is recomputed (with
    ``n_boot`` draws; the full table once, with `effect_table`'s own defaults).
    Columns: ``seeds, cases`` (per bias), ``subsamples, plants_recovered`` (share of subsamples in which every plant was
    recovered with the right attribution), ``controls_flagged`` (share of control intervals
    that exclude zero) and one ``<bias> recovered`` column per plant.
    """
    _check(scores, plants)
    rng = np.random.default_rng(seed)
    all_seeds = sorted(scores["seed"].dropna().unique())
    cases_of = {bias: sorted(frame["case"].unique()) for bias, frame in scores.groupby("bias")}
    n_cases = min(len(c) for c in cases_of.values())
    sizes = dict.fromkeys((len(all_seeds) if n is None else min(n, len(all_seeds)), max(2, round(f * n_cases)))
                          for n in seeds for f in case_fractions)  # distinct sizes, in the order asked
    rows = []
    for k_seeds, k_cases in sizes:
        full = k_seeds == len(all_seeds) and k_cases == n_cases
        hits, flags, per_plant = [], [], {p.bias: [] for p in plants}
        for _ in range(1 if full else repeats):
            kept_seeds = rng.choice(all_seeds, k_seeds, replace=False)
            kept_cases = np.concatenate([rng.choice(c, k_cases, replace=False) for c in cases_of.values()])
            part = scores[scores["seed"].isin(kept_seeds) & scores["case"].isin(kept_cases)]
            # The whole table is judged exactly as `effect_table` judges it, so this row agrees with the headline.
            table = effect_table(part, plants) if full else \
                effect_table(part, plants, n_boot=n_boot, seed=int(rng.integers(2**31)))
            hits.append(recovered(table))
            controls = table[~table["planted_in"].isin(FACTORS)]
            flags += [not v.startswith("no effect") for v in controls["verdict"]]
            for row in table[table["planted_in"].isin(FACTORS)].itertuples():
                per_plant[row.bias].append(row.verdict.startswith("recovered, attributed"))
        rows.append({"seeds": k_seeds, "cases": k_cases, "subsamples": len(hits),
                     "plants_recovered": float(np.mean(hits)),
                     **{f"{b} recovered": float(np.mean(v)) for b, v in per_plant.items()},
                     "controls_flagged": float(np.mean(flags)) if flags else float("nan")})
    return pd.DataFrame(rows)
