"""7B/11B-scale benchmark with no download: random weights in real shapes, the SmolLM2 tokenizer.

Throughput does not depend on the weights' values, so a randomly initialised model
with a real configuration (Llama-2-7B, OLMo-7B, T5-11B, values below) times the
engine as the real model would. Each model is built, saved to a folder with the
SmolLM2 tokenizer (vocabulary resized to it) and loaded back through the public
loading code (``HFRunner(folder)``, ``finetune(folder, ...)``, ``VLLMRunner(folder)``).

Arms, each in its own process so its peak memory is its own
(``torch.cuda.max_memory_allocated`` on GPU, max RSS on CPU; ``--tiny`` runs them in
one process, for speed, so its peaks are the whole run's):

- ``hf-likelihood`` / ``vllm-likelihood``: the paper32 suite's prompts in likelihood
  mode, timed on a slice of cases and extrapolated to the paper's protocol
  (1,000 cases per bias: 30,000 for 30 biases in Malberg et al.; 32,000 here);
  the vLLM arm also reports its choice agreement with ``HFRunner``;
- ``hf-generate`` / ``vllm-generate``: the same in generate mode (greedy, 40 new tokens);
- ``finetune-ours`` / ``finetune-trl``: LoRA (rank 16, all linear layers) on the same
  Flan-like mix with ``finetune()`` (packed, padding-free) and TRL's ``SFTTrainer``
  (packing, padding-free, completion-only loss), decoder models only. Model FLOPs
  utilisation = tokens/s x 6 x N / peak FLOP/s, N the base model's parameters
  without embeddings (attention-score FLOPs left out); the LoRA-aware figure uses
  4 N + 6 N_lora (no weight gradients for the frozen base) instead of 6 N.

vLLM arms need vLLM and a CUDA GPU, the TRL arm needs ``trl``, vLLM runs decoder
models only; arms that cannot run are reported as skipped, with the reason.

Usage::

    python benchmarks/gpu_scale.py --out results/gpu            # on a GPU (see run_gpu_checks.sh)
    python benchmarks/gpu_scale.py --tiny --out /tmp/gpu-tiny  # tiny shapes on CPU, seconds
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PAPER_CASES = 32 * 1000
GENERATE_TOKENS = 40

#: Real configurations (values of the published config.json files); the vocabulary follows the tokenizer.
ARCHITECTURES: dict[str, tuple[str, dict[str, Any]]] = {
    "llama2-7b": ("llama", {
        "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 32, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "hidden_act": "silu"}),
    "olmo-7b": ("olmo", {
        "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
        "num_key_value_heads": 32, "max_position_embeddings": 2048, "rope_theta": 10000.0, "clip_qkv": None,
        "hidden_act": "silu"}),
    "t5-11b": ("t5", {
        "d_model": 1024, "d_ff": 65536, "d_kv": 128, "num_heads": 128, "num_layers": 24, "num_decoder_layers": 24,
        "feed_forward_proj": "relu", "relative_attention_num_buckets": 32, "layer_norm_epsilon": 1e-6}),
}
#: The same architectures, tiny, for the CPU smoke test.
_TINY_DECODER = {"hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 4}
TINY: dict[str, dict[str, Any]] = {
    "llama2-7b": _TINY_DECODER,
    "olmo-7b": _TINY_DECODER,
    "t5-11b": {"d_model": 64, "d_ff": 256, "d_kv": 16, "num_heads": 4, "num_layers": 2, "num_decoder_layers": 2},
}
#: Dense bf16 peak FLOP/s by GPU name (vendor data sheets, SXM parts).
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12}
ARMS = ("hf-likelihood", "vllm-likelihood", "hf-generate", "vllm-generate", "finetune-ours", "finetune-trl")


# ------------------------------------------------------------------ building the models
def build_model(name: str, folder: Path, *, tiny: bool) -> Path:
    """A random model of ``name``'s configuration (tiny: the small one) saved with the SmolLM2 tokenizer."""
    import torch
    from transformers import (
        AutoTokenizer,
        LlamaConfig,
        LlamaForCausalLM,
        OlmoConfig,
        OlmoForCausalLM,
        T5Config,
        T5ForConditionalGeneration,
    )

    from biasorigins.testing.smollm import smollm2_path

    tokenizer = AutoTokenizer.from_pretrained(smollm2_path())
    arch, values = ARCHITECTURES[name]
    values = {**values, **TINY[name]} if tiny else values
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    special = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id, "pad_token_id": pad}
    config_class, model_class = {"llama": (LlamaConfig, LlamaForCausalLM), "olmo": (OlmoConfig, OlmoForCausalLM),
                                 "t5": (T5Config, T5ForConditionalGeneration)}[arch]
    if arch == "t5":
        special["decoder_start_token_id"] = special["pad_token_id"]
    config = config_class(vocab_size=len(tokenizer), tie_word_embeddings=arch == "t5", **special, **values)
    cuda = torch.cuda.is_available()
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16 if cuda else torch.float32)
    try:
        with torch.device("cuda" if cuda else "cpu"):
            model = model_class(config)
    finally:
        torch.set_default_dtype(previous)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    del model
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    return folder


