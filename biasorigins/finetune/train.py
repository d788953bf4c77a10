"""finetune(): LoRA instruction tuning with explicit seeds, exact resume and accelerate data parallelism."""

from __future__ import annotations

import contextlib
import importlib.metadata
import inspect
import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from biasorigins.checks import output_folder
from biasorigins.errors import BiasOriginsError, ConfigError
from biasorigins.finetune._files import atomic_folder, write_text_atomic
from biasorigins.finetune.batching import Batch, collate_packed, collate_padded, collate_seq2seq, plan_epoch
from biasorigins.finetune.checkpoint import latest_checkpoint, load_checkpoint, rng_state, save_checkpoint, set_rng_state
from biasorigins.finetune.config import FinetuneConfig
from biasorigins.finetune.data import InstructionData, read_instruction_data
from biasorigins.finetune.formats import IGNORE_INDEX, EncodedDataset, EncodedExample, encode_dataset
from biasorigins.finetune.result import CONFIG_FILE, LOG_FILE, RESULT_FILE, FinetuneResult

__all__ = ["finetune"]

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"
ADAPTER_DIR = "adapter"
MERGED_DIR = "merged"
StepCallback = Callable[[dict[str, Any]], None]


def finetune(
    model: Any,
    data: Any,
    *,
    output_dir: str | Path,
    seed: int,
    config: FinetuneConfig | None = None,
    tokenizer: Any = None,
    resume: bool = True,
    callback: StepCallback | None = None,
    progress: bool = True,
    **overrides: Any,
) -> FinetuneResult:
    """LoRA-finetune a decoder-only or encoder-decoder model on instruction data.

    Parameters
    ----------
    model
        Anything :func:`biasorigins.models.loading.load_model` accepts (hub id,
        local folder, GGUF file, a loaded ``PreTrainedModel`` with
        ``tokenizer=``) or a ``LoadedModel``. An in-memory model is trained in
        place and handed back without LoRA layers (merged into it if
        ``merge=True``).
    data
        Instruction records: a path (JSONL, JSON, Parquet, CSV), a DataFrame,
        a list of dicts, a ``datasets.Dataset`` or an ``InstructionData``;
        prompt/completion or ``messages`` records (see ``finetune.data``).
        Every record is validated before the model is loaded.
    output_dir
        The run folder: ``adapter/`` (PEFT adapter + tokenizer),
        ``finetune_config.json``, ``training_log.jsonl``, ``result.json``,
        ``checkpoints/`` and, with ``merge=True``, ``merged/``.
    seed
        Fixes LoRA initialisation, dropout and data order (``init_seed`` and
        ``data_seed`` override the first and last).
    config
        A :class:`FinetuneConfig` (default: ``FinetuneConfig()``); ``overrides``
        change single settings of it, e.g. ``learning_rate=1e-4``.
    tokenizer
        The tokenizer, when ``model`` is an object or its own is not wanted.
    resume
        Continue from the newest checkpoint in ``output_dir`` (a finished run
        is returned as is). With False, a folder holding a run is an error.
    callback
        Called on the main process after every optimizer step with the step's
        log row; an exception raised in it stops the run (checkpoints stay).
    progress
        Show progress bars.

    Returns
    -------
    FinetuneResult

    Raises
    ------
    ConfigError
        Invalid settings, or an output folder holding a different run.
    DataFormatError
        A malformed record (the message names the file, line and field).
    """
    from accelerate import Accelerator

    config = _resolve_config(config, seed, overrides)
    output_folder(output_dir, "output_dir")
    instructions = read_instruction_data(data, data_format=config.data_format)
    run_dir = Path(output_dir)
    finished = _finished_run(run_dir, config, instructions, resume)
    if finished is not None:
        return finished

    accelerator = Accelerator(mixed_precision="no")
    precision = _resolve_precision(config.precision, accelerator.device)
    loaded = _load(model, tokenizer, precision, accelerator.device)
    world = accelerator.num_processes
    if config.batch_size % (config.micro_batch_size * world):
        raise ConfigError(
            f"batch_size {config.batch_size} is not a multiple of micro_batch_size {config.micro_batch_size} "
            f"x {world} processes; change one of them"
        )
    encoded = encode_dataset(
        instructions, loaded.tokenizer, kind=loaded.kind, max_length=config.max_length,
        max_source_length=config.max_source_length, max_target_length=config.max_target_length,
        bos=config.bos, seq2seq_turns=config.seq2seq_turns, progress=progress and accelerator.is_main_process,
    )
    if config.batching == "packed" and loaded.kind == "seq2seq":
        raise ConfigError("batching='packed' works for decoder-only models only; use 'length_grouped' for T5")

    run = _Run(
        config=config, accelerator=accelerator, loaded=loaded, encoded=encoded, precision=precision,
        run_dir=run_dir, data_fingerprint=instructions.fingerprint, callback=callback, progress=progress,
    )
    return run.execute(resume=resume)


