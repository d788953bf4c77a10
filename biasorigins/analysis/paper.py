"""The cross-tuning paper's released score tables, shipped as package data, with explicit model labels."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from biasorigins.analysis.scores import StudyScores
from biasorigins.errors import ConfigError

PaperTable = Literal["full", "llama2_mistral"]

_FILES: dict[str, str] = {
    "full": "cross_tuning_full_scores.csv",
    "llama2_mistral": "llama2_mistral_scenario_scores.csv",
}

def paper_table_path(table: PaperTable = "full") -> Path:
    """Path of one of the paper's released tables (``"full"``: 14 models x 32 biases + MMLU;
    ``"llama2_mistral"``: 6 community models x 6000 scenarios). Provenance: ``biasorigins/data/reference/README.md``.
    """
    if table not in _FILES:
        raise ConfigError(f"unknown paper table {table!r}; choose one of {sorted(_FILES)}")
    return Path(str(resources.files("biasorigins") / "data" / "reference" / _FILES[table]))


def load_paper_scores(table: PaperTable = "full") -> StudyScores:
    """One of the paper's released tables as `StudyScores`, labelled explicitly (see `PAPER_MODELS`)."""
    return StudyScores.load(paper_table_path(table))
