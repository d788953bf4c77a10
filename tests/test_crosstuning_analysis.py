"""analyze_scores end to end on simulated case-level scores: determinism, skips, figures and the report."""

from __future__ import annotations

import re
import sys
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from biasorigins.analysis import StudyAnalysis, StudyScores, analyze_scores
from biasorigins.analysis.report import READING_GUIDE, heading
from biasorigins.analysis.simulation import simulate_scores
from biasorigins.errors import ConfigError

FAST = {"n_permutations": 49, "n_bootstrap": 100, "n_restarts": 10}


def _study_table() -> pd.DataFrame:
    """2 x 2 x 3 seeds, 6 biases, 12 cases in 3 scenarios each, plus an unseeded reference model."""
    table = simulate_scores(backbones=2, datasets=2, seeds=3, biases=6, backbone_sd=0.25, seed_sd=0.05,
                            cases=12, case_sd=0.2, seed=4)
    table["scenario"] = "scenario " + (table["case"].str[-3:].astype(int) % 3).astype(str)
    reference = table[table["model"] == "B1-D1-Seed-0"].copy()
    reference["model"], reference["seed"] = "B1-D1", None
    reference["score"] = np.clip(reference["score"] + 0.05, -1, 1)
    return pd.concat([table, reference], ignore_index=True)


@pytest.fixture(scope="module")
def scores() -> StudyScores:
    return StudyScores.load(_study_table())


@pytest.fixture(scope="module")
def analysis(scores: StudyScores) -> StudyAnalysis:
    return analyze_scores(scores, seed=3, **FAST)


def test_every_analysis_runs_at_both_levels(analysis: StudyAnalysis) -> None:
    assert set(analysis.clustering) == {"bias", "scenario"}
    assert analysis.randomness is not None and analysis.attribution is not None and not analysis.skipped
    assert analysis.randomness.reference_summary["reference_model"].tolist() == ["B1-D1"]
    assert analysis.attribution.n_models == 12  # the reference model is not a seed replicate
    assert analysis.clustering["bias"].n_models == 13
    assert analysis.clustering["scenario"].n_features == 18
    summaries = analysis.summaries()
    assert "backbone" in summaries["clustering (bias level)"]
    assert summaries["attribution"].startswith("Across 6 biases and 12 models")
    assert all(text.endswith(".") for text in summaries.values())
    assert analysis.attribution.pooled.set_index("term")["share"].idxmax() == "backbone"


def _all_tables(analysis: StudyAnalysis) -> dict[str, pd.DataFrame]:
    return {f"{name}/{table}": frame for name, result in analysis.results().items()
            for table, frame in result.tables().items()}


def test_same_seed_same_analysis_other_seed_other_draws(scores: StudyScores, analysis: StudyAnalysis) -> None:
    again = _all_tables(analyze_scores(scores, seed=3, **FAST))
    for name, frame in _all_tables(analysis).items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)
    other = analyze_scores(scores, seed=4, **FAST).attribution.share_intervals
    assert not other.equals(analysis.attribution.share_intervals)


def test_designs_that_do_not_allow_an_analysis_are_skipped_with_reasons() -> None:
    one_dataset = simulate_scores(backbones=2, datasets=1, seeds=2, biases=4, seed=0)
    analysis = analyze_scores(one_dataset, **FAST)
    assert analysis.randomness is not None
    assert "two datasets" in analysis.skipped["clustering (bias level)"]
    assert "two instruction datasets" in analysis.skipped["attribution"]
    no_seeds = simulate_scores(backbones=2, datasets=2, seeds=1, biases=4, seed=0)
    skipped = analyze_scores(no_seeds, **FAST).skipped
    assert "at least two seeds" in skipped["randomness"] and "replicates" in skipped["attribution"]


