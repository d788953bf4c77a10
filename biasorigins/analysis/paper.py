"""The cross-tuning paper's released 14-model score table, shipped as package data, with explicit model labels."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from biasorigins.analysis.scores import StudyScores
from biasorigins.errors import ConfigError

PaperTable = Literal["full"]

_FILES: dict[str, str] = {"full": "cross_tuning_full_scores.csv"}
_NOT_SHIPPED = {
    "llama2_mistral": "the paper's scenario-level Llama2/Mistral table is not shipped: it is keyed by Malberg et al.'s "
                      "scenario sentences (CC BY-SA). Download cross_tuning_scores_no_MMLU.csv from the authors' "
                      "repository itay1itzhak/planted-in-pretraining and load it with StudyScores.load(path)",
}


def paper_table_path(table: PaperTable = "full") -> Path:
    """Path of the paper's released table (``"full"``: 14 models x 32 biases + MMLU).

    Provenance: ``biasorigins/data/reference/README.md``.
    """
    if table in _NOT_SHIPPED:
        raise ConfigError(_NOT_SHIPPED[table])
    if table not in _FILES:
        raise ConfigError(f"unknown paper table {table!r}; choose one of {sorted(_FILES)}")
    return Path(str(resources.files("biasorigins") / "data" / "reference" / _FILES[table]))


def load_paper_scores(table: PaperTable = "full") -> StudyScores:
    """One of the paper's released tables as `StudyScores`, labelled explicitly (see `PAPER_MODELS`)."""
    return StudyScores.load(paper_table_path(table))
