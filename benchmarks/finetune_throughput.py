"""Finetuning throughput: biasorigins.finetune() vs a plain transformers Trainer + peft baseline and TRL.

Both arms train the same LoRA (rank 16, all linear layers) on the same model,
the same examples (a Flan-like length mix: mostly short prompt/completion
pairs, some long few-shot prompts), for the same number of optimizer steps
with the same effective batch, and both learn only the completions (the same
token ids and labels, from our encoder). The difference is the engine:

- ours: length-grouped micro-batches, logits computed only where a token is
  supervised, loss normalised over the whole effective batch;
- baseline: ``transformers.Trainer`` with a random sampler and a collator
  that pads each micro-batch to its longest example;
- trl: TRL's ``SFTTrainer``, padding-free, completion-only loss from a
  ``completion_mask`` over our token ids (``trl-checkpointing``: with TRL's
  default gradient checkpointing; ``packed-checkpointing`` is ours with it).

One full epoch is run (examples = steps x batch size), so both arms see every
example exactly once. Each arm runs in its own fresh process, so peak memory
(RSS on CPU, ``torch.cuda.max_memory_allocated`` on GPU) is its own. Printed:
supervised tokens per second of training for both, their ratio and peak
memory.

Usage::

    python benchmarks/finetune_throughput.py                 # SmolLM2-135M-Instruct
    python benchmarks/finetune_throughput.py --model tiny    # seconds, for a smoke test
    python benchmarks/finetune_throughput.py --arms ours,packed,baseline --repeats 2
    python benchmarks/finetune_throughput.py --threads 1 --arms packed,trl,packed-checkpointing,trl-checkpointing
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from biasorigins.testing import offline_model

LORA = dict(lora_r=16, lora_alpha=32, lora_dropout=0.05)
LEARNING_RATE = 2e-4


# ------------------------------------------------------------------ data
def flan_like_mix(count: int, long_fraction: float, seed: int) -> list[dict[str, str]]:
    """Mostly short Flan-style records plus some long few-shot prompts built from them."""
    path = resources.files("biasorigins") / "data" / "instructions" / "flan_style.jsonl"
    with open(str(path), encoding="utf-8") as handle:
        pool = [json.loads(line) for line in handle if line.strip()]
    rng = random.Random(seed)
    records = []
    for index in range(count):
        target = rng.choice(pool)
        if rng.random() < long_fraction:
            shots = rng.sample(pool, rng.randint(8, 14))
            context = "".join(f"{s['prompt']}\n{s['completion']}\n\n" for s in shots)
            records.append({"prompt": context + target["prompt"], "completion": target["completion"]})
        else:
            records.append({"prompt": target["prompt"], "completion": target["completion"]})
    return records


# ------------------------------------------------------------------ arms
class StepClock:
    """Wall and CPU clocks at the end of every optimizer step, with the step's supervised tokens.

    Rates are taken from the end of step 1 to the end of the last step, so the first step
    (one-off warm-up work) counts for neither arm. CPU time (this process, all threads) is
    far less sensitive than wall time to other programs sharing the machine.
    """

    def __init__(self) -> None:
        self.marks: list[tuple[float, float, int]] = []

    def step_done(self, supervised_tokens: int) -> None:
        self.marks.append((time.perf_counter(), time.process_time(), supervised_tokens))

    def rates(self) -> dict[str, float]:
        (wall0, cpu0, _), (wall1, cpu1, _) = self.marks[0], self.marks[-1]
        tokens = sum(tokens for _, _, tokens in self.marks[1:])
        return {
            "measured_steps": len(self.marks) - 1,
            "measured_supervised_tokens": tokens,
            "seconds": wall1 - wall0,
            "cpu_seconds": cpu1 - cpu0,
            "supervised_tokens_per_second": tokens / (wall1 - wall0),
            "supervised_tokens_per_cpu_second": tokens / (cpu1 - cpu0),
        }


def _peak_memory_mb() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_ours(args: argparse.Namespace, model_path: str, records: list[dict], packed: bool,
             checkpointing: bool = False) -> dict:
    from biasorigins.finetune import FinetuneConfig, finetune

    config = FinetuneConfig(
        **LORA, learning_rate=LEARNING_RATE, batch_size=args.batch_size, micro_batch_size=args.micro_batch_size,
        max_steps=args.steps, max_length=args.max_length, save_steps=None,
        batching="packed" if packed else "length_grouped", gradient_checkpointing=checkpointing,
    )
    clock = StepClock()
    with tempfile.TemporaryDirectory() as folder:
        result = finetune(model_path, records, output_dir=folder, seed=args.seed, config=config, progress=False,
                          callback=lambda row: clock.step_done(row["supervised_tokens"]))
        log = result.training_log()
    return {
        "examples": result.num_examples,
        "steps": result.steps,
        "supervised_tokens": result.supervised_tokens,
        "tokens": int(log["tokens"].sum() + log["padding_tokens"].sum()),
        "padding_tokens": int(log["padding_tokens"].sum()),
        "final_loss": result.final_loss,
        **clock.rates(),
    }


def step_timer(clock: StepClock, counts: dict[str, int]) -> object:
    """A Trainer callback that reports each optimizer step's supervised tokens (read from ``counts``) to ``clock``."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        seen = 0

        def on_step_end(self, *unused, **kwargs):
            clock.step_done(counts["supervised_tokens"] - self.seen)
            self.seen = counts["supervised_tokens"]

    return StepTimer()