def test_report_writes_html_with_embedded_figures_and_a_markdown_twin(analysis: StudyAnalysis, tmp_path: Path) -> None:
    path = analysis.report(tmp_path / "out" / "study.html", title="Simulated study")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<title>Simulated study</title>" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 6  # variability, 2 x (PCA, cosine), attribution
    for sentence in analysis.summaries().values():
        assert escape(sentence) in html
    markdown = path.with_suffix(".md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert len(images) == 6 and all((path.parent / image).is_file() for image in images)
    assert "| Group | Backbone | Data | n seeds | n features | Mean bias SD |" in markdown
    bare = analysis.report(tmp_path / "bare.html", figures=False, note="Simulated & not real.")
    bare_html = bare.read_text(encoding="utf-8")
    assert "data:image/png" not in bare_html
    assert '<p class="caveat">Simulated &amp; not real.</p>' in bare_html
    assert "> **Simulated & not real.**" in bare.with_suffix(".md").read_text(encoding="utf-8")
    assert 'class="caveat"' not in html
    for guide in READING_GUIDE.values():  # every section says how to read it
        assert escape(guide) in html
    with pytest.raises(ConfigError, match=r"\.html"):
        analysis.report(tmp_path / "study.pdf")


@pytest.mark.parametrize(("name", "expected"), [
    ("p_value", "p value"), ("partial_eta_sq", "Partial η²"), ("sum_sq", "Sum of squares"), ("ci_low", "CI low"),
    ("k3", "k = 3"), ("icc1k", "ICC(1,k)"), ("model_a", "Model A"), ("per_bias", "Per bias"), ("group", "Group"),
    ("B1-D1-Seed-0", "B1-D1-Seed-0"), ("PC1", "PC1"), ("Answer diagnostics", "Answer diagnostics"),
])
def test_headings_read_as_words(name: str, expected: str) -> None:
    assert heading(name) == expected


def test_report_tables_have_readable_headings_and_are_written_as_csv(analysis: StudyAnalysis, tmp_path: Path) -> None:
    long = pd.DataFrame({"model": [f"m{i}" for i in range(70)], "positional_share": np.linspace(0, 1, 70)})
    appendix = {"Answer diagnostics": long}  # longer than a report shows
    path = analysis.report(tmp_path / "study.html", figures=False, appendix=appendix)
    page = path.read_text(encoding="utf-8")
    headings = re.findall(r"<th>(.*?)</th>", page)
    assert headings and not [h for h in headings if "_" in h], "a raw snake_case column name in the report"
    assert "<th>Positional share</th>" in page and "<th>Partial η²</th>" in page
    shown = re.findall(r"<h3>(.*?)</h3>", page)
    files = sorted((tmp_path / "study_tables").glob("*.csv"))
    assert len(files) == len(shown) == len(re.findall(r"study_tables/[\w-]+\.csv", page))
    per_bias = pd.read_csv(tmp_path / "study_tables" / "randomness-per-bias.csv")
    pd.testing.assert_frame_equal(per_bias, analysis.randomness.per_bias.fillna(np.nan), check_dtype=False)
    similarity = pd.read_csv(tmp_path / "study_tables" / "clustering-bias-level-similarity.csv", index_col="model")
    np.testing.assert_allclose(similarity.to_numpy(), analysis.clustering["bias"].similarity.to_numpy())
    assert "First 64 of 70 rows; the full table is in study_tables/appendix-answer-diagnostics.csv" in page
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "study_tables" / "appendix-answer-diagnostics.csv"), long)


def test_figures_are_labelled(analysis: StudyAnalysis) -> None:
    from biasorigins.analysis.figures import attribution_bars, pca_scatter, seed_variability_bars, similarity_heatmap

    pca = pca_scatter(analysis.clustering["bias"])
    ax = pca.axes[0]
    assert re.fullmatch(r"PC1 \(\d+\.\d% of variance\)", ax.get_xlabel())
    assert re.fullmatch(r"PC2 \(\d+\.\d% of variance\)", ax.get_ylabel())
    assert [legend.get_title().get_text() for legend in pca.legends] == ["backbone", "instruction data"]
    assert [t.get_text() for t in pca.legends[0].get_texts()] == ["B1", "B2"]
    heatmap = similarity_heatmap(analysis.clustering["bias"]).axes[0]
    models = list(analysis.clustering["bias"].similarity.index)
    assert [t.get_text() for t in heatmap.get_yticklabels()] == models
    assert [t.get_text() for t in heatmap.get_xticklabels()] == models
    bars = attribution_bars(analysis.attribution)
    labels = [t.get_text() for t in bars.axes[0].get_yticklabels()]
    assert labels[-1] == "POOLED (all biases)" and len(labels) == 7
    assert [t.get_text() for t in bars.legends[0].get_texts()] == ["backbone", "instruction data", "backbone x data",
                                                                   "seed (residual)"]
    variability = seed_variability_bars(analysis.randomness).axes[0]
    assert [t.get_text() for t in variability.get_xticklabels()] == ["B1-D1", "B1-D2", "B2-D1", "B2-D2"]
    assert variability.get_ylabel() == "standard deviation across seeds"


def test_missing_matplotlib_names_the_extra(analysis: StudyAnalysis, monkeypatch: pytest.MonkeyPatch) -> None:
    from biasorigins.analysis.figures import pca_scatter
    from biasorigins.errors import PlotDependencyError

    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(PlotDependencyError, match=r"pip install biasorigins\[plots\]"):
        pca_scatter(analysis.clustering["bias"])


