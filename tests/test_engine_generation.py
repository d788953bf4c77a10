"""Generate-and-parse: batched greedy generation, stop strings, parser, extractor, refusals counted."""

from __future__ import annotations

import zlib

import pytest

from biasorigins.models.generation import NO_SINGLE_OPTION, GenerationRunner, extraction_prompt
from biasorigins.models.hf import HFRunner
from biasorigins.models.parsing import parse_choice
from biasorigins.records import Response
from biasorigins.store import DecisionStore
from biasorigins.suite import BiasSuite
from biasorigins.testing.tiny_models import build_tiny_t5

BIASES = ["anchoring", "framing-effect"]


@pytest.fixture(scope="module")
def prompts():
    return BiasSuite(BIASES, cases=2, seed=0).prompts()


@pytest.fixture(scope="module")
def talkative_t5(tmp_path_factory):
    """A tiny T5 whose greedy answers are not just padding (seed chosen for that)."""
    return build_tiny_t5(tmp_path_factory.mktemp("t5-talks"), seed=2)


@pytest.mark.parametrize("which", ["causal", "seq2seq"])
def test_left_padded_batches_generate_what_single_prompts_do(which, tiny_causal_dir, talkative_t5, prompts):
    folder = talkative_t5 if which == "seq2seq" else tiny_causal_dir
    batched = GenerationRunner(folder, max_new_tokens=6, batch_size=8)
    single = GenerationRunner(batched.loaded, max_new_tokens=6, batch_size=1)
    texts = [batched.model_input(p) for p in prompts]
    assert len({len(batched._encode([t], special=True)[0]) for t in texts}) > 1, "prompts must need padding"
    assert batched.generate_batch(texts) == [single.generate_batch([t])[0] for t in texts]
    lengths = [len(ids) for ids in batched.generate_tokens(texts)]
    assert max(lengths) <= 6 and min(lengths) >= 1


def test_stop_strings_cut_the_answer(tiny_causal_dir, prompts):
    free = GenerationRunner(tiny_causal_dir, max_new_tokens=12)
    text = free.generate_batch([free.model_input(prompts[0])])[0]
    marker = next(text[k : k + 2] for k in range(2, len(text) - 2) if text[k : k + 2].strip() and
                  text.find(text[k : k + 2]) == k)
    stopped = GenerationRunner(free.loaded, max_new_tokens=12, stop=[marker])
    (response,) = stopped.decide(prompts[:1])
    assert response.text == text[: text.find(marker)].strip()


class ScriptedByPrompt(GenerationRunner):
    """A real GenerationRunner whose model output is replaced by scripted answers: valid, refused, ambiguous."""

    answers = ("Option A is my choice.", "I cannot choose; as an AI I have no preferences.", "Either A or B.")

    def generate_batch(self, texts):
        return [self.answers[zlib.crc32(t.encode()) % 3] for t in texts]


def test_invalid_and_refused_answers_keep_their_text_and_are_counted(tiny_causal_dir, tmp_path):
    suite = BiasSuite(BIASES, cases=3, seed=1, reversal_probe=0)  # the store holds exactly the table's answers
    runner = ScriptedByPrompt(tiny_causal_dir)
    first = suite.prompts()[0]
    parsed = [parse_choice(text, first.labels, first.options).status for text in runner.answers]
    assert parsed == ["ok", "refused", "invalid"]
    path = tmp_path / "store.sqlite"
    result = suite.run(runner, store=path, progress=False)
    table = result.table
    assert set(table["status"]) <= {"ok", "refused", "invalid"}
    for status, text in (("refused", runner.answers[1]), ("invalid", runner.answers[2])):
        rows = table[table["status"] == status]
        assert len(rows) > 0 and (rows["text"] == text).all() and rows["error"].notna().all()
    summary = result.summary.set_index("bias")
    counts = result.answer_counts.set_index("bias")
    for bias in BIASES:
        of_bias = table[table["bias"] == bias]
        assert summary.loc[bias, "refused_answers"] == (of_bias["status"] == "refused").sum() == counts.loc[bias, "refused"]
        assert summary.loc[bias, "invalid_answers"] == (~of_bias["valid"]).sum()
        assert counts.loc[bias, "invalid"] == (of_bias["status"] == "invalid").sum()
    assert "refused" in result.to_string()
    with DecisionStore(path) as store:
        stored = store.frame()
    assert set(stored["text"]) <= set(runner.answers) and (stored["status"] != "ok").sum() == (~table["valid"]).sum()
    again = suite.run(ScriptedByPrompt(tiny_causal_dir), store=path, progress=False)
    assert again.table.equals(table)