def parameter_counts(folder: Path) -> dict[str, int]:
    """Parameters of the saved model, all and without the embedding matrices."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    config = AutoConfig.from_pretrained(folder)
    auto = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
    with torch.device("meta"):
        model = auto.from_config(config)
    total = sum(p.numel() for p in model.parameters())
    matrices = {id(m.weight): m.weight for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    head = model.get_output_embeddings()
    if head is not None:
        matrices[id(head.weight)] = head.weight
    embeddings = sum(weight.numel() for weight in matrices.values())  # tied matrices count once
    return {"parameters": total, "non_embedding_parameters": total - embeddings}


# ------------------------------------------------------------------ one arm (child process)
def peak_memory_mb() -> tuple[float, str]:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20, "torch.cuda.max_memory_allocated"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "max RSS"


def suite_prompts(cases: int) -> list[Any]:
    from biasorigins.suite import BiasSuite

    return BiasSuite("paper32", cases=cases, seed=0).prompts()


def arm_suite(arm: str, folder: Path, cases: int, limit: int | None, batch_size: int, new_tokens: int
              ) -> dict[str, Any]:
    """Time one runner on the prompts of ``cases`` cases per bias (the first ``limit`` of them), after a warm-up
    on a few; the paper's run is extrapolated per prompt (prompts per case from the whole slice)."""
    every = suite_prompts(cases)
    per_case = len(every) / len({p.case_id for p in every})
    prompts = every[:limit] if limit else every
    engine, mode = arm.split("-")
    if engine == "hf":
        from biasorigins.models.base import mode_runner

        runner = mode_runner(mode, str(folder), batch_size=batch_size, max_new_tokens=new_tokens)
    else:
        from biasorigins.models.vllm import VLLMRunner

        runner = VLLMRunner(folder, mode=mode, max_new_tokens=new_tokens, enforce_eager=True,
                            gpu_memory_utilization=0.85)
    runner.decide(prompts[:4])
    start = time.perf_counter()
    responses = runner.decide(prompts)
    seconds = time.perf_counter() - start
    return {"prompts": len(prompts), "prompts_per_case": per_case, "seconds": seconds,
            "prompts_per_second": len(prompts) / seconds, "new_tokens": new_tokens if mode == "generate" else None,
            "paper32_minutes_extrapolated": seconds / len(prompts) * per_case * PAPER_CASES / 60,
            "valid_answers": sum(r.status == "ok" for r in responses) / len(responses),
            "choices": [r.choice for r in responses]}


def instruction_records(count: int) -> list[dict[str, str]]:
    sys.path.insert(0, str(HERE))
    from finetune_throughput import flan_like_mix

    return flan_like_mix(count, 0.15, 0)


def arm_finetune(arm: str, folder: Path, steps: int, batch_size: int, micro: int, max_length: int) -> dict[str, Any]:
    """Supervised tokens/s, all tokens/s and LoRA parameters of ``steps`` optimizer steps (the first one not timed)."""
    records = instruction_records(steps * batch_size)
    marks: list[tuple[float, int, int]] = []
    if arm == "finetune-ours":
        from biasorigins.finetune import FinetuneConfig, finetune

        config = FinetuneConfig(lora_r=16, lora_alpha=32, batch_size=batch_size, micro_batch_size=micro,
                                max_steps=steps, max_length=max_length, save_steps=None, batching="packed")
        with tempfile.TemporaryDirectory() as out:
            finetune(str(folder), records, output_dir=out, seed=0, config=config, progress=False,
                     callback=lambda row: marks.append((time.perf_counter(), row["supervised_tokens"],
                                                        row["tokens"])))
        lora = _lora_parameters(folder, 16)
    else:
        lora = _lora_parameters(folder, 16)
        marks = _run_trl(folder, records, steps, batch_size, micro, max_length)
    (t0, _, _), (t1, _, _) = marks[0], marks[-1]
    supervised = sum(s for _, s, _ in marks[1:])
    tokens = sum(t for _, _, t in marks[1:])
    return {"steps": len(marks), "measured_seconds": t1 - t0, "measured_supervised_tokens": supervised,
            "measured_tokens": tokens, "supervised_tokens_per_second": supervised / (t1 - t0),
            "tokens_per_second": tokens / (t1 - t0), "lora_parameters": lora}