def run_baseline(args: argparse.Namespace, model_path: str, records: list[dict]) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainingArguments

    from biasorigins.finetune import encode_dataset, read_instruction_data
    from biasorigins.models.loading import load_model

    loaded = load_model(model_path)
    encoded = encode_dataset(read_instruction_data(records), loaded.tokenizer, kind="causal",
                             max_length=args.max_length, progress=False)
    torch.manual_seed(args.seed)
    model = get_peft_model(loaded.model, LoraConfig(r=LORA["lora_r"], lora_alpha=LORA["lora_alpha"],
                                                    lora_dropout=LORA["lora_dropout"], target_modules="all-linear",
                                                    task_type="CAUSAL_LM"))
    train_set = [{"input_ids": e.input_ids.tolist(), "labels": e.labels.tolist()} for e in encoded.examples]
    pad = loaded.tokenizer.pad_token_id

    def pad_to_longest(rows: list[dict]) -> dict:
        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), pad)
        labels = torch.full((len(rows), width), -100)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            n = len(row["input_ids"])
            ids[i, :n], labels[i, :n], mask[i, :n] = torch.tensor(row["input_ids"]), torch.tensor(row["labels"]), 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}

    counts = {"supervised_tokens": 0, "tokens": 0, "padding_tokens": 0}
    clock = StepClock()

    class CountingTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):  # noqa: ANN001
            counts["supervised_tokens"] += int((inputs["labels"][:, 1:] != -100).sum())
            counts["tokens"] += int(inputs["attention_mask"].numel())
            counts["padding_tokens"] += int((inputs["attention_mask"] == 0).sum())
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    cuda = torch.cuda.is_available()
    with tempfile.TemporaryDirectory() as folder:
        training_args = TrainingArguments(
            output_dir=folder, per_device_train_batch_size=args.micro_batch_size,
            gradient_accumulation_steps=args.batch_size // args.micro_batch_size, max_steps=args.steps,
            learning_rate=LEARNING_RATE, lr_scheduler_type="linear", warmup_steps=math.ceil(0.03 * args.steps),
            weight_decay=0.0,
            max_grad_norm=1.0, seed=args.seed, data_seed=args.seed, use_cpu=not cuda, bf16=cuda,
            logging_strategy="no", save_strategy="no", report_to=[], disable_tqdm=True,
            remove_unused_columns=False,
        )
        trainer = CountingTrainer(model=model, args=training_args, train_dataset=train_set,
                                  data_collator=pad_to_longest, callbacks=[step_timer(clock, counts)])
        output = trainer.train()
    return {"examples": len(train_set), "steps": int(output.global_step), **counts,
            "final_loss": float(output.training_loss), **clock.rates()}