def test_results_print_their_summary_and_tables(analysis: StudyAnalysis) -> None:
    text = str(analysis.attribution)
    assert text.startswith(analysis.attribution.summary) and "[permanova]" in text
    assert list(analysis.attribution.tables()) == ["anova", "shares", "pooled", "mixed", "permanova", "effects",
                                                   "share_intervals", "findings"]
    assert "attribution:" in str(analysis)


def test_findings_are_one_table_and_the_summaries_are_written_from_it(analysis: StudyAnalysis) -> None:
    findings = analysis.findings
    assert list(findings.columns[:8]) == ["analysis", "factor", "level", "test", "statistic", "p_value", "p_min",
                                          "significant"]
    assert set(findings["factor"]) <= {"backbone", "data", "interaction", "seed"}
    assert findings["significant"].dtype == bool and findings["assumes"].str.len().min() > 20
    pooled = findings[findings["test"].str.startswith("pooled F")].set_index("factor")
    words = {"backbone": "the backbone", "data": "the instruction data", "interaction": "their interaction"}
    for factor, row in pooled.iterrows():  # flipping a finding flips the sentence
        said = f"{words[factor]} {'significant' if row['significant'] else 'not significant'}"
        assert said in analysis.attribution.summary


def test_attribution_is_skipped_with_a_reason_when_no_score_varies(tmp_path) -> None:
    from biasorigins.analysis import analyze_scores

    rows = [
        {"model": f"{b}-{d}-Seed-{s}", "bias": bias, "score": 0.0}
        for b in ("A", "B") for d in ("X", "Y") for s in (0, 1) for bias in ("anchoring", "framing-effect")
    ]
    analysis = analyze_scores(pd.DataFrame(rows), n_permutations=9, n_bootstrap=5, n_restarts=2)
    assert analysis.attribution is None
    assert "vary between models" in analysis.skipped["attribution"]
    report = analysis.report(tmp_path / "report.html")  # figures that cannot be drawn are left out
    assert "vary between models" in report.read_text()


def test_seeds_that_answer_alike_give_no_f_test_and_shares_stay_in_range() -> None:
    """Identical seeds leave no residual: F is undefined (not p ~ 0) and bootstrap shares lie in [0, 1]."""
    backbone_effect = {"A": 0.8, "B": 0.4}
    rows = [
        {"model": f"{b}-{d}-Seed-{s}", "bias": bias, "scenario": f"s{case}", "case": f"c{case}",
         "score": backbone_effect[b] if case < 2 else -0.8}  # the third case is constant everywhere
        for b in ("A", "B") for d in ("X", "Y") for s in (0, 1) for bias in ("anchoring", "framing-effect")
        for case in range(3)
    ]
    result = analyze_scores(pd.DataFrame(rows), n_permutations=9, n_bootstrap=200, n_restarts=2).attribution
    effects = result.anova[result.anova["term"] != "seed"]
    assert effects["F"].isna().all() and effects["p_value"].isna().all()
    shares = result.share_intervals
    assert ((shares["ci_low"] >= 0) & (shares["ci_high"] <= 1)).all()
    assert shares.set_index("term").loc["backbone", "share"] == pytest.approx(1.0)


def test_attribution_figure_names_a_bias_without_variation() -> None:
    from biasorigins.analysis.figures import attribution_bars

    table = simulate_scores(backbones=2, datasets=2, seeds=2, biases=3, backbone_sd=0.3, seed=1)
    constant = table["bias"] == table["bias"].iloc[0]
    table.loc[constant, "score"] = 0.25
    result = analyze_scores(table, n_permutations=9, n_bootstrap=20, n_restarts=2).attribution
    texts = [t.get_text() for t in attribution_bars(result).axes[0].texts]
    assert texts == ["no variation between models", "chance backbone", "chance data", "chance interaction"]


def test_pca_labels_of_coinciding_models_are_stacked() -> None:
    from biasorigins.analysis.figures import pca_scatter

    table = simulate_scores(backbones=2, datasets=2, seeds=2, biases=5, backbone_sd=0.3, data_sd=0.2, seed_sd=0.0,
                            seed=2)  # the two seeds of a cell coincide
    result = analyze_scores(table, n_permutations=9, n_bootstrap=5, n_restarts=2).clustering["bias"]
    labels = pca_scatter(result).axes[0].texts
    places = {(round(t.xy[0], 6), round(t.xy[1], 6), t.xyann) for t in labels}
    assert len(labels) == 8 and len(places) == 8  # two labels per spot, at different heights
