"""Instruction data readers: formats, file types, and errors that name the file, line and field."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from biasorigins.errors import ConfigError, DataFormatError
from biasorigins.finetune import (
    Conversation,
    PromptCompletion,
    instruction_set_path,
    load_instruction_set,
    read_instruction_data,
)

CHAT = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}


def _write_jsonl(path, rows) -> None:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))


def test_jsonl_prompt_completion_is_detected(tmp_path) -> None:
    path = tmp_path / "flan.jsonl"
    _write_jsonl(path, [{"prompt": "2+2?", "completion": "4", "task": "math"}, {"prompt": "Hi", "completion": "Hey"}])
    data = read_instruction_data(path)
    assert data.format == "prompt_completion" and len(data) == 2
    assert data.records[0] == PromptCompletion(prompt="2+2?", completion="4", where=f"{path}, line 1")


def test_messages_are_detected_and_roles_kept(tmp_path) -> None:
    data = read_instruction_data([CHAT])
    assert data.format == "messages"
    record = data.records[0]
    assert isinstance(record, Conversation)
    assert [m.role for m in record.messages] == ["user", "assistant"]


def test_missing_field_names_file_line_and_field(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    _write_jsonl(path, [{"prompt": "a", "completion": "b"}, "", {"prompt": "c"}])  # a blank line 2
    with pytest.raises(DataFormatError, match=rf"{path.name}, line 3: field 'completion' is missing"):
        read_instruction_data(path)


def test_wrong_type_and_invalid_json(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    _write_jsonl(path, [{"prompt": "a", "completion": 4}])
    with pytest.raises(DataFormatError, match="line 1: field 'completion' must be a string, got int"):
        read_instruction_data(path)
    _write_jsonl(path, [{"prompt": "a", "completion": "b"}, '{"prompt": "a",'])
    with pytest.raises(DataFormatError, match="line 2: not valid JSON"):
        read_instruction_data(path)


def test_bad_role_names_the_nested_field(tmp_path) -> None:
    path = tmp_path / "chat.jsonl"
    bad = {"messages": [{"role": "user", "content": "x"}, {"role": "bot", "content": "y"}]}
    _write_jsonl(path, [CHAT, CHAT, bad])
    with pytest.raises(DataFormatError, match=r"line 3: field 'messages\[1\].role' must be one of .*got 'bot'"):
        read_instruction_data(path)


def test_conversation_without_assistant_turn_is_rejected() -> None:
    with pytest.raises(DataFormatError, match="list record 1: field 'messages' has no assistant turn"):
        read_instruction_data([{"messages": [{"role": "user", "content": "x"}]}])


def test_all_records_are_checked_and_counted() -> None:
    rows = [{"prompt": "p", "completion": "c"}] + [{"prompt": "p"}] * 7
    with pytest.raises(DataFormatError, match=r"7 malformed prompt_completion record\(s\)") as info:
        read_instruction_data(rows)
    assert "list record 2:" in str(info.value) and "and 2 more" in str(info.value)


def test_unclear_format_and_explicit_format() -> None:
    with pytest.raises(DataFormatError, match="cannot tell the format.*'input', 'output'"):
        read_instruction_data([{"input": "a", "output": "b"}])
    with pytest.raises(DataFormatError, match="field 'messages' is missing"):
        read_instruction_data([{"prompt": "a", "completion": "b"}], data_format="messages")


def test_json_array_reports_the_line_of_the_record(tmp_path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"prompt": "a", "completion": "b"}, {"prompt": "c", "completion": None}], indent=2))
    with pytest.raises(DataFormatError, match=r"data.json, line 6: field 'completion' must be a string, got null"):
        read_instruction_data(path)


def test_csv_line_numbers_survive_multiline_cells(tmp_path) -> None:
    path = tmp_path / "data.csv"
    frame = pd.DataFrame({"prompt": ["one\ntwo", "three", ""], "completion": ["a", "b", "c"]})
    frame.to_csv(path, index=False)
    data = read_instruction_data(path)
    assert [r.where.rsplit(", ", 1)[1] for r in data.records] == ["line 2", "line 4", "line 5"]
    assert data.records[0].prompt == "one\ntwo"


def test_parquet_with_messages(tmp_path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "chat.parquet"
    pd.DataFrame([CHAT, CHAT]).to_parquet(path)
    data = read_instruction_data(path)
    assert data.format == "messages" and len(data) == 2
    assert data.records[1].messages[1].content == "Hello."
    assert data.records[1].where == f"{path}, row 2"


def test_dataframe_and_fingerprint() -> None:
    frame = pd.DataFrame({"prompt": ["a", "b"], "completion": ["c", "d"]})
    from_frame = read_instruction_data(frame)
    from_list = read_instruction_data(frame.to_dict("records"))
    assert from_frame.fingerprint == from_list.fingerprint  # content, not location
    assert read_instruction_data(frame.iloc[::-1]).fingerprint != from_frame.fingerprint


def test_missing_file_and_empty_data(tmp_path) -> None:
    with pytest.raises(DataFormatError, match="does not exist"):
        read_instruction_data(tmp_path / "nope.jsonl")
    with pytest.raises(DataFormatError, match="no records found"):
        read_instruction_data([])


def test_hugging_face_dataset() -> None:
    datasets = pytest.importorskip("datasets")
    dataset = datasets.Dataset.from_list([{"prompt": "a", "completion": "b"}])
    assert read_instruction_data(datasets.DatasetDict({"train": dataset})).records[0].completion == "b"


@pytest.mark.parametrize(("name", "expected_format"), [("flan_style", "prompt_completion"), ("chat_style", "messages")])
def test_shipped_instruction_sets_are_valid(name: str, expected_format: str) -> None:
    path = instruction_set_path(name)
    assert path.is_file() and path.parent == Path(str(resources.files("biasorigins"))) / "data" / "instructions"
    data = load_instruction_set(name)
    assert data.fingerprint == read_instruction_data(path).fingerprint
    assert data.format == expected_format
    assert 150 <= len(data) <= 250
    if expected_format == "messages":
        assert any(len(r.messages) > 2 for r in data.records)  # multi-turn
        assert any(r.messages[0].role == "system" for r in data.records)
        keys = [tuple(m.content for m in r.messages) for r in data.records]
    else:
        keys = [r.prompt for r in data.records]
    assert len(set(keys)) == len(keys)  # no duplicates


def test_an_unknown_instruction_set_names_the_shipped_ones() -> None:
    with pytest.raises(ConfigError, match="unknown instruction set 'flan'.*'flan_style', 'chat_style'"):
        instruction_set_path("flan")
