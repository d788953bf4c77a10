"""Instruction data: read records from files or objects, detect their format, validate every one.

Two formats are understood:

- ``prompt_completion`` (Flan style): ``{"prompt": str, "completion": str}``;
- ``messages`` (Tulu style): ``{"messages": [{"role": "system"|"user"|"assistant",
  "content": str}, ...]}`` with at least one assistant turn.

Other keys in a record are ignored. Every record is checked before training
starts; a malformed one raises DataFormatError naming the file, the line (or
row) and the field.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from biasorigins.errors import DataFormatError

__all__ = [
    "Message",
    "PromptCompletion",
    "Conversation",
    "InstructionData",
    "read_instruction_data",
]

RecordFormat = Literal["prompt_completion", "messages"]
ROLES = ("system", "user", "assistant")
_MAX_ERRORS_SHOWN = 5


class Message(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(frozen=True)
    role: Literal["system", "user", "assistant"]
    content: str


class PromptCompletion(BaseModel):
    """A Flan-style record; ``where`` says where it was read from."""

    model_config = ConfigDict(frozen=True)
    prompt: str
    completion: str
    where: str = ""


class Conversation(BaseModel):
    """A Tulu-style record; ``where`` says where it was read from."""

    model_config = ConfigDict(frozen=True)
    messages: tuple[Message, ...]
    where: str = ""


Record = PromptCompletion | Conversation


@dataclass(frozen=True)
class InstructionData:
    """Validated instruction records of one format.

    Attributes
    ----------
    format
        ``"prompt_completion"`` or ``"messages"``.
    records
        The records, in source order.
    source
        A description of where they came from (a path or an object type).
    """

    format: RecordFormat
    records: tuple[Record, ...]
    source: str

    def __len__(self) -> int:
        return len(self.records)

    @property
    def fingerprint(self) -> str:
        """sha256 of the records' content (not of their location)."""
        digest = hashlib.sha256(self.format.encode())
        for record in self.records:
            payload = record.model_dump(exclude={"where"}, mode="json")
            digest.update(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode())
        return digest.hexdigest()


def read_instruction_data(data: Any, *, data_format: str = "auto") -> InstructionData:
    """Read and validate instruction records.

    Parameters
    ----------
    data
        A path (``.jsonl``, ``.json``, ``.parquet``, ``.csv``), a pandas
        DataFrame, a list (or any iterable) of mappings, a Hugging Face
        ``datasets.Dataset`` (or a DatasetDict with a ``train`` split), an
        :class:`InstructionData`, or the id of a hub dataset (needs the
        ``datasets`` package and a network).
    data_format
        ``"auto"`` (from the keys of the first record), ``"prompt_completion"``
        or ``"messages"``.

    Raises
    ------
    DataFormatError
        If the data cannot be read, the format is unclear, or any record is
        malformed. All records are checked; the message lists the first few
        problems with their file, line and field.
    """
    if data_format not in ("auto", "prompt_completion", "messages"):
        raise DataFormatError(
            f"unknown data_format {data_format!r}; use 'auto', 'prompt_completion' or 'messages'"
        )
    if isinstance(data, InstructionData):
        if data_format not in ("auto", data.format):
            raise DataFormatError(f"data is in {data.format!r} format, not {data_format!r}")
        return data
    source, rows = _raw_rows(data)
    rows = list(rows)
    if not rows:
        raise DataFormatError(f"{source}: no records found; the data is empty")
    chosen = _detect_format(rows[0], source) if data_format == "auto" else data_format
    records: list[Record] = []
    problems: list[str] = []
    for where, raw in rows:
        record, problem = _parse(raw, chosen, where)
        if problem is not None:
            problems.append(problem)
        elif record is not None:
            records.append(record)
    if problems:
        shown = "\n  ".join(problems[:_MAX_ERRORS_SHOWN])
        more = f"\n  ... and {len(problems) - _MAX_ERRORS_SHOWN} more" if len(problems) > _MAX_ERRORS_SHOWN else ""
        raise DataFormatError(
            f"{len(problems)} malformed {chosen} record(s) in {source}; fix or remove them:\n  {shown}{more}"
        )
    return InstructionData(format=chosen, records=tuple(records), source=source)  # type: ignore[arg-type]