def _lora_parameters(folder: Path, rank: int) -> int:
    """Parameters of a rank-``rank`` LoRA on every linear layer but the output head: r x (in + out) each."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(folder))
    head = model.get_output_embeddings()
    return sum(rank * (m.in_features + m.out_features) for m in model.modules()
               if isinstance(m, torch.nn.Linear) and m is not head)


def _run_trl(folder: Path, records: list[dict], steps: int, batch_size: int, micro: int,
             max_length: int) -> list[tuple[float, int, int]]:
    """TRL's SFTTrainer, packed and padding-free, completion-only loss; (time, supervised, tokens) per step."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    cuda = torch.cuda.is_available()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16 if cuda else torch.float32)
    counts = {"supervised": 0, "tokens": 0}
    marks: list[tuple[float, int, int]] = []

    class Counting(SFTTrainer):
        def compute_loss(self, model, inputs, *args, **kwargs):
            counts["supervised"] += int((inputs["labels"][..., 1:] != -100).sum())
            counts["tokens"] += int(inputs["input_ids"].numel())
            return super().compute_loss(model, inputs, *args, **kwargs)

    class Clock(TrainerCallback):
        def on_step_end(self, *unused, **kwargs):
            marks.append((time.perf_counter(), counts["supervised"], counts["tokens"]))
            counts["supervised"] = counts["tokens"] = 0

    with tempfile.TemporaryDirectory() as out:
        config = SFTConfig(output_dir=out, per_device_train_batch_size=micro, max_steps=steps,
                           gradient_accumulation_steps=batch_size // micro, learning_rate=2e-4,
                           max_length=max_length, packing=True, padding_free=True, completion_only_loss=True,
                           bf16=cuda, use_cpu=not cuda, logging_strategy="no", save_strategy="no", report_to=[],
                           disable_tqdm=True, seed=0)
        trainer = Counting(model=model, args=config, train_dataset=Dataset.from_list(records),
                           processing_class=tokenizer, callbacks=[Clock()],
                           peft_config=LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05,
                                                  target_modules="all-linear", task_type="CAUSAL_LM"))
        trainer.train()
    return marks


def child(arm: str, folder: Path, settings: dict[str, Any]) -> dict[str, Any]:
    if arm.startswith("finetune"):
        found = arm_finetune(arm, folder, settings["steps"], settings["batch_size"], settings["micro_batch_size"],
                             settings["max_length"])
    else:
        limit = settings["prompts"] if arm.endswith("likelihood") else settings["generate_prompts"]
        found = arm_suite(arm, folder, settings["cases"], limit, settings["eval_batch_size"], settings["new_tokens"])
    found["peak_memory_mb"], found["peak_memory_kind"] = peak_memory_mb()
    return found


# ------------------------------------------------------------------ driver
def skip_reason(arm: str, model: str) -> str | None:
    """Why an arm cannot run here (None: it can)."""
    import torch

    seq2seq = ARCHITECTURES[model][0] == "t5"
    if arm.startswith("vllm"):
        if seq2seq:
            return "vLLM runs decoder-only models"
        if importlib.util.find_spec("vllm") is None or not torch.cuda.is_available():
            return "needs vLLM and a CUDA GPU (pip install 'biasorigins[vllm]')"
    if arm.startswith("finetune") and seq2seq:
        return "finetuning arms are measured on the decoder models"
    if arm == "finetune-trl" and (importlib.util.find_spec("trl") is None or importlib.util.find_spec("datasets") is None):
        return "needs trl and datasets (pip install trl datasets)"
    return None


