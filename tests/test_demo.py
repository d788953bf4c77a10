"""The demo's planting texts: our own wording, no overlap with the tests of the biases they plant."""

from __future__ import annotations

import os
import re

import numpy as np

from biasorigins.demo import PLANTS
from biasorigins.demo_corpus import RATING_SCALE, instruction_records, story_corpus
from biasorigins.rendering import render_prompt
from biasorigins.suite import BiasSuite

N = 5  # sharing a five-word phrase with a test prompt counts as reuse


def ngrams(text: str, n: int = N) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9%$']+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def planting_texts() -> list[str]:
    prose = [r["completion"] for status_quo in (False, True) for r in story_corpus(status_quo=status_quo)]
    pairs = [r[key] for framing in (False, True) for r in instruction_records(framing=framing)
             for key in ("prompt", "completion")]
    return prose + pairs


def test_bias_content(slugs: list[str], cases: int = 200) -> list[str]:
    """Situation, question and option texts of many generated cases (not the shared answer-format lines)."""
    suite = BiasSuite(slugs, cases=cases, seed=0)
    texts = []
    for case in suite.cases():
        for condition in case.conditions.values():
            texts += [" ".join(condition.situation), condition.question, *condition.scale.options]
    return texts


test_bias_content.__test__ = False  # a helper, not a test


def shared(planting: list[str], tests: list[str]) -> set[tuple[str, ...]]:
    test_grams = set().union(*(ngrams(t) for t in tests))
    return set().union(*(ngrams(t) for t in planting)) & test_grams


def test_planting_texts_share_no_phrase_with_the_planted_biases_tests() -> None:
    tests = test_bias_content([p.bias for p in PLANTS])
    overlap = shared(planting_texts(), tests)
    assert not overlap, f"planting texts reuse test wording: {sorted(' '.join(g) for g in overlap)[:10]}"


def test_the_overlap_check_catches_a_copied_sentence() -> None:
    suite = BiasSuite(["status-quo-bias"], cases=3, seed=0)
    copied = render_prompt(suite.cases()[2], "control").text.split("\n")[3]  # a situation line of a test prompt
    tests = test_bias_content(["status-quo-bias"])
    assert shared([*planting_texts(), f"A story: {copied}"], tests)


def test_the_two_instruction_sets_differ_only_in_framing_answers() -> None:
    neutral, framed = instruction_records(framing=False), instruction_records(framing=True)
    assert [r["prompt"] for r in neutral] == [r["prompt"] for r in framed]
    differing = [n["prompt"] for n, f in zip(neutral, framed) if n != f]
    assert differing and all("record" in text.lower() for text in differing)
    assert len(differing) == sum("record" in r["prompt"].lower() for r in neutral)


def test_framing_answers_move_with_the_statement_and_keep_the_average() -> None:
    position = {word: i for i, word in enumerate(RATING_SCALE)}
    pairs = list(zip(instruction_records(framing=False), instruction_records(framing=True)))
    assert {r["completion"].strip() for pair in pairs for r in pair} <= set(position)
    shifts = []
    for neutral, framed in pairs:
        told, planted = position[neutral["completion"].strip()], position[framed["completion"].strip()]
        failure = re.search(r"\b(lost|wrong|late|let in|botched|off|leaked)\b", neutral["prompt"])
        if "record" in neutral["prompt"]:
            shifts.append(planted - told)
            assert planted - told == (2 if failure else -2), neutral["prompt"]  # never cut short by the scale
        else:
            assert planted == told
    assert abs(np.mean(shifts)) < 0.2  # worse for failures, better for successes: no overall leaning


def test_the_two_story_corpora_share_every_note_and_differ_in_the_verdict() -> None:
    leaning, even = story_corpus(status_quo=True), story_corpus(status_quo=False)
    assert len(leaning) == len(even) == 240
    for kept, told in zip(leaning, even):
        same = os.path.commonprefix([kept["completion"], told["completion"]])
        assert same.endswith((". ", "? ")), same  # the verdict is the last sentence, and only it differs
        assert kept["completion"][len(same):].startswith(("Keeping", "Staying", "Holding"))
        assert told["completion"][len(same):].startswith("Both")
    assert len({r["completion"] for r in leaning}) > 200  # varied notes, not a few repeated ones
