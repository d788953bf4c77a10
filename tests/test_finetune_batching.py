"""Batch plans and collation: every example once per epoch, seeded order, less padding, packing kept apart."""

from __future__ import annotations

import numpy as np
import pytest

from biasorigins.finetune.batching import collate_packed, collate_padded, plan_epoch
from biasorigins.finetune.formats import IGNORE_INDEX, EncodedExample

# A Flan-like length mix: mostly short, some long.
LENGTHS = [int(n) for n in np.random.default_rng(0).choice([12, 20, 30, 200], size=203, p=[0.4, 0.3, 0.2, 0.1])]


def _plan(strategy: str, seed: int = 0, epoch: int = 0):
    return plan_epoch(LENGTHS, micro_batch_size=4, micro_batches_per_step=2, strategy=strategy, seed=seed,
                      epoch=epoch, group_size=8)


def _padding(plan) -> int:
    return sum(len(mb) * max(LENGTHS[i] for i in mb) - sum(LENGTHS[i] for i in mb) for step in plan for mb in step)


@pytest.mark.parametrize("strategy", ["length_grouped", "packed", "random"])
def test_every_example_once_per_epoch(strategy: str) -> None:
    plan = _plan(strategy)
    indices = [i for step in plan for mb in step for i in mb]
    assert sorted(indices) == list(range(len(LENGTHS)))
    assert len(plan) == -(-len(LENGTHS) // 8)  # ceil(203 / (4 x 2))
    assert all(len(step) <= 2 and all(len(mb) <= 4 for mb in step) for step in plan)


def test_order_depends_only_on_seed_and_epoch() -> None:
    assert _plan("length_grouped") == _plan("length_grouped")
    assert _plan("length_grouped", seed=1) != _plan("length_grouped")
    assert _plan("length_grouped", epoch=1) != _plan("length_grouped")


def test_length_grouping_cuts_padding() -> None:
    grouped, shuffled = _padding(_plan("length_grouped")), _padding(_plan("random"))
    assert grouped < shuffled / 3


def _example(ids: list[int], supervised_from: int, record: int = 0) -> EncodedExample:
    input_ids = np.asarray(ids)
    labels = np.where(np.arange(len(ids)) >= supervised_from, input_ids, IGNORE_INDEX)
    return EncodedExample(input_ids=input_ids, labels=labels, record=record)


def test_padded_targets_are_the_next_supervised_tokens() -> None:
    batch = collate_padded([_example([5, 6, 7, 8], 2), _example([9, 10], 1)], [0.5, 0.25], pad_id=0)
    assert batch.inputs["input_ids"].tolist() == [[5, 6, 7, 8], [9, 10, 0, 0]]
    assert batch.inputs["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]
    # position t predicts token t + 1: token 7 (position 2) is predicted from position 1
    assert batch.targets.tolist() == [[-100, 7, 8, -100], [10, -100, -100, -100]]
    assert batch.weights.tolist() == [[0, 0.5, 0.5, 0], [0.25, 0, 0, 0]]
    assert (batch.tokens, batch.padded_tokens, batch.supervised_tokens) == (6, 2, 3)


def test_packed_rows_restart_positions_and_never_predict_across_examples() -> None:
    # the second example's first token is supervised: it must not be predicted from the first example
    batch = collate_packed([_example([5, 6, 7], 1), _example([9, 10], 0)], [1.0, 1.0])
    assert batch.inputs["input_ids"].tolist() == [[5, 6, 7, 9, 10]]
    assert batch.inputs["position_ids"].tolist() == [[0, 1, 2, 0, 1]]
    assert batch.targets.tolist() == [[6, 7, -100, 10, -100]]
    assert batch.padded_tokens == 0


@pytest.mark.parametrize("arch", ["llama", "olmo", "mistral"])
def test_packed_logits_equal_separate_logits(arch: str, tmp_path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from biasorigins.testing.tiny_models import build_tiny_causal_lm

    model = AutoModelForCausalLM.from_pretrained(build_tiny_causal_lm(tmp_path, arch=arch)).eval()
    examples = [_example([5, 6, 7, 8, 9], 0), _example([11, 12, 13], 0), _example([20, 21, 22, 23], 0)]
    with torch.no_grad():
        alone = [model(input_ids=torch.tensor([e.input_ids.tolist()])).logits[0] for e in examples]
        packed = collate_packed(examples, [1.0] * 3)
        together = model(**packed.inputs, use_cache=False).logits[0]  # as in training: no KV cache
    torch.testing.assert_close(together, torch.cat(alone), atol=1e-5, rtol=1e-4)
