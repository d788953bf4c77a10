"""Planted versus recovered (`biasorigins.recovery`) on synthetic score tables whose truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from biasorigins.errors import ConfigError
from biasorigins.recovery import Plant, effect_table, headline, recovered, subsample_recovery

PLANTS = (Plant("status-quo-bias", "backbone", "Planted-BB"), Plant("framing-effect", "data", "Planted-Data"))
BIASES = ("status-quo-bias", "framing-effect", "anchoring", "certainty-effect")


def synthetic_scores(effects: dict[str, tuple[float, float]], *, seeds: int = 2, cases: int = 12, noise: float = 0.3,
                     seed_noise: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """A 2 x 2 x seeds study: score = case difficulty + backbone/data effect + seed shift + noise, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    rows = []
    for bias in BIASES:
        bb_effect, data_effect = effects.get(bias, (0.0, 0.0))
        difficulty = rng.normal(0, 0.2, cases)
        for backbone in ("Plain-BB", "Planted-BB"):
            for data in ("Plain-Data", "Planted-Data"):
                for s in range(seeds):
                    shift = rng.normal(0, seed_noise)
                    planted = bb_effect * (backbone == "Planted-BB") + data_effect * (data == "Planted-Data")
                    base = difficulty + shift + planted
                    score = np.clip(base + rng.normal(0, noise, cases), -1, 1)
                    rows += [{"model": f"{backbone}-{data}-{s}", "backbone": backbone, "data": data, "seed": s,
                              "bias": bias, "case": f"{bias}-{c}", "score": score[c]} for c in range(cases)]
    return pd.DataFrame(rows)


TRUTH = {"status-quo-bias": (0.5, 0.0), "framing-effect": (0.0, 0.5)}


def test_both_plants_are_recovered_with_the_right_attribution() -> None:
    table = effect_table(synthetic_scores(TRUTH), PLANTS)
    assert list(table["bias"]) == list(BIASES)  # plants first, then the controls
    verdicts = dict(zip(table["bias"], table["verdict"]))
    assert verdicts["status-quo-bias"] == "recovered, attributed to backbone"
    assert verdicts["framing-effect"] == "recovered, attributed to data"
    assert verdicts["anchoring"] == verdicts["certainty-effect"] == "no effect (as planted)"
    sq = table.set_index("bias").loc["status-quo-bias"]
    assert sq["backbone_low"] < 0.5 < sq["backbone_high"] and sq["data_low"] < 0 < sq["data_high"]
    assert recovered(table)
    assert headline(table).startswith("Both plants were recovered and attributed to the right factor")
    assert "2 of 2 unplanted control biases show no effect" in headline(table)


def test_a_plant_in_the_wrong_factor_is_not_credited() -> None:
    swapped = {"status-quo-bias": (0.0, 0.5), "framing-effect": (0.0, 0.5)}
    verdicts = dict(zip(*effect_table(synthetic_scores(swapped), PLANTS)[["bias", "verdict"]].T.values))
    assert verdicts["status-quo-bias"] == "not recovered"
    both = {"status-quo-bias": (0.5, 0.5), "framing-effect": (0.0, 0.5)}
    verdicts = dict(zip(*effect_table(synthetic_scores(both), PLANTS)[["bias", "verdict"]].T.values))
    assert verdicts["status-quo-bias"] == "recovered, but also attributed to data"
    assert not recovered(effect_table(synthetic_scores(both), PLANTS))


def test_an_effect_in_a_control_is_reported_as_spurious() -> None:
    table = effect_table(synthetic_scores({**TRUTH, "anchoring": (0.0, -0.6)}), PLANTS)
    assert table.set_index("bias").loc["anchoring", "verdict"] == "spurious data effect"
    assert "1 of 2 unplanted control biases show no effect" in headline(table)


def test_a_study_without_effects_claims_nothing() -> None:
    """The null: across many no-effect studies of the demo's size, claims stay at the nominal 5% or below."""
    claims = 0
    for seed in range(40):
        table = effect_table(synthetic_scores({}, seed=seed), PLANTS, n_boot=1000, seed=seed)
        claims += int(table["verdict"].str.startswith(("recovered", "spurious")).any())
        if seed == 0:
            assert not recovered(table)
            assert headline(table).startswith("Not every plant was recovered")
    assert claims <= 4  # 40 studies x at most ~5% family-wise, with room for bootstrap error


def test_subsampling_shows_recovery_falls_with_less_data() -> None:
    scores = synthetic_scores({"status-quo-bias": (0.35, 0.0), "framing-effect": (0.0, 0.35)}, cases=16)
    table = subsample_recovery(scores, PLANTS, seeds=(None, 1), case_fractions=(1.0, 0.25), repeats=10, n_boot=300)
    assert list(table[["seeds", "cases"]].itertuples(index=False, name=None)) == [(2, 16), (2, 4), (1, 16), (1, 4)]
    full, smallest = table.iloc[0], table.iloc[-1]
    assert full["subsamples"] == 1 and full["plants_recovered"] == 1.0
    assert smallest["plants_recovered"] < full["plants_recovered"]
    assert {"status-quo-bias recovered", "framing-effect recovered", "controls_flagged"} <= set(table.columns)


def test_the_full_data_row_agrees_with_the_effect_table() -> None:
    """Near the edge of recovery, the full row must repeat the headline's verdicts, not re-draw them."""
    for seed in range(12):
        scores = synthetic_scores({"status-quo-bias": (0.2, 0.0), "framing-effect": (0.0, 0.2)}, seed=seed)
        verdicts = effect_table(scores, PLANTS).set_index("bias")["verdict"]
        full = subsample_recovery(scores, PLANTS, seeds=(None,), case_fractions=(1.0,), repeats=1, n_boot=100).iloc[0]
        for plant in PLANTS:
            assert full[f"{plant.bias} recovered"] == verdicts[plant.bias].startswith("recovered, attributed"), seed


def test_bad_tables_and_plants_are_refused() -> None:
    scores = synthetic_scores(TRUTH)
    with pytest.raises(ConfigError, match="lacks columns"):
        effect_table(scores.drop(columns="seed"), PLANTS)
    with pytest.raises(ConfigError, match="'Nowhere'"):
        effect_table(scores, [Plant("status-quo-bias", "backbone", "Nowhere")])
    with pytest.raises(ConfigError, match="factor must be one of"):
        effect_table(scores, [Plant("status-quo-bias", "seed", "0")])
    with pytest.raises(ConfigError, match="not in the score table"):
        effect_table(scores, [Plant("halo-effect", "data", "Planted-Data")])


def test_subsampling_lists_each_size_once() -> None:
    scores = synthetic_scores(TRUTH, cases=3)
    table = subsample_recovery(scores, PLANTS, seeds=(None,), case_fractions=(1.0, 0.5, 0.25), repeats=2, n_boot=100)
    assert list(table["cases"]) == [3, 2]
