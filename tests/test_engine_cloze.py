"""Cloze scoring: option texts after the situation and question, per byte of option text."""

from __future__ import annotations

import pytest
import torch

from biasorigins.diagnostics import reversed_twin
from biasorigins.errors import ConfigError
from biasorigins.models.hf import HFRunner
from biasorigins.rendering import CLOSING, cloze_text, render_prompt
from biasorigins.suite import BiasSuite
from biasorigins.testing.tiny_models import build_tiny_causal_lm, build_tiny_t5, build_tiny_tokenizer

BIASES = ["framing-effect", "status-quo-bias", "anchoring"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine-cloze")
    corpus = [p.text for p in BiasSuite(BIASES, cases=12, seed=99).prompts()] + ["Answer:"] * 5
    causal = build_tiny_causal_lm(root / "llama", seed=5, tokenizer=build_tiny_tokenizer(corpus, vocab_size=800))
    t5 = build_tiny_t5(root / "t5", seed=6, tokenizer=build_tiny_tokenizer(corpus, vocab_size=800, seq2seq=True))
    return {"causal": HFRunner(causal, batch_size=3, chat_format="raw", scoring="cloze"),
            "seq2seq": HFRunner(t5, batch_size=3, scoring="cloze")}


def test_cloze_texts_keep_the_situation_and_question_and_drop_the_options() -> None:
    prompt = BiasSuite(["framing-effect"], cases=1, seed=0).prompts()[0]
    situated = cloze_text(prompt.text)
    assert situated.startswith("Situation:\n") and situated.split("\n")[-1].startswith("Question: ")
    for shown in (*prompt.options, "Option A", CLOSING, "Answer options:"):
        assert shown not in situated
    with pytest.raises(ValueError, match="not a rendered decision prompt"):
        cloze_text("Which do you prefer, tea or coffee?")


def reference_text_logprob(runner: HFRunner, context: str, option: str) -> float:
    """Summed log-probability of `` option`` after the raw ``context``: one plain forward, no batching."""
    tokenizer, model = runner.loaded.tokenizer, runner.loaded.model
    head = tokenizer(context)["input_ids"]
    whole = tokenizer(f"{context} {option}")["input_ids"]
    assert whole[: len(head)] == head
    with torch.no_grad():
        logprobs = torch.log_softmax(model(input_ids=torch.tensor([whole])).logits[0].float(), dim=-1)
    return float(sum(logprobs[k - 1, whole[k]] for k in range(len(head), len(whole))))


def test_cloze_scores_equal_a_plain_forward_per_option_and_context(models) -> None:
    runner = models["causal"]
    prompts = BiasSuite(BIASES, cases=2, seed=1).prompts()
    scores = runner.option_logprobs(prompts)
    responses = runner.decide(prompts)
    for prompt, got, response in zip(prompts, scores, responses):
        expected = [reference_text_logprob(runner, f"{cloze_text(prompt.text)}\n\nAnswer:", option)
                    / len(option.encode()) for option in prompt.options]
        assert got == pytest.approx(expected, abs=1e-4)
        assert response.choice == max(range(len(expected)), key=expected.__getitem__)


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_cloze_choices_do_not_depend_on_option_order_or_labels(models, kind) -> None:
    runner = models[kind]
    cases = BiasSuite(BIASES, cases=3, seed=2).cases()
    shown = [render_prompt(case, name) for case in cases for name in case.conditions]
    twins = [render_prompt(reversed_twin(case), name, labels="numbers") for case in cases for name in case.conditions]
    for prompt, twin, a, b in zip(shown, twins, runner.decide(shown), runner.decide(twins)):
        assert prompt.display_order[a.choice] == twin.display_order[b.choice], prompt.key


def test_label_scoring_keeps_its_settings_and_cloze_is_cached_apart(models) -> None:
    cloze = models["causal"]
    labels = HFRunner(cloze.loaded, chat_format="raw")
    assert "scoring" not in labels.settings  # decisions stored before cloze existed stay valid
    assert cloze.settings["scoring"] == "cloze" and cloze.fingerprint != labels.fingerprint
    assert "scoring='cloze'" in repr(cloze)
    with pytest.raises(ConfigError, match="scoring must be"):
        HFRunner(cloze.loaded, scoring="texts")


def test_cloze_refuses_prompts_it_cannot_read(models) -> None:
    prompt = BiasSuite(["anchoring"], cases=1, seed=0).prompts()[0].model_copy(update={"text": "Pick one."})
    with pytest.raises(ConfigError, match="scoring='cloze' needs prompts rendered by biasorigins"):
        models["causal"].decide([prompt])


def test_prompts_that_read_the_same_are_scored_once(models) -> None:
    runner = models["causal"]
    case = BiasSuite(["framing-effect"], cases=1, seed=3).cases()[0]
    prompt, twin = render_prompt(case, "control"), render_prompt(reversed_twin(case), "control", labels="numbers")
    seen = []
    original = runner.score_batch
    runner.score_batch = lambda requests: seen.extend(requests) or original(requests)
    try:
        alone, twinned = runner.option_logprobs([prompt]), runner.option_logprobs([prompt, twin])
    finally:
        del runner.score_batch
    assert len(seen) == 2  # one request per call: the twin reads as the prompt does, options reordered
    assert twinned[0] == alone[0]
    assert twin.options == prompt.options[::-1] and twinned[1] == alone[0][::-1]
