"""The command line: list and evaluate, good and bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from biasorigins.cli import main


def test_list_shows_builtin_biases(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "loss-aversion" in out and "Framing Effect" in out


def test_list_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--design", "reference point", "--json"]) == 0
    records = pd.read_json(io.StringIO(capsys.readouterr().out))
    assert "anchoring" in set(records["slug"]) and set(records["design"]) == {"reference point"}


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
