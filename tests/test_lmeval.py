"""lm-evaluation-harness tasks: shipped configs in sync, found by lm-eval, equal to HFRunner(chat_format="raw")."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from biasorigins.errors import DataFormatError
from biasorigins.exchange import export_prompts
from biasorigins.lmeval import (
    METRICS,
    build_docs,
    process_results,
    score_items,
    task_folder,
    task_name,
    write_task_configs,
)
from biasorigins.presets import get_preset, preset_names
from biasorigins.suite import BiasSuite

needs_lm_eval = pytest.mark.skipif(importlib.util.find_spec("lm_eval") is None,
                                   reason="lm-eval is not installed (pip install -e '.[lmeval]')")

BIASES = ["anchoring", "framing-effect", "certainty-effect"]
CASES = 4


def read_folder(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.is_file()}


def test_shipped_configs_equal_the_generated_ones(tmp_path):
    """The shipped files are what write_task_configs makes from the installed plugins and presets."""
    write_task_configs(tmp_path)
    assert read_folder(task_folder()) == read_folder(tmp_path), (
        "regenerate: python -c 'from biasorigins.lmeval import task_folder, write_task_configs as w; w(task_folder())'")


@pytest.fixture(scope="module")
def task_manager():
    """lm-eval's task index with ours added, as ``lm_eval --include_path`` builds it (half a minute)."""
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(task_folder()), metadata={"cases": CASES})


@needs_lm_eval
@pytest.mark.slow
def test_lm_eval_finds_a_task_per_bias_and_a_group_per_preset(task_manager):
    names = set(task_manager.all_tasks)
    assert {task_name(slug) for slug in get_preset("builtin").slugs} <= names
    assert {f"biasorigins_{name}" for name in preset_names()} <= names


@needs_lm_eval
def test_documents_are_the_suites_prompts_with_bias_case_and_condition():
    docs = build_docs("framing-effect", cases=CASES, seed=2, pretrained="ignored-model-arg")["test"].to_pandas()
    exported = export_prompts(BiasSuite("framing-effect", cases=CASES, seed=2))
    assert list(docs["prompt_id"]) == list(exported["prompt_id"])
    assert (docs["bias"] == "framing-effect").all() and docs["case"].notna().all()
    assert list(docs["condition"]) == list(exported["condition"])
    assert all(q == t + "\n\nAnswer: Option" for q, t in zip(docs["query"], docs["text"]))


@needs_lm_eval
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


@needs_lm_eval
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


@needs_lm_eval
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


@needs_lm_eval
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
