"""Evaluation throughput: three ways to get a model's decisions on the same suite prompts.

1. ``paper``: the cross-tuning paper's protocol: greedy generation of up to 40
   tokens, then a second greedy generation by the same model that extracts the
   chosen option from the answer (``GenerationRunner`` with a ``GenerationRunner``
   extractor; answers parsed with our parser), one prompt per call as the
   paper's code did; ``paper-batched`` is the same protocol in our left-padded
   batches (a stronger baseline than the paper's own code).
2. ``per-option``: our re-implementation of per-option scoring: one full
   forward pass per (prompt, option) row, continuation " A", " B", ...; rows
   sorted by length and batched, logits computed only at the continuation
   positions.  This is not lm-eval: lm-eval itself groups single-token
   continuations that share a context and runs such a prompt once; it is
   measured as a whole process in ``benchmarks/lmeval_throughput.py``.
3. ``ours``: ``HFRunner``: one pass per prompt, shared-prefix KV reuse, labels
   read from the last position (or continued from the KV cache when longer).

(2) and (3) use the very same token ids, so their choices must agree.  The
prompts are split into rounds; each round runs every method in a rotating
order, ``--repeats`` times, and keeps each method's fastest repeat (other
programs on a shared machine only ever add time).  Printed: prompts per
second (wall clock, and per CPU-second of this process), ratios, agreement,
and the number of token positions each method pushed through the model.

Usage::

    python benchmarks/eval_throughput.py                       # SmolLM2-135M-Instruct, 3 biases x 4 cases
    python benchmarks/eval_throughput.py --model tiny          # a tiny random Llama, seconds
    python benchmarks/eval_throughput.py --cases 8 --threads 2 --batch-size 8 --repeats 3
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

BIASES = ("anchoring", "framing-effect", "loss-aversion")


def load(model: str, dtype: str, device: str):
    """A LoadedModel: SmolLM2 (``smollm2``), a tiny random Llama (``tiny``) or a folder."""
    from biasorigins.models.loading import load_model

    if model == "smollm2":
        from biasorigins.testing.smollm import smollm2_path

        return load_model(smollm2_path(), dtype=dtype, device=device)
    if model == "tiny":
        from biasorigins.testing.tiny_models import build_tiny_causal_lm

        folder = build_tiny_causal_lm(tempfile.mkdtemp(prefix="eval-throughput-"), seed=0)
        return load_model(folder, dtype=dtype, device=device)
    return load_model(model, dtype=dtype, device=device)


class TokenCounter:
    """Counts the token positions that go through the model (padding included), via an embedding hook."""

    def __init__(self, model) -> None:
        self.count = 0
        embeddings = model.get_input_embeddings()
        embeddings.register_forward_hook(self._hook)

    def _hook(self, module, inputs, output) -> None:
        self.count += int(inputs[0].numel())


def per_option_loglikelihood(runner, prompts, batch_size: int) -> list[list[float]]:
    """Our re-implementation of per-option scoring: one row per (prompt, option), one full forward each.

    A row is (context + continuation) without its last token, rows are sorted longest first and
    batched, and the continuation's log-probabilities are read from the last positions, where
    alone logits are computed.  (lm-eval's HF backend would run a prompt whose options are all
    single tokens only once; see ``benchmarks/lmeval_throughput.py`` for lm-eval itself.)
    """
    import torch

    model, device = runner.loaded.model, runner.loaded.device
    pad = runner.loaded.tokenizer.pad_token_id
    requests = runner.requests(prompts)
    rows = [(i, j, [*r.context, *option][:-1], option) for i, r in enumerate(requests)
            for j, option in enumerate(r.options)]
    rows.sort(key=lambda row: (-len(row[2]), row[0], row[1]))
    scores = [[0.0] * len(r.options) for r in requests]
    with torch.inference_mode():
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            width = max(len(row[2]) for row in batch)
            keep = max(len(row[3]) for row in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for k, (_, _, tokens, _) in enumerate(batch):  # left padding: every row ends at the last column
                ids[k, width - len(tokens):] = torch.tensor(tokens)
                mask[k, width - len(tokens):] = 1
            positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device),
                           position_ids=positions.to(device), logits_to_keep=keep).logits
            logprobs = torch.log_softmax(logits.float(), dim=-1).cpu()
            for k, (i, j, _, option) in enumerate(batch):
                # the last len(option) kept positions predict the option's tokens
                scores[i][j] = float(sum(logprobs[k, keep - len(option) + t, token] for t, token in enumerate(option)))
    return scores


def argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)


def timed(work: Callable[[], object]) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="'smollm2', 'tiny' or a model folder")
    parser.add_argument("--biases", default=",".join(BIASES))
    parser.add_argument("--cases", type=int, default=4, help="cases per bias (2 prompts each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (prompts split between them)")
    parser.add_argument("--max-new-tokens", type=int, default=40)
    parser.add_argument("--extract-tokens", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=2, help="runs per method and round; the fastest counts")
    parser.add_argument("--methods", default="paper,paper-batched,per-option,ours")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from biasorigins.models.generation import GenerationRunner
    from biasorigins.models.hf import HFRunner
    from biasorigins.suite import BiasSuite

    loaded = load(args.model, args.dtype, args.device)
    suite = BiasSuite(args.biases.split(","), cases=args.cases, seed=args.seed)
    prompts = suite.prompts()
    ours = HFRunner(loaded, batch_size=args.batch_size)

    def paper_protocol(batch_size: int) -> GenerationRunner:
        extractor = GenerationRunner(loaded, max_new_tokens=args.extract_tokens, batch_size=batch_size)
        return GenerationRunner(loaded, max_new_tokens=args.max_new_tokens, batch_size=batch_size, extractor=extractor)

    paper, paper_batched = paper_protocol(1), paper_protocol(args.batch_size)
    methods: dict[str, Callable[[Sequence], list]] = {
        "paper": lambda chunk: [r.choice for r in paper.decide(chunk)],
        "paper-batched": lambda chunk: [r.choice for r in paper_batched.decide(chunk)],
        "per-option": lambda chunk: [argmax(s) for s in per_option_loglikelihood(ours, chunk, args.batch_size)],
        "ours": lambda chunk: [r.choice for r in ours.decide(chunk)],
    }
    chosen = [m.strip() for m in args.methods.split(",")]
    counter = TokenCounter(loaded.model)

    case_ids = list(dict.fromkeys(p.case_id for p in prompts))
    rounds = [[p for p in prompts if case_ids.index(p.case_id) % args.rounds == k] for k in range(args.rounds)]
    ours.decide(prompts[:2])  # warm-up (allocator, first-call overheads) for all methods alike
    wall = dict.fromkeys(chosen, 0.0)
    cpu = dict.fromkeys(chosen, 0.0)
    tokens = dict.fromkeys(chosen, 0)
    choices: dict[str, dict[str, int | None]] = {m: {} for m in chosen}
    load_before = os.getloadavg()
    for k, chunk in enumerate(rounds):
        order = chosen[k % len(chosen):] + chosen[: k % len(chosen)]
        best = {m: (math.inf, math.inf) for m in order}
        for repeat in range(args.repeats):
            for method in order:
                before = counter.count
                picked, w, c = timed(lambda: methods[method](chunk))
                best[method] = (min(best[method][0], w), min(best[method][1], c))
                if repeat == 0:
                    tokens[method] += counter.count - before
                    choices[method].update({p.key: choice for p, choice in zip(chunk, picked)})
                print(f"  round {k + 1}/{len(rounds)} repeat {repeat + 1} {method:<13} {len(chunk)} prompts "
                      f"{w:7.1f} s wall {c:7.1f} s cpu", file=sys.stderr, flush=True)
        for method in order:
            wall[method] += best[method][0]
            cpu[method] += best[method][1]
    load_after = os.getloadavg()

    n = len(prompts)
    print(f"Evaluation throughput: {loaded.name} ({loaded.kind}, {loaded.device}, {str(loaded.dtype).removeprefix('torch.')})")
    print(f"  {n} prompts = {len(suite.biases)} biases x {args.cases} cases x 2 conditions; "
          f"options per prompt {sum(len(p.options) for p in prompts) / n:.1f}; batch size {args.batch_size}; "
          f"torch threads {torch.get_num_threads()}; {args.rounds} interleaved rounds, fastest of {args.repeats}")
    print(f"  machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; torch {torch.__version__}")
    print(f"  {'method':<15}{'prompts/s':>11}{'prompts/cpu-s':>15}{'tokens through model':>22}")
    for method in chosen:
        print(f"  {method:<15}{n / wall[method]:>11.3f}{n / cpu[method]:>15.3f}{tokens[method]:>22,}")
    if "ours" in chosen:
        for method in chosen:
            if method != "ours":
                print(f"  ours vs {method:<14} {wall[method] / wall['ours']:5.1f}x faster (wall), "
                      f"{cpu[method] / cpu['ours']:5.1f}x (cpu time), {tokens[method] / max(tokens['ours'], 1):5.1f}x "
                      "fewer tokens")
    if "ours" in chosen and "per-option" in chosen:
        agree = sum(choices["ours"][k] == choices["per-option"][k] for k in choices["ours"])
        print(f"  agreement per-option vs ours: {agree}/{n} ({100 * agree / n:.1f}%)")
    for method in ("paper", "paper-batched"):
        if method in chosen:
            valid = sum(c is not None for c in choices[method].values())
            line = f"  {method}: {valid}/{n} answers gave an option"
            if "ours" in chosen:
                same = sum(choices[method][k] == choices["ours"][k] for k in choices[method])
                line += f"; same option as ours in {same}/{n}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
