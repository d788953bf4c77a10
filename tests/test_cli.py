"""The command line: list and evaluate, good and bad input."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pandas as pd
import pytest

from biasorigins.cli import main
from biasorigins.errors import ConfigError


def test_list_shows_builtin_biases(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "loss-aversion" in out and "Framing Effect" in out


def test_list_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--design", "reference point", "--json"]) == 0
    records = pd.read_json(io.StringIO(capsys.readouterr().out))
    assert "anchoring" in set(records["slug"]) and set(records["design"]) == {"reference point"}


@pytest.mark.parametrize(("search", "slug"), [
    ("herd behaviour", "bandwagon-effect"),  # an alias only
    ("ALLAIS", "certainty-effect"),  # an alias, in another case
    ("failing course of action", "escalation-of-commitment"),  # the definition only
    ("loss aversion", "loss-aversion"),  # the slug, spelt with a space
])
def test_list_search_matches_aliases_and_definitions(search: str, slug: str, capsys) -> None:
    assert main(["list", "--search", search, "--json"]) == 0
    assert list(pd.read_json(io.StringIO(capsys.readouterr().out))["slug"]) == [slug]
    assert main(["list", "--search", search]) == 0
    assert capsys.readouterr().out.rstrip().endswith("1 bias")


def test_list_search_without_a_match_says_so(capsys) -> None:
    assert main(["list", "--search", "no such bias anywhere"]) == 0
    assert "no registered bias matches --search 'no such bias anywhere'" in capsys.readouterr().out


def test_list_rejects_an_unknown_design(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--design", "mirror pair"]) == 1
    assert "unknown design 'mirror pair'" in capsys.readouterr().err


def test_lm_eval_path_prints_the_shipped_task_folder(capsys: pytest.CaptureFixture[str]) -> None:
    from biasorigins.presets import get_preset

    assert main(["lm-eval-path"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert folder.is_dir() and (folder / "biasorigins_hooks.py").is_file()
    assert all((folder / f"{slug}.yaml").is_file() for slug in get_preset("builtin").slugs)


def test_demo_refuses_a_file_as_its_folder(tmp_path: Path, capsys) -> None:
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    assert main(["demo", "--quick", "--out", str(taken)]) == 1
    assert "is a file" in capsys.readouterr().err and taken.read_text() == "mine"


def test_evaluate_a_model_folder_writes_results(tiny_causal_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    code = main(["evaluate", str(tiny_causal_dir), "--biases", "anchoring", "framing-effect", "--cases", "4",
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Anchoring" in printed and "Framing Effect" in printed
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["bias"]) == ["anchoring", "framing-effect"]
    assert (summary["n_valid"] + summary["n_invalid"] == 4).all()
    decisions = pd.read_csv(out / "decisions.csv")
    assert len(decisions) == 2 * 4 * 2


def test_evaluate_generate_mode_writes_json(tiny_causal_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    code = main(["evaluate", str(tiny_causal_dir), "--biases", "framing-effect", "--cases", "3", "--mode", "generate",
                 "--max-new-tokens", "3", "--out", str(out), "--format", "json", "--no-progress"])
    assert code == 0
    assert "generate" in capsys.readouterr().out
    decisions = pd.read_json(out / "decisions.json")
    assert len(decisions) == 3 * 2
    assert decisions["text"].map(lambda t: isinstance(t, str)).all()  # the generated answers are kept
    assert decisions["option_scores"].isna().all()  # generation gives no per-option scores
    assert list(pd.read_json(out / "summary.json")["bias"]) == ["framing-effect"]


def test_evaluate_resumes_from_a_store_and_writes_parquet(tiny_causal_dir: Path, tmp_path: Path, capsys) -> None:
    from biasorigins.store import DecisionStore

    store = tmp_path / "answers.sqlite"
    args = ["evaluate", str(tiny_causal_dir), "--biases", "anchoring", "--cases", "4", "--store", str(store),
            "--no-progress", "--format", "parquet"]
    assert main([*args, "--out", str(tmp_path / "first")]) == 0
    with DecisionStore(store) as opened:
        assert opened.count() == 4 * 2 + 4 * 2  # the answers and their display-reversed twins
    assert main([*args, "--out", str(tmp_path / "second")]) == 0
    with DecisionStore(store) as opened:
        assert opened.count() == 4 * 2 + 4 * 2  # the second run asked nothing new
    first = pd.read_parquet(tmp_path / "first" / "decisions.parquet")
    second = pd.read_parquet(tmp_path / "second" / "decisions.parquet")
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "first" / "diagnostics.parquet"),
                                  pd.read_parquet(tmp_path / "second" / "diagnostics.parquet"))
    assert first["option_scores"].map(len).eq(11).all()  # lists survive Parquet


def test_evaluate_several_adapters_on_one_loaded_model(tiny_causal_dir: Path, tmp_path: Path, capsys) -> None:
    from importlib import resources

    data = resources.files("biasorigins") / "data" / "instructions" / "flan_style.jsonl"
    for run, seed in (("seed-a", "0"), ("seed-b", "1")):
        assert main(["finetune", str(tiny_causal_dir), str(data), "--out", str(tmp_path / run), "--preset", "tiny",
                     "--set", "max_steps=1", "--seed", seed, "--no-progress"]) == 0
    code = main(["evaluate", str(tiny_causal_dir), "--biases", "framing-effect", "--cases", "3", "--adapter",
                 str(tmp_path / "seed-a"), str(tmp_path / "seed-b" / "adapter"), "--with-base",
                 "--out", str(tmp_path / "results"), "--no-progress"])
    assert code == 0
    summary = pd.read_csv(tmp_path / "results" / "summary.csv")
    base = tiny_causal_dir.name
    assert list(summary["model"]) == [base, f"{base}+seed-a", f"{base}+seed-b"]
    assert len(pd.read_csv(tmp_path / "results" / "decisions.csv")) == 3 * 3 * 2
    printed = capsys.readouterr().out
    assert f"Model: {base}+seed-b" in printed
    assert main(["evaluate", str(tiny_causal_dir), "--adapter", str(tmp_path / "seed-a"), str(tmp_path / "seed-a"),
                 "--biases", "framing-effect"]) == 1
    assert "both be named 'seed-a'" in capsys.readouterr().err
    assert main(["evaluate", str(tiny_causal_dir), "--with-base", "--biases", "framing-effect"]) == 1
    assert "--with-base needs" in capsys.readouterr().err


def test_evaluate_rejects_bad_numbers(tiny_causal_dir: Path, capsys) -> None:
    assert main(["evaluate", str(tiny_causal_dir), "--biases", "anchoring", "--cases", "0"]) == 1
    assert "--cases must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(tiny_causal_dir), "--mode", "sample"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'sample'" in capsys.readouterr().err


def test_unknown_bias_exits_with_a_suggestion(tiny_causal_dir: Path, capsys) -> None:
    assert main(["evaluate", str(tiny_causal_dir), "--biases", "anchorng"]) == 1
    assert "Did you mean 'anchoring'" in capsys.readouterr().err


def test_missing_model_folder_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["evaluate", str(tmp_path / "nowhere"), "--biases", "anchoring", "--cases", "1"]) == 1
    assert "nowhere" in capsys.readouterr().err


def test_no_command_prints_help(capsys) -> None:
    assert main([]) == 2
    assert "usage: biasorigins" in capsys.readouterr().out


@pytest.mark.slow
def test_readme_main_job_on_smollm2(capsys) -> None:
    """The README's main job, on the three pattern biases with few cases."""
    code = main(["evaluate", "smollm2", "--biases", "anchoring", "framing-effect", "loss-aversion", "--cases", "4"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Model: SmolLM2-135M-Instruct" in out
    for title in ("Anchoring", "Framing Effect", "Loss Aversion"):
        assert title in out


def test_analyze_a_published_table(reference_dir: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "report.html"
    code = main(["analyze", str(reference_dir / "cross_tuning_full_scores.csv"), "--report", str(report),
                 "--out", str(tmp_path / "tables")])
    assert code == 0
    out = capsys.readouterr().out
    assert "silhouette 0.106" in out and "(0.025" in out
    assert report.is_file() and report.with_suffix(".md").is_file()
    assert (tmp_path / "tables" / "attribution-shares.csv").is_file()
    assert main(["analyze", str(reference_dir / "cross_tuning_full_scores.csv"), "--out", str(tmp_path / "json"),
                 "--format", "json"]) == 0
    shares = pd.read_json(tmp_path / "json" / "attribution-shares.json")
    assert len(shares) > 0
    findings = pd.read_json(tmp_path / "json" / "findings.json")
    assert {"analysis", "factor", "level", "test", "statistic", "p_value", "significant", "assumes"} <= set(findings)
    capsys.readouterr()
    assert main(["analyze", str(reference_dir / "cross_tuning_full_scores.csv"), "--format", "json"]) == 0
    printed = pd.read_json(io.StringIO(capsys.readouterr().out))
    assert len(printed) == len(findings)


@pytest.mark.parametrize(
    ("content", "extra", "words"),
    [
        (b"", [], "is empty"),
        (b"\x00\xff\xfe\x00binary\xff", [], "not a readable text table"),
        (b"model,bias,score\nA-X-Seed-0,anchoring,inf\n", [], "infinite value"),
        (b"model,bias,value\nA-X-Seed-0,anchoring,0.1\n", [], "lacks the column 'score'"),
        (b"model,bias,score\nA-X-Seed-0,anchoring,0.1\n", ["--report", "r.txt"], ".html file name"),
        (b"model,bias,score\nA-X-Seed-0,anchoring,0.1\n", ["--out", "afile"], "is a file"),
    ],
)
def test_analyze_bad_input_one_error_nothing_written(tmp_path: Path, capsys, content, extra, words) -> None:
    table = tmp_path / "scores.csv"
    table.write_bytes(content)
    (tmp_path / "afile").write_text("keep me")
    extra = [str(tmp_path / e) if e in ("r.txt", "afile") else e for e in extra]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["analyze", str(table), "--out", str(tmp_path / "tables"), *extra]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_analyze_scores_refuses_bad_counts() -> None:
    from biasorigins.analysis import analyze_scores

    with pytest.raises(ConfigError, match="n_permutations must be a positive integer"):
        analyze_scores(pd.DataFrame({"model": ["A-X-Seed-0"], "bias": ["b"], "score": [0.1]}), n_permutations=-5)


def test_analyze_missing_file(tmp_path: Path, capsys) -> None:
    assert main(["analyze", str(tmp_path / "missing.csv")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_finetune_a_tiny_model(tiny_causal_dir: Path, tmp_path: Path, capsys) -> None:
    from importlib import resources

    data = resources.files("biasorigins") / "data" / "instructions" / "flan_style.jsonl"
    code = main(["finetune", str(tiny_causal_dir), str(data), "--out", str(tmp_path / "run"), "--preset", "tiny",
                 "--set", "max_steps=2", "--no-progress"])
    assert code == 0
    assert "steps: 2" in capsys.readouterr().out
    assert (tmp_path / "run" / "adapter" / "adapter_config.json").is_file()


def test_finetune_rejects_bad_settings_and_data(tiny_causal_dir: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "Say hi", "completion": "hi"}\n{"prompt": "Say bye"}\n')
    assert main(["finetune", str(tiny_causal_dir), str(bad), "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "bad.jsonl" in err and "line 2" in err
    assert main(["finetune", str(tiny_causal_dir), str(bad), "--out", str(tmp_path / "r"), "--set", "lerning_rate=1"]) == 1
    assert "learning_rate" in capsys.readouterr().err


def test_crosstune_plans_the_paper_study(capsys) -> None:
    study = Path(__file__).resolve().parents[1] / "examples" / "paper_study.toml"
    assert main(["crosstune", str(study), "plan"]) == 0
    out = capsys.readouterr().out
    assert "olmo-flan-s0" in out and "ref-flan-t5" in out and "14 cells" in out


def test_crosstune_reports_a_malformed_design(tmp_path: Path, capsys) -> None:
    study = tmp_path / "study.toml"
    study.write_text('seeds = [0]\n[backbones.a]\nmodel = "x"\n[datasets.d]\npath = "d.jsonl"\n[suite]\ncases = 0\n')
    assert main(["crosstune", str(study), "plan"]) == 1
    err = capsys.readouterr().err
    assert "study.toml" in err and "cases" in err


@pytest.mark.slow
def test_quick_demo_writes_a_report_that_opens_with_planted_versus_recovered(tmp_path: Path, capfd) -> None:
    from transformers.utils import logging as transformers_logging

    finetune_logger = logging.getLogger("biasorigins.finetune")
    transformers_logging.enable_progress_bar()
    level = finetune_logger.level
    code = main(["demo", "--quick", "--out", str(tmp_path / "demo"), "--no-progress"])
    assert code == 0
    # an in-process call leaves the caller's logging and transformers' bars as they were
    assert finetune_logger.level == level and transformers_logging.is_progress_bar_enabled()
    out, err = capfd.readouterr()  # the file descriptors, so the worker processes' output is here too
    # No weight-loading bars or expected warnings, from the worker processes either
    assert "Loading weights" not in err and "Warning" not in err, err
    assert "toy-scale demonstration" in out and "report:" in out and "smoke test" in out
    assert re.search(r"^(Both plants were recovered|Not every plant was recovered)", out, re.MULTILINE)
    assert "min CPU" in out and "continued-pretrained backbones" in out  # the cost and what the cache did
    html = (tmp_path / "demo" / "report.html").read_text()
    assert "toy-scale demonstration" in html  # the caveat is in the report, not only on the terminal
    # the planted-vs-recovered table comes first, before the study's own summary
    first = html.index("Planted versus recovered")
    assert first < html.index("<h2>Summary</h2>")
    for text in ("status-quo-bias", "framing-effect", "nowhere (control)", "Backbone effect [95% CI]",
                 "Data effect [95% CI]", "instruction data (Framing-Data)",
                 "How much data the recovery needs", "First loss", "before instruction tuning"):
        assert text in html[first:], text
    assert "data:image/png;base64" in html  # at least one embedded figure
    assert "Planted versus recovered" in (tmp_path / "demo" / "report.md").read_text()
    scores = pd.read_csv(tmp_path / "demo" / "scores.csv")
    assert scores["model"].nunique() == 8 and set(scores["seed"].dropna()) == {0, 1}
    assert set(scores["bias"]) == {"status-quo-bias", "framing-effect", "anchoring", "certainty-effect"}
    figures = {path.name for path in (tmp_path / "demo" / "report_figures").iterdir()}
    assert {"seed_variability.png", "attribution.png"} <= figures
