"""Tiny offline models: build, save, reload by path, determinism."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

from biasorigins.errors import ConfigError
from biasorigins.models.chat import format_chat
from biasorigins.testing.tiny_models import (
    TINY_ARCHS,
    build_tiny_causal_lm,
    build_tiny_t5,
    build_tiny_tokenizer,
)


@pytest.fixture(scope="module")
def tokenizer():
    return build_tiny_tokenizer()


def test_tokenizer_has_special_tokens_and_encodes_any_text(tokenizer):
    assert [tokenizer.pad_token_id, tokenizer.unk_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id] == [
        0, 1, 2, 3]
    assert 260 < len(tokenizer) <= 400
    text = "Situation: Zürich 漢字 — Option K? 37%"
    ids = tokenizer(text).input_ids
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids) == text


def test_tokenizer_learned_the_decision_vocabulary(tokenizer):
    assert tokenizer.tokenize(" Option") == ["ĠOption"]
    assert tokenizer.tokenize("Answer") == ["Answer"]


def test_tokenizer_is_deterministic_and_respects_corpus(tokenizer):
    again = build_tiny_tokenizer()
    assert again.backend_tokenizer.to_str() == tokenizer.backend_tokenizer.to_str()
    other = build_tiny_tokenizer(["a b c d"] * 5, vocab_size=300)
    assert len(other) < len(tokenizer)
    with pytest.raises(ConfigError, match="vocab_size"):
        build_tiny_tokenizer(vocab_size=100)


def test_seq2seq_tokenizer_appends_eos():
    seq2seq = build_tiny_tokenizer(seq2seq=True)
    assert seq2seq("Answer: Option 2").input_ids[-1] == seq2seq.eos_token_id
    assert build_tiny_tokenizer()("Answer: Option 2").input_ids[-1] != seq2seq.eos_token_id


def test_chat_template_is_tulu(tokenizer):
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Pick one."}], add_generation_prompt=True, tokenize=False)
    assert rendered == "<|user|>\nPick one.\n<|assistant|>\n"
    assert rendered == format_chat("Pick one.", chat_format="tulu")
    finished = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Pick one."}, {"role": "assistant", "content": "Option 1"}], tokenize=False)
    assert finished == "<|user|>\nPick one.\n<|assistant|>\nOption 1</s>\n"


@pytest.mark.parametrize("arch", TINY_ARCHS)
def test_causal_lm_saves_and_reloads_by_path(tmp_path, tokenizer, arch):
    folder = build_tiny_causal_lm(tmp_path / arch, arch=arch, seed=0, tokenizer=tokenizer)
    assert (folder / "model.safetensors").is_file() and (folder / "config.json").is_file()
    model = AutoModelForCausalLM.from_pretrained(folder)
    reloaded_tokenizer = AutoTokenizer.from_pretrained(folder)
    assert model.config.model_type == arch
    assert model.config.vocab_size == len(reloaded_tokenizer)
    assert reloaded_tokenizer.chat_template == tokenizer.chat_template
    ids = reloaded_tokenizer("Answer: Option", return_tensors="pt").input_ids
    with torch.no_grad():
        logits = model(ids).logits[0, -1]
    assert logits.shape == (len(tokenizer),)
    assert logits.softmax(-1).max() > 2 / len(tokenizer)  # visibly non-uniform
    assert sum(p.numel() for p in model.parameters()) < 100_000


def test_t5_saves_and_reloads_by_path(tmp_path):
    folder = build_tiny_t5(tmp_path / "t5", seed=0)
    model = AutoModelForSeq2SeqLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert model.config.is_encoder_decoder
    assert tokenizer("x").input_ids[-1] == tokenizer.eos_token_id == model.config.eos_token_id
    encoded = tokenizer("Answer: Option", return_tensors="pt")
    with torch.no_grad():
        out = model(**encoded, labels=tokenizer("1", return_tensors="pt").input_ids)
    assert torch.isfinite(out.loss)


def test_same_seed_gives_identical_weights_and_other_seed_differs(tmp_path, tokenizer):
    first = load_file(build_tiny_causal_lm(tmp_path / "a", seed=3, tokenizer=tokenizer) / "model.safetensors")
    second = load_file(build_tiny_causal_lm(tmp_path / "b", seed=3, tokenizer=tokenizer) / "model.safetensors")
    other = load_file(build_tiny_causal_lm(tmp_path / "c", seed=4, tokenizer=tokenizer) / "model.safetensors")
    assert first.keys() == second.keys() == other.keys()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)
    t5_a = load_file(build_tiny_t5(tmp_path / "t5a", seed=1) / "model.safetensors")
    t5_b = load_file(build_tiny_t5(tmp_path / "t5b", seed=1) / "model.safetensors")
    assert all(torch.equal(t5_a[k], t5_b[k]) for k in t5_a)


def test_builders_leave_the_global_rng_alone(tmp_path, tokenizer):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_tiny_causal_lm(tmp_path / "m", seed=9, tokenizer=tokenizer)
    assert torch.equal(torch.rand(3), expected)


def test_unknown_arch_is_a_config_error(tmp_path, tokenizer):
    with pytest.raises(ConfigError, match="gpt9"):
        build_tiny_causal_lm(tmp_path / "x", arch="gpt9", tokenizer=tokenizer)  # type: ignore[arg-type]


def test_offline_model_names_build_or_pass_through(tmp_path):
    from biasorigins.testing import offline_model

    path = offline_model("tiny", tmp_path)
    assert AutoModelForCausalLM.from_pretrained(path).config.model_type == "llama"
    assert offline_model(str(tmp_path / "elsewhere"), tmp_path) == str(tmp_path / "elsewhere")
