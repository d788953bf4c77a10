"""Checkpoints that let an interrupted run finish exactly as an uninterrupted one would.

A checkpoint folder ``checkpoints/step-000500/`` holds the adapter (PEFT
format, usable for evaluation on its own), the optimizer, scheduler and
gradient-scaler states, the RNG states of every process and ``state.json``
(the step, elapsed seconds, token counts). The data position is the step
itself: the data order is a pure function of the data seed. A checkpoint is
written into a temporary folder and renamed into place, so a crash never
leaves a half-written one.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from biasorigins.errors import ConfigError
from biasorigins.finetune._files import atomic_folder

__all__ = ["CHECKPOINTS", "save_checkpoint", "latest_checkpoint", "load_checkpoint", "rng_state", "set_rng_state"]

CHECKPOINTS = "checkpoints"
_NAME = re.compile(r"^step-(\d+)$")


def rng_state() -> dict[str, Any]:
    """This process's torch RNG states (CPU and CUDA): what dropout draws from during training."""
    import torch

    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore states from :func:`rng_state`."""
    import torch

    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    run_dir: Path,
    step: int,
    *,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    scaler: Any,
    rng_states: list[dict[str, Any]],
    state: dict[str, Any],
    keep: int,
) -> Path:
    """Write the checkpoint of ``step`` and remove all but the ``keep`` newest."""
    import torch

    folder = run_dir / CHECKPOINTS / f"step-{step:06d}"
    with atomic_folder(folder) as tmp:
        model.save_pretrained(tmp / "adapter")
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
        if scaler is not None:
            torch.save(scaler.state_dict(), tmp / "scaler.pt")
        torch.save(rng_states, tmp / "rng.pt")
        (tmp / "state.json").write_text(json.dumps({**state, "step": step}, indent=2) + "\n", encoding="utf-8")
    for old in _checkpoints(run_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _checkpoints(run_dir: Path) -> list[Path]:
    root = run_dir / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and _NAME.match(p.name) and (p / "state.json").is_file()]
    return sorted(found, key=lambda p: int(_NAME.match(p.name).group(1)))  # type: ignore[union-attr]


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run, or None."""
    found = _checkpoints(run_dir)
    return found[-1] if found else None


def load_checkpoint(
    folder: Path, *, model: Any, optimizer: Any, scheduler: Any, scaler: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Load a checkpoint into the training objects; returns (state, RNG states of every process)."""
    import torch
    from peft.utils import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = folder / "adapter" / "adapter_model.safetensors"
    if not weights.is_file():
        raise ConfigError(f"checkpoint {folder} has no adapter weights; delete it to restart from the one before")
    result = set_peft_model_state_dict(model, load_file(str(weights)))
    if getattr(result, "unexpected_keys", None):
        raise ConfigError(f"checkpoint {folder} does not match this model (unexpected {result.unexpected_keys[:3]})")
    optimizer.load_state_dict(torch.load(folder / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(folder / "scheduler.pt", weights_only=True))
    if scaler is not None and (folder / "scaler.pt").is_file():
        scaler.load_state_dict(torch.load(folder / "scaler.pt", weights_only=True))
    rng_states = torch.load(folder / "rng.pt", weights_only=True)
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    return state, rng_states
