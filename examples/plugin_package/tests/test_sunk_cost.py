"""Tests of the design of Sunk Cost in Hiring (the shared contract is in test_conformance.py)."""

from __future__ import annotations

import pytest

from biasorigins import BiasSuite
from biasorigins.rendering import render_prompt

from hiring_biases import SunkCostInHiring


@pytest.fixture(scope="module")
def cases():
    return BiasSuite([SunkCostInHiring()], cases=100, seed=0).cases()


@pytest.mark.parametrize(
    ("control", "treatment", "expected"),
    [
        (0, 0, 0.0),        # "certainly replace" in both: no effect
        (2, 2, 0.0),        # same answer: no effect
        (2, 4, 0.5),        # (4 - 2) / max(2, 4)
        (0, 6, 1.0),        # from "certainly replace" to "certainly keep"
        (6, 3, -0.5),       # keeps the cheap hire, lets the expensive one go: negative
    ],
)
def test_golden_scores(cases, control: int, treatment: int, expected: float) -> None:
    score = SunkCostInHiring().score(cases[0], {"control": control, "treatment": treatment})
    assert score == pytest.approx(expected, abs=1e-6)


def test_one_answer_is_not_enough(cases) -> None:
    assert SunkCostInHiring().score(cases[0], {"control": 3}) is None


def test_only_the_size_of_the_investment_differs(cases) -> None:
    for case in cases:
        control = case.condition("control").situation
        treatment = case.condition("treatment").situation
        differing = [i for i, (a, b) in enumerate(zip(control, treatment)) if a != b]
        assert differing == [2], case.id  # the cost line, nothing else
        assert case.condition("control").question == case.condition("treatment").question
        low, high = case.values["costs"]["control"], case.values["costs"]["treatment"]
        assert high["money"] >= 15 * low["money"] and high["interviews"] > low["interviews"]


def test_five_instances_of_a_scenario_use_five_variants() -> None:
    suite = BiasSuite([SunkCostInHiring()], cases=1000, seed=0)
    variants: dict[str, set[str]] = {}
    for case in suite.cases():
        variants.setdefault(case.scenario_id, set()).add(case.variant)
    assert all(len(v) == 5 for v in variants.values())


def test_rendered_prompt_reads_as_intended(cases) -> None:
    text = render_prompt(cases[0], "treatment").text
    assert "equally qualified candidate" in text and "Option A: " in text
    assert "$" in text or "interviews" in text
