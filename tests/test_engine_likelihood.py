"""Fast likelihood choice equals one full forward per option (decoder and T5, letters and numbers)."""

from __future__ import annotations

import re

import pytest
import torch

from biasorigins.models.batching import plan_batches
from biasorigins.models.hf import HFRunner
from biasorigins.models.likelihood import ChoiceRequest, shared_prefix_length
from biasorigins.suite import BiasSuite
from biasorigins.testing.tiny_models import build_tiny_causal_lm, build_tiny_t5, build_tiny_tokenizer

BIASES = ["anchoring", "framing-effect", "loss-aversion"]



def _corpus() -> list[str]:
    """Prompt vocabulary without two-digit numbers, so labels " 10" and " 11" take several tokens."""
    texts = [p.text for p in BiasSuite(BIASES, cases=12, seed=99).prompts()]
    return [re.sub(r"\d{2,}", "", text) for text in texts] + ["<|user|>\n<|assistant|>\nAnswer: Option"] * 5


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine-likelihood")
    corpus = _corpus()
    causal = build_tiny_causal_lm(root / "llama", seed=11, tokenizer=build_tiny_tokenizer(corpus, vocab_size=800))
    t5 = build_tiny_t5(root / "t5", seed=12, tokenizer=build_tiny_tokenizer(corpus, vocab_size=800, seq2seq=True))
    return {"causal": HFRunner(causal, batch_size=4), "seq2seq": HFRunner(t5, batch_size=4)}


def naive_option_logprobs(runner: HFRunner, prompt) -> list[float]:
    """lm-eval style reference: one unpadded full forward per option, summed label log-probs."""
    request = runner.request(prompt)
    model = runner.loaded.model
    scores = []
    with torch.no_grad():
        for option in request.options:
            if request.encoder is None:
                logits = model(input_ids=torch.tensor([[*request.context, *option]])).logits[0]
            else:
                logits = model(input_ids=torch.tensor([list(request.encoder)]),
                               decoder_input_ids=torch.tensor([[*request.context, *option]])).logits[0]
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            start = len(request.context) - 1
            scores.append(float(sum(logprobs[start + k, token] for k, token in enumerate(option))))
    return scores


def argmax(values):
    return max(range(len(values)), key=values.__getitem__)


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
@pytest.mark.parametrize("labels", ["letters", "numbers"])
def test_fast_choice_equals_per_option_full_forward(models, kind, labels):
    runner = models[kind]
    prompts = BiasSuite(BIASES, cases=2, seed=3, labels=labels).prompts()
    requests = [runner.request(p) for p in prompts]
    if labels == "numbers":  # the test must exercise multi-token labels
        ten, eleven = prompts[0].labels.index("10"), prompts[0].labels.index("11")
        assert len(requests[0].options[ten]) > 1 and len(requests[0].options[eleven]) > 1
    else:
        assert all(r.single_token for r in requests)
    fast = runner.option_logprobs(prompts)
    responses = runner.decide(prompts)
    for prompt, scores, response in zip(prompts, fast, responses):
        reference = naive_option_logprobs(runner, prompt)
        assert scores == pytest.approx(reference, abs=1e-4)
        assert response.choice == argmax(reference)
        assert response.scores == tuple(scores)


def test_continuations_are_the_labels_as_read_after_the_context(models):
    runner = models["causal"]
    prompt = BiasSuite(BIASES, cases=1, seed=0, labels="numbers").prompts()[0]
    request = runner.request(prompt)
    tokenizer = runner.loaded.tokenizer
    for label, option in zip(prompt.labels, request.options):
        assert tokenizer.decode([*request.context, *option]) == runner.context(prompt) + " " + label


def test_prefix_sharing_and_batch_size_do_not_change_scores(models):
    base = models["causal"]
    prompts = BiasSuite(BIASES, cases=2, seed=5, labels="numbers").prompts()
    reference = base.option_logprobs(prompts)
    for runner in (HFRunner(base.loaded, share_prefix=False), HFRunner(base.loaded, batch_size=1),
                   HFRunner(base.loaded, batch_size=64)):
        got = runner.option_logprobs(prompts)
        for a, b in zip(got, reference):
            assert a == pytest.approx(b, abs=1e-4)


