"""Whole-process evaluation time: lm-evaluation-harness itself vs ``HFRunner(chat_format="raw")``.

Both arms answer the very same prompts (our lm-eval tasks, ``biasorigins/data/lm_eval``, and the
same ``BiasSuite`` with ``reversal_probe=0``) with the same model in fp32 on the CPU, batch size 8,
one torch thread, no chat template, and both end with the per-bias scores:

- ``lm-eval``: ``lm_eval.simple_evaluate`` with the ``hf`` model and our task folder, as
  ``lm_eval --include_path ... --tasks ...`` runs it (lm-eval's full task index included);
- ``ours``: ``BiasSuite.run(HFRunner(path, chat_format="raw"))``.

Each arm runs in its own fresh process, so the timings include Python imports, model load, task
building, scoring and aggregation: the whole run a user waits for. Arms alternate their order
across repeats. Printed: the median and fastest wall and CPU seconds (the process and its
threads) per arm, their ratio, the agreement of the chosen options prompt by prompt (lm-eval's
per-document log-likelihoods, from ``log_samples``, against ours) and the largest difference of
log-likelihoods.

Usage::

    python benchmarks/lmeval_throughput.py                      # SmolLM2-135M-Instruct, 3 biases x 12 cases
    python benchmarks/lmeval_throughput.py --model tiny --cases 1 --repeats 1   # seconds, a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from biasorigins.testing import offline_model

BIASES = ("anchoring", "framing-effect", "loss-aversion")
ARMS = ("lm-eval", "ours")
TIE = 1e-5  # log-likelihoods closer than this are a tie


# ------------------------------------------------------------------ arms (each in its own process)
def run_lm_eval(args: argparse.Namespace) -> dict:
    """lm-eval's per-document option log-likelihoods and per-bias bias scores."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from biasorigins.lmeval import task_folder, task_name

    started = time.perf_counter()
    manager = TaskManager(include_path=str(task_folder()), include_defaults=not args.only_our_tasks,
                          metadata={"cases": args.cases, "seed": args.seed})
    indexed = time.perf_counter()
    found = simple_evaluate(
        model="hf", model_args={"pretrained": args.model_path, "dtype": "float32", "device": "cpu"},
        tasks=[task_name(slug) for slug in args.biases.split(",")], task_manager=manager,
        batch_size=args.batch_size, log_samples=True, apply_chat_template=False,
    )
    scores = {sample["doc"]["prompt_id"]: [float(r[0]) for r in sample["filtered_resps"]]
              for samples in found["samples"].values() for sample in samples}
    return {"scores": scores, "index_seconds": indexed - started, "evaluate_seconds": time.perf_counter() - indexed,
            "bias_scores": {slug: found["results"][task_name(slug)]["bias_score,none"]
                            for slug in args.biases.split(",")}}


def run_ours(args: argparse.Namespace) -> dict:
    """Our option log-likelihoods (in displayed order, as lm-eval's) and per-bias bias scores."""
    from biasorigins.exchange import export_prompts
    from biasorigins.models.hf import HFRunner
    from biasorigins.suite import BiasSuite

    started = time.perf_counter()
    suite = BiasSuite(args.biases.split(","), cases=args.cases, seed=args.seed, reversal_probe=0)
    runner = HFRunner(args.model_path, chat_format="raw", batch_size=args.batch_size, dtype="float32", device="cpu")
    loaded = time.perf_counter()
    result = suite.run(runner, progress=False)
    exported = export_prompts(suite).set_index(["case_id", "condition"])
    scores = {}
    for row in result.table.itertuples():  # option_scores are in the scale's order: back to the displayed one
        prompt = exported.loc[(row.case_id, row.condition)]
        scores[prompt["prompt_id"]] = [float(row.option_scores[i]) for i in prompt["display_order"]]
    return {"scores": scores, "load_seconds": loaded - started, "evaluate_seconds": time.perf_counter() - loaded,
            "bias_scores": dict(zip(result.summary["bias"], result.summary["mean"].astype(float)))}


