"""The peer arms of the benchmarks (lm-eval itself, TRL's SFTTrainer) still run, on a tiny random model.

The benchmarks time whole processes on SmolLM2 (docs/benchmarks.md); here each arm's own code runs
in-process on a tiny model, so a change in lm-eval, TRL or our code that breaks a script shows up in CI.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest

from biasorigins.exchange import export_prompts
from biasorigins.suite import BiasSuite

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(importlib.util.find_spec("lm_eval") is None,
                    reason="lm-eval is not installed (pip install -e '.[lmeval]')")
def test_lm_eval_arm_agrees_with_ours_prompt_by_prompt(tiny_causal_dir):
    script = load_script("lmeval_throughput")
    args = argparse.Namespace(model_path=str(tiny_causal_dir), biases="anchoring,framing-effect", cases=2, seed=0,
                              batch_size=8, only_our_tasks=True)
    theirs, ours = script.run_lm_eval(args), script.run_ours(args)
    orders = export_prompts(BiasSuite(args.biases.split(","), cases=2, seed=0, reversal_probe=0))["display_order"]
    assert any(list(order) != sorted(order) for order in orders), "some prompt must show its options reordered"
    found = script.compare(theirs["scores"], ours["scores"])
    assert found["prompts"] == found["same"] == 8 and found["max_abs_difference"] < 1e-4
    # the comparison can fail: move one of lm-eval's scores above the option we chose
    pid, mine = next(iter(ours["scores"].items()))
    theirs["scores"][pid] = [value + (0.0 if i == min(range(len(mine)), key=mine.__getitem__) else -100.0)
                             for i, value in enumerate(theirs["scores"][pid])]
    assert script.compare(theirs["scores"], ours["scores"])["disagreements"] == [pid]


@pytest.mark.skipif(importlib.util.find_spec("trl") is None, reason="trl is not installed (pip install -e '.[bench]')")
def test_trl_arm_trains_the_same_supervised_tokens_as_ours(tiny_causal_dir):
    script = load_script("finetune_throughput")
    args = argparse.Namespace(steps=2, batch_size=4, micro_batch_size=2, max_length=1024, seed=0)
    records = script.flan_like_mix(8, long_fraction=0.0, seed=0)
    trl = script.run_trl(args, str(tiny_causal_dir), records, checkpointing=False)
    ours = script.run_ours(args, str(tiny_causal_dir), records, packed=True)
    assert trl["steps"] == ours["steps"] == 2
    assert trl["supervised_tokens"] == ours["supervised_tokens"] > 0
    assert trl["padding_tokens"] == ours["padding_tokens"] == 0
    assert trl["supervised_tokens_per_second"] > 0
