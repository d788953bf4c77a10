"""Model cards: the bias profile parses back with huggingface_hub's own ModelCard / EvalResult classes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from huggingface_hub import ModelCard

from biasorigins import __version__
from biasorigins.cli import main
from biasorigins.model_card import HEADING, METRIC_TYPE
from biasorigins.models.callable import CallableRunner
from biasorigins.suite import BiasSuite

BIASES = ["anchoring", "loss-aversion", "certainty-effect"]


def hashed_label(text: str, labels: tuple[str, ...]) -> str:
    return labels[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(labels)]


@pytest.fixture(scope="module")
def suite() -> BiasSuite:
    return BiasSuite(BIASES, cases=6, seed=1)


@pytest.fixture(scope="module")
def result(suite: BiasSuite):
    runner = CallableRunner(lambda ps: [f"Option {hashed_label(p.text, p.labels)}" for p in ps], input="prompt")
    return suite.run(runner, model="org/finetuned-135m", progress=False)


def test_model_index_parses_back_into_one_eval_result_per_bias(suite: BiasSuite, result) -> None:
    card = ModelCard(result.to_model_card(suite, settings={"mode": "generate"}))
    assert card.data.model_name == "org/finetuned-135m"
    summary = result.summary.set_index("bias")
    entries = {entry.dataset_config: entry for entry in card.data.eval_results}
    assert sorted(entries) == sorted(BIASES)
    for slug, entry in entries.items():
        assert (entry.task_type, entry.dataset_type, entry.dataset_split, entry.metric_type) == (
            "text-generation", "biasorigins", "test", METRIC_TYPE)
        assert entry.metric_value == round(summary.loc[slug, "mean"], 4)
        assert entry.dataset_args == {"library_version": __version__, "paper_compatible": False, "cases": 6,
                                      "seed": 1, "labels": "letters", "bias_version": suite.bias(slug).info.version}
        assert entry.verified is None  # only the Hub's evaluation service sets it


def test_markdown_section_has_the_table_with_intervals_settings_and_versions(suite: BiasSuite, result) -> None:
    card = ModelCard(result.to_model_card(suite, settings={"mode": "generate"}))
    assert card.text.lstrip().startswith(HEADING)
    for row in result.summary.itertuples():
        version = suite.bias(row.bias).info.version
        interval = f"{row.ci_low:+.3f} to {row.ci_high:+.3f}"
        assert f"| {row.title} | {version} | {row.mean:+.3f} | {interval} | {row.n_valid} |" in card.text
    for setting in (f"| library | biasorigins {__version__} |", "| seed | 1 |", "| cases per bias | 6 |",
                    "| mode | generate |", f"| chat format | {result.chat_format} |"):
        assert setting in card.text
    assert result.chat_format == "none"  # a callable reads the prompt text itself


def test_biases_without_a_score_stay_in_the_table_but_not_in_the_model_index(suite: BiasSuite) -> None:
    texts = CallableRunner(lambda ps: [f"Option {p.labels[0]}" if "anchor" not in p.case_id else "no idea" for p in ps],
                           input="prompt")
    result = suite.run(texts, model="m", progress=False)
    card = ModelCard(result.to_model_card())  # without the suite: versions from the registry
    assert sorted(e.dataset_config for e in card.data.eval_results) == ["certainty-effect", "loss-aversion"]
    assert "| Anchoring | 1 | – | – to – | 0 |" in card.text
    assert "-0.000" not in card.text


def test_evaluate_writes_the_model_card(tiny_causal_dir: Path, tmp_path: Path) -> None:
    card_path, out = tmp_path / "card.md", tmp_path / "tables"
    code = main(["evaluate", str(tiny_causal_dir), "--biases", "anchoring", "framing-effect", "--cases", "3",
                 "--name", "tiny", "--out", str(out), "--model-card", str(card_path), "--no-progress"])
    assert code == 0
    card = ModelCard(card_path.read_text(encoding="utf-8"))
    summary = pd.read_csv(out / "summary.csv").set_index("bias")
    assert {e.dataset_config: e.metric_value for e in card.data.eval_results} == {
        slug: round(summary.loc[slug, "mean"], 4) for slug in ("anchoring", "framing-effect")}
    assert card.data.model_name == "tiny" and "| mode | likelihood |" in card.text


def test_model_card_for_several_adapters_is_refused_before_loading(tmp_path: Path, capsys) -> None:
    code = main(["evaluate", "no-such-model", "--adapter", str(tmp_path / "a"), str(tmp_path / "b"),
                 "--model-card", str(tmp_path / "card.md")])
    assert code == 1 and "--model-card describes one model" in capsys.readouterr().err
