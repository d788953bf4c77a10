"""Many LoRA adapters on one loaded base: mixed batches equal separately merged models."""

from __future__ import annotations

import re

import pytest
import torch
from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

from biasorigins.errors import ConfigError
from biasorigins.models.hf import BASE_ADAPTER, HFRunner
from biasorigins.models.loading import load_model
from biasorigins.suite import BiasSuite
from biasorigins.testing.tiny_models import build_tiny_causal_lm, build_tiny_t5, build_tiny_tokenizer

BIASES = ["anchoring", "loss-aversion"]
ADAPTER_SEEDS = {"tulu-s0": 100, "tulu-s1": 101, "flan-s0": 102}


def _auto(kind: str):
    return AutoModelForSeq2SeqLM if kind == "seq2seq" else AutoModelForCausalLM


def _save_random_adapters(base_dir, root, kind: str) -> dict[str, str]:
    """LoRA adapters with random B (init_lora_weights=False), one distinct seed each."""
    folders = {}
    task = TaskType.SEQ_2_SEQ_LM if kind == "seq2seq" else TaskType.CAUSAL_LM
    for name, seed in ADAPTER_SEEDS.items():
        torch.manual_seed(seed)
        model = _auto(kind).from_pretrained(base_dir)
        config = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type=task, init_lora_weights=False)
        peft = get_peft_model(model, config)
        folders[name] = str(root / name)
        peft.save_pretrained(folders[name])
    return folders


def _tokenizer(seq2seq: bool):
    """Prompt vocabulary without two-digit numbers: labels " 10" and " 11" take several tokens."""
    texts = [re.sub(r"\d{2,}", "", p.text) for p in BiasSuite(BIASES, cases=8, seed=99).prompts()]
    return build_tiny_tokenizer([*texts, "<|user|>\n<|assistant|>\nAnswer: Option"], vocab_size=800, seq2seq=seq2seq)


@pytest.fixture(scope="module", params=["causal", "seq2seq"])
def setup(request, tmp_path_factory):
    kind = request.param
    root = tmp_path_factory.mktemp(f"adapters-{kind}")
    tokenizer = _tokenizer(kind == "seq2seq")
    base_dir = (build_tiny_t5(root / "base", seed=5, tokenizer=tokenizer) if kind == "seq2seq"
                else build_tiny_causal_lm(root / "base", seed=5, tokenizer=tokenizer))
    adapters = _save_random_adapters(base_dir, root, kind)
    return kind, base_dir, adapters


class CountingRunner(HFRunner):
    """Records the adapters present in each model batch."""

    def score_batch(self, requests):
        self.seen.append({r.adapter for r in requests})
        return super().score_batch(requests)


def test_mixed_adapter_batches_equal_separately_merged_models(setup):
    kind, base_dir, adapters = setup
    suite = BiasSuite(BIASES, cases=2, seed=7, labels="numbers")
    shared = CountingRunner(load_model(base_dir, adapter=adapters), batch_size=8)
    shared.seen = []
    variants = shared.variants()
    assert [v.adapter for v in variants] == [BASE_ADAPTER, *adapters]
    results = suite.run_many(variants, progress=False)
    assert any(len(adapters_in_batch) > 1 for adapters_in_batch in shared.seen), "batches should mix adapters"
    assert any(not shared.request(p).single_token for p in suite.prompts()), "multi-token labels must be covered"

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    separate = {variants[0].name: HFRunner(base_dir, batch_size=8)}
    for name, folder in adapters.items():
        merged = PeftModel.from_pretrained(_auto(kind).from_pretrained(base_dir), folder).merge_and_unload()
        separate[f"{variants[0].name}+{name}"] = HFRunner(load_model(merged, tokenizer=tokenizer), batch_size=8)
    assert set(results) == set(separate)
    choices = []
    for name, runner in separate.items():
        alone = suite.run(runner, progress=False).table
        joint = results[name].table
        assert list(joint["choice"]) == list(alone["choice"])
        for a, b in zip(joint["option_scores"], alone["option_scores"]):
            assert a == pytest.approx(b, abs=1e-4)
        choices.append(tuple(joint["choice"]))
    assert len(set(choices)) > 1, "random adapters should change some answers"


