"""VLLMRunner: the requests and score reading tested on CPU with a real tokenizer and model; the engine on GPU.

The CPU tests stand in for vLLM's engine with the model's own log-probabilities, computed
here by plain full forwards (independent of HFRunner's batched scoring), cut to a short
top list the way vLLM returns them, so the runner's reading of them is what is checked.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
import torch

from biasorigins.errors import ConfigError, ModelLoadError
from biasorigins.models.generation import GenerationRunner
from biasorigins.models.hf import HFRunner
from biasorigins.models.vllm import (
    VLLMRunner,
    adapter_rank,
    causal_requests,
    choose,
    completion_prompts,
    continuation_logprob,
    generation_input,
    plain_logprobs,
    scores_from_top,
    vllm_settings,
)
from biasorigins.suite import BiasSuite
from biasorigins.testing.tiny_models import build_tiny_causal_lm, build_tiny_tokenizer

BIASES = ["anchoring", "framing-effect", "loss-aversion"]


def _corpus() -> list[str]:
    """Prompt vocabulary without two-digit numbers, so labels " 10" and " 11" take several tokens."""
    texts = [p.text for p in BiasSuite(BIASES, cases=12, seed=99).prompts()]
    return [re.sub(r"\d{2,}", "", text) for text in texts] + ["<|user|>\n<|assistant|>\nAnswer: Option"] * 5


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = build_tiny_causal_lm(tmp_path_factory.mktemp("vllm-tiny"), seed=21,
                                  tokenizer=build_tiny_tokenizer(_corpus(), vocab_size=800))
    from transformers import AutoTokenizer

    return folder, HFRunner(folder, batch_size=4), AutoTokenizer.from_pretrained(folder)


def _full_logprobs(model, ids) -> torch.Tensor:
    """log-softmax at every position of one unpadded sequence (what vLLM computes)."""
    with torch.no_grad():
        return torch.log_softmax(model(input_ids=torch.tensor([list(ids)])).logits[0].float(), dim=-1)


def _vllm_like_scores(model, requests, top_k: int) -> tuple[list[list[float]], int]:
    """The runner's score reading, fed with the top-k at the answer position and the prompt log-probs
    of context + option for the rest, as vLLM would return them; and how many options the top list gave."""
    out, from_top = [], 0
    for request in requests:
        last = _full_logprobs(model, request.context)[-1]
        values, ids = last.topk(top_k)
        top = plain_logprobs({int(i): float(v) for i, v in zip(ids, values)})
        partial = scores_from_top(request, top)
        from_top += sum(score is not None for score in partial)
        for j, ids_ in completion_prompts(request, partial):
            table = _full_logprobs(model, ids_)
            # vLLM: prompt_logprobs[t] = {token t: log p(token t | tokens < t)}, None at t = 0
            positions = [{}] + [{ids_[t]: float(table[t - 1, ids_[t]])} for t in range(1, len(ids_))]
            partial[j] = continuation_logprob(positions, len(request.context), request.options[j])
        out.append(partial)
    return out, from_top


@pytest.mark.parametrize("chat_format", ["raw", "tulu"])
def test_request_ids_equal_what_hfrunner_scores(tiny, chat_format):
    _folder, hf, tokenizer = tiny
    hf = HFRunner(hf.loaded, chat_format=chat_format)
    prompts = BiasSuite(BIASES, cases=2, seed=3, labels="numbers").prompts()
    ours = causal_requests(tokenizer, prompts, chat_format=chat_format, system=None)
    theirs = hf.requests(prompts)
    assert [(r.context, r.options) for r in ours] == [(r.context, r.options) for r in theirs]
    assert any(not r.single_token for r in ours)  # the multi-token path is exercised


@pytest.mark.parametrize("top_k", [2, 800])
def test_scores_from_top_list_and_prompt_logprobs_equal_hfrunner(tiny, top_k):
    _, hf, tokenizer = tiny
    prompts = BiasSuite(BIASES, cases=1, seed=4, labels="numbers").prompts()[:4]
    requests = causal_requests(tokenizer, prompts, chat_format=hf.chat_format, system=None)
    ours, from_top = _vllm_like_scores(hf.loaded.model, requests, top_k)
    single = sum(len(o) == 1 for r in requests for o in r.options)
    assert single < sum(len(r.options) for r in requests)  # multi-token labels take the exact pass
    assert from_top == (single if top_k >= len(tokenizer) else 0)  # random weights: no label in a top 2
    reference = hf.option_logprobs(prompts)
    for mine, theirs in zip(ours, reference):
        assert mine == pytest.approx(theirs, abs=1e-4)
    assert [choose(s).choice for s in ours] == [r.choice for r in hf.decide(prompts)]


def test_labels_missing_from_the_top_list_are_left_for_the_exact_pass():
    from biasorigins.models.likelihood import ChoiceRequest

    request = ChoiceRequest(context=(5, 6), options=((7,), (8,), (9, 10)))
    partial = scores_from_top(request, {7: -0.5, 3: -0.1})
    assert partial == [-0.5, None, None]
    assert completion_prompts(request, partial) == [(1, [5, 6, 8]), (2, [5, 6, 9, 10])]
    positions = [{}, {6: -1.0}, {9: -2.0, 4: -0.1}, {10: -0.25}]
    assert continuation_logprob(positions, 2, (9, 10)) == pytest.approx(-2.25)
    with pytest.raises(ConfigError, match="no log-probability"):
        continuation_logprob(positions, 2, (4, 11))


def test_plain_logprobs_reads_vllm_logprob_objects():
    class Logprob:  # the shape of vllm.sequence.Logprob
        def __init__(self, logprob):
            self.logprob, self.rank, self.decoded_token = logprob, 1, "A"

    assert plain_logprobs({3: Logprob(-0.7), 4: -1.5}) == {3: -0.7, 4: -1.5}
    assert plain_logprobs(None) == {}


def test_generation_input_equals_what_generationrunner_reads(tiny):
    _, hf, tokenizer = tiny
    generator = GenerationRunner(hf.loaded, chat_format="tulu", prefill="Answer: Option")
    for prompt in BiasSuite(BIASES, cases=1, seed=5).prompts():
        ids = generation_input(prompt, tokenizer=tokenizer, chat_format="tulu", system=None, prefill="Answer: Option")
        expected = generator._encode([generator.model_input(prompt)], special=generator._context_specials)[0]
        assert ids == expected


def test_settings_separate_modes_and_decoding_choices():
    base = {"chat_format": "raw", "system": None, "max_new_tokens": 40, "prefill": "", "stop": ()}
    likelihood = vllm_settings(mode="likelihood", **base)
    generate = vllm_settings(mode="generate", **base)
    assert likelihood["method"] == "vllm-likelihood" and generate["method"] == "vllm-generate"
    assert vllm_settings(mode="generate", **{**base, "max_new_tokens": 80}) != generate
    assert vllm_settings(mode="likelihood", **{**base, "max_new_tokens": 80}) == likelihood  # unused there


def test_adapter_rank_is_read_from_the_config(tmp_path):
    (tmp_path / "adapter_config.json").write_text('{"r": 16, "lora_alpha": 32}')
    assert adapter_rank(tmp_path) == 16
    with pytest.raises(ConfigError, match="adapter_config.json"):
        adapter_rank(tmp_path / "missing")


needs_gpu_vllm = pytest.mark.skipif(
    importlib.util.find_spec("vllm") is None or not torch.cuda.is_available(),
    reason="VLLMRunner needs vLLM and a CUDA GPU (pip install 'biasorigins[vllm]'); run benchmarks/run_gpu_checks.sh",
)


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None and torch.cuda.is_available(),
                    reason="vLLM and a GPU are here")
def test_without_vllm_or_gpu_the_runner_says_how_to_get_them(tiny_causal_dir):
    with pytest.raises(ModelLoadError, match=r"needs vLLM and a CUDA GPU.*pip install 'biasorigins\[vllm\]'"):
        VLLMRunner(tiny_causal_dir)
    with pytest.raises(ConfigError, match="mode"):  # bad arguments are caught first
        VLLMRunner(tiny_causal_dir, mode="sample")


@needs_gpu_vllm
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["likelihood", "generate"])
def test_vllm_agrees_with_the_hf_runners_on_gpu(tiny, mode):
    folder, hf, _ = tiny
    prompts = BiasSuite(BIASES, cases=4, seed=6, labels="numbers").prompts()
    runner = VLLMRunner(folder, mode=mode, dtype="float32", gpu_memory_utilization=0.3)
    reference = hf if mode == "likelihood" else GenerationRunner(hf.loaded, max_new_tokens=40)
    ours, theirs = runner.decide(prompts), reference.decide(prompts)
    if mode == "likelihood":
        for a, b in zip(ours, theirs):
            assert a.scores == pytest.approx(b.scores, abs=2e-3)
    agreement = sum(a.choice == b.choice for a, b in zip(ours, theirs)) / len(prompts)
    assert agreement >= (1.0 if mode == "likelihood" else 0.9)