def test_plan_batches_keeps_units_together_longest_first():
    lengths = [5, 9, 3, 9, 7, 1, 8]
    units = ["a", "a", "b", "c", "c", "d", "e"]
    batches = plan_batches(lengths, units, batch_size=3)
    for unit in set(units):
        holders = [k for k, batch in enumerate(batches) for i in batch if units[i] == unit]
        assert len(set(holders)) == 1, f"unit {unit} split over batches"
    firsts = [max(lengths[i] for i in batch) for batch in batches]
    assert firsts == sorted(firsts, reverse=True)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert all(len(b) <= 3 for b in batches)
    assert plan_batches(lengths, units, batch_size=3) == batches
    by_tokens = plan_batches(lengths, units, batch_size=99, max_batch_tokens=20)
    assert all(len(b) * max(lengths[i] for i in b) <= 20 or len({units[i] for i in b}) == 1 for b in by_tokens)


def test_shared_prefix_leaves_every_row_a_token():
    rows = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9]]
    assert shared_prefix_length(rows, minimum=1) == 8
    assert shared_prefix_length(rows, minimum=9) == 0
    assert shared_prefix_length([[1, 2, 3], [4, 5, 6]], minimum=1) == 0


def test_control_and_treatment_share_a_batch(models):
    runner = HFRunner(models["causal"].loaded, batch_size=3)
    prompts = BiasSuite(BIASES, cases=2, seed=1).prompts()
    for batch in runner.decide_batches(prompts):
        cases = {prompts[i].case_id for i, _ in batch}
        for case in cases:
            assert sum(prompts[i].case_id == case for i, _ in batch) == 2


def test_cpu_defaults_to_fp32_and_device_is_overridable(models, tmp_path):
    runner = models["causal"]
    assert runner.loaded.device.type == "cpu" and runner.loaded.dtype == torch.float32
    folder = build_tiny_causal_lm(tmp_path / "m", seed=11)
    explicit = HFRunner(folder, device="cpu", dtype="bfloat16")
    assert explicit.loaded.dtype == torch.bfloat16
    assert explicit.fingerprint != HFRunner(folder).fingerprint


def test_request_length_counts_every_part():
    request = ChoiceRequest(context=(1, 2, 3), options=((4,), (5, 6)), encoder=(7, 8))
    assert request.length == 3 + 2 + 2 and not request.single_token


@pytest.mark.slow
def test_smollm2_fast_choices_equal_per_option_forwards_and_generation_parses():
    from biasorigins.models.generation import GenerationRunner
    from biasorigins.testing.smollm import SMOLLM2_INSTALL, smollm2_available, smollm2_path

    if not smollm2_available():
        pytest.skip(f"SmolLM2 not installed: {SMOLLM2_INSTALL}")
    runner = HFRunner(smollm2_path(), batch_size=4)
    prompts = BiasSuite(["framing-effect", "loss-aversion"], cases=1, seed=0).prompts()
    fast = runner.option_logprobs(prompts)
    for prompt, scores in zip(prompts, fast):
        reference = naive_option_logprobs(runner, prompt)
        assert scores == pytest.approx(reference, abs=1e-3)
        assert argmax(scores) == argmax(reference)
    generated = GenerationRunner(runner.loaded, max_new_tokens=24, batch_size=4).decide(prompts)
    assert all(r.text and r.status in {"ok", "invalid", "refused"} for r in generated)


def test_conditions_of_a_case_run_their_common_part_once(models):
    runner = models["causal"]
    prompts = BiasSuite(["anchoring"], cases=2, seed=5).prompts()
    requests = runner.requests(prompts)
    shapes = []
    hook = runner.loaded.model.register_forward_pre_hook(
        lambda module, args, kwargs: shapes.append(tuple(kwargs["input_ids"].shape)), with_kwargs=True)
    try:
        scores = runner.score_batch(requests)
    finally:
        hook.remove()
    assert [rows for rows, _ in shapes] == [1, 2, 4]  # batch prefix, one row per case, one per prompt
    every_row_alone = sum(len(r.context) for r in requests)
    assert sum(rows * width for rows, width in shapes) < every_row_alone
    for prompt, got in zip(prompts, scores):
        assert got == pytest.approx(naive_option_logprobs(runner, prompt), abs=1e-4)
