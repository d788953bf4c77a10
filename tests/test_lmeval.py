"""lm-evaluation-harness tasks: shipped configs in sync, found by lm-eval, equal to HFRunner(chat_format="raw")."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from biasorigins.exchange import export_prompts
from biasorigins.lmeval import (
    HOOKS_MODULE, METRICS, build_docs, process_results, score_items, task_configs, task_folder, task_name,
)
from biasorigins.errors import DataFormatError
from biasorigins.presets import get_preset, preset_names
from biasorigins.suite import BiasSuite

lm_eval = pytest.importorskip("lm_eval", reason="lm-eval is not installed (pip install 'biasorigins[lmeval]')")

BIASES = ["anchoring", "framing-effect", "certainty-effect"]
CASES = 4


def test_shipped_configs_equal_the_generated_ones():
    """The YAML files in the package are what task_configs() makes from the installed plugins and presets."""
    shipped = {p.name: p.read_text(encoding="utf-8") for p in task_folder().iterdir() if p.suffix != ".py"
               and p.is_file()}
    assert shipped == task_configs()
    assert (task_folder() / f"{HOOKS_MODULE}.py").is_file()


def test_cli_prints_the_task_folder():
    out = subprocess.run([sys.executable, "-m", "biasorigins", "lm-eval-path"], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert Path(out) == task_folder() and (Path(out) / "anchoring.yaml").is_file()


@pytest.fixture(scope="module")
def task_manager():
    """lm-eval's task index with ours added, as ``lm_eval --include_path`` builds it (half a minute)."""
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(task_folder()), metadata={"cases": CASES})


@pytest.mark.slow
def test_lm_eval_finds_a_task_per_bias_and_a_group_per_preset(task_manager):
    names = set(task_manager.all_tasks)
    assert {task_name(slug) for slug in get_preset("builtin").slugs} <= names
    assert {f"biasorigins_{name}" for name in preset_names()} <= names


def test_documents_are_the_suites_prompts_with_bias_case_and_condition():
    docs = build_docs("framing-effect", cases=CASES, seed=2, pretrained="ignored-model-arg")["test"].to_pandas()
    exported = export_prompts(BiasSuite("framing-effect", cases=CASES, seed=2))
    assert list(docs["prompt_id"]) == list(exported["prompt_id"])
    assert (docs["bias"] == "framing-effect").all() and docs["case"].notna().all()
    assert list(docs["condition"]) == list(exported["condition"])
    assert all(q == t + "\n\nAnswer: Option" for q, t in zip(docs["query"], docs["text"]))


def test_items_score_without_knowing_their_task():
    """Aggregation reads only its items; a mixture of biases is refused instead of giving NaN."""
    docs = [dict(d) for d in build_docs("anchoring", cases=CASES)["test"]]
    items = [process_results(doc, [(-1.0 if i else 0.0, False) for i in range(len(doc["labels"]))])["bias_score"]
             for doc in docs]
    assert score_items(items).summary["n_valid"].iloc[0] == CASES
    other = [dict(d) for d in build_docs("framing-effect", cases=1)["test"]]
    mixed = items + [process_results(other[0], [(0.0, False)] * len(other[0]["labels"]))["bias_score"]]
    with pytest.raises(DataFormatError, match="one bias"):
        score_items(mixed)


@pytest.fixture(scope="module")
def lm_eval_run(tiny_causal_dir, task_manager):
    from lm_eval import simple_evaluate

    return simple_evaluate(
        model="hf", model_args={"pretrained": str(tiny_causal_dir), "dtype": "float32", "device": "cpu"},
        tasks=[task_name(slug) for slug in BIASES], task_manager=task_manager, batch_size=8, log_samples=True,
        bootstrap_iters=0,
    )


@pytest.fixture(scope="module")
def ours(tiny_causal_dir):
    from biasorigins.models.hf import HFRunner

    runner = HFRunner(str(tiny_causal_dir), chat_format="raw", device="cpu")
    suite = BiasSuite(BIASES, cases=CASES, seed=0)
    return runner, suite, suite.run(runner, progress=False)


@pytest.mark.slow
def test_lm_eval_log_likelihoods_equal_hf_runner_raw(lm_eval_run, ours):
    runner, suite, _ = ours
    by_id = {pid: p for pid, p in zip(export_prompts(suite)["prompt_id"], suite.prompts())}
    for slug in BIASES:
        samples = lm_eval_run["samples"][task_name(slug)]
        prompts = [by_id[s["doc"]["prompt_id"]] for s in samples]
        theirs = [[float(r[0]) for r in s["filtered_resps"]] for s in samples]
        for got, want in zip(theirs, runner.option_logprobs(prompts)):
            assert got == pytest.approx(want, abs=1e-4)


@pytest.mark.slow
def test_lm_eval_per_bias_scores_equal_suite_run(lm_eval_run, ours):
    _, _, result = ours
    summary = result.summary.set_index("bias")
    for slug in BIASES:
        metrics = lm_eval_run["results"][task_name(slug)]
        for metric, column in METRICS.items():
            want = summary.loc[slug, column]
            got = metrics[f"{metric},none"]
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, abs=1e-9), (slug, metric)
    assert summary.loc[BIASES, "n_valid"].sum() == CASES * len(BIASES)


@pytest.mark.slow
def test_parity_check_can_fail(lm_eval_run, tiny_causal_dir):
    """Another chat format reads other text, so its log-likelihoods differ from lm-eval's: the check above bites."""
    from biasorigins.models.hf import HFRunner

    suite = BiasSuite(BIASES[:1], cases=CASES, seed=0)
    by_id = dict(zip(export_prompts(suite)["prompt_id"], suite.prompts()))
    samples = lm_eval_run["samples"][task_name(BIASES[0])]
    theirs = [float(r[0]) for s in samples for r in s["filtered_resps"]]
    tulu = HFRunner(str(tiny_causal_dir), chat_format="tulu", device="cpu")
    other = [v for row in tulu.option_logprobs([by_id[s["doc"]["prompt_id"]] for s in samples]) for v in row]
    assert max(abs(a - b) for a, b in zip(theirs, other)) > 1e-3