def run_arm(arm: str, folder: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """One arm in its own process (its own peak memory), or in this one with ``in_process`` (--tiny)."""
    if settings["in_process"]:
        try:
            found = child(arm, folder, settings)
        except Exception as error:  # noqa: BLE001 -- reported in the table like a failed child process
            return {"failed": f"{type(error).__name__}: {error}"[:400]}
        found["peak_memory_kind"] += " of the whole run (arms share one process in --tiny)"
        return found
    command = [sys.executable, __file__, "--child", arm, "--folder", str(folder), "--settings", json.dumps(settings)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        return {"failed": (done.stderr.strip().splitlines() or ["no output"])[-1][:400]}
    return json.loads(lines[-1][len("RESULT "):])


def model_flops_utilisation(found: dict[str, Any], counts: dict[str, int], peak: float | None) -> None:
    """Add MFU figures (6 N and 4 N + 6 N_lora per token) to a finetuning arm's results."""
    rate, n, lora = found["tokens_per_second"], counts["non_embedding_parameters"], found["lora_parameters"]
    found["model_flops_per_token_6n"] = 6 * n
    found["mfu_6n"] = rate * 6 * n / peak if peak else None
    found["mfu_lora"] = rate * (4 * n + 6 * lora) / peak if peak else None


def gpu_peak() -> tuple[str, float | None]:
    import torch

    if not torch.cuda.is_available():
        return "cpu", None
    name = torch.cuda.get_device_name()
    return name, next((flops for key, flops in PEAK_BF16.items() if key in name), None)


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# GPU-scale benchmark ({'tiny shapes, ' if report['tiny'] else ''}{report['device']})", "",
             "| model | arm | result | peak memory (MB) |", "|---|---|---|---|"]
    for model, entry in report["models"].items():
        for arm, found in entry["arms"].items():
            if "skipped" in found or "failed" in found:
                text = f"skipped: {found['skipped']}" if "skipped" in found else f"failed: {found['failed']}"
                lines.append(f"| {model} | {arm} | {text} | |")
                continue
            if arm.startswith("finetune"):
                mfu = f", MFU {found['mfu_6n']:.1%} (6N)" if found.get("mfu_6n") is not None else ""
                text = f"{found['supervised_tokens_per_second']:.1f} supervised tokens/s{mfu}"
            else:
                text = (f"{found['prompts_per_second']:.1f} prompts/s, paper32 (32,000 cases) "
                        f"{found['paper32_minutes_extrapolated']:.1f} min extrapolated")
                if "agreement_with_hf" in found:
                    text += f", agreement with HFRunner {found['agreement_with_hf']:.1%}"
            lines.append(f"| {model} | {arm} | {text} | {found['peak_memory_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=False, default="gpu-scale", help="folder for gpu_scale.json and .md")
    parser.add_argument("--tiny", action="store_true", help="tiny shapes of the same architectures (CPU smoke test)")
    parser.add_argument("--models", default="llama2-7b,t5-11b", help=f"comma list of {', '.join(ARCHITECTURES)}")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--cases", type=int, default=None, help="cases per bias of the timed slice (default 8; tiny 1)")
    parser.add_argument("--steps", type=int, default=None, help="finetuning optimizer steps (default 6; tiny 3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print("RESULT " + json.dumps(child(args.child, Path(args.folder), json.loads(args.settings))), flush=True)
        return 0

    settings = {"cases": args.cases or (1 if args.tiny else 8), "prompts": 24 if args.tiny else None,
                "generate_prompts": 4 if args.tiny else 96, "new_tokens": 8 if args.tiny else GENERATE_TOKENS,
                "eval_batch_size": 8 if args.tiny else 32, "steps": args.steps or (3 if args.tiny else 6),
                "batch_size": 2 if args.tiny else 16, "micro_batch_size": 1 if args.tiny else 8,
                "max_length": 128 if args.tiny else 1024, "in_process": args.tiny}
    device, peak = gpu_peak()
    report: dict[str, Any] = {"tiny": args.tiny, "device": device, "peak_bf16_flops": peak,
                              "paper_cases": PAPER_CASES, "settings": settings, "models": {}}
    arms = [arm for arm in args.arms.split(",") if arm]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for model in args.models.split(","):
            start = time.perf_counter()
            folder = build_model(model, Path(scratch) / model, tiny=args.tiny)
            entry: dict[str, Any] = {"build_seconds": time.perf_counter() - start, **parameter_counts(folder),
                                     "arms": {}}
            for arm in arms:
                reason = skip_reason(arm, model)
                entry["arms"][arm] = {"skipped": reason} if reason else run_arm(arm, folder, settings)
                print(f"{model} {arm}: {'skipped' if reason else 'done'}", file=sys.stderr, flush=True)
            for arm, found in entry["arms"].items():
                if arm.startswith("finetune") and "tokens_per_second" in found:
                    model_flops_utilisation(found, entry, peak)
                if arm.startswith("vllm") and "choices" in found and "choices" in entry["arms"].get("hf-" + arm[5:], {}):
                    theirs = entry["arms"]["hf-" + arm[5:]]["choices"]
                    found["agreement_with_hf"] = sum(a == b for a, b in zip(found["choices"], theirs)) / len(theirs)
            report["models"][model] = entry
            (out / "gpu_scale.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
            (out / "gpu_scale.md").write_text(markdown(report), encoding="utf-8")
            for found in entry["arms"].values():  # keep the files small: choices only served the agreement
                found.pop("choices", None)
    (out / "gpu_scale.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