# ------------------------------------------------------------------ set-up
def _resolve_config(config: FinetuneConfig | None, seed: int, overrides: dict[str, Any]) -> FinetuneConfig:
    if config is not None and not isinstance(config, FinetuneConfig):
        raise ConfigError(f"config must be a FinetuneConfig, not {type(config).__name__}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ConfigError(f"seed must be an integer, not {seed!r}")
    base = config if config is not None else FinetuneConfig()
    return base.with_overrides(**overrides, seed=int(seed))


def _resolve_precision(precision: str, device: Any) -> str:
    import torch

    if precision != "auto":
        if precision in ("bf16", "fp16") and device.type == "cpu":
            logger.warning("%s autocast on CPU is slow and rarely useful; consider precision='fp32'", precision)
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


def _load(model: Any, tokenizer: Any, precision: str, device: Any) -> Any:
    import torch

    from biasorigins.models.loading import LoadedModel, load_model

    if isinstance(model, LoadedModel):
        loaded = model
        loaded.model.to(device)
    else:
        # Base weights in the autocast dtype on GPU (LoRA weights stay fp32); fp32 on CPU.
        dtype: Any = torch.float32
        if device.type == "cuda":
            dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)
        if isinstance(model, torch.nn.Module):
            dtype = "auto"  # an in-memory model keeps its dtype
        loaded = load_model(model, tokenizer=tokenizer, dtype=dtype, device=device)
    if _is_peft(loaded.model):
        raise ConfigError(
            "the model already carries LoRA adapters; merge them first (merge_and_unload) and finetune the result"
        )
    return loaded


def _is_peft(model: Any) -> bool:
    from peft import PeftModel

    return isinstance(model, PeftModel)


def _finished_run(run_dir: Path, config: FinetuneConfig, data: InstructionData, resume: bool) -> FinetuneResult | None:
    """A finished identical run in ``run_dir``, None for a fresh or resumable folder; error on a mismatch."""
    run_file = run_dir / RUN_FILE
    if not run_file.is_file() or _never_trained(run_dir):
        return None
    if not resume:
        raise ConfigError(
            f"{run_dir} already holds a finetuning run; choose a new output_dir or pass resume=True to continue it"
        )
    recorded = _read_run_record(run_file)
    previous = FinetuneConfig(**recorded["config"])
    if previous != config:
        changed = sorted(k for k in FinetuneConfig.model_fields if getattr(previous, k) != getattr(config, k))
        raise ConfigError(
            f"{run_dir} holds a run with other settings ({', '.join(changed)} differ); "
            "use a new output_dir to train with these settings"
        )
    if recorded["data_fingerprint"] != data.fingerprint:
        raise ConfigError(f"{run_dir} holds a run on different training data; use a new output_dir")
    if (run_dir / RESULT_FILE).is_file():
        logger.info("%s already holds this finished run; returning its result", run_dir)
        return FinetuneResult.from_dir(run_dir)
    return None


def _never_trained(run_dir: Path) -> bool:
    """True for a run folder without checkpoints or result: a failed start, free to be reused."""
    return latest_checkpoint(run_dir) is None and not (run_dir / RESULT_FILE).is_file()


def _read_run_record(run_file: Path) -> dict[str, Any]:
    try:
        recorded = json.loads(run_file.read_text(encoding="utf-8"))
        if not isinstance(recorded, dict) or not isinstance(recorded.get("config"), dict):
            raise ValueError("not a run record")
    except (OSError, ValueError) as error:
        raise ConfigError(f"{run_file} is not a readable run record ({error}); use a new output_dir") from None
    return recorded


def _warn_unmatched_targets(model: Any, targets: Sequence[str], model_name: str) -> None:
    """Log target module names that match no module (peft ignores them when others match)."""
    names = [name for name, _ in model.named_modules()]
    unmatched = [t for t in targets if not any(n == t or n.endswith(f".{t}") for n in names)]
    if unmatched and len(unmatched) < len(targets):
        logger.warning("target_modules %s match no module of %s; LoRA goes on the others only", unmatched, model_name)


