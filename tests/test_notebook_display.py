"""Notebook ergonomics: short reprs, escaped HTML cards, no -0.000, right plurals, forest plots."""

from __future__ import annotations

import dataclasses
import re
import sys

import numpy as np
import pytest

import biasorigins as bo
from biasorigins.analysis import analyze_scores, simulate_scores
from biasorigins.display import format_ci, format_score, plural
from biasorigins.errors import ConfigError, PlotDependencyError
from biasorigins.finetune import FinetuneConfig, FinetuneResult
from biasorigins.metrics import ScoreSummary
from biasorigins.testing.responders import FirstOptionResponder, TextResponder

BIASES = ["anchoring", "framing effect", "loss aversion", "bandwagon effect"]
NASTY = "<script>alert('x')</script> & co"
NEGATIVE_ZERO = re.compile(r"-0\.0+(?!\d*[1-9])")


@pytest.fixture(scope="module")
def suite() -> bo.BiasSuite:
    return bo.BiasSuite(BIASES, cases=6, seed=0)


@pytest.fixture(scope="module")
def reader(suite: bo.BiasSuite) -> bo.SuiteResult:
    """Answers read from the prompt text as a person with the biases would: content-following."""
    return suite.run(TextResponder(suite.biases), model=NASTY, progress=False)


@pytest.fixture(scope="module")
def positional(suite: bo.BiasSuite) -> bo.SuiteResult:
    return suite.run(FirstOptionResponder(), model="first-option", progress=False)


def tiny_scores(result: bo.SuiteResult) -> bo.SuiteResult:
    """``result`` with means, CIs that round to zero from below (and one exact -0.0)."""
    summaries = {slug: ScoreSummary(mean=-0.0001 * (i + 1), ci_low=-0.004, ci_high=-0.0, n_valid=6, n_invalid=0,
                                    mean_abs=0.0001) for i, slug in enumerate(result.summaries)}
    return dataclasses.replace(result, summaries=summaries)


# ------------------------------------------------------------------ formatting helpers
def test_plural_is_singular_only_for_one() -> None:
    assert [plural(n, "bias") for n in (0, 1, 2)] == ["0 biases", "1 bias", "2 biases"]
    assert plural(1, "case") == "1 case" and plural(3, "case") == "3 cases"
    assert plural(2, "analysis", "analyses") == "2 analyses"


@pytest.mark.parametrize(("value", "text"), [(-0.0, "0.000"), (-0.0004, "0.000"), (0.0004, "0.000"),
                                             (-0.0006, "-0.001"), (0.25, "+0.250"), (-1.0, "-1.000"),
                                             (float("nan"), ""), (None, "")])
def test_scores_format_without_negative_zero(value: float | None, text: str) -> None:
    assert format_score(value) == text


def test_confidence_intervals_format_without_negative_zero() -> None:
    assert format_ci(-0.004, -0.0) == "[0.00, 0.00]"
    assert format_ci(-0.3, 0.3) == "[-0.30, +0.30]"
    assert format_ci(float("nan"), 0.1) == ""


# ------------------------------------------------------------------ SuiteResult
def test_suite_result_repr_is_one_informative_line(reader: bo.SuiteResult, positional: bo.SuiteResult) -> None:
    assert repr(reader) == f"<SuiteResult {NASTY!r}: 4 biases, 24 cases, 0 invalid cases, content answers>"
    assert repr(positional).endswith("positional answers>")
    assert "\n" not in repr(reader) and "DataFrame" not in repr(reader)


def test_suite_result_html_is_escaped_and_has_the_per_bias_table(reader: bo.SuiteResult) -> None:
    page = reader._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page
    headers = re.findall(r"<th style=[^>]*>(.*?)</th>", page)
    assert headers == ["bias", "mean", "95% CI", "n", "invalid", "answers follow"]
    rows = re.findall(r"<tr>(.*?)</tr>", page)[1:]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    summary = reader.summary
    assert [c[0] for c in cells] == list(summary["title"])
    assert [c[1] for c in cells] == [f"{m:+.3f}" for m in summary["mean"]]
    assert [c[3] for c in cells] == [str(n) for n in summary["n_valid"]]
    assert "4 biases" in page and "24 cases" in page and "Warning" not in page


def test_the_positional_warning_tops_the_html(positional: bo.SuiteResult) -> None:
    page = positional._repr_html_()
    warning = positional.answer_quality.warning
    assert warning and f"Warning: {warning}" in page
    assert page.index("Warning") < page.index("<table")


def test_the_answer_mode_shows_when_the_answers_tell(reader: bo.SuiteResult) -> None:
    assert "mode:" not in reader._repr_html_()  # a responder gives neither option scores nor text
    scored = dataclasses.replace(reader, table=reader.table.assign(option_scores=[(0.1, 0.9)] * len(reader.table)))
    assert "mode: likelihood" in scored._repr_html_()
    generated = dataclasses.replace(reader, table=reader.table.assign(text="Option A"))
    assert "mode: generate" in generated._repr_html_()


def test_no_negative_zero_in_text_or_html(reader: bo.SuiteResult) -> None:
    result = tiny_scores(reader)
    for shown in (result.to_string(), result._repr_html_()):
        assert not NEGATIVE_ZERO.search(shown), shown
    assert "0.000" in result.to_string() and "[0.00, 0.00]" in result._repr_html_()


def test_one_bias_and_one_case_are_singular() -> None:
    suite = bo.BiasSuite(["anchoring"], cases=1, seed=0, reversal_probe=1)
    result = suite.run(FirstOptionResponder(), progress=False)
    shown = [repr(suite), suite._repr_html_(), repr(result), result._repr_html_()]
    assert repr(suite) == "<BiasSuite 1 bias x 1 case, seed=0>"
    assert "1 bias, 1 case, 0 invalid cases" in repr(result)
    for text in shown:
        assert not re.search(r"\b1 (biases|cases|models|answers)\b", text), text


