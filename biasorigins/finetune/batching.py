"""Which examples go together, and how they become tensors.

The data order of an epoch is a pure function of ``(data_seed, epoch)``, so a
run can be resumed at any step and repeated bit for bit. Three strategies:

- ``length_grouped``: shuffle, then sort windows of ``group_size``
  micro-batches by length and cut them into micro-batches, so each
  micro-batch holds examples of similar length (little padding); the
  micro-batches are shuffled again so long and short ones alternate.
- ``packed`` (decoder-only): shuffled micro-batches whose examples are laid
  end to end in one row, without padding; position ids restart at 0 for each
  example, which makes the attention block-diagonal (no token sees another
  example) and the first token of each example is never a target.
- ``random``: shuffled micro-batches, each padded to its longest example.

Targets are shifted here, not in the model: for decoder-only models
``targets[t]`` is the token to predict *from* position ``t``, so the loss
needs logits only where ``targets != -100``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from biasorigins.finetune.formats import IGNORE_INDEX, EncodedExample

__all__ = ["plan_epoch", "Batch", "collate_padded", "collate_packed", "collate_seq2seq"]

MicroBatch = tuple[int, ...]


def plan_epoch(
    lengths: Sequence[int],
    *,
    micro_batch_size: int,
    micro_batches_per_step: int,
    strategy: str,
    seed: int,
    epoch: int,
    group_size: int = 64,
) -> list[list[MicroBatch]]:
    """The optimizer steps of one epoch, each a list of micro-batches of example indices.

    Parameters
    ----------
    lengths
        Token count of each example.
    micro_batches_per_step
        Gradient-accumulation count times the number of processes.
    strategy
        ``"length_grouped"``, ``"packed"`` or ``"random"``.
    seed, epoch
        The order depends on nothing else.
    group_size
        Length grouping sorts windows of this many micro-batches.
    """
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    if strategy == "length_grouped":
        micro_batches = _length_grouped(order, np.asarray(lengths), micro_batch_size, group_size, rng)
    else:
        micro_batches = [tuple(order[i : i + micro_batch_size].tolist()) for i in range(0, len(order), micro_batch_size)]
    return [
        micro_batches[i : i + micro_batches_per_step] for i in range(0, len(micro_batches), micro_batches_per_step)
    ]


def _length_grouped(
    order: np.ndarray, lengths: np.ndarray, size: int, group_size: int, rng: np.random.Generator
) -> list[MicroBatch]:
    window = size * group_size
    full: list[MicroBatch] = []
    partial: list[MicroBatch] = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        for i in range(0, len(chunk), size):
            batch = tuple(chunk[i : i + size].tolist())
            (full if len(batch) == size else partial).append(batch)
    shuffled = [full[i] for i in rng.permutation(len(full))]
    return shuffled + partial


@dataclass
class Batch:
    """Tensors for one forward pass plus what the loss and the log need.

    ``targets``/``weights`` have the shape of the logits' positions: the loss
    is ``sum(weights * cross_entropy(logits, targets))`` over positions whose
    target is not -100.
    """

    inputs: dict[str, Any]
    targets: Any
    weights: Any
    tokens: int
    padded_tokens: int
    supervised_tokens: int

    def to(self, device: Any) -> "Batch":
        self.inputs = {key: value.to(device) for key, value in self.inputs.items()}
        self.targets = self.targets.to(device)
        self.weights = self.weights.to(device)
        return self


def _shifted(labels: np.ndarray) -> np.ndarray:
    """Targets for decoder-only models: the label of the next position (last position: none)."""
    targets = np.full_like(labels, IGNORE_INDEX)
    targets[:-1] = labels[1:]
    return targets


def collate_padded(
    examples: Sequence[EncodedExample], example_weights: Sequence[float], pad_id: int
) -> Batch:
    """Right-padded decoder-only batch."""
    import torch

    width = max(len(e.input_ids) for e in examples)
    ids = np.full((len(examples), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(examples), width), dtype=np.int64)
    targets = np.full((len(examples), width), IGNORE_INDEX, dtype=np.int64)
    weights = np.zeros((len(examples), width), dtype=np.float64)
    for row, (example, weight) in enumerate(zip(examples, example_weights)):
        n = len(example.input_ids)
        ids[row, :n] = example.input_ids
        mask[row, :n] = 1
        targets[row, :n] = _shifted(example.labels)
        weights[row, :n] = np.where(targets[row, :n] != IGNORE_INDEX, weight, 0.0)
    real = int(mask.sum())
    return Batch(
        inputs={"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)},
        targets=torch.from_numpy(targets),
        weights=torch.from_numpy(weights).float(),
        tokens=real,
        padded_tokens=ids.size - real,
        supervised_tokens=int((targets != IGNORE_INDEX).sum()),
    )


def collate_packed(examples: Sequence[EncodedExample], example_weights: Sequence[float]) -> Batch:
    """One padding-free row: examples end to end, positions restarting at 0 for each."""
    import torch

    ids = np.concatenate([e.input_ids for e in examples])[None, :]
    positions = np.concatenate([np.arange(len(e.input_ids)) for e in examples])[None, :]
    targets = np.concatenate([_shifted(e.labels) for e in examples])[None, :]
    weights = np.concatenate(
        [np.where(_shifted(e.labels) != IGNORE_INDEX, w, 0.0) for e, w in zip(examples, example_weights)]
    )[None, :]
    return Batch(
        inputs={"input_ids": torch.from_numpy(ids), "position_ids": torch.from_numpy(positions)},
        targets=torch.from_numpy(targets),
        weights=torch.from_numpy(weights).float(),
        tokens=int(ids.size),
        padded_tokens=0,
        supervised_tokens=int((targets != IGNORE_INDEX).sum()),
    )


def collate_seq2seq(
    examples: Sequence[EncodedExample], example_weights: Sequence[float], pad_id: int
) -> Batch:
    """Right-padded encoder inputs and decoder targets (the decoder inputs are made by the model)."""
    import torch

    source_width = max(len(e.input_ids) for e in examples)
    target_width = max(len(e.labels) for e in examples)
    ids = np.full((len(examples), source_width), pad_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    targets = np.full((len(examples), target_width), IGNORE_INDEX, dtype=np.int64)
    weights = np.zeros((len(examples), target_width), dtype=np.float64)
    for row, (example, weight) in enumerate(zip(examples, example_weights)):
        ids[row, : len(example.input_ids)] = example.input_ids
        mask[row, : len(example.input_ids)] = 1
        targets[row, : len(example.labels)] = example.labels
        weights[row, : len(example.labels)] = weight
    real = int(mask.sum()) + int((targets != IGNORE_INDEX).sum())
    return Batch(
        inputs={"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)},
        targets=torch.from_numpy(targets),
        weights=torch.from_numpy(weights).float(),
        tokens=real,
        padded_tokens=ids.size + targets.size - real,
        supervised_tokens=int((targets != IGNORE_INDEX).sum()),
    )
