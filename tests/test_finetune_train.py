"""finetune() on tiny models: seeds, exact resume, outputs, merge, T5, and batch-layout invariance."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import torch
from safetensors.torch import load_file

from biasorigins.errors import ConfigError, DataFormatError
from biasorigins.finetune import FinetuneConfig, FinetuneResult, finetune, read_instruction_data
from biasorigins.models.loading import load_model

TINY = FinetuneConfig.preset("tiny")


@pytest.fixture(scope="module")
def flan_records() -> list[dict]:
    path = resources.files("biasorigins") / "data" / "instructions" / "flan_style.jsonl"
    records = read_instruction_data(str(path)).records[:48]
    return [{"prompt": r.prompt, "completion": r.completion} for r in records]


@pytest.fixture(scope="module")
def chat_records() -> list[dict]:
    path = resources.files("biasorigins") / "data" / "instructions" / "chat_style.jsonl"
    with open(str(path), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle][:32]


def _weights(result: FinetuneResult) -> dict[str, torch.Tensor]:
    return load_file(str(result.adapter_dir / "adapter_model.safetensors"))


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6, rtol=1e-4) for k in a)


def _run(model_dir, data, folder, seed=0, **overrides) -> FinetuneResult:
    return finetune(model_dir, data, output_dir=folder, seed=seed, config=TINY, progress=False, **overrides)


def test_same_seed_same_adapter_other_seed_other_adapter(tiny_causal_dir, flan_records, tmp_path) -> None:
    first = _run(tiny_causal_dir, flan_records, tmp_path / "a", seed=0)
    again = _run(tiny_causal_dir, flan_records, tmp_path / "b", seed=0)
    other = _run(tiny_causal_dir, flan_records, tmp_path / "c", seed=1)
    assert _same(_weights(first), _weights(again)) and first.losses == again.losses
    assert not _same(_weights(first), _weights(other))


def test_init_seed_and_data_seed_act_separately(tiny_causal_dir, flan_records, tmp_path) -> None:
    # LoRA B starts at zero, so the first loss depends on the data order only, not on the LoRA init.
    base = _run(tiny_causal_dir, flan_records, tmp_path / "a", seed=0)
    new_init = _run(tiny_causal_dir, flan_records, tmp_path / "b", seed=0, init_seed=9)
    new_order = _run(tiny_causal_dir, flan_records, tmp_path / "c", seed=0, data_seed=9)
    assert new_init.losses[0] == base.losses[0] and not _same(_weights(new_init), _weights(base))
    assert new_order.losses[0] != base.losses[0]


def test_interrupted_run_resumes_to_the_same_adapter(tiny_causal_dir, flan_records, tmp_path) -> None:
    settings = dict(max_steps=6, save_steps=2, lora_dropout=0.2)  # dropout: the RNG state must be restored too
    whole = _run(tiny_causal_dir, flan_records, tmp_path / "whole", **settings)

    def stop_at_step_3(row: dict) -> None:
        if row["step"] == 3:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C after the step-2 checkpoint

    folder = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny_causal_dir, flan_records, output_dir=folder, seed=0, config=TINY, progress=False,
                 callback=stop_at_step_3, **settings)
    assert not (folder / "result.json").exists()
    assert sorted(p.name for p in (folder / "checkpoints").iterdir()) == ["step-000002"]  # no temporary leftovers

    resumed = _run(tiny_causal_dir, flan_records, folder, **settings)
    assert resumed.resumed_from == 2 and resumed.steps == 6
    assert _same(_weights(resumed), _weights(whole))
    assert resumed.losses == whole.losses
    assert [row["step"] for row in resumed.training_log().to_dict("records")] == [1, 2, 3, 4, 5, 6]


def test_finished_run_is_returned_and_other_settings_are_refused(tiny_causal_dir, flan_records, tmp_path) -> None:
    first = _run(tiny_causal_dir, flan_records, tmp_path / "run")
    calls = []
    again = finetune(tiny_causal_dir, flan_records, output_dir=tmp_path / "run", seed=0, config=TINY,
                     progress=False, callback=calls.append)
    assert again == first and calls == []  # nothing was trained again
    with pytest.raises(ConfigError, match="learning_rate differ"):
        _run(tiny_causal_dir, flan_records, tmp_path / "run", learning_rate=1e-2)
    with pytest.raises(ConfigError, match="different training data"):
        _run(tiny_causal_dir, flan_records[:-1], tmp_path / "run")
    with pytest.raises(ConfigError, match="already holds a finetuning run"):
        finetune(tiny_causal_dir, flan_records, output_dir=tmp_path / "run", seed=0, config=TINY, resume=False)


def test_output_folder_and_the_adapter_loads(tiny_causal_dir, chat_records, tmp_path) -> None:
    result = _run(tiny_causal_dir, chat_records, tmp_path / "run")
    assert {p.name for p in result.output_dir.iterdir()} >= {
        "adapter", "finetune_config.json", "training_log.jsonl", "result.json", "checkpoints", "run.json"
    }
    assert FinetuneConfig.from_json_file(result.output_dir / "finetune_config.json") == result.config
    assert FinetuneResult.from_dir(result.output_dir) == result
    log = result.training_log()
    assert list(log["step"]) == list(range(1, 7)) and (log["supervised_tokens"] > 0).all()
    assert {"loss", "learning_rate", "supervised_tokens_per_second", "tokens", "padding_tokens"} <= set(log.columns)
    assert result.final_loss == log["loss"].iloc[-1] and result.supervised_tokens == log["supervised_tokens"].sum()

    base = load_model(tiny_causal_dir)
    tuned = load_model(tiny_causal_dir, adapter=result.adapter_dir)
    ids = base.tokenizer("<|user|>\nWhich option?\n<|assistant|>\n", return_tensors="pt").input_ids
    with torch.no_grad():
        assert not torch.allclose(base.model(ids).logits, tuned.model(ids).logits)


def test_merged_model_equals_base_plus_adapter(tiny_causal_dir, flan_records, tmp_path) -> None:
    result = _run(tiny_causal_dir, flan_records, tmp_path / "run", merge=True)
    merged = load_model(result.merged_dir)
    tuned = load_model(tiny_causal_dir, adapter=result.adapter_dir)
    ids = merged.tokenizer("Question: What is 12 + 30? Answer:", return_tensors="pt").input_ids
    with torch.no_grad():
        torch.testing.assert_close(merged.model(ids).logits, tuned.model(ids).logits, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("reduction", ["tokens", "examples"])
def test_micro_batch_split_does_not_change_training(tiny_causal_dir, flan_records, tmp_path, reduction) -> None:
    settings = dict(batching="random", lora_dropout=0.0, loss_reduction=reduction, max_steps=3)
    whole = _run(tiny_causal_dir, flan_records, tmp_path / "whole", micro_batch_size=8, **settings)
    split = _run(tiny_causal_dir, flan_records, tmp_path / "split", micro_batch_size=2, **settings)
    assert split.losses == pytest.approx(whole.losses, rel=1e-5)
    assert _close(_weights(split), _weights(whole))


def test_packed_batches_train_like_padded_ones(tiny_causal_dir, chat_records, tmp_path) -> None:
    settings = dict(lora_dropout=0.0, max_steps=3)
    padded = _run(tiny_causal_dir, chat_records, tmp_path / "padded", batching="random", **settings)
    packed = _run(tiny_causal_dir, chat_records, tmp_path / "packed", batching="packed", **settings)
    assert packed.losses == pytest.approx(padded.losses, rel=1e-5)
    assert _close(_weights(packed), _weights(padded))
    assert packed.training_log()["padding_tokens"].sum() == 0 < padded.training_log()["padding_tokens"].sum()


def test_gradient_checkpointing_gives_the_same_training(tiny_causal_dir, flan_records, tmp_path) -> None:
    plain = _run(tiny_causal_dir, flan_records, tmp_path / "plain", max_steps=3)
    checkpointed = _run(tiny_causal_dir, flan_records, tmp_path / "ckpt", max_steps=3, gradient_checkpointing=True)
    assert checkpointed.losses == pytest.approx(plain.losses, rel=1e-5)


def test_t5_chat_finetune_and_adapter_loads(tiny_t5_dir, chat_records, tmp_path) -> None:
    result = _run(tiny_t5_dir, chat_records, tmp_path / "t5")
    assert result.kind == "seq2seq" and len(result.losses) == 6
    assert all(loss == loss for loss in result.losses)  # no NaN
    tuned = load_model(tiny_t5_dir, adapter=result.adapter_dir)
    assert tuned.kind == "seq2seq" and tuned.adapters
    with pytest.raises(ConfigError, match="decoder-only models only"):
        _run(tiny_t5_dir, chat_records, tmp_path / "t5-packed", batching="packed")


def test_in_memory_model_is_handed_back_without_lora(tiny_causal_dir, flan_records, tmp_path) -> None:
    loaded = load_model(tiny_causal_dir)
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    finetune(loaded, flan_records, output_dir=tmp_path / "run", seed=0, config=TINY, progress=False)
    assert not any("lora" in name for name, _ in loaded.model.named_modules())
    assert _same(before, loaded.model.state_dict())


def test_data_and_settings_are_checked_before_the_model_loads(flan_records, tmp_path) -> None:
    with pytest.raises(DataFormatError, match="list record 2: field 'completion' is missing"):
        finetune("/no/such/model", [flan_records[0], {"prompt": "x"}], output_dir=tmp_path, seed=0)
    with pytest.raises(ConfigError, match="unknown finetune setting 'lr'"):
        finetune("/no/such/model", flan_records, output_dir=tmp_path, seed=0, lr=1e-3)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_paths_track_fp32(tiny_causal_dir, flan_records, tmp_path, precision) -> None:
    # The GPU code paths (autocast; a gradient scaler for fp16), exercised here on CPU.
    full = _run(tiny_causal_dir, flan_records, tmp_path / "fp32", max_steps=3)
    mixed = _run(tiny_causal_dir, flan_records, tmp_path / precision, max_steps=3, precision=precision)
    assert mixed.losses == pytest.approx(full.losses, rel=2e-2)
    assert mixed.losses != full.losses  # autocast really ran


def test_target_modules_that_match_nothing_are_named(tiny_causal_dir, flan_records, tmp_path, caplog) -> None:
    with caplog.at_level("WARNING", logger="biasorigins.finetune.train"):
        result = _run(tiny_causal_dir, flan_records, tmp_path / "a", target_modules=("q_proj", "query_key_value"),
                      max_steps=1)
    assert "['query_key_value'] match no module" in caplog.text
    assert all(".q_proj." in name for name in _weights(result))
    with pytest.raises(ConfigError, match="target_modules"):
        _run(tiny_causal_dir, flan_records, tmp_path / "b", target_modules=("query_key_value",), max_steps=1)
