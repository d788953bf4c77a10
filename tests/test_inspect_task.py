"""The inspect-ai task: inspect's models answer, biasorigins scores, and the numbers equal ours.

Runs the real inspect-ai package offline: its mock model with answers chosen from the rendered
prompt text, its ``hf`` provider on a tiny saved model, and the ``inspect`` command in a subprocess
(which finds the task through the ``inspect_ai`` entry point). Every inspect log goes to a
temporary folder, never into the repository.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("inspect_ai", reason="inspect-ai is not installed: pip install -e '.[inspect]' (CI installs it "
                                         "with the test extra)")

from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from biasorigins.errors import BiasOriginsError
from biasorigins.exchange import score_answers
from biasorigins.inspect_task import bias_suite, result_from_log, suite_result
from biasorigins.inspect_task.scoring import METRIC_FIELDS
from biasorigins.models.hf import HFRunner
from biasorigins.suite import BiasSuite

ROOT = Path(__file__).resolve().parents[1]
BIASES = ["anchoring", "framing-effect", "loss-aversion"]
DECISION_COLUMNS = ["bias", "case_id", "condition", "choice", "displayed_choice", "status", "valid", "score"]


@pytest.fixture(autouse=True)
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Inspect logs go to tmp_path (also for anything that reads INSPECT_LOG_DIR), never into the repo."""
    before = {p.name for p in ROOT.iterdir()}
    folder = tmp_path / "inspect-logs"
    monkeypatch.setenv("INSPECT_LOG_DIR", str(folder))
    yield folder
    assert {p.name for p in ROOT.iterdir()} <= before, "a test wrote into the repository root"