def child(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    found = run_lm_eval(args) if args.arm == "lm-eval" else run_ours(args)
    Path(args.output).write_text(json.dumps(found), encoding="utf-8")


# ------------------------------------------------------------------ driver
def run_arm(arm: str, args: argparse.Namespace, path: str, output: Path) -> dict:
    """Run one arm in a fresh process; its wall and CPU seconds (the whole process) join its result."""
    command = [sys.executable, __file__, "--arm", arm, "--model-path", path, "--output", str(output),
               "--biases", args.biases, "--cases", str(args.cases), "--seed", str(args.seed),
               "--batch-size", str(args.batch_size), "--threads", str(args.threads)]
    if args.only_our_tasks:
        command.append("--only-our-tasks")
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": str(args.threads)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"arm {arm} failed:\n{done.stderr[-4000:]}")
    found = json.loads(output.read_text(encoding="utf-8"))
    found["wall_seconds"] = wall
    found["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return found


def compare(theirs: dict[str, list[float]], ours: dict[str, list[float]]) -> dict:
    """Prompt-by-prompt agreement of the argmax (ties count as agreeing) and the largest difference."""
    if set(theirs) != set(ours):
        raise SystemExit(f"the arms answered different prompts: {len(set(theirs) ^ set(ours))} differ")
    same = ties = 0
    largest = 0.0
    disagreements = []
    for pid, mine in ours.items():
        other = theirs[pid]
        largest = max(largest, max(abs(a - b) for a, b in zip(mine, other, strict=True)))
        pick_mine, pick_other = max(range(len(mine)), key=mine.__getitem__), max(range(len(other)), key=other.__getitem__)
        if pick_mine == pick_other:
            same += 1
        elif abs(mine[pick_mine] - mine[pick_other]) < TIE or abs(other[pick_mine] - other[pick_other]) < TIE:
            ties += 1
        else:
            disagreements.append(pid)
    return {"prompts": len(ours), "same": same, "ties": ties, "disagreements": disagreements,
            "max_abs_difference": largest}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2", help="smollm2 (default), tiny, or a model folder")
    parser.add_argument("--biases", default=",".join(BIASES))
    parser.add_argument("--cases", type=int, default=12, help="cases per bias (2 prompts each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per arm")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only-our-tasks", action="store_true",
                        help="lm-eval indexes only our task folder, not its own ~thousands of tasks")
    parser.add_argument("--arm", help=argparse.SUPPRESS)
    parser.add_argument("--model-path", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.arm:
        child(args)
        return 0

    runs: dict[str, list[dict]] = {arm: [] for arm in ARMS}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        path = offline_model(args.model, Path(folder))
        for repeat in range(args.repeats):
            for arm in ARMS if repeat % 2 == 0 else ARMS[::-1]:  # alternate the order across repeats
                found = run_arm(arm, args, path, Path(folder) / f"{arm}-{repeat}.json")
                runs[arm].append(found)
                print(f"  {arm:8s} run {repeat + 1}: {found['wall_seconds']:6.1f} s wall, "
                      f"{found['cpu_seconds']:6.1f} s CPU", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    report(args, runs, load_before, load_after)
    return 0


def report(args: argparse.Namespace, runs: dict[str, list[dict]], load_before: tuple, load_after: tuple) -> None:
    import lm_eval
    import torch

    n = len(runs["ours"][0]["scores"])
    print(f"Whole-process evaluation: model={args.model}, {n} prompts ({args.biases}, {args.cases} cases x 2), "
          f"fp32, CPU, batch {args.batch_size}, {args.threads} torch thread(s), {args.repeats} repeats")
    print(f"  machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; torch {torch.__version__}, "
          f"lm_eval {lm_eval.__version__}")
    print(f"  {'arm':9s}{'wall median':>12s}{'fastest':>9s}{'CPU median':>12s}{'fastest':>9s}  runs (wall/CPU s)")
    median = {}
    for arm, found in runs.items():
        walls, cpus = [r["wall_seconds"] for r in found], [r["cpu_seconds"] for r in found]
        median[arm] = (statistics.median(walls), statistics.median(cpus))
        print(f"  {arm:9s}{median[arm][0]:12.1f}{min(walls):9.1f}{median[arm][1]:12.1f}{min(cpus):9.1f}  "
              + ", ".join(f"{w:.1f}/{c:.1f}" for w, c in zip(walls, cpus)))
    phases = runs["lm-eval"][0]
    print(f"  lm-eval phases (run 1): task index {phases['index_seconds']:.1f} s, "
          f"model load + evaluate + aggregate {phases['evaluate_seconds']:.1f} s")
    phases = runs["ours"][0]
    print(f"  ours phases (run 1): suite + model load {phases['load_seconds']:.1f} s, "
          f"evaluate + score {phases['evaluate_seconds']:.1f} s")
    print(f"  ours vs lm-eval: {median['lm-eval'][0] / median['ours'][0]:.2f}x (wall, medians), "
          f"{median['lm-eval'][1] / median['ours'][1]:.2f}x (CPU time, medians)")
    agreement = compare(runs["lm-eval"][0]["scores"], runs["ours"][0]["scores"])
    print(f"  agreement of choices: {agreement['same']}/{n} same, {agreement['ties']} ties, "
          f"{len(agreement['disagreements'])} disagree {agreement['disagreements'][:5]}; "
          f"max |log-likelihood difference| {agreement['max_abs_difference']:.2e}")
    theirs, ours = runs["lm-eval"][0]["bias_scores"], runs["ours"][0]["bias_scores"]
    print("  bias scores (lm-eval / ours): " + ", ".join(f"{b} {theirs[b]:.4f} / {ours[b]:.4f}" for b in ours))


if __name__ == "__main__":
    sys.exit(main())
