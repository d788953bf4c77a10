"""load_model, fingerprints and chat formats on tiny offline models."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import huggingface_hub.constants
import pytest
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

from biasorigins.errors import ConfigError, ModelLoadError
from biasorigins.models.chat import TULU_CHAT_TEMPLATE, default_chat_format, format_chat
from biasorigins.models.fingerprint import file_digest, folder_digest, tokenizer_digest
from biasorigins.models.loading import LoadedModel, load_model, resolve_device, resolve_dtype
from biasorigins.testing.tiny_models import build_tiny_causal_lm, build_tiny_t5, build_tiny_tokenizer

PROMPT = "Situation: pick one. Answer: Option"


@pytest.fixture(autouse=True)
def _private_cache_and_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("BIASORIGINS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import, so patch the constant


@pytest.fixture(scope="module")
def tokenizer():
    return build_tiny_tokenizer()


@pytest.fixture(scope="module")
def llama_dir(tmp_path_factory, tokenizer):
    return build_tiny_causal_lm(tmp_path_factory.mktemp("llama"), arch="llama", seed=0, tokenizer=tokenizer)


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory):
    return build_tiny_t5(tmp_path_factory.mktemp("t5"), seed=0)


def _make_adapter(base_dir: Path, out_dir: Path, seed: int, task_type: str = "CAUSAL_LM") -> Path:
    """Save a LoRA adapter with random (non-zero) B matrices drawn from ``seed``."""
    auto_class = AutoModelForSeq2SeqLM if task_type == "SEQ_2_SEQ_LM" else AutoModelForCausalLM
    base = auto_class.from_pretrained(base_dir)
    torch.manual_seed(seed)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                 task_type=task_type, init_lora_weights=False))
    peft_model.save_pretrained(out_dir)
    return out_dir


def _last_logits(loaded: LoadedModel, **forward_kwargs) -> torch.Tensor:
    ids = loaded.tokenizer(PROMPT, return_tensors="pt").input_ids.to(loaded.device)
    with torch.no_grad():
        return loaded.model(input_ids=ids, **forward_kwargs).logits[0, -1].float()


# ---------------------------------------------------------------- loading paths


def test_loads_causal_folder_in_eval_mode(llama_dir):
    loaded = load_model(llama_dir)
    assert loaded.kind == "causal"
    assert loaded.name == llama_dir.name
    assert loaded.device == torch.device("cpu") and loaded.dtype == torch.float32
    assert not loaded.model.training
    assert loaded.tokenizer.pad_token == "<pad>"
    assert loaded.adapters == ()
    assert len(loaded.fingerprint) == 64
    reference = AutoModelForCausalLM.from_pretrained(llama_dir).eval()
    ids = loaded.tokenizer(PROMPT, return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.equal(reference(ids).logits, loaded.model(ids).logits)
    described = loaded.describe()
    assert json.loads(json.dumps(described))["fingerprint"] == loaded.fingerprint


def test_detects_seq2seq_t5(t5_dir):
    loaded = load_model(t5_dir)
    assert loaded.kind == "seq2seq"
    assert loaded.model.config.is_encoder_decoder


def test_dtype_and_device_overrides(llama_dir):
    half = load_model(llama_dir, dtype="bfloat16", device="cpu")
    assert half.dtype == torch.bfloat16
    assert {p.dtype for p in half.model.parameters()} == {torch.bfloat16}
    assert half.fingerprint != load_model(llama_dir, dtype=torch.float32).fingerprint
    assert resolve_dtype("auto", torch.device("cpu")) == torch.float32
    assert resolve_dtype("fp16") == torch.float16
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match="int7"):
        resolve_dtype("int7")
    with pytest.raises(ConfigError, match="toaster"):
        resolve_device("toaster")


def test_padding_side_and_missing_pad_token(llama_dir):
    assert load_model(llama_dir, padding_side="left").padding_side == "left"
    no_pad = build_tiny_tokenizer()
    no_pad.pad_token = None
    loaded = load_model(llama_dir, tokenizer=no_pad)
    assert loaded.tokenizer.pad_token == loaded.tokenizer.eos_token == "</s>"


def test_in_memory_model_needs_tokenizer_and_keeps_dtype(llama_dir, tokenizer):
    model = AutoModelForCausalLM.from_pretrained(llama_dir, dtype=torch.bfloat16)
    with pytest.raises(ConfigError, match="tokenizer="):
        load_model(model)
    loaded = load_model(model, tokenizer=tokenizer)
    assert loaded.dtype == torch.bfloat16 and loaded.kind == "causal"
    assert loaded.source.startswith("<in-memory")
    assert loaded.fingerprint == load_model(model, tokenizer=tokenizer).fingerprint
    with torch.no_grad():
        model.lm_head.weight[0, 0] += 1.0
    assert load_model(model, tokenizer=tokenizer).fingerprint != loaded.fingerprint


# ---------------------------------------------------------------- errors


def test_missing_paths_and_files_are_named(tmp_path, llama_dir):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match=r"empty has no config\.json"):
        load_model(empty)
    with pytest.raises(ModelLoadError, match="not a .gguf"):
        load_model(llama_dir / "config.json")
    with pytest.raises(ModelLoadError, match="gguf_file 'absent.gguf'"):
        load_model(llama_dir, gguf_file="absent.gguf")


def test_uncached_hub_id_fails_offline_with_a_clear_error():
    with pytest.raises(ModelLoadError, match="no-such-org/no-such-model"):
        load_model("no-such-org/no-such-model")


def test_gguf_without_gguf_package_says_how_to_install(tmp_path, monkeypatch):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"GGUF")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "gguf" else real_find_spec(name, *args))
    with pytest.raises(ModelLoadError, match="pip install gguf"):
        load_model(fake)


def _remote_code_folder(llama_dir: Path, target: Path, model_type: str) -> Path:
    """Copy the model and make it depend on code that leaves a file ``EXECUTED`` beside it when run."""
    shutil.copytree(llama_dir, target)
    config = json.loads((target / "config.json").read_text())
    config["model_type"] = model_type
    config["auto_map"] = {"AutoConfig": "remote_code.RemoteConfig",
                          "AutoModelForCausalLM": "remote_code.RemoteModel"}
    (target / "config.json").write_text(json.dumps(config))
    (target / "remote_code.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(target / 'EXECUTED')!r}).write_text('yes')\n"
        "from transformers import LlamaConfig, LlamaForCausalLM\n"
        f"class RemoteConfig(LlamaConfig):\n    model_type = {model_type!r}\n"
        "class RemoteModel(LlamaForCausalLM):\n    config_class = RemoteConfig\n"
    )
    return target


def test_remote_code_never_runs_by_default(tmp_path, llama_dir):
    custom = _remote_code_folder(llama_dir, tmp_path / "custom", "tinyremote")
    with pytest.raises(ModelLoadError, match="trust_remote_code=True"):
        load_model(custom)
    assert not (custom / "EXECUTED").exists()
    known = _remote_code_folder(llama_dir, tmp_path / "known", "llama")
    assert type(load_model(known).model).__name__ == "LlamaForCausalLM"
    assert not (known / "EXECUTED").exists()


def test_remote_code_runs_when_trusted(tmp_path, llama_dir):
    custom = _remote_code_folder(llama_dir, tmp_path / "trusted_custom", "tinyremote2")
    loaded = load_model(custom, trust_remote_code=True)
    assert (custom / "EXECUTED").exists()
    assert type(loaded.model).__name__ == "RemoteModel"


# ---------------------------------------------------------------- fingerprints


def test_fingerprint_is_stable_and_follows_content_not_location(tmp_path, llama_dir):
    first = load_model(llama_dir).fingerprint
    assert load_model(llama_dir).fingerprint == first
    moved = shutil.copytree(llama_dir, tmp_path / "moved")
    (moved / "README.md").write_text("notes do not change the model")
    assert load_model(moved).fingerprint == first


def test_fingerprint_changes_with_weights_and_chat_template(tmp_path, llama_dir, tokenizer):
    base = load_model(llama_dir).fingerprint
    edited = shutil.copytree(llama_dir, tmp_path / "edited")
    weights = load_file(edited / "model.safetensors")
    weights["lm_head.weight"][0, 0] += 1e-3
    save_file(weights, edited / "model.safetensors", metadata={"format": "pt"})
    assert load_model(edited).fingerprint != base
    other_seed = build_tiny_causal_lm(tmp_path / "seed1", seed=1, tokenizer=tokenizer)
    assert load_model(other_seed).fingerprint != base
    retemplated = build_tiny_tokenizer()
    retemplated.chat_template = TULU_CHAT_TEMPLATE.replace("<|user|>", "<|human|>")
    assert load_model(llama_dir, tokenizer=retemplated).fingerprint != base


def test_tokenizer_digest_ignores_and_keeps_batching_state(llama_dir):
    loaded = load_model(llama_dir)
    loaded.tokenizer(["a", "b c d e f"], padding=True, truncation=True, max_length=3)
    padding = loaded.tokenizer.backend_tokenizer.padding
    assert padding is not None
    assert tokenizer_digest(loaded.tokenizer) == loaded.identity["tokenizer"]
    assert loaded.tokenizer.backend_tokenizer.padding == padding
    assert loaded.tokenizer.backend_tokenizer.truncation["max_length"] == 3


def test_large_file_digest_is_cached_by_size_and_mtime(tmp_path):
    big = tmp_path / "weights.bin"
    big.write_bytes(b"\x01" * (2 << 20))
    digest = file_digest(big, cache_dir=tmp_path / "c")
    cache = json.loads((tmp_path / "c" / "file_hashes.json").read_text())
    assert list(cache.values()) == [digest]
    big.write_bytes(b"\x02" * (2 << 20) + b"\x00")
    changed = file_digest(big, cache_dir=tmp_path / "c")
    assert changed != digest
    assert len(json.loads((tmp_path / "c" / "file_hashes.json").read_text())) == 1  # stale entry replaced
    assert folder_digest(tmp_path, cache_dir=tmp_path / "c") != folder_digest(tmp_path, only=[], cache_dir=tmp_path)


# ---------------------------------------------------------------- adapters


def test_adapter_changes_outputs_and_fingerprint(tmp_path, llama_dir):
    adapter_dir = _make_adapter(llama_dir, tmp_path / "lora_a", seed=1)
    base = load_model(llama_dir)
    adapted = load_model(llama_dir, adapter=adapter_dir)
    assert adapted.adapters == ("lora_a",)
    assert adapted.name == f"{llama_dir.name}+lora_a"
    assert not adapted.model.training
    assert adapted.fingerprint != base.fingerprint
    assert not torch.allclose(_last_logits(adapted), _last_logits(base))
    with adapted.model.disable_adapter():
        assert torch.allclose(_last_logits(adapted), _last_logits(base), atol=1e-6)


def test_several_adapters_load_into_one_model(tmp_path, llama_dir):
    first = _make_adapter(llama_dir, tmp_path / "first", seed=1)
    second = _make_adapter(llama_dir, tmp_path / "second", seed=2)
    loaded = load_model(llama_dir, adapter={"a": first, "b": second})
    assert loaded.adapters == ("a", "b")
    logits_a = _last_logits(loaded)
    loaded.model.set_adapter("b")
    logits_b = _last_logits(loaded)
    assert not torch.allclose(logits_a, logits_b)
    alone_b = load_model(llama_dir, adapter=second)
    assert torch.allclose(logits_b, _last_logits(alone_b), atol=1e-5)
    as_list = load_model(llama_dir, adapter=[first, second])
    assert as_list.adapters == ("first", "second")
    swapped = load_model(llama_dir, adapter={"a": second, "b": first})
    assert len({loaded.fingerprint, as_list.fingerprint, swapped.fingerprint, alone_b.fingerprint}) == 4


def test_adapter_on_t5(tmp_path, t5_dir):
    adapter_dir = _make_adapter(t5_dir, tmp_path / "t5_lora", seed=5, task_type="SEQ_2_SEQ_LM")
    base, adapted = load_model(t5_dir), load_model(t5_dir, adapter=adapter_dir)
    assert adapted.kind == "seq2seq" and adapted.adapters == ("t5_lora",)
    encoded = base.tokenizer(PROMPT, return_tensors="pt")
    labels = base.tokenizer("Option 1", return_tensors="pt").input_ids
    with torch.no_grad():
        assert not torch.allclose(base.model(**encoded, labels=labels).logits,
                                  adapted.model(**encoded, labels=labels).logits)


def test_adapter_errors(tmp_path, llama_dir):
    with pytest.raises(ModelLoadError, match="no adapter_config.json"):
        load_model(llama_dir, adapter=tmp_path)
    adapter_dir = _make_adapter(llama_dir, tmp_path / "lora", seed=1)
    with pytest.raises(ModelLoadError, match="holds a LoRA adapter"):
        load_model(adapter_dir)


# ---------------------------------------------------------------- chat formats


def test_chat_formats(tokenizer):
    assert format_chat("Pick.", chat_format="raw") == "Pick."
    assert format_chat("Pick.", chat_format="raw", system="Be brief.", answer_prefix=" A") == "Be brief.\n\nPick. A"
    assert format_chat("Pick.", chat_format="tulu", answer_prefix="Answer: Option") == (
        "<|user|>\nPick.\n<|assistant|>\nAnswer: Option")
    assert format_chat("Pick.", chat_format="tulu", system="Be brief.") == (
        "<|system|>\nBe brief.\n<|user|>\nPick.\n<|assistant|>\n")
    for system in (None, "Be brief."):
        assert format_chat("Pick.", chat_format="model", tokenizer=tokenizer, system=system, answer_prefix="X") == \
            format_chat("Pick.", chat_format="tulu", system=system, answer_prefix="X")


def test_model_chat_format_needs_a_template(tokenizer):
    plain = build_tiny_tokenizer()
    plain.chat_template = None
    assert default_chat_format(plain) == "raw"
    assert default_chat_format(tokenizer) == "model"
    with pytest.raises(ConfigError, match="no chat template"):
        format_chat("Pick.", chat_format="model", tokenizer=plain)
    with pytest.raises(ConfigError, match="needs the tokenizer"):
        format_chat("Pick.", chat_format="model")
    with pytest.raises(ConfigError, match="unknown chat_format"):
        format_chat("Pick.", chat_format="alpaca")  # type: ignore[arg-type]
