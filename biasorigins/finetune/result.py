"""FinetuneResult: what a finetuning run produced and how it went."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from biasorigins.display import html_card, html_table, plural
from biasorigins.errors import ConfigError
from biasorigins.finetune.config import FinetuneConfig

if TYPE_CHECKING:
    import pandas as pd

    from biasorigins.models.loading import LoadedModel

__all__ = ["FinetuneResult", "RESULT_FILE", "LOG_FILE", "CONFIG_FILE"]

RESULT_FILE = "result.json"
LOG_FILE = "training_log.jsonl"
CONFIG_FILE = "finetune_config.json"


class FinetuneResult(BaseModel):
    """The outcome of :func:`biasorigins.finetune`.

    Attributes
    ----------
    output_dir, adapter_dir, merged_dir
        The run folder, the PEFT adapter folder (with the tokenizer) and, when
        ``merge=True``, the merged model folder.
    config
        The exact recipe, also in ``finetune_config.json``.
    base_model
        What the adapter was trained on (path, hub id or in-memory label).
    kind
        ``"causal"`` or ``"seq2seq"``.
    steps, num_examples
        Optimizer steps taken and training examples after encoding.
    final_loss, losses
        The last step's loss and every step's loss.
    supervised_tokens
        Loss-bearing tokens seen in training.
    tokens_per_second
        Supervised tokens per second of training (model loading excluded).
    seconds
        Training time, summed over interrupted and resumed parts.
    data_fingerprint
        sha256 of the training records.
    resumed_from
        The checkpoint step the run resumed from, if it did.
    """

    model_config = ConfigDict(frozen=True)

    output_dir: Path
    adapter_dir: Path
    merged_dir: Path | None = None
    config: FinetuneConfig
    base_model: str
    kind: Literal["causal", "seq2seq"]
    steps: int
    num_examples: int
    final_loss: float
    losses: tuple[float, ...]
    supervised_tokens: int
    tokens_per_second: float
    seconds: float
    data_fingerprint: str
    resumed_from: int | None = None
    versions: dict[str, str] = {}

    def _facts(self) -> list[str]:
        return [self.kind, plural(self.steps, "step"), plural(self.num_examples, "example"),
                f"final loss {self.final_loss:.4f}", f"{self.tokens_per_second:,.0f} tokens/s",
                f"{self.seconds:.1f} s"]

    def __repr__(self) -> str:
        return f"<FinetuneResult {self.base_model!r}: {', '.join(self._facts())}; adapter in {self.adapter_dir}>"

    def _repr_html_(self) -> str:
        config = self.config
        recipe = (f"LoRA r={config.lora_r}, alpha={config.lora_alpha:g}, lr={config.learning_rate:g} "
                  f"({config.lr_scheduler}), batch {config.batch_size}, seed {config.seed}")
        rows = [("adapter", self.adapter_dir), ("merged model", self.merged_dir or "not saved"),
                ("run folder", self.output_dir),
                ("recipe", recipe),
                ("data", f"sha256 {self.data_fingerprint[:12]}..."),
                ("resumed from step", self.resumed_from if self.resumed_from is not None else "no")]
        return html_card(f"Finetuned: {self.base_model}", self._facts(),
                         body=html_table(None, rows, text_columns=2),
                         notes=[".training_log(): every step; .load(): the model with its adapter."])

    @property
    def log_path(self) -> Path:
        """The per-step training log (JSON Lines)."""
        return self.output_dir / LOG_FILE

    def training_log(self) -> "pd.DataFrame":
        """The per-step log as a DataFrame (step, loss, lr, tokens, tokens/s, ...)."""
        import pandas as pd

        with self.log_path.open(encoding="utf-8") as handle:
            return pd.DataFrame([json.loads(line) for line in handle if line.strip()])

    def load(self, **kwargs: Any) -> "LoadedModel":
        """The base model with this adapter, through :func:`biasorigins.models.loading.load_model`."""
        from biasorigins.models.loading import load_model

        return load_model(self.base_model, adapter=self.adapter_dir, **kwargs)

    def save(self) -> None:
        """Write ``result.json`` into the output folder (atomically)."""
        from biasorigins.finetune._files import write_text_atomic

        write_text_atomic(self.output_dir / RESULT_FILE, self.model_dump_json(indent=2) + "\n")

    @classmethod
    def from_dir(cls, output_dir: str | Path) -> "FinetuneResult":
        """Read the result of a finished run from its output folder."""
        path = Path(output_dir) / RESULT_FILE
        if not path.is_file():
            raise ConfigError(f"{output_dir} holds no finished finetuning run (no {RESULT_FILE})")
        result = cls.model_validate_json(path.read_text(encoding="utf-8"))
        folder = Path(output_dir)
        # The folder may have moved since the run: point the paths at where it is now.
        return result.model_copy(
            update={
                "output_dir": folder,
                "adapter_dir": folder / result.adapter_dir.name,
                "merged_dir": folder / result.merged_dir.name if result.merged_dir else None,
            }
        )