def test_bias_suite_html_lists_its_biases_and_settings(suite: bo.BiasSuite) -> None:
    page = suite._repr_html_()
    titles = re.findall(r"<tr><td[^>]*>(.*?)</td>", page)
    assert titles == [b.info.title for b in suite.biases]
    for fact in ("4 biases", "6 cases per bias", "seed 0", "counterbalance: reverse", "reversal probe: 4 cases"):
        assert fact in page


# ------------------------------------------------------------------ StudyAnalysis and FinetuneResult
def test_study_analysis_repr_and_escaped_html() -> None:
    analysis = analyze_scores(simulate_scores(biases=6, seed=0), n_permutations=19, n_bootstrap=19, n_restarts=2)
    assert repr(analysis) == ("<StudyAnalysis 12 models (0 reference), 6 biases: randomness, "
                              "clustering (bias level), attribution>")
    page = analysis._repr_html_()
    for sentence in analysis.summaries().values():  # the sentences hold "<=" and "&"-free text: escaped
        assert sentence.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;") in page
    assert "<=" not in page and "Settings: seed = 0" in page


def test_finetune_result_repr_and_escaped_html(tmp_path) -> None:
    result = FinetuneResult(
        output_dir=tmp_path, adapter_dir=tmp_path / "adapter", config=FinetuneConfig(), base_model=NASTY,
        kind="causal", steps=1, num_examples=40, final_loss=1.23456, losses=(1.23456,), supervised_tokens=900,
        tokens_per_second=1234.5, seconds=3.2, data_fingerprint="ab" * 32)
    assert repr(result) == (f"<FinetuneResult {NASTY!r}: causal, 1 step, 40 examples, final loss 1.2346, "
                            f"1,234 tokens/s, 3.2 s; adapter in {tmp_path / 'adapter'}>")
    page = result._repr_html_()
    assert "<script>" not in page and "Finetuned: &lt;script&gt;" in page
    assert "LoRA r=16, alpha=32, lr=0.0002 (linear), batch 32, seed 0" in page and "not saved" in page


# ------------------------------------------------------------------ combined table and forest plot
def test_combine_results_is_one_row_per_model_and_bias(reader: bo.SuiteResult,
                                                       positional: bo.SuiteResult) -> None:
    table = bo.combine_results({"a": reader, "b": positional})
    assert len(table) == 8 and list(table["model"].unique()) == [NASTY, "first-option"]
    assert table.groupby("model")["answer_quality"].first().to_dict() == {NASTY: "content",
                                                                          "first-option": "positional"}
    np.testing.assert_array_equal(table["mean"].iloc[:4], reader.summary["mean"])
    with pytest.raises(ConfigError, match="same model name"):
        bo.combine_results([reader, reader])
    with pytest.raises(ConfigError, match="no results"):
        bo.combine_results([])


def _error_bars(ax) -> list:
    return [c for c in ax.containers if c.__class__.__name__ == "ErrorbarContainer"]


def test_forest_plot_draws_one_row_per_bias_and_a_ci_per_model(reader: bo.SuiteResult,
                                                                positional: bo.SuiteResult) -> None:
    fig = bo.plot_results([reader, positional])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    by_mean = reader.summary.assign(both=(reader.summary["mean"].to_numpy() + positional.summary["mean"].to_numpy()) / 2)
    expected = list(by_mean.sort_values("both", ascending=False, kind="stable")["title"])
    assert labels == expected[::-1]  # matplotlib lists ticks bottom-up: the highest mean is on top
    bars = _error_bars(ax)
    assert len(bars) == 2
    for container, result in zip(bars, (reader, positional)):
        segments = container.lines[2][0].get_segments()
        assert len(segments) == len(result.summary)
        got = sorted((round(s[0][0], 9), round(s[1][0], 9)) for s in segments)
        want = sorted(zip(result.summary["ci_low"].round(9), result.summary["ci_high"].round(9)))
        assert got == want
        row_of = {label: position for position, label in enumerate(labels)}  # each marker in its bias's row
        xs, ys = container.lines[0].get_data()
        means = dict(zip(result.summary["title"], result.summary["mean"]))
        assert sorted(zip(np.rint(np.asarray(ys, float)).astype(int), np.round(np.asarray(xs, float), 9))) == sorted(
            (row_of[title], round(mean, 9)) for title, mean in means.items())
    zero = [line for line in ax.get_lines() if list(line.get_xdata()) == [0, 0]]
    assert len(zero) == 1
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [NASTY, "first-option [answers follow position]"]
    assert ax.get_xlim() == (-1.1, 1.1)


def test_one_model_plot_orders_rows_and_marks_missing_and_positional_results(positional: bo.SuiteResult) -> None:
    summaries = dict(positional.summaries)
    slug = next(iter(summaries))
    summaries[slug] = ScoreSummary(mean=float("nan"), ci_low=float("nan"), ci_high=float("nan"), n_valid=0,
                                   n_invalid=6, mean_abs=float("nan"))
    fig = dataclasses.replace(positional, summaries=summaries).plot(order="title")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == sorted(positional.summary["title"], key=str.lower)[::-1]
    assert len(_error_bars(ax)[0].lines[2][0].get_segments()) == 3
    assert [t.get_text() for t in ax.texts] == ["no valid cases"]
    assert "answers follow option position" in ax.get_title() and not fig.legends


def test_forest_plot_rejects_bad_order_and_names_the_missing_extra(reader: bo.SuiteResult,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="order must be"):
        reader.plot(order="size")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(PlotDependencyError, match=r"pip install biasorigins\[plots\]"):
        reader.plot()
