"""FinetuneConfig: every setting of a LoRA instruction-tuning run, frozen and saved next to the adapter."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from biasorigins.errors import ConfigError

__all__ = ["FinetuneConfig", "PRESETS"]

DataFormat = Literal["auto", "prompt_completion", "messages"]


class FinetuneConfig(BaseModel):
    """The recipe of one finetuning run.

    Groups of settings: LoRA (``lora_*``, ``target_modules``), optimisation
    (learning rate, schedule, batch sizes, epochs / ``max_steps``), data
    (format, maximum lengths, BOS handling, batching), hardware (precision,
    gradient checkpointing), seeds and outputs. Build one with keyword
    arguments, from a preset (``FinetuneConfig.preset("olmo-paper")``) or with
    :meth:`with_overrides`; unknown or invalid settings raise ConfigError.

    Notes
    -----
    ``batch_size`` is the *effective* batch (examples per optimizer step over
    all processes); ``micro_batch_size`` is what one forward pass holds on one
    device, and the gradient-accumulation count follows from the two and the
    number of processes. The loss is normalised over the whole effective batch
    (``loss_reduction``), so results do not depend on the micro-batch split.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    def __init__(self, **settings: Any) -> None:
        _reject_unknown(settings)
        try:
            super().__init__(**settings)
        except ValidationError as error:
            raise ConfigError(_describe(error)) from None

    # LoRA
    lora_r: int = Field(16, gt=0, description="LoRA rank.")
    lora_alpha: float = Field(32.0, gt=0, description="LoRA scaling numerator (scale = alpha / r).")
    lora_dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA input.")
    target_modules: str | tuple[str, ...] = Field(
        "all-linear", description="PEFT target modules: 'all-linear' or module-name suffixes."
    )
    # optimisation
    learning_rate: float = Field(2e-4, gt=0)
    lr_scheduler: Literal["linear", "cosine", "constant"] = "linear"
    warmup_ratio: float = Field(0.03, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    max_grad_norm: float | None = Field(1.0, gt=0, description="Gradient clipping; None switches it off.")
    epochs: int = Field(1, ge=1)
    max_steps: int | None = Field(None, ge=1, description="Stop after this many optimizer steps (overrides epochs).")
    batch_size: int = Field(32, ge=1, description="Effective batch: examples per optimizer step, all processes.")
    micro_batch_size: int = Field(8, ge=1, description="Examples per forward pass on one device.")
    loss_reduction: Literal["tokens", "examples"] = Field(
        "tokens",
        description="'tokens': mean over every supervised token of the batch; "
        "'examples': mean over examples of each example's token mean.",
    )
    # data
    data_format: DataFormat = "auto"
    max_length: int = Field(1024, ge=8, description="Decoder-only models: tokens per example (longer ones are cut).")
    max_source_length: int = Field(1024, ge=4, description="Encoder-decoder models: encoder tokens.")
    max_target_length: int = Field(256, ge=2, description="Encoder-decoder models: decoder target tokens.")
    seq2seq_turns: Literal["last", "each"] = Field(
        "last",
        description="Chat data on encoder-decoder models: learn the last assistant turn (the paper) "
        "or make one example per assistant turn.",
    )
    bos: Literal["auto", "none", "bos", "eos"] = Field(
        "auto",
        description="Token put before each decoder-only example: the tokenizer's default ('auto'), "
        "nothing, its BOS token, or its EOS token (the paper's OLMo runs).",
    )
    batching: Literal["length_grouped", "packed", "random"] = Field(
        "length_grouped",
        description="'length_grouped': micro-batches of similar length (little padding); "
        "'packed': padding-free rows with per-example positions (decoder-only); "
        "'random': shuffled micro-batches padded to their longest example.",
    )
    length_group_size: int = Field(
        64, ge=1, description="Length grouping sorts windows of this many micro-batches."
    )
    # hardware
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="'auto': bf16 (or fp16) autocast on GPU, fp32 on CPU."
    )
    gradient_checkpointing: bool = False
    # seeds
    seed: int = Field(0, ge=0, description="Fixes LoRA init, dropout and data order unless the two below are set.")
    init_seed: int | None = Field(None, ge=0, description="LoRA initialisation seed (default: seed).")
    data_seed: int | None = Field(None, ge=0, description="Data order seed (default: seed).")
    # outputs
    logging_steps: int = Field(10, ge=1, description="Log a line every this many steps (the JSONL log has all).")
    save_steps: int | None = Field(500, ge=1, description="Checkpoint every this many steps; None: never.")
    save_total_limit: int = Field(2, ge=1, description="Checkpoints kept on disk (oldest removed).")
    merge: bool = Field(False, description="Also save the base model with the adapter merged in.")

    @field_validator("target_modules", mode="before")
    @classmethod
    def _targets_as_tuple(cls, value: Any) -> Any:
        if isinstance(value, list):
            return tuple(value)
        return value

    @field_validator("target_modules")
    @classmethod
    def _targets_not_empty(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        if isinstance(value, str) and not value.strip() or isinstance(value, tuple) and not value:
            raise ValueError("give 'all-linear' or at least one module name")
        return value

    @model_validator(mode="after")
    def _batch_divisible(self) -> "FinetuneConfig":
        if self.batch_size % self.micro_batch_size:
            raise ValueError(
                f"batch_size ({self.batch_size}) must be a multiple of micro_batch_size "
                f"({self.micro_batch_size}); gradient accumulation makes up the difference"
            )
        return self

    # ----------------------------------------------------------------- seeds
    @property
    def effective_init_seed(self) -> int:
        """The seed of the LoRA initialisation."""
        return self.seed if self.init_seed is None else self.init_seed

    @property
    def effective_data_seed(self) -> int:
        """The seed of the data order."""
        return self.seed if self.data_seed is None else self.data_seed

    # ---------------------------------------------------------- construction
    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "FinetuneConfig":
        """A named recipe, optionally with overrides.

        Parameters
        ----------
        name
            ``"olmo-paper"`` or ``"t5-paper"`` (the paper's recipes), ``"smollm2-cpu"``
            (a short run for a small real model such as SmolLM2-135M on CPU) or ``"tiny"``
            (seconds on CPU, for the random toy models of ``biasorigins.testing.tiny_models``
            only: its learning rate would wreck a real model).
        """
        if name not in PRESETS:
            raise ConfigError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
        return cls.build(**{**PRESETS[name], **overrides})

    @classmethod
    def build(cls, **settings: Any) -> "FinetuneConfig":
        """Validate ``settings`` into a config (the same as calling the class)."""
        return cls(**settings)

    def with_overrides(self, **overrides: Any) -> "FinetuneConfig":
        """A copy with some settings changed (validated like a new config)."""
        if not overrides:
            return self
        return type(self).build(**{**self.model_dump(), **overrides})

    # ----------------------------------------------------------------- files
    def to_json_file(self, path: str | Path) -> None:
        """Write the config as JSON (atomically)."""
        from biasorigins.finetune._files import write_text_atomic

        write_text_atomic(Path(path), self.model_dump_json(indent=2) + "\n")

    @classmethod
    def from_json_file(cls, path: str | Path) -> "FinetuneConfig":
        """Read a config written by :meth:`to_json_file`."""
        path = Path(path)
        try:
            settings = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ConfigError(f"cannot read finetune config {path}: {error}") from None
        return cls.build(**settings)


PRESETS: dict[str, dict[str, Any]] = {
    # The paper's OLMo-7B runs (paper_spec 2.4): LoRA 128/256, dropout 0.1, lr 2e-5,
    # linear schedule with 3% warmup, effective batch 128 of one example per device
    # (so each example weighs the same in the loss), 3 epochs, 2048 tokens, EOS as BOS,
    # bf16, no gradient clipping, checkpoints every 500 steps.
    "olmo-paper": dict(
        lora_r=128, lora_alpha=256, lora_dropout=0.1, target_modules="all-linear",
        learning_rate=2e-5, lr_scheduler="linear", warmup_ratio=0.03, weight_decay=0.0,
        max_grad_norm=None, epochs=3, batch_size=128, micro_batch_size=4,
        loss_reduction="examples", max_length=2048, bos="eos", precision="bf16",
        save_steps=500,
    ),
    # The paper's T5-v1.1-XXL runs: same LoRA, lr 1e-4, effective batch 64, encoder 1024
    # and decoder 256 tokens, the last assistant turn of a chat as the target.
    "t5-paper": dict(
        lora_r=128, lora_alpha=256, lora_dropout=0.1, target_modules="all-linear",
        learning_rate=1e-4, lr_scheduler="linear", warmup_ratio=0.03, weight_decay=0.0,
        max_grad_norm=None, epochs=3, batch_size=64, micro_batch_size=4,
        loss_reduction="examples", max_source_length=1024, max_target_length=256,
        seq2seq_turns="last", precision="bf16", save_steps=500,
    ),
    # A short run for a small real model (SmolLM2-135M-Instruct) on CPU: LoRA 8/16 at lr 1e-3 on
    # batches of 4 lowers the loss on our Flan-style set by over a quarter in its 20 steps
    # (tests/test_finetune_smollm.py).
    "smollm2-cpu": dict(
        lora_r=8, lora_alpha=16, lora_dropout=0.0, learning_rate=1e-3, warmup_ratio=0.0,
        batch_size=4, micro_batch_size=4, max_steps=20, max_length=256, precision="fp32",
        logging_steps=1, save_steps=10,
    ),
    # For the random toy models of biasorigins.testing.tiny_models only (seconds on CPU);
    # its learning rate would wreck a real model: use "smollm2-cpu" there.
    "tiny": dict(
        lora_r=4, lora_alpha=8, lora_dropout=0.1, learning_rate=5e-3, warmup_ratio=0.0,
        batch_size=8, micro_batch_size=4, max_steps=6, max_length=96,
        max_source_length=64, max_target_length=32, precision="fp32",
        logging_steps=1, save_steps=3,
    ),
}


def _reject_unknown(settings: dict[str, Any]) -> None:
    known = set(FinetuneConfig.model_fields)
    for name in settings:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known settings: {', '.join(sorted(known))}"
            raise ConfigError(f"unknown finetune setting {name!r}{hint}")


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "config"
        lines.append(f"{field}: {item['msg']} (got {item.get('input')!r})")
    return "invalid finetune config: " + "; ".join(lines)