def run_trl(args: argparse.Namespace, model_path: str, records: list[dict], checkpointing: bool) -> dict:
    """TRL's ``SFTTrainer``, padding-free (each micro-batch one row, positions restart per example).

    It gets our encoder's token ids with a ``completion_mask`` and builds the completion-only labels
    itself; before training they are checked equal to our labels, example by example.
    ``checkpointing`` is TRL's default (gradient checkpointing on); the other arms run without it.
    """
    import datasets
    import torch
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    from biasorigins.finetune import encode_dataset, read_instruction_data
    from biasorigins.models.loading import load_model

    loaded = load_model(model_path)
    encoded = encode_dataset(read_instruction_data(records), loaded.tokenizer, kind="causal",
                             max_length=args.max_length, progress=False)
    ours = [e.labels.tolist() for e in encoded.examples]
    train_set = datasets.Dataset.from_list([
        {"input_ids": e.input_ids.tolist(), "completion_mask": [int(label != -100) for label in labels]}
        for e, labels in zip(encoded.examples, ours)])
    torch.manual_seed(args.seed)
    counts = {"supervised_tokens": 0, "tokens": 0, "padding_tokens": 0}
    clock = StepClock()

    class CountingTrainer(SFTTrainer):
        def compute_loss(self, model, inputs, *rest, **kwargs):
            counts["supervised_tokens"] += int((inputs["labels"][:, 1:] != -100).sum())
            counts["tokens"] += int(inputs["input_ids"].numel())
            return super().compute_loss(model, inputs, *rest, **kwargs)

    cuda = torch.cuda.is_available()
    with tempfile.TemporaryDirectory() as folder:
        config = SFTConfig(
            output_dir=folder, per_device_train_batch_size=args.micro_batch_size,
            gradient_accumulation_steps=args.batch_size // args.micro_batch_size, max_steps=args.steps,
            learning_rate=LEARNING_RATE, lr_scheduler_type="linear", warmup_steps=math.ceil(0.03 * args.steps),
            weight_decay=0.0, max_grad_norm=1.0, seed=args.seed, data_seed=args.seed, use_cpu=not cuda, bf16=cuda,
            gradient_checkpointing=checkpointing, padding_free=True, max_length=None, completion_only_loss=True,
            logging_strategy="no", save_strategy="no", report_to=[], disable_tqdm=True,
        )
        trainer = CountingTrainer(
            model=loaded.model, args=config, train_dataset=train_set, processing_class=loaded.tokenizer,
            peft_config=LoraConfig(r=LORA["lora_r"], lora_alpha=LORA["lora_alpha"], lora_dropout=LORA["lora_dropout"],
                                   target_modules="all-linear", task_type="CAUSAL_LM"),
            callbacks=[step_timer(clock, counts)])
        if [list(row["labels"]) for row in trainer.train_dataset] != ours:
            raise SystemExit("TRL built other completion-only labels than our encoder")
        output = trainer.train()
    return {"examples": len(train_set), "steps": int(output.global_step), **counts,
            "final_loss": float(output.training_loss), **clock.rates()}


def child(args: argparse.Namespace) -> None:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    records = flan_like_mix(args.steps * args.batch_size, args.long_fraction, args.seed)
    if args.arm == "baseline":
        found = run_baseline(args, args.model_path, records)
    elif args.arm in ("trl", "trl-checkpointing"):
        found = run_trl(args, args.model_path, records, checkpointing=args.arm == "trl-checkpointing")
    else:
        found = run_ours(args, args.model_path, records, packed=args.arm.startswith("packed"),
                         checkpointing=args.arm.endswith("-checkpointing"))
    found["peak_memory_mb"] = _peak_memory_mb()
    print("RESULT " + json.dumps(found), flush=True)


