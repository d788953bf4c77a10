"""Every result records the chat format its prompts were wrapped in, and prints it in its header."""

from __future__ import annotations

from pathlib import Path

import pytest

from biasorigins import APIRunner, BiasSuite, HFRunner, score_answers
from biasorigins.exchange import export_prompts
from biasorigins.models.chat import format_chat
from biasorigins.testing.responders import FirstOptionResponder


@pytest.fixture(scope="module")
def suite() -> BiasSuite:
    return BiasSuite(["anchoring", "loss-aversion"], cases=2, seed=0)


@pytest.mark.parametrize("chat_format", ["raw", "tulu", None])
def test_a_hugging_face_result_records_the_format_its_model_read(suite, tiny_causal_dir: Path, chat_format) -> None:
    runner = HFRunner(tiny_causal_dir, chat_format=chat_format)
    result = suite.run(runner, progress=False)
    expected = chat_format or "model"  # the tiny tokenizer carries a chat template, the default then
    assert result.chat_format == expected == runner.chat_format
    assert result.to_string().splitlines()[1] == f"Chat format: {expected}"
    assert set(result.summary["chat_format"]) == {expected}
    # what the model read is indeed wrapped that way
    prompt = suite.prompts()[0]
    wrapped = format_chat(prompt.text, chat_format=expected, tokenizer=runner.loaded.tokenizer)
    assert (wrapped == prompt.text) == (expected == "raw")


def test_runners_without_a_chat_format_and_answers_from_outside(suite, tmp_path: Path) -> None:
    assert suite.run(FirstOptionResponder(), progress=False).chat_format == "none"
    assert APIRunner("m", base_url="http://127.0.0.1:9/v1").chat_format == "server"
    assert APIRunner("m", base_url="http://127.0.0.1:9/v1", endpoint="completions").chat_format == "raw"
    frame = export_prompts(suite)
    outside = score_answers([{"prompt_id": pid, "label": "A"} for pid in frame["prompt_id"]], suite=suite)
    assert outside.chat_format is None
    assert "Chat format: not recorded" in str(outside)
