"""The suite as a Hugging Face dataset: rows, card, round trip through disk, and the export command."""

from __future__ import annotations

import hashlib
import json
import sys
from importlib.util import find_spec

import pandas as pd
import pytest

from biasorigins.cli import main
from biasorigins.errors import ConfigError
from biasorigins.exchange import score_answers
from biasorigins.models.callable import CallableRunner
from biasorigins.records import TestCase
from biasorigins.suite import BiasSuite

needs_datasets = pytest.mark.skipif(
    find_spec("datasets") is None,
    reason="the 'datasets' package is not installed (pip install 'biasorigins[datasets]')",
)
BIASES = ["anchoring", "framing-effect", "loss-aversion", "certainty-effect", "belief-bias-valid"]


@pytest.fixture(scope="module")
def suite() -> BiasSuite:
    return BiasSuite(BIASES, cases=8, seed=2)


def hashed_answer(text: str, labels: list[str]) -> str:
    """An answer read off the prompt text alone: a label picked by a hash of the text, or a refusal."""
    digest = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    if digest % 9 == 0:
        return "I cannot answer that."
    return f"I pick Option {labels[digest % len(labels)]}."


@needs_datasets
def test_rows_are_the_prompts_the_suite_sends_with_the_case_as_columns(suite: BiasSuite) -> None:
    data = suite.to_dataset()
    assert list(data) == ["test"]
    rows = data["test"].to_list()
    prompts = suite.prompts()
    assert [(r["case_id"], r["condition"], r["text"]) for r in rows] == [
        (p.case_id, p.condition, p.text) for p in prompts]
    assert [(r["labels"], r["options"], r["display_order"]) for r in rows] == [
        (list(p.labels), list(p.options), list(p.display_order)) for p in prompts]
    cases = {case.id: case for case in suite.cases()}
    for row in rows:
        case = TestCase.model_validate_json(row["case"])
        assert case == cases[row["case_id"]] and case.id == row["case_id"]
        cond = case.condition(row["condition"])
        assert row["situation"] == list(cond.situation) and row["question"] == cond.question
        assert [row["scale_options"][i] for i in row["display_order"]] == row["options"]
        assert row["reversed"] == (row["display_order"][0] != 0)
        assert json.loads(row["values"]) == case.values and row["bias_version"] == case.bias_version
        assert row["text"].count("Option ") >= len(row["labels"])
    frame = pd.DataFrame(rows)
    conditions = frame.groupby("case_id")["condition"].apply(frozenset)
    assert all(conditions[case_id] == frozenset(case.conditions) for case_id, case in cases.items())
    per_case = frame.drop_duplicates("case_id")
    assert per_case.groupby("bias")["reversed"].mean().loc["anchoring"] == 0.5  # counterbalanced


@needs_datasets
def test_round_trip_through_disk_scores_exactly_like_the_suite(suite: BiasSuite, tmp_path) -> None:
    from datasets import Dataset, load_from_disk

    runner = CallableRunner(lambda ps: [hashed_answer(p.text, list(p.labels)) for p in ps], input="prompt")
    in_library = suite.run(runner, model="m", progress=False)

    suite.to_dataset().save_to_disk(str(tmp_path / "data"))
    data = load_from_disk(str(tmp_path / "data"))
    answers = [{"prompt_id": r["prompt_id"], "answer": hashed_answer(r["text"], r["labels"])} for r in data["test"]]
    from_dataset = score_answers(Dataset.from_list(answers), prompts=data, model="m")
    answered = data["test"].add_column("answer", [a["answer"] for a in answers])  # the answers beside the prompts
    pd.testing.assert_frame_equal(score_answers(answered, prompts=data, model="m").summary, from_dataset.summary)

    assert (in_library.table["status"] == "refused").any() and in_library.table["valid"].mean() > 0.8
    # answers brought back carry no chat format; the run records its runner's
    pd.testing.assert_frame_equal(from_dataset.summary.drop(columns="chat_format"),
                                  in_library.summary.drop(columns="chat_format"))
    pd.testing.assert_frame_equal(from_dataset.scores, in_library.scores)
    # the comparison can fail: other answers to one bias give other scores
    other = [{**a, "answer": "Option A"} if r["bias"] == "anchoring" else a for a, r in zip(answers, data["test"])]
    changed = score_answers(other, prompts=data, model="m").summary.set_index("bias")["mean"]
    assert changed.loc["anchoring"] != in_library.summary.set_index("bias")["mean"].loc["anchoring"]
    assert changed.drop("anchoring").equals(in_library.summary.set_index("bias")["mean"].drop("anchoring"))


@needs_datasets
def test_the_dataset_card_comes_from_the_plugins_metadata(suite: BiasSuite) -> None:
    from huggingface_hub import DatasetCard

    from biasorigins import __version__
    from biasorigins.hf_dataset import dataset_card

    card = dataset_card(suite)
    text = str(card)
    assert DatasetCard(text).data.pretty_name == "biasorigins bias suite (5 biases x 8 cases, seed 2)"
    assert card.data.task_categories == ["multiple-choice"]
    for bias in suite.biases:
        assert f"| {bias.info.title} | `{bias.info.slug}` | {bias.info.version} |" in text
        assert bias.info.definition in text and ", ".join(bias.info.conditions) in text
    assert f"biasorigins {__version__}" in text and "| seed | 2 |" in text and "| cases per bias | 8 |" in text
    assert suite.to_dataset()["test"].info.description == text


@needs_datasets
def test_same_settings_same_digest_other_seed_other_digest() -> None:
    from biasorigins.hf_dataset import content_digest, dataset_frame

    first, again = (content_digest(dataset_frame(BiasSuite(["anchoring"], cases=4, seed=0))) for _ in range(2))
    other = content_digest(dataset_frame(BiasSuite(["anchoring"], cases=4, seed=1)))
    assert first == again != other


@needs_datasets
def test_export_dataset_command_writes_a_frozen_set_that_scores_back(tmp_path, capsys) -> None:
    from datasets import load_from_disk

    out = tmp_path / "set"
    args = ["export-dataset", "--biases", "anchoring", "framing-effect", "--cases", "4", "--seed", "0", "--out"]
    assert main([*args, str(out)]) == 0
    data = load_from_disk(str(out))
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert readme == data["test"].info.description and "| seed | 0 |" in readme
    same = BiasSuite(["anchoring", "framing-effect"], cases=4, seed=0).to_dataset()
    assert data["test"].to_list() == same["test"].to_list()
    answers = [{"prompt_id": r["prompt_id"], "label": r["labels"][0]} for r in data["test"]]
    assert set(score_answers(answers, prompts=data).summary["bias"]) == {"anchoring", "framing-effect"}

    assert main([*args, str(out)]) == 1  # not empty: refused before any work
    assert "is not empty" in capsys.readouterr().err


def test_without_the_datasets_package_to_dataset_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # import datasets -> ImportError
    with pytest.raises(ConfigError, match=r"pip install 'biasorigins\[datasets\]'"):
        BiasSuite(["anchoring"], cases=2).to_dataset()
