"""The two small instruction sets of our own that ship with the package (for examples, tests and demos)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from biasorigins.errors import ConfigError
from biasorigins.finetune.data import InstructionData, read_instruction_data

#: Shipped instruction sets: name -> what it holds.
INSTRUCTION_SETS = {
    "flan_style": "198 terse Flan-style prompt/completion tasks with short completions",
    "chat_style": "174 Tulu-style chat conversations with longer answers (some multi-turn, some with a system prompt)",
}


def instruction_set_path(name: str) -> Path:
    """The JSON Lines file of a shipped instruction set (``"flan_style"`` or ``"chat_style"``)."""
    if name not in INSTRUCTION_SETS:
        known = ", ".join(map(repr, INSTRUCTION_SETS))
        raise ConfigError(f"unknown instruction set {name!r}; the shipped sets are {known}")
    return Path(str(resources.files("biasorigins") / "data" / "instructions" / f"{name}.jsonl"))


def load_instruction_set(name: str) -> InstructionData:
    """A shipped instruction set, read and validated (see :data:`INSTRUCTION_SETS`)."""
    return read_instruction_data(instruction_set_path(name))