# ------------------------------------------------------------------ driver
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2", help="smollm2 (default), tiny, or a model folder")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=8, help="effective batch (examples per step)")
    parser.add_argument("--micro-batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--long-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads per arm (0: torch's default)")
    parser.add_argument("--arms", default="ours,baseline", 
                        help="comma list of ours, packed, packed-checkpointing, baseline, trl, trl-checkpointing")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--arm", help=argparse.SUPPRESS)
    parser.add_argument("--model-path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.arm:
        child(args)
        return

    with tempfile.TemporaryDirectory() as folder:
        path = offline_model(args.model, Path(folder))
        arms = args.arms.split(",")
        runs: dict[str, list[dict]] = {arm: [] for arm in arms}
        for repeat in range(args.repeats):
            for arm in arms if repeat % 2 == 0 else arms[::-1]:  # alternate the order across repeats
                command = [sys.executable, __file__, "--arm", arm, "--model-path", path] + [
                    f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items()
                    if k not in ("arm", "model_path", "arms", "repeats", "model")
                ]
                done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
                lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
                if done.returncode or not lines:
                    sys.exit(f"arm {arm} failed:\n{done.stderr[-4000:]}")
                runs[arm].append(json.loads(lines[-1][len("RESULT "):]))
                latest = runs[arm][-1]
                print(f"  {arm:8s} run {repeat + 1}: {latest['supervised_tokens_per_second']:.2f} supervised tokens/s, "
                      f"{latest['supervised_tokens_per_cpu_second']:.2f} per CPU second", flush=True)
    report(args, runs)


def report(args: argparse.Namespace, runs: dict[str, list[dict]]) -> None:
    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({os.cpu_count()} cores)"
    print(f"\nmodel={args.model} device={device} torch={torch.__version__} threads={args.threads or 'default'}")
    print(f"steps={args.steps} effective batch={args.batch_size} micro-batch={args.micro_batch_size} "
          f"max_length={args.max_length} long fraction={args.long_fraction} "
          f"examples={args.steps * args.batch_size} (one epoch); rates over steps 2-{args.steps}")
    examples = {run["examples"] for found in runs.values() for run in found}
    if examples != {args.steps * args.batch_size}:
        print(f"note: {sorted(examples)} examples were left after cutting to max_length, so the runs are not "
              "exactly one epoch; raise --max-length")
    print(f"{'arm':9s} {'sup.tok/s':>9s} {'/CPU s':>7s} {'sup.tokens':>10s} {'tokens run':>10s} {'padding':>8s} "
          f"{'wall s':>7s} {'CPU s':>7s} {'peak MB':>8s}")
    for arm, found in runs.items():
        for run in found:
            padding = run["padding_tokens"] / run["tokens"] if run["tokens"] else 0.0
            print(f"{arm:9s} {run['supervised_tokens_per_second']:9.2f} {run['supervised_tokens_per_cpu_second']:7.2f} "
                  f"{run['supervised_tokens']:10d} {run['tokens']:10d} {padding:8.1%} {run['seconds']:7.1f} "
                  f"{run['cpu_seconds']:7.1f} {run['peak_memory_mb']:8.0f}")
    for reference in ("baseline", "trl", "trl-checkpointing"):
        for arm in runs if reference in runs else ():
            if arm in ("baseline", "trl", "trl-checkpointing"):
                continue
            for key, label in (("supervised_tokens_per_second", "wall"), ("supervised_tokens_per_cpu_second", "CPU")):
                ratios = [a[key] / b[key] for a, b in zip(runs[arm], runs[reference])]
                print(f"ratio {arm}/{reference}, supervised tokens per {label} second: "
                      + ", ".join(f"{r:.2f}x" for r in ratios))


if __name__ == "__main__":
    main()