# ---------------------------------------------------------------- raw reading
def _raw_rows(data: Any) -> tuple[str, Iterable[tuple[str, Any]]]:
    """(source description, iterator of (location, raw record))."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        if path.is_file():
            return str(path), _read_file(path)
        if isinstance(data, str) and not path.suffix and "/" in data and not path.exists():
            return data, _hub_rows(data)
        if path.is_dir():
            raise DataFormatError(f"instruction data {str(data)!r} is a folder; give a .jsonl, .json, .csv or "
                                  ".parquet file")
        raise DataFormatError(f"instruction data file {str(data)!r} does not exist")
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return "DataFrame", _frame_rows(data, "DataFrame row")
    if isinstance(data, Mapping):
        if "train" in data and not isinstance(data["train"], (str, bytes)):
            return _raw_rows(data["train"])
        raise DataFormatError(
            "instruction data is a single mapping; pass a list of records "
            "(or a dataset dict with a 'train' split)"
        )
    if isinstance(data, Iterable):
        kind = type(data).__name__
        return kind, ((f"{kind} record {index}", raw) for index, raw in enumerate(data, start=1))
    raise DataFormatError(
        f"cannot read instruction data from a {type(data).__name__}; pass a path, a DataFrame, "
        "a list of records or a datasets.Dataset"
    )


def _read_file(path: Path) -> Iterator[tuple[str, Any]]:
    rows = _rows_by_type(path)
    try:
        yield from rows
    except UnicodeDecodeError as error:
        byte = error.object[error.start:error.start + 1].hex()
        raise DataFormatError(f"{path}: not UTF-8 text (byte 0x{byte}: {error.reason}); save it as UTF-8") from None


def _rows_by_type(path: Path) -> Iterator[tuple[str, Any]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _jsonl_rows(path)
    if suffix == ".json":
        return _json_rows(path)
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix == ".parquet":
        import pandas as pd

        try:
            frame = pd.read_parquet(path)
        except ImportError as error:
            raise DataFormatError(f"{path}: reading Parquet needs pyarrow ({error})") from None
        return _frame_rows(frame, f"{path}, row")
    raise DataFormatError(f"{path}: unknown file type {suffix!r}; use .jsonl, .json, .csv or .parquet")


def _jsonl_rows(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}, line {number}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as error:
                raise DataFormatError(
                    f"{where}: not valid JSON ({error.msg} at column {error.colno}); "
                    "each line must hold one JSON object"
                ) from None


def _json_rows(path: Path) -> Iterator[tuple[str, Any]]:
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position < len(text) and text[position] != "[":
        # Not an array: maybe JSON Lines saved with a .json name.
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            if error.msg == "Extra data":
                yield from _jsonl_rows(path)
                return
            raise DataFormatError(f"{path}, line {error.lineno}: not valid JSON ({error.msg})") from None
        raise DataFormatError(f"{path}: expected a JSON array of records at the top level")
    position = _skip_space(text, position + 1)
    line = 1 + text.count("\n", 0, position)
    counted_to = position
    while position < len(text) and text[position] != "]":
        line += text.count("\n", counted_to, position)
        counted_to = position
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise DataFormatError(f"{path}, line {error.lineno}: not valid JSON ({error.msg})") from None
        yield f"{path}, line {line}", value
        position = _skip_space(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
    if position >= len(text):
        raise DataFormatError(f"{path}: the JSON array is not closed")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _csv_rows(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        consumed = reader.line_num
        for cells in reader:
            where = f"{path}, line {consumed + 1}"
            consumed = reader.line_num
            if not cells:
                continue
            if len(cells) != len(header):
                raise DataFormatError(
                    f"{where}: {len(cells)} cells but the header has {len(header)} columns"
                )
            yield where, _decode_json_cells(dict(zip(header, cells)))


def _decode_json_cells(row: dict[str, Any]) -> dict[str, Any]:
    """CSV cells holding a messages list are JSON text; decode them."""
    cell = row.get("messages")
    if isinstance(cell, str) and cell.strip().startswith("["):
        try:
            row = {**row, "messages": json.loads(cell)}
        except json.JSONDecodeError:
            pass  # reported as a type problem by validation
    return row


def _frame_rows(frame: Any, label: str) -> Iterator[tuple[str, Any]]:
    columns = [str(column) for column in frame.columns]
    for number, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        yield f"{label} {number}", {column: _plain(value) for column, value in zip(columns, values)}


def _plain(value: Any) -> Any:
    """numpy arrays / scalars from Parquet or pandas into plain Python values."""
    if isinstance(value, np.ndarray):
        return [_plain(item) for item in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _hub_rows(name: str) -> Iterator[tuple[str, Any]]:
    try:
        import datasets  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise DataFormatError(
            f"{name!r} is not a local file, and reading a hub dataset needs the 'datasets' package; "
            "install it or download the data to a JSONL/Parquet file"
        ) from None
    try:
        dataset = datasets.load_dataset(name, split="train")
    except Exception as error:  # network, missing dataset, offline mode
        raise DataFormatError(
            f"cannot load hub dataset {name!r} ({type(error).__name__}: {error}); "
            "if you are offline, download it elsewhere and pass a local file"
        ) from None
    for index, raw in enumerate(dataset, start=1):
        yield f"{name} record {index}", raw


# ------------------------------------------------------------ format + checks
def _detect_format(first: tuple[str, Any], source: str) -> RecordFormat:
    where, raw = first
    if not isinstance(raw, Mapping):
        raise DataFormatError(f"{where}: a record must be an object/mapping, got {type(raw).__name__}")
    if "messages" in raw:
        return "messages"
    if "prompt" in raw and "completion" in raw:
        return "prompt_completion"
    raise DataFormatError(
        f"{where}: cannot tell the format of {source}: expected a 'messages' field (chat) or "
        f"'prompt' and 'completion' fields, found {sorted(map(str, raw))}; rename the fields "
        "or pass data_format explicitly"
    )


def _parse(raw: Any, chosen: RecordFormat, where: str) -> tuple[Record | None, str | None]:
    if not isinstance(raw, Mapping):
        return None, f"{where}: a record must be an object/mapping, got {type(raw).__name__}"
    if chosen == "prompt_completion":
        for field in ("prompt", "completion"):
            if field not in raw:
                return None, f"{where}: field {field!r} is missing"
            if not isinstance(raw[field], str):
                return None, f"{where}: field {field!r} must be a string, got {_kind(raw[field])}"
        return PromptCompletion.model_construct(prompt=raw["prompt"], completion=raw["completion"], where=where), None
    messages = raw.get("messages")
    if "messages" not in raw:
        return None, f"{where}: field 'messages' is missing"
    if not isinstance(messages, (list, tuple)) or not messages:
        return None, f"{where}: field 'messages' must be a non-empty list of turns, got {_kind(messages)}"
    turns = []
    for index, turn in enumerate(messages):
        field = f"messages[{index}]"
        if not isinstance(turn, Mapping):
            return None, f"{where}: field {field!r} must be an object with role and content, got {_kind(turn)}"
        role, content = turn.get("role"), turn.get("content")
        if role not in ROLES:
            return None, f"{where}: field '{field}.role' must be one of {', '.join(ROLES)}, got {role!r}"
        if not isinstance(content, str):
            return None, f"{where}: field '{field}.content' must be a string, got {_kind(content)}"
        turns.append(Message.model_construct(role=role, content=content))
    if not any(turn.role == "assistant" for turn in turns):
        return None, f"{where}: field 'messages' has no assistant turn, so nothing would be learned"
    return Conversation.model_construct(messages=tuple(turns), where=where), None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return type(value).__name__
