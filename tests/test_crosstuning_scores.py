"""StudyScores: long and wide tables, labels, aggregation levels and input validation."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from biasorigins.analysis import StudyScores, load_paper_scores, parse_model_name
from biasorigins.errors import ConfigError, DataFormatError


def _wide() -> pd.DataFrame:
    return pd.DataFrame({
        "bias": ["Anchoring", "Framing Effect", "MMLU"],
        "OLMo-Flan-Seed-0": [0.1, 0.5, 0.47],
        "OLMo-Flan-Seed-1": [0.2, 0.4, 0.46],
        "T5-Tulu-Seed-0": [-0.1, 0.0, 0.45],
        "Flan-T5": [0.3, 0.2, 0.52],
    })


def _long_cases() -> pd.DataFrame:
    rows = []
    for model, backbone, data, seed in [("a", "B1", "D1", 0), ("b", "B1", "D1", 1), ("c", "B2", "D2", 0)]:
        for bias in ("x", "y"):
            for scenario in ("s1", "s2"):
                for case in range(3 if scenario == "s1" else 1):
                    score = {"s1": 0.1 * (case + 1), "s2": 0.9}[scenario] * (1 if bias == "x" else -1)
                    rows.append({"model": model, "backbone": backbone, "dataset": data, "seed": seed, "bias": bias,
                                 "scenario_id": scenario, "case_id": f"{bias}-{scenario}-{case}", "score": score})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("OLMo-Flan-Seed-0", ("OLMo", "Flan", "0", False)),
        ("Llama2-ShareGPT-Seed-1", ("Llama2", "ShareGPT", None, True)),  # a community release, not a seed
        ("Llama2-Alpaca-Seed-1", ("Llama2", "Alpaca", "1", False)),
        ("smollm_tulu_seed3", ("smollm", "tulu", "3", False)),
        ("Mistral-Tulu", ("Mistral", "Tulu", None, True)),
        ("Flan-T5", ("T5", "Flan", None, True)),
        ("OLMo-SFT", ("OLMo", "Tulu", None, True)),
    ],
)
def test_model_names_give_labels(name: str, expected: tuple) -> None:
    labels = parse_model_name(name)
    assert (labels["backbone"], labels["data"], labels["seed"], labels["reference"]) == expected


def test_seeds_read_from_names_warn_but_known_and_labelled_models_do_not(llama2_mistral_table: Path) -> None:
    frame = pd.DataFrame({"model": ["X-A-Seed-0", "X-A-Seed-1", "X-B-Seed-0", "X-B-Seed-1"], "bias": "b",
                          "score": [0.1, 0.2, 0.3, 0.4]})
    with pytest.warns(UserWarning, match="seeds read from model names"):
        StudyScores.load(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StudyScores.load(frame.assign(seed=[0, 1, 0, 1]))
        paper = StudyScores.load(llama2_mistral_table)
    assert paper.models["reference"].all() and paper.models["seed"].isna().all()


def test_the_unshipped_paper_table_says_where_to_get_it() -> None:
    assert load_paper_scores().models["reference"].sum() == 2
    with pytest.raises(ConfigError, match="not shipped.*StudyScores.load"):
        load_paper_scores("llama2_mistral")


def test_unparseable_model_name_says_how_to_label_it() -> None:
    with pytest.raises(DataFormatError, match="labels="):
        parse_model_name("my fancy model v2")


def test_wide_table_separates_capabilities_and_keeps_bias_order() -> None:
    scores = StudyScores.load(_wide())
    assert scores.biases == ["Anchoring", "Framing Effect"]
    assert scores.capabilities["MMLU"].to_dict() == pytest.approx(
        {"OLMo-Flan-Seed-0": 0.47, "OLMo-Flan-Seed-1": 0.46, "Flan-T5": 0.52, "T5-Tulu-Seed-0": 0.45})
    matrix = scores.matrix()
    assert list(matrix.columns) == ["Anchoring", "Framing Effect"]
    assert matrix.loc["Flan-T5"].tolist() == [0.3, 0.2]
    assert scores.models.set_index("model").loc["Flan-T5", "reference"]


def test_wide_table_with_models_as_rows_and_index_labels() -> None:
    wide = _wide().set_index("bias")
    by_rows = StudyScores.load(wide.T, models_in="rows")
    by_columns = StudyScores.load(wide)
    pd.testing.assert_frame_equal(by_rows.matrix(), by_columns.matrix())


def test_scenario_level_wide_labels_are_split_at_the_first_separator() -> None:
    wide = pd.DataFrame(
        {"A-X-Seed-0": [0.1, 0.3, 0.5, 0.7], "B-Y-Seed-0": [0.0, 0.2, 0.4, 0.6]},
        index=["Anchoring_A manager_decides", "Anchoring_Another", "Halo Effect_A manager_decides", "Halo Effect_x"],
    )
    scores = StudyScores.load(wide)
    assert scores.has_scenarios
    features = scores.features("scenario")
    assert features["scenario"].tolist() == ["A manager_decides", "Another", "A manager_decides", "x"]
    assert scores.matrix("bias").loc["A-X-Seed-0"].tolist() == pytest.approx([0.2, 0.6])
    snake = pd.DataFrame({"A-X-Seed-0": [0.1, 0.2]}, index=["status_quo", "loss_aversion"])
    assert StudyScores.load(snake).biases == ["status_quo", "loss_aversion"]  # unique prefixes: bias level


def test_long_table_aliases_levels_and_plain_case_means() -> None:
    scores = StudyScores.load(_long_cases())
    assert scores.has_cases and scores.has_scenarios
    assert list(scores.table.columns) == ["model", "backbone", "data", "seed", "reference", "bias", "scenario",
                                          "case", "score"]
    # bias level = plain mean over cases (0.1, 0.2, 0.3, 0.9) -> 0.375, not the mean of scenario means (0.5)
    assert scores.matrix("bias").loc["a", "x"] == pytest.approx(0.375)
    assert scores.matrix("scenario").loc["a", "x_s1"] == pytest.approx(0.2)
    assert scores.models["seed"].tolist() == ["0", "1", "0"]


def test_scenario_level_leaves_out_biases_without_scenarios() -> None:
    table = _long_cases()
    extra = table[table["bias"] == "x"].drop_duplicates("model").assign(bias="certainty", scenario_id=None,
                                                                         case_id=None, score=0.4)
    scores = StudyScores.load(pd.concat([table, extra], ignore_index=True))
    assert scores.biases == ["x", "y", "certainty"]
    assert scores.matrix("bias").shape == (3, 3)
    assert list(scores.matrix("scenario").columns) == ["x_s1", "x_s2", "y_s1", "y_s2"]


def test_blank_scenario_and_case_mean_none() -> None:
    table = pd.DataFrame({"model": ["A-X-Seed-0", "A-X-Seed-0"], "bias": ["x", "y"], "scenario": ["", " "],
                          "case": ["", None], "score": [0.1, 0.2]})
    scores = StudyScores.load(table)
    assert not scores.has_scenarios and not scores.has_cases


def test_nan_case_scores_are_ignored_but_empty_cells_are_reported() -> None:
    table = _long_cases()
    table.loc[(table["model"] == "a") & (table["bias"] == "x") & (table["scenario_id"] == "s2"), "score"] = np.nan
    scores = StudyScores.load(table)
    assert scores.matrix("bias").loc["a", "x"] == pytest.approx(0.2)
    table.loc[(table["model"] == "a") & (table["bias"] == "x"), "score"] = np.nan
    with pytest.raises(DataFormatError, match="'a' has no valid score for 'x'"):
        StudyScores.load(table).matrix()


def test_labels_argument_overrides_names() -> None:
    wide = pd.DataFrame({"bias": ["x", "y"], "run-17": [0.1, 0.2], "run-18": [0.3, 0.1]})
    labels = {"run-17": {"backbone": "B", "data": "D", "seed": 1}, "run-18": {"backbone": "B", "data": "E", "seed": 1}}
    scores = StudyScores.load(wide, labels=labels)
    assert scores.models[["backbone", "data", "seed"]].values.tolist() == [["B", "D", "1"], ["B", "E", "1"]]
    with pytest.raises(ConfigError, match="not in the score table"):
        StudyScores.load(wide, labels={**labels, "ghost": {"backbone": "B", "data": "D"}})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"model": ["a"], "score": [0.1]}), r"lacks column\(s\) \['bias'\]"),
        (pd.DataFrame({"model": ["A-X-Seed-0"], "bias": ["x"], "score": ["high"]}), "column 'score' holds the non-numeric value 'high'"),
        (pd.DataFrame({"bias": ["x", "y"], "A-X-Seed-0": [0.1, "oops"]}), "model column 'A-X-Seed-0' holds the non-numeric value 'oops'"),
        (pd.DataFrame({"bias": ["x", "x"], "A-X-Seed-0": [0.1, 0.2]}), "feature 'x' appears twice"),
        (pd.DataFrame({"v": [0.1, 0.2], "A-X-Seed-0": [0.1, 0.2]}), "no row labels"),
        (pd.DataFrame({"model": ["A-X-Seed-0"] * 2, "bias": ["x"] * 2, "score": [0.1, 0.2]}), "several rows for model"),
        (pd.DataFrame({"model": ["m", "m"], "backbone": ["B", "C"], "data": ["D", "D"], "bias": ["x", "y"],
                       "score": [0.1, 0.2]}), "several values in column 'backbone'"),
        (pd.DataFrame({"model": ["A-X-Seed-0", "A-X-seed0"], "bias": ["x", "x"], "score": [0.1, 0.2]}),
         "share backbone, data and seed"),
        (pd.DataFrame({"model": ["a"], "data": ["D"], "dataset": ["E"], "bias": ["x"], "score": [0.1]}),
         "two columns for 'data'"),
    ],
)
def test_invalid_tables_are_rejected_with_the_column_named(table: pd.DataFrame, message: str) -> None:
    with pytest.raises(DataFormatError, match=message):
        StudyScores.load(table)


def test_files_are_read_and_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    _wide().to_csv(path, index=False)
    assert StudyScores.load(path).biases == ["Anchoring", "Framing Effect"]
    parquet = tmp_path / "scores.parquet"
    _long_cases().to_parquet(parquet)
    assert StudyScores.load(parquet).has_cases
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"bias": ["x"], "A-X-Seed-0": ["no"]}).to_csv(bad, index=False)
    with pytest.raises(DataFormatError, match="bad.csv"):
        StudyScores.load(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        StudyScores.load(tmp_path / "missing.csv")
    with pytest.raises(ConfigError, match="unknown file type"):
        StudyScores.load(tmp_path / "scores.xlsx")


def test_select_restricts_models_biases_and_references() -> None:
    scores = StudyScores.load(_wide())
    assert len(scores.select(references=False).models) == 3
    assert scores.select(biases=["Anchoring"]).biases == ["Anchoring"]
    assert "Flan-T5" not in scores.select(references=False).capabilities.index
    with pytest.raises(ConfigError, match="unknown bias"):
        scores.select(biases=["Nope"])
    with pytest.raises(ConfigError, match="unknown model"):
        scores.select(models=["Nope"])
    with pytest.raises(ConfigError, match="bias-level scores only"):
        scores.matrix("scenario")
