"""Writing result tables as CSV, JSON or Parquet (and cells of Markdown tables)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from biasorigins.checks import output_folder
from biasorigins.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

TABLE_FORMATS = ("csv", "json", "parquet")


def markdown_cell(value: object) -> str:
    """``value`` as one cell of a Markdown table: on one line, with ``|`` escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _lists_as_json(frame: pd.DataFrame) -> pd.DataFrame:
    """CSV cells cannot hold lists: list-valued columns become JSON text (read back with json.loads)."""
    flat = frame.copy()
    for column in flat.columns:
        if flat[column].map(lambda v: isinstance(v, (list, tuple))).any():
            flat[column] = flat[column].map(lambda v: json.dumps(list(v)) if isinstance(v, (list, tuple)) else v)
    return flat


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` to ``path`` by its suffix: ``.csv`` (list cells as JSON text), ``.json``
    (an array of records) or ``.parquet`` (needs pyarrow); returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix[1:] not in TABLE_FORMATS:
        raise ConfigError(f"cannot write {path}: use a .csv, .json or .parquet file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        _lists_as_json(frame).to_csv(path, index=False)
    elif suffix == ".json":
        frame.to_json(path, orient="records", indent=1, force_ascii=False)
    else:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError("Parquet output needs pyarrow: pip install 'biasorigins[parquet]'") from None
        frame.to_parquet(path, index=False)
    return path


def write_table(frame: pd.DataFrame, stem: str | os.PathLike[str], format: str = "csv") -> Path:
    """Write ``frame`` to ``stem`` + ``.csv`` / ``.json`` (records) / ``.parquet``; returns the path."""
    if format not in TABLE_FORMATS:
        raise ConfigError(f"unknown table format {format!r}; use one of {', '.join(TABLE_FORMATS)}")
    return write_frame(frame, f"{os.fspath(stem)}.{format}")


def write_table_set(frames: Mapping[str, pd.DataFrame], folder: str | os.PathLike[str], format: str = "csv"
                    ) -> dict[str, Path]:
    """Write several tables (``{stem: frame}``) into ``folder`` as one set; returns {stem: path}.

    Every table is first written to a temporary folder; only when all succeeded are
    they moved into ``folder`` (a new folder is renamed into place whole), so a failure
    leaves the previous files, or nothing, behind.
    """
    folder = output_folder(folder, "output folder")
    if format not in TABLE_FORMATS:
        raise ConfigError(f"unknown table format {format!r}; use one of {', '.join(TABLE_FORMATS)}")
    existed = folder.is_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder if existed else folder.parent))
    try:
        for stem, frame in frames.items():
            write_table(frame, staging / stem, format)
        if existed:
            for stem in frames:
                os.replace(staging / f"{stem}.{format}", folder / f"{stem}.{format}")
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {stem: folder / f"{stem}.{format}" for stem in frames}