def scripted_answer(text: str) -> str:
    """An answer read off the rendered prompt only: labels and option texts, in several styles
    (explicit label, option text, refusal, ambiguous, bare label), chosen by a hash of the text."""
    shown = re.findall(r"^Option (\w+): (.+)$", text, re.MULTILINE)
    assert len(shown) >= 2, text
    digest = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    style, pick = digest % 5, shown[(digest // 5) % len(shown)]
    if style == 0:
        return f"Option {pick[0]}"
    if style == 1:
        return f"I would go with this one: {pick[1]}"
    if style == 2:
        return "I cannot help with that request."
    if style == 3:
        return f"Option {shown[0][0]} or Option {shown[1][0]}, it is hard to say."
    return f"My answer is {pick[0]}."


def mock_outputs(input, tools, tool_choice, config) -> ModelOutput:
    output = ModelOutput.from_content(model="mockllm", content=scripted_answer(input[-1].text))
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)  # no tiktoken download offline
    return output


def metric_values(log) -> dict[str, float]:
    (scores,) = log.results.scores
    return {name: metric.value for name, metric in scores.metrics.items()}


def same_number(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_mock_model_answers_score_exactly_as_score_answers(log_dir: Path) -> None:
    (log,) = inspect_eval(bias_suite(biases=",".join(BIASES), cases=6, seed=3), log_dir=str(log_dir),
                          model=get_model("mockllm/model", custom_outputs=mock_outputs), display="none")
    assert log.status == "success", log.error
    suite = BiasSuite(BIASES, cases=6, seed=3)
    answers = [{"case_id": p.case_id, "condition": p.condition, "answer": scripted_answer(p.text)}
               for p in suite.prompts()]
    expected = score_answers(answers, suite=suite, model="mockllm/model")
    assert len(log.samples) == len(answers)
    assert {s.scores["bias_choice"].value for s in log.samples} == {"ok", "invalid", "refused"}

    metrics = metric_values(log)
    summary = expected.summary.to_dict(orient="records")
    assert len(metrics) == len(summary) * len(METRIC_FIELDS)
    for row in summary:
        for name in METRIC_FIELDS:
            assert same_number(metrics[f"{row['bias']}/{name}"], float(row[name])), (row["bias"], name)

    got = result_from_log(log)
    assert got.model == "mockllm/model"
    pd.testing.assert_frame_equal(got.summary, expected.summary)
    pd.testing.assert_frame_equal(got.table[DECISION_COLUMNS + ["text"]], expected.table[DECISION_COLUMNS + ["text"]])


def test_metric_puts_answers_back_in_the_suite_order(log_dir: Path) -> None:
    """Inspect hands scores over in completion order; the bootstrap CI must not depend on it."""
    (log,) = inspect_eval(bias_suite(biases="anchoring", cases=8), log_dir=str(log_dir), display="none",
                          model=get_model("mockllm/model", custom_outputs=mock_outputs))
    from inspect_ai.scorer import SampleScore

    scores = [SampleScore(score=s.scores["bias_choice"], sample_id=s.id, sample_metadata=s.metadata)
              for s in log.samples]
    in_order, reversed_order = suite_result(scores), suite_result(scores[::-1])
    pd.testing.assert_frame_equal(in_order.summary, reversed_order.summary)
    pd.testing.assert_frame_equal(in_order.table, reversed_order.table)


def test_likelihood_solver_on_an_hf_model_equals_suite_run(tiny_causal_dir: Path, log_dir: Path) -> None:
    (log,) = inspect_eval(bias_suite(biases=",".join(BIASES), cases=4, mode="likelihood"), log_dir=str(log_dir),
                          model=f"hf/{tiny_causal_dir}", display="none")
    assert log.status == "success", log.error
    expected = BiasSuite(BIASES, cases=4).run(HFRunner(tiny_causal_dir), progress=False)
    got = result_from_log(log)
    pd.testing.assert_frame_equal(got.table[DECISION_COLUMNS], expected.table[DECISION_COLUMNS])
    for ours, theirs in zip(got.table["option_scores"], expected.table["option_scores"]):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-6)
    assert got.chat_format == expected.chat_format == "model"  # the tiny model has a chat template
    pd.testing.assert_frame_equal(got.summary.drop(columns="model"), expected.summary.drop(columns="model"))
    assert {s.output.completion for s in log.samples} <= {"Option A", "Option B", "Option C", "Option D",
                                                          "Option E", "Option F", "Option G", "Option H",
                                                          "Option I", "Option J", "Option K"}


def test_likelihood_mode_without_local_weights_fails_with_what_to_do(log_dir: Path) -> None:
    (log,) = inspect_eval(bias_suite(biases="anchoring", cases=1, mode="likelihood"), log_dir=str(log_dir),
                          model=get_model("mockllm/model", custom_outputs=mock_outputs), display="none")
    assert log.status == "error"
    assert "local Hugging Face model" in log.error.message and "-T model=PATH" in log.error.message


@pytest.mark.parametrize("options, message", [
    ({"mode": "sample"}, "mode must be one of generate, likelihood"),
    ({"mode": "generate", "model": "some/model"}, "apply to mode=likelihood"),
    ({"biases": "no-such-bias"}, "no-such-bias"),
])
def test_bad_task_options_raise_one_typed_error(options: dict, message: str) -> None:
    with pytest.raises(BiasOriginsError, match=re.escape(message)):
        bias_suite(**options)


def test_pyproject_registers_the_task_module_under_inspects_entry_point_group() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["inspect_ai"] == {"biasorigins": "biasorigins.inspect_task._registry"}
    assert "inspect-ai" in " ".join(project["optional-dependencies"]["test"])


def editable_install_of_this_checkout():
    """The installed biasorigins distribution when it is an editable install of this checkout, else None.

    Inspect names a package's tasks ``package/task`` only when the package is installed (site-packages
    or editable); a checkout put on PYTHONPATH is not, so the command runs without PYTHONPATH.
    """
    import json
    from importlib.metadata import distributions
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    for dist in distributions(name="biasorigins"):
        direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
        source = Path(url2pathname(urlparse(direct_url.get("url", "")).path)).resolve()
        if source == ROOT and direct_url.get("dir_info", {}).get("editable"):
            return dist
    return None


@pytest.mark.slow
def test_inspect_command_finds_the_task_by_name(tiny_causal_dir: Path, log_dir: Path, tmp_path: Path) -> None:
    dist = editable_install_of_this_checkout()
    if dist is None:
        pytest.skip(f"biasorigins is not installed editable from {ROOT} (pip install -e '.[test]')")
    registered = {ep.name: ep.value for ep in dist.entry_points if ep.group == "inspect_ai"}
    if registered.get("biasorigins") != "biasorigins.inspect_task._registry":
        pytest.skip("the installed biasorigins predates its inspect_ai entry point: reinstall it (pip install -e .)")
    command = [sys.executable, "-m", "inspect_ai", "eval", "biasorigins/bias_suite", "-T", "biases=anchoring",
               "-T", "cases=2", "-T", "mode=likelihood", "-T", f"model={tiny_causal_dir}", "--model", "none",
               "--log-dir", str(log_dir), "--log-format", "json", "--display", "plain"]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(command, check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = log_dir.glob("*.json")
    log = read_eval_log(str(path))
    assert log.eval.task == "biasorigins/bias_suite" and log.status == "success", done.stdout
    expected = BiasSuite(["anchoring"], cases=2).run(HFRunner(tiny_causal_dir), progress=False)
    pd.testing.assert_frame_equal(result_from_log(log).summary.drop(columns="model"),
                                  expected.summary.drop(columns="model"))
