"""Faults: broken bias plugins are reported and the rest completes; out-of-memory batches are split."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pytest
import torch

from biasorigins.bias import Bias, BiasInfo, CaseContent
from biasorigins.models.batching import OutOfMemory
from biasorigins.models.generation import GenerationRunner
from biasorigins.models.hf import HFRunner
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import RandomResponder


class Coin(Bias):
    """A minimal working bias: the same yes/no question in both conditions."""

    info = BiasInfo(slug="coin-test", title="Coin Test", definition="A test bias.", citation="none",
                    design="contrast", expected_direction="none")

    def generate(self, scenario, rng, index: int) -> CaseContent:
        condition = Condition(situation=(f"The {scenario.position} tosses a coin.",), question="Heads?",
                              scale=AnswerScale(options=("Yes", "No")))
        return CaseContent(conditions={"control": condition, "treatment": condition})

    def score(self, case: TestCase, answers: Mapping[str, int]) -> float | None:
        if len(answers) < 2:
            return None
        return float(answers["treatment"] - answers["control"])


class FailsToGenerate(Coin):
    info = Coin.info.model_copy(update={"slug": "fails-to-generate", "title": "Fails To Generate"})

    def generate(self, scenario, rng, index):
        raise RuntimeError("the template file is missing")


class FailsToScore(Coin):
    info = Coin.info.model_copy(update={"slug": "fails-to-score", "title": "Fails To Score"})

    def score(self, case, answers):
        raise ZeroDivisionError("division by zero in the metric")


class FailsToRender(Coin):
    """Generates fine, but 30 options cannot be labelled A-Z."""

    info = Coin.info.model_copy(update={"slug": "fails-to-render", "title": "Fails To Render"})

    def generate(self, scenario, rng, index):
        condition = Condition(situation=("Pick a number.",), question="Which?",
                              scale=AnswerScale(options=tuple(str(k) for k in range(30))))
        return CaseContent(conditions={"control": condition, "treatment": condition})


def test_broken_plugins_are_reported_by_name_and_the_rest_completes():
    suite = BiasSuite([FailsToGenerate(), "anchoring", FailsToScore(), FailsToRender(), Coin()], cases=3, seed=0)
    result = suite.run(RandomResponder(0), progress=False)
    errors = {(e.bias, e.stage): e.message for e in result.errors}
    assert errors == {
        ("fails-to-generate", "generate"): "RuntimeError: the template file is missing",
        ("fails-to-render", "generate"): "ValueError: letter labels support at most 26 options, got 30",
        ("fails-to-score", "score"): "ZeroDivisionError: division by zero in the metric",
    }
    assert list(result.summary["bias"]) == ["anchoring", "coin-test"]
    assert result.summary["n_valid"].tolist() == [3, 3]
    assert set(result.table["bias"]) == {"anchoring", "fails-to-score", "coin-test"}
    text = result.to_string()
    assert "fails-to-generate (generate): RuntimeError" in text and "fails-to-score (score)" in text
    again = suite.run(RandomResponder(0), progress=False)
    assert len(again.errors) == 3 and len(suite.errors) == 3


class RunsOutOfMemory(HFRunner):
    """A real runner whose device 'holds' at most ``fits`` prompts per batch."""

    def __init__(self, *args, fits: int, error: type[BaseException] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fits = fits
        self.error = error or torch.OutOfMemoryError
        self.sizes: list[int] = []

    def score_batch(self, requests):
        if len(requests) > self.fits:
            if self.error is RuntimeError:
                raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1234 bytes")
            raise self.error("CUDA out of memory. Tried to allocate 2.00 GiB")
        self.sizes.append(len(requests))
        return super().score_batch(requests)


@pytest.mark.parametrize("error", [torch.OutOfMemoryError, RuntimeError])
def test_out_of_memory_batches_are_split_and_give_the_same_answers(tiny_causal_dir, caplog, error):
    suite = BiasSuite(["anchoring", "framing-effect"], cases=3, seed=1, reversal_probe=0)  # counts prompts
    expected = suite.run(HFRunner(tiny_causal_dir, batch_size=6), progress=False)
    runner = RunsOutOfMemory(tiny_causal_dir, batch_size=6, fits=2, error=error)
    with caplog.at_level(logging.WARNING, logger="biasorigins"):
        result = suite.run(runner, progress=False)
    assert max(runner.sizes) == 2 and sum(runner.sizes) == len(suite.prompts())
    assert any("out of memory on a batch of 6" in r.getMessage() for r in caplog.records)
    assert list(result.table["choice"]) == list(expected.table["choice"])
    for a, b in zip(result.table["option_scores"], expected.table["option_scores"]):
        assert a == pytest.approx(b, abs=1e-4)
    later = [r for r in caplog.records if "out of memory" in r.getMessage()]
    assert len(later) <= 2, "after the first split, batches should start small"


def test_a_single_prompt_that_does_not_fit_is_an_error_not_a_loop(tiny_causal_dir):
    runner = RunsOutOfMemory(tiny_causal_dir, batch_size=4, fits=0)
    with pytest.raises(OutOfMemory, match="even alone"):
        runner.decide(BiasSuite(["anchoring"], cases=1, seed=0).prompts())


def test_other_errors_are_not_mistaken_for_memory(tiny_causal_dir):
    runner = RunsOutOfMemory(tiny_causal_dir, batch_size=4, fits=0, error=ValueError)
    with pytest.raises(ValueError, match="CUDA out of memory"):
        runner.decide(BiasSuite(["anchoring"], cases=1, seed=0).prompts())


class GeneratesOutOfMemory(GenerationRunner):
    def generate_tokens(self, texts):
        if len(texts) > 1:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return super().generate_tokens(texts)


def test_generation_batches_are_split_too(tiny_causal_dir):
    prompts = BiasSuite(["anchoring"], cases=2, seed=0).prompts()
    expected = GenerationRunner(tiny_causal_dir, max_new_tokens=4).decide(prompts)
    assert GeneratesOutOfMemory(tiny_causal_dir, max_new_tokens=4, batch_size=4).decide(prompts) == expected


def test_prompts_skip_biases_that_cannot_render():
    suite = BiasSuite(["anchoring", FailsToRender()], cases=2, seed=0)
    prompts = suite.prompts()
    assert {p.case_id.split("/")[0] for p in prompts} == {"anchoring"}
    assert [(e.bias, e.stage) for e in suite.errors] == [("fails-to-render", "generate")]
