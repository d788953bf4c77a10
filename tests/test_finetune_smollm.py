"""A real run: LoRA-finetune SmolLM2-135M-Instruct on our shipped Flan-style set, on CPU."""

from __future__ import annotations

import pytest
import torch

from biasorigins.finetune import FinetuneConfig, finetune, instruction_set_path
from biasorigins.models.hf import HFRunner
from biasorigins.models.loading import load_model
from biasorigins.records import Prompt


@pytest.mark.slow
def test_smollm2_loss_goes_down_and_the_adapter_loads(smollm2_dir, tmp_path) -> None:
    data = instruction_set_path("flan_style")
    config = FinetuneConfig.preset("smollm2-cpu", max_length=64, save_steps=None)  # the recipe the docs recommend
    result = finetune(smollm2_dir, data, output_dir=tmp_path / "run", seed=0, config=config, progress=False)
    assert result.steps == 20
    first, last = sum(result.losses[:5]) / 5, sum(result.losses[-5:]) / 5
    assert last < 0.75 * first, result.losses

    # The adapter loads with the public loader and into the suite's runner, and changes the model.
    tuned = load_model(smollm2_dir, adapter=result.adapter_dir)
    prompt = Prompt(case_id="c", condition="control", text="Which do you pick?\nOption 1: tea\nOption 2: coffee",
                    labels=("1", "2"), options=("tea", "coffee"), display_order=(0, 1))
    tuned_scores = HFRunner(tuned, chat_format="raw").option_logprobs([prompt])[0]
    base_scores = HFRunner(smollm2_dir, chat_format="raw").option_logprobs([prompt])[0]
    assert len(tuned_scores) == 2 and not torch.allclose(torch.tensor(tuned_scores), torch.tensor(base_scores))
