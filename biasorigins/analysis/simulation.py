"""Simulated cross-tuning score tables with known backbone, data, interaction and seed effects.

For checking the analyses (do they recover a planted effect? do their tests hold their level?) and for
planning a study (how many seeds does an effect of a given size need?).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from biasorigins.analysis.stats import SeedLike, as_generator
from biasorigins.errors import ConfigError


def simulate_design(backbones: int, datasets: int, seeds: int) -> pd.DataFrame:
    """The models of a full design: ``model, backbone, data, seed`` (names like ``B1-D2-Seed-0``)."""
    if min(backbones, datasets, seeds) < 1:
        raise ConfigError("a simulated design needs at least one backbone, dataset and seed")
    rows = [
        {"model": f"B{b + 1}-D{d + 1}-Seed-{s}", "backbone": f"B{b + 1}", "data": f"D{d + 1}", "seed": str(s)}
        for b in range(backbones) for d in range(datasets) for s in range(seeds)
    ]
    return pd.DataFrame(rows)


def simulate_matrix(
    design: pd.DataFrame,
    n_biases: int,
    *,
    backbone_sd: float = 0.0,
    data_sd: float = 0.0,
    interaction_sd: float = 0.0,
    cell_sd: float = 0.0,
    seed_sd: float = 0.1,
    seed_sd_ratio: float = 1.0,
    bias_correlation: float = 0.0,
    clip: bool = False,
    rng: np.random.Generator,
) -> np.ndarray:
    """Bias-level scores (models x biases): bias baseline + backbone + data + interaction + seed noise.

    Each effect is drawn per bias from a normal distribution with the given standard deviation, so e.g.
    ``backbone_sd`` is the typical size of the backbone effect on one bias. The interaction is a pure
    interaction (cell effects with their backbone and data means removed); ``cell_sd`` adds independent
    cell effects instead (random variation between training set-ups with no systematic backbone or data
    effect in the population).

    Messier studies: ``seed_sd_ratio`` spreads the seed SD of the cells evenly on a log scale from
    ``seed_sd / sqrt(ratio)`` to ``seed_sd * sqrt(ratio)``, in a random order over the cells; ``bias_correlation`` makes the cell and seed effects
    of one model correlated across biases (a shared factor with that correlation); ``clip`` clips scores to
    [-1, 1] like real bias scores.
    """
    if seed_sd_ratio < 1 or not 0 <= bias_correlation < 1:
        raise ConfigError("seed_sd_ratio must be at least 1 and bias_correlation lie in [0, 1)")
    backbone = np.unique(design["backbone"], return_inverse=True)[1]
    data = np.unique(design["data"], return_inverse=True)[1]
    cells = backbone * (data.max() + 1) + data
    baseline = rng.normal(0.0, 0.2, size=n_biases)
    backbone_effect = rng.normal(0.0, backbone_sd, size=(backbone.max() + 1, n_biases))
    data_effect = rng.normal(0.0, data_sd, size=(data.max() + 1, n_biases))
    n_b, n_d = backbone.max() + 1, data.max() + 1
    raw = rng.normal(0.0, interaction_sd, size=(n_b, n_d, n_biases))
    pure = raw - raw.mean(axis=0, keepdims=True) - raw.mean(axis=1, keepdims=True) + raw.mean(axis=(0, 1), keepdims=True)
    if n_b > 1 and n_d > 1:
        pure *= np.sqrt(n_b * n_d / ((n_b - 1) * (n_d - 1)))  # keep interaction_sd as the effect's scale
    cell_effect = pure.reshape(n_b * n_d, n_biases) + cell_sd * _correlated((n_b * n_d, n_biases), bias_correlation, rng)
    spread = np.log(seed_sd_ratio) / 2
    cell_seed_sd = seed_sd * rng.permutation(np.exp(np.linspace(-spread, spread, n_b * n_d)))
    noise = cell_seed_sd[cells][:, None] * _correlated((len(design), n_biases), bias_correlation, rng)
    scores = baseline + backbone_effect[backbone] + data_effect[data] + cell_effect[cells] + noise
    return np.clip(scores, -1.0, 1.0) if clip else scores


def _correlated(shape: tuple[int, int], correlation: float, rng: np.random.Generator) -> np.ndarray:
    """Standard normal rows whose entries share a factor: correlation ``correlation`` across columns."""
    shared = rng.normal(size=(shape[0], 1))
    return np.sqrt(correlation) * shared + np.sqrt(1 - correlation) * rng.normal(size=shape)


def simulate_scores(
    *,
    backbones: int = 2,
    datasets: int = 2,
    seeds: int = 3,
    biases: int = 32,
    backbone_sd: float = 0.0,
    data_sd: float = 0.0,
    interaction_sd: float = 0.0,
    cell_sd: float = 0.0,
    seed_sd: float = 0.1,
    cases: int | None = None,
    case_sd: float = 0.3,
    seed: SeedLike = 0,
) -> pd.DataFrame:
    """A long score table with planted effects, ready for `StudyScores.load` / `analyze_scores`.

    Parameters
    ----------
    backbones, datasets, seeds, biases
        Size of the design.
    backbone_sd, data_sd, interaction_sd, cell_sd, seed_sd
        Standard deviations of the backbone, data, pure backbone x data, independent cell and seed effects
        per bias (see `simulate_matrix`).
    cases
        When given, each model and bias gets this many test cases scattered around its bias score with
        ``case_sd`` (clipped to [-1, 1]); otherwise one bias-level score per model and bias.
    seed
        Integer seed or numpy Generator.
    """
    rng = as_generator(seed)
    design = simulate_design(backbones, datasets, seeds)
    matrix = simulate_matrix(design, biases, backbone_sd=backbone_sd, data_sd=data_sd,
                             interaction_sd=interaction_sd, cell_sd=cell_sd, seed_sd=seed_sd, rng=rng)
    names = [f"bias_{i + 1:02d}" for i in range(biases)]
    long = design.loc[design.index.repeat(biases)].reset_index(drop=True)
    long["bias"] = np.tile(names, len(design))
    long["score"] = matrix.reshape(-1)
    if cases is None:
        return long
    expanded = long.loc[long.index.repeat(cases)].reset_index(drop=True)
    expanded["case"] = np.tile([f"case_{i:03d}" for i in range(cases)], len(long))
    expanded["score"] = np.clip(expanded["score"] + rng.normal(0.0, case_sd, size=len(expanded)), -1.0, 1.0)
    return expanded
