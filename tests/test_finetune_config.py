"""FinetuneConfig: presets reproduce the paper's recipes, overrides are validated, JSON round-trips."""

from __future__ import annotations

import pydantic
import pytest

from biasorigins.errors import ConfigError
from biasorigins.finetune import FinetuneConfig


def test_olmo_preset_is_the_papers_recipe() -> None:
    config = FinetuneConfig.preset("olmo-paper")
    assert (config.lora_r, config.lora_alpha, config.lora_dropout) == (128, 256, 0.1)
    assert config.learning_rate == 2e-5 and config.lr_scheduler == "linear" and config.warmup_ratio == 0.03
    assert config.weight_decay == 0.0 and config.epochs == 3
    assert config.batch_size == 128 and config.max_length == 2048
    assert config.bos == "eos"  # OLMo had no BOS; the paper used EOS in its place
    assert config.max_grad_norm is None and config.save_steps == 500
    assert config.loss_reduction == "examples"  # one example per device in the paper: examples weigh equally


def test_t5_preset_is_the_papers_recipe() -> None:
    config = FinetuneConfig.preset("t5-paper")
    assert (config.lora_r, config.lora_alpha, config.lora_dropout) == (128, 256, 0.1)
    assert config.learning_rate == 1e-4 and config.batch_size == 64 and config.epochs == 3
    assert (config.max_source_length, config.max_target_length) == (1024, 256)
    assert config.seq2seq_turns == "last"
    # Deliberate difference: all linear layers, since the paper's 'wi' matched nothing in T5 v1.1.
    assert config.target_modules == "all-linear"


def test_preset_overrides_and_unknown_preset() -> None:
    assert FinetuneConfig.preset("olmo-paper", learning_rate=1e-4).learning_rate == 1e-4
    with pytest.raises(ConfigError, match="unknown preset 'olmo'.*olmo-paper"):
        FinetuneConfig.preset("olmo")


def test_unknown_setting_names_the_closest_one() -> None:
    with pytest.raises(ConfigError, match="unknown finetune setting 'learning_rat'.*'learning_rate'"):
        FinetuneConfig().with_overrides(learning_rat=1e-3)


def test_invalid_value_names_the_field() -> None:
    with pytest.raises(ConfigError, match="lora_r"):
        FinetuneConfig.build(lora_r=0)
    with pytest.raises(ConfigError, match="precision"):
        FinetuneConfig().with_overrides(precision="fp8")


def test_batch_must_be_a_multiple_of_the_micro_batch() -> None:
    with pytest.raises(ConfigError, match="batch_size \\(10\\) must be a multiple of micro_batch_size \\(4\\)"):
        FinetuneConfig.build(batch_size=10, micro_batch_size=4)


def test_config_is_frozen() -> None:
    config = FinetuneConfig()
    with pytest.raises(pydantic.ValidationError):
        config.lora_r = 4  # type: ignore[misc]


def test_seeds_default_to_the_main_seed() -> None:
    config = FinetuneConfig(seed=3)
    assert (config.effective_init_seed, config.effective_data_seed) == (3, 3)
    config = FinetuneConfig(seed=3, init_seed=5, data_seed=7)
    assert (config.effective_init_seed, config.effective_data_seed) == (5, 7)


def test_json_round_trip(tmp_path) -> None:
    config = FinetuneConfig.preset("t5-paper", target_modules=["q", "v"], seed=2)
    path = tmp_path / "finetune_config.json"
    config.to_json_file(path)
    assert FinetuneConfig.from_json_file(path) == config
    assert config.target_modules == ("q", "v")


def test_the_tiny_preset_says_it_is_for_toy_models_and_smollm2_has_its_own() -> None:
    from biasorigins.finetune.config import PRESETS

    doc = FinetuneConfig.preset.__doc__
    assert '"tiny"' in doc and "random toy models" in doc and '"smollm2-cpu"' in doc
    assert set(PRESETS) == {"olmo-paper", "t5-paper", "smollm2-cpu", "tiny"}
    smollm2 = FinetuneConfig.preset("smollm2-cpu")
    assert smollm2.learning_rate < FinetuneConfig.preset("tiny").learning_rate
    assert smollm2.precision == "fp32" and smollm2.max_steps == 20