def test_variants_have_their_own_fingerprints_and_store_keys(setup, tmp_path):
    _, base_dir, adapters = setup
    loaded = load_model(base_dir, adapter=adapters)
    runner = HFRunner(loaded)
    prints = {v.adapter: v.model_fingerprint for v in runner.variants()}
    assert len(set(prints.values())) == len(prints)
    assert prints[BASE_ADAPTER] == HFRunner(base_dir).model_fingerprint
    renamed = HFRunner(load_model(base_dir, adapter={"other-name": adapters["tulu-s1"]}))
    assert renamed.model_fingerprint == prints["tulu-s1"]

    suite = BiasSuite(BIASES, cases=1, seed=0)
    path = tmp_path / "store.sqlite"
    suite.run_many(runner.variants(), store=path, progress=False)
    again = CountingRunner(loaded)
    again.seen = []
    for variant in again.variants():
        suite.run(variant, store=path, progress=False)
    assert again.seen == []


def test_unknown_adapter_is_a_config_error(setup):
    _, base_dir, adapters = setup
    loaded = load_model(base_dir, adapter=adapters)
    with pytest.raises(ConfigError, match="not loaded"):
        HFRunner(loaded, adapter="missing")
    with pytest.raises(ConfigError, match="no LoRA adapters"):
        HFRunner(base_dir).variants()


def test_generation_with_one_adapter_of_many_equals_the_merged_model(setup):
    from biasorigins.models.generation import GenerationRunner

    kind, base_dir, adapters = setup
    prompts = BiasSuite(BIASES, cases=1, seed=0).prompts()
    shared = GenerationRunner(load_model(base_dir, adapter=adapters), adapter="tulu-s1", max_new_tokens=5)
    merged = PeftModel.from_pretrained(_auto(kind).from_pretrained(base_dir), adapters["tulu-s1"]).merge_and_unload()
    alone = GenerationRunner(load_model(merged, tokenizer=AutoTokenizer.from_pretrained(base_dir)), max_new_tokens=5)
    texts = [shared.model_input(p) for p in prompts]
    assert shared.generate_tokens(texts) == alone.generate_tokens(texts)
    base = GenerationRunner(shared.loaded, adapter=BASE_ADAPTER, max_new_tokens=5)
    assert base.generate_tokens(texts) == GenerationRunner(base_dir, max_new_tokens=5).generate_tokens(texts)
    assert base.generate_tokens(texts) != shared.generate_tokens(texts), "the adapter should change the answers"


def test_batches_of_the_one_active_adapter_skip_the_per_row_path_with_identical_scores(setup, monkeypatch):
    from peft.tuners.lora.layer import Linear

    _, base_dir, adapters = setup
    per_row = []
    original = Linear._mixed_batch_forward
    monkeypatch.setattr(Linear, "_mixed_batch_forward", lambda self, *a, **k: per_row.append(1) or original(self, *a, **k))
    suite = BiasSuite(BIASES, cases=2, seed=7, labels="numbers")
    loaded = load_model(base_dir, adapter=adapters)

    def scores(adapter):
        return list(suite.run(HFRunner(loaded, adapter=adapter, batch_size=8), progress=False).table["option_scores"])

    assert loaded.model.active_adapters == ["tulu-s0"]
    with_names = scores("tulu-s1")  # not the active adapter: PEFT's per-row path
    assert per_row
    per_row.clear()
    loaded.model.set_adapter("tulu-s1")
    assert scores("tulu-s1") == with_names
    # one row per batch: batches of several rows may group differently, which moves the last float bit
    base = suite.run(HFRunner(loaded, adapter=BASE_ADAPTER, batch_size=1), progress=False).table["option_scores"]
    assert list(base) == list(suite.run(HFRunner(base_dir, batch_size=1), progress=False).table["option_scores"])
    assert not per_row