class PicksByKeyword:
    """An extractor runner: reads the reply in the extraction prompt and names an option."""

    name = "keyword-extractor"
    fingerprint = "keyword-extractor-v1"

    def __init__(self) -> None:
        self.seen = []

    def decide(self, prompts):
        self.seen.extend(prompts)
        out = []
        for p in prompts:
            reply = p.text.split("Reply:\n", 1)[1].split("\n\n", 1)[0]
            if "listed second" in reply:
                out.append(Response(choice=1))
            elif "nothing" in reply:
                out.append(Response(choice=len(p.options) - 1))  # "no single option"
            else:
                out.append(Response(status="invalid", error="unreadable"))
        return out


REPLIES = ("I'd go for the one listed second.", "nothing suits me", "Option C")


class Replies(GenerationRunner):
    """Scripted model output: the k-th prompt of the test gets REPLIES[k]."""

    def decide_batches(self, prompts):
        self.reply_to = {self.model_input(p): REPLIES[k % 3] for k, p in enumerate(prompts)}
        return super().decide_batches(prompts)

    def generate_batch(self, texts):
        return [self.reply_to[t] for t in texts]


def test_extractor_decides_always_or_only_when_the_parser_cannot(tiny_causal_dir, prompts):
    extractor = PicksByKeyword()
    always = Replies(tiny_causal_dir, extractor=extractor, batch_size=3)
    responses = always.decide(prompts[:3])
    assert len(extractor.seen) == 3
    assert all(p.options[-1] == NO_SINGLE_OPTION and p.labels[-1] == "L" for p in extractor.seen)
    assert [r.status for r in responses] == ["ok", "invalid", "invalid"]
    assert responses[0].choice == 1 and responses[1].error == "extractor: the answer picks no single option"
    assert responses[2].text == "Option C" and "unreadable" in responses[2].error

    lazy_extractor = PicksByKeyword()
    lazy = Replies(tiny_causal_dir, extractor=lazy_extractor, extract="when_unparsed", batch_size=3)
    lazy_responses = lazy.decide(prompts[:3])
    assert lazy_responses[2].status == "ok" and lazy_responses[2].choice == 2  # parsed, not extracted
    assert [p.condition for p in lazy_extractor.seen] == [f"{prompts[k].condition}#extraction" for k in (0, 1)]
    assert always.fingerprint != lazy.fingerprint != Replies(tiny_causal_dir).fingerprint


def test_same_model_as_likelihood_extractor_end_to_end(tiny_causal_dir, prompts):
    generator = GenerationRunner(tiny_causal_dir, max_new_tokens=8)
    with_extractor = GenerationRunner(generator.loaded, max_new_tokens=8, extractor=HFRunner(generator.loaded))
    responses = with_extractor.decide(prompts)
    plain = generator.decide(prompts)
    assert [r.text for r in responses] == [r.text for r in plain]
    for prompt, response in zip(prompts, responses):
        assert response.status in {"ok", "invalid"}
        assert response.choice is None or 0 <= response.choice < len(prompt.options)
    assert any(r.status == "ok" for r in responses)


def test_settings_are_part_of_the_fingerprint(tiny_causal_dir):
    base = GenerationRunner(tiny_causal_dir)
    prints = {base.fingerprint,
              GenerationRunner(base.loaded, max_new_tokens=80).fingerprint,
              GenerationRunner(base.loaded, stop=["\n"]).fingerprint,
              GenerationRunner(base.loaded, prefill="Answer: Option").fingerprint,
              GenerationRunner(base.loaded, extractor=HFRunner(base.loaded)).fingerprint}
    assert len(prints) == 5
    assert base.model_fingerprint == HFRunner(base.loaded).model_fingerprint


def test_extraction_prompt_uses_the_next_label():
    prompt = BiasSuite(["loss-aversion"], cases=1, seed=0, labels="numbers").prompts()[0]
    extraction = extraction_prompt(prompt, "  ")
    assert extraction.labels[-1] == str(len(prompt.labels) + 1)
    assert "(empty)" in extraction.text and extraction.options[:-1] == prompt.options