# ------------------------------------------------------------------ the run
@dataclass
class _Progress:
    step: int = 0
    seconds: float = 0.0
    supervised_tokens: int = 0
    resumed_from: int | None = None


class _Run:
    """One training run: model wrapping, the step loop, checkpoints and outputs."""

    def __init__(
        self, *, config: FinetuneConfig, accelerator: Any, loaded: Any, encoded: EncodedDataset, precision: str,
        run_dir: Path, data_fingerprint: str, callback: StepCallback | None, progress: bool,
    ) -> None:
        self.config = config
        self.accelerator = accelerator
        self.loaded = loaded
        self.encoded = encoded
        self.precision = precision
        self.run_dir = run_dir
        self.data_fingerprint = data_fingerprint
        self.callback = callback
        self.progress = progress
        self.world = accelerator.num_processes
        self.rank = accelerator.process_index
        self.accumulation = config.batch_size // (config.micro_batch_size * self.world)
        self.lengths = [example.length for example in encoded.examples]
        micro_batches = math.ceil(len(encoded.examples) / config.micro_batch_size)
        self.steps_per_epoch = math.ceil(micro_batches / (self.accumulation * self.world))
        self.total_steps = config.max_steps or config.epochs * self.steps_per_epoch
        self.pad_id = int(loaded.tokenizer.pad_token_id)
        self._plans: dict[int, list[list[tuple[int, ...]]]] = {}

    # -------------------------------------------------------------- driver
    def execute(self, *, resume: bool) -> FinetuneResult:
        import torch

        self._check_folder()
        peft_model = self._wrap_model()
        self._write_run_record()
        optimizer = torch.optim.AdamW(
            [p for p in peft_model.parameters() if p.requires_grad],
            lr=self.config.learning_rate, weight_decay=self.config.weight_decay,
        )
        scheduler = self._scheduler(optimizer)
        scaler = torch.amp.GradScaler(self.accelerator.device.type) if self.precision == "fp16" else None
        state = _Progress()
        checkpoint = latest_checkpoint(self.run_dir) if resume else None
        if checkpoint is not None:
            saved, rng_states = load_checkpoint(
                checkpoint, model=peft_model, optimizer=optimizer, scheduler=scheduler, scaler=scaler
            )
            set_rng_state(rng_states[self.rank])
            state = _Progress(saved["step"], saved["seconds"], saved["supervised_tokens"], saved["step"])
            logger.info("resuming %s from step %d", self.run_dir, state.step)
        if self.accelerator.is_main_process:
            self._trim_log(state.step)
        model = self.accelerator.prepare_model(peft_model)
        self.use_logits_to_keep = self.loaded.kind == "causal" and _accepts_logits_to_keep(peft_model)
        if self.config.batching == "packed":
            self._check_packing(peft_model)
        model.train()
        self._loop(model, peft_model, optimizer, scheduler, scaler, state)
        return self._finish(peft_model, state)

    def _check_folder(self) -> None:
        run_file = self.run_dir / RUN_FILE
        if run_file.is_file() and not _never_trained(self.run_dir):
            recorded = _read_run_record(run_file)
            if recorded.get("base_fingerprint") != self.loaded.fingerprint:
                raise ConfigError(
                    f"{self.run_dir} holds a run of another base model ({recorded.get('base_model')}); "
                    "use a new output_dir"
                )

    def _write_run_record(self) -> None:
        """Record the run once its settings are validated and the model wrapped."""
        run_file = self.run_dir / RUN_FILE
        if self.accelerator.is_main_process:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.config.to_json_file(self.run_dir / CONFIG_FILE)
            manifest = {
                "config": self.config.model_dump(mode="json"),
                "data_fingerprint": self.data_fingerprint,
                "base_model": self.loaded.source,
                "base_fingerprint": self.loaded.fingerprint,
                "kind": self.loaded.kind,
                "num_examples": len(self.encoded.examples),
                "encoding_notes": self.encoded.notes,
                "processes": self.world,
                "precision": self.precision,
                "versions": _versions(),
            }
            write_text_atomic(run_file, json.dumps(manifest, indent=2) + "\n")
        self.accelerator.wait_for_everyone()

    def _wrap_model(self) -> Any:
        import torch
        from peft import LoraConfig, TaskType, get_peft_model

        base = self.loaded.model
        base.config.use_cache = False
        if self.config.gradient_checkpointing:
            base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        targets = self.config.target_modules
        lora = LoraConfig(
            r=self.config.lora_r,
            lora_alpha=self.config.lora_alpha,
            lora_dropout=self.config.lora_dropout,
            target_modules=targets if isinstance(targets, str) else list(targets),
            task_type=TaskType.SEQ_2_SEQ_LM if self.loaded.kind == "seq2seq" else TaskType.CAUSAL_LM,
            bias="none",
        )
        if not isinstance(targets, str):
            _warn_unmatched_targets(base, targets, self.loaded.name)
        torch.manual_seed(self.config.effective_init_seed)  # LoRA A is drawn from the global torch RNG
        try:
            peft_model = get_peft_model(base, lora)
        except ValueError as error:
            raise ConfigError(f"cannot apply LoRA with target_modules={targets!r}: {error}") from None
        for parameter in peft_model.parameters():
            if parameter.requires_grad:
                parameter.data = parameter.data.float()
        # Dropout draws from here on: one stream per (seed, process).
        torch.manual_seed(int(np.random.SeedSequence([self.config.seed, self.rank]).generate_state(1)[0]))
        return peft_model

    def _scheduler(self, optimizer: Any) -> Any:
        from transformers import get_scheduler

        name = {"constant": "constant_with_warmup"}.get(self.config.lr_scheduler, self.config.lr_scheduler)
        warmup = math.ceil(self.config.warmup_ratio * self.total_steps)
        return get_scheduler(name, optimizer, num_warmup_steps=warmup, num_training_steps=self.total_steps)

    # ---------------------------------------------------------------- loop
    def _plan(self, step: int) -> list[tuple[int, ...]]:
        epoch, index = divmod(step, self.steps_per_epoch)
        if epoch not in self._plans:
            self._plans = {
                epoch: plan_epoch(
                    self.lengths, micro_batch_size=self.config.micro_batch_size,
                    micro_batches_per_step=self.accumulation * self.world, strategy=self.config.batching,
                    seed=self.config.effective_data_seed, epoch=epoch, group_size=self.config.length_group_size,
                )
            }
        return self._plans[epoch][index]

    def _example_weights(self, micro_batches: list[tuple[int, ...]]) -> dict[int, float]:
        indices = [i for batch in micro_batches for i in batch]
        counts = {i: self.encoded.examples[i].num_supervised for i in indices}
        if self.config.loss_reduction == "tokens":
            total = sum(counts.values())
            return {i: 1.0 / total for i in indices}
        return {i: 1.0 / (counts[i] * len(indices)) for i in indices}

    def _loop(self, model: Any, peft_model: Any, optimizer: Any, scheduler: Any, scaler: Any, state: _Progress) -> None:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=self.total_steps, initial=state.step, desc="finetuning", unit="step",
            disable=not (self.progress and self.accelerator.is_main_process),
        )
        trainable = [p for p in peft_model.parameters() if p.requires_grad]
        while state.step < self.total_steps:
            started = time.perf_counter()
            micro_batches = self._plan(state.step)
            weights = self._example_weights(micro_batches)
            local = micro_batches[self.rank :: self.world]
            dummy = not local  # a process without data this step still joins the gradient sync
            local = local or micro_batches[:1]
            step_loss, counts = 0.0, np.zeros(3, dtype=np.int64)
            for position, indices in enumerate(local):
                batch = self._collate(indices, 0.0 if dummy else None, weights)
                sync = position == len(local) - 1
                context = contextlib.nullcontext() if sync or self.world == 1 else self.accelerator.no_sync(model)
                with context:
                    loss = self._loss(model, batch) * self.world
                    (scaler.scale(loss) if scaler is not None else loss).backward()
                step_loss += loss.item() / self.world
                if not dummy:
                    counts += (batch.supervised_tokens, batch.tokens, batch.padded_tokens)
            step_loss, counts = self._sum_over_processes(step_loss, counts)
            if not math.isfinite(step_loss):
                raise BiasOriginsError(
                    f"the training loss is {step_loss} at step {state.step + 1}; lower the learning rate"
                    + (" or use bf16/fp32 (T5 overflows in fp16)" if self.precision == "fp16" else "")
                )
            learning_rate = scheduler.get_last_lr()[0]
            grad_norm = self._optimizer_step(optimizer, scheduler, scaler, trainable)
            seconds = time.perf_counter() - started
            state.step += 1
            state.seconds += seconds
            state.supervised_tokens += int(counts[0])
            row = {
                "step": state.step,
                "epoch": round(state.step / self.steps_per_epoch, 4),
                "loss": step_loss,
                "learning_rate": learning_rate,
                "grad_norm": grad_norm,
                "supervised_tokens": int(counts[0]),
                "tokens": int(counts[1]),
                "padding_tokens": int(counts[2]),
                "seconds": round(seconds, 4),
                "supervised_tokens_per_second": round(counts[0] / seconds, 2) if seconds > 0 else None,
                "tokens_per_second": round(counts[1] / seconds, 2) if seconds > 0 else None,
            }
            self._record(row, state)
            bar.update(1)
            bar.set_postfix(loss=f"{step_loss:.4f}")
            if self.config.save_steps and state.step % self.config.save_steps == 0 and state.step < self.total_steps:
                self._checkpoint(peft_model, optimizer, scheduler, scaler, state)
        bar.close()

    def _collate(self, indices: tuple[int, ...], fixed: float | None, weights: dict[int, float]) -> Batch:
        examples: list[EncodedExample] = [self.encoded.examples[i] for i in indices]
        example_weights = [weights[i] if fixed is None else fixed for i in indices]
        if self.loaded.kind == "seq2seq":
            batch = collate_seq2seq(examples, example_weights, self.pad_id)
        elif self.config.batching == "packed":
            batch = collate_packed(examples, example_weights)
        else:
            batch = collate_padded(examples, example_weights, self.pad_id)
        return batch.to(self.accelerator.device)

    def _autocast(self) -> Any:
        import torch

        if self.precision == "fp32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.accelerator.device.type, dtype=dtype)

    def _loss(self, model: Any, batch: Batch) -> Any:
        """sum over supervised positions of weight x cross-entropy."""
        import torch.nn.functional as F

        mask = batch.targets != IGNORE_INDEX
        with self._autocast():
            if self.loaded.kind == "seq2seq":
                unwrapped = self.accelerator.unwrap_model(model)
                decoder_input_ids = unwrapped.get_base_model().prepare_decoder_input_ids_from_labels(
                    labels=batch.targets
                )
                logits = model(**batch.inputs, decoder_input_ids=decoder_input_ids, use_cache=False).logits[mask]
            elif self.use_logits_to_keep:
                logits = model(**batch.inputs, use_cache=False, logits_to_keep=mask).logits
                if logits.dim() != 2 or logits.shape[0] != int(mask.sum()):
                    raise ConfigError(
                        "this model's forward() treats logits_to_keep differently from transformers>=5; "
                        "please report it (model class: "
                        f"{type(self.accelerator.unwrap_model(model).get_base_model()).__name__})"
                    )
            else:
                logits = model(**batch.inputs, use_cache=False).logits[mask]
        losses = F.cross_entropy(logits.float(), batch.targets[mask], reduction="none")
        return (losses * batch.weights[mask]).sum()

    def _sum_over_processes(self, loss: float, counts: np.ndarray) -> tuple[float, np.ndarray]:
        if self.world == 1:
            return loss, counts
        import torch

        packed = torch.tensor([loss, *counts.tolist()], dtype=torch.float64, device=self.accelerator.device)
        total = self.accelerator.reduce(packed, reduction="sum").cpu().numpy()
        return float(total[0]), total[1:].astype(np.int64)

    def _optimizer_step(self, optimizer: Any, scheduler: Any, scaler: Any, trainable: list[Any]) -> float | None:
        import torch

        if scaler is not None:
            scaler.unscale_(optimizer)
        norm = None
        if self.config.max_grad_norm is not None:
            norm = float(torch.nn.utils.clip_grad_norm_(trainable, self.config.max_grad_norm))
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        return norm

    # --------------------------------------------------------- packing check
    def _check_packing(self, peft_model: Any) -> None:
        """Packed rows must give each example exactly the logits it gets alone."""
        import torch

        examples = sorted(self.encoded.examples[:8], key=lambda e: len(e.input_ids))[:2]
        if len(examples) < 2:
            return
        examples = [EncodedExample(e.input_ids[:16], e.labels[:16], e.record) for e in examples]
        device = self.accelerator.device
        peft_model.eval()
        with torch.no_grad():
            alone = [
                peft_model(input_ids=torch.from_numpy(e.input_ids)[None].to(device), use_cache=False).logits[0]
                for e in examples
            ]
            packed = collate_packed(examples, [1.0, 1.0]).to(device)
            together = peft_model(**packed.inputs, use_cache=False).logits[0]
        peft_model.train()
        if not torch.allclose(torch.cat(alone), together, atol=1e-4, rtol=1e-3):
            raise ConfigError(
                "this model's attention does not keep packed examples apart (position-id packing is not "
                "supported by its implementation); use batching='length_grouped'"
            )

    # ------------------------------------------------------------- outputs
    def _record(self, row: dict[str, Any], state: _Progress) -> None:
        if not self.accelerator.is_main_process:
            return
        with (self.run_dir / LOG_FILE).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        if state.step % self.config.logging_steps == 0 or state.step == self.total_steps:
            logger.info(
                "step %d/%d loss %.4f lr %.3g %.0f supervised tokens/s",
                state.step, self.total_steps, row["loss"], row["learning_rate"],
                row["supervised_tokens_per_second"] or 0.0,
            )
        if self.callback is not None:
            self.callback(row)

    def _trim_log(self, step: int) -> None:
        """Keep the log rows up to ``step`` (those after the checkpoint will be written again)."""
        path = self.run_dir / LOG_FILE
        if not path.is_file():
            return
        with path.open(encoding="utf-8") as handle:
            rows = [line for line in handle if line.strip() and json.loads(line)["step"] <= step]
        write_text_atomic(path, "".join(rows))

    def _read_losses(self) -> list[float]:
        with (self.run_dir / LOG_FILE).open(encoding="utf-8") as handle:
            return [json.loads(line)["loss"] for line in handle if line.strip()]

    def _checkpoint(self, peft_model: Any, optimizer: Any, scheduler: Any, scaler: Any, state: _Progress) -> None:
        states = [rng_state()]
        if self.world > 1:
            from accelerate.utils import gather_object

            states = gather_object(states)
        if self.accelerator.is_main_process:
            save_checkpoint(
                self.run_dir, state.step, model=peft_model, optimizer=optimizer, scheduler=scheduler,
                scaler=scaler, rng_states=states, keep=self.config.save_total_limit,
                state={"seconds": state.seconds, "supervised_tokens": state.supervised_tokens},
            )
        self.accelerator.wait_for_everyone()

    def _finish(self, peft_model: Any, state: _Progress) -> FinetuneResult:
        adapter_dir = self.run_dir / ADAPTER_DIR
        merged_dir = self.run_dir / MERGED_DIR if self.config.merge else None
        result: FinetuneResult | None = None
        if self.accelerator.is_main_process:
            with atomic_folder(adapter_dir) as tmp:
                peft_model.save_pretrained(tmp)
                self.loaded.tokenizer.save_pretrained(tmp)
            losses = self._read_losses()
            result = FinetuneResult(
                output_dir=self.run_dir, adapter_dir=adapter_dir, merged_dir=merged_dir, config=self.config,
                base_model=self.loaded.source, kind=self.loaded.kind, steps=state.step,
                num_examples=len(self.encoded.examples), final_loss=losses[-1], losses=tuple(losses),
                supervised_tokens=state.supervised_tokens,
                tokens_per_second=state.supervised_tokens / state.seconds if state.seconds > 0 else 0.0,
                seconds=state.seconds, data_fingerprint=self.data_fingerprint,
                resumed_from=state.resumed_from, versions=_versions(),
            )
        base = peft_model.merge_and_unload() if self.config.merge else peft_model.unload()
        base.eval()
        if self.config.gradient_checkpointing:
            base.gradient_checkpointing_disable()
        if self.accelerator.is_main_process and merged_dir is not None:
            with atomic_folder(merged_dir) as tmp:
                base.save_pretrained(tmp)
                self.loaded.tokenizer.save_pretrained(tmp)
        if result is not None:
            result.save()  # written last: its presence marks the run as finished
        self.accelerator.wait_for_everyone()
        return result if result is not None else FinetuneResult.from_dir(self.run_dir)


def _accepts_logits_to_keep(peft_model: Any) -> bool:
    """Whether the model computes logits only at chosen positions (transformers>=5 decoder models)."""
    base = peft_model.get_base_model()
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def _versions() -> dict[str, str]:
    versions = {}
    for name in ("biasorigins", "torch", "transformers", "peft", "accelerate"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions
