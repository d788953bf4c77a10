"""The data model: validation, JSON round-trips, seeding, counterbalancing and answer mapping."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from biasorigins.records import AnswerScale, Condition, Prompt, Response, TestCase, decide
from biasorigins.seeding import case_rng
from biasorigins.suite import BiasSuite
from biasorigins.errors import ConfigError


def test_scale_and_condition_validation() -> None:
    with pytest.raises(ValidationError, match="distinct"):
        AnswerScale(options=("Yes", "Yes"))
    with pytest.raises(ValidationError):
        AnswerScale(options=("Only one",))
    scale = AnswerScale(options=("Low", "Mid", "High"))
    with pytest.raises(ValidationError, match="not a permutation"):
        Condition(situation=("x",), question="q?", scale=scale, display_order=(0, 0, 1))
    cond = Condition(situation=("x",), question="q?", scale=scale)
    assert cond.shown_order == (0, 1, 2)


def test_records_are_frozen() -> None:
    scale = AnswerScale(options=("Low", "High"))
    with pytest.raises(ValidationError):
        scale.options = ("a", "b")  # type: ignore[misc]


def test_case_rngs_are_independent_and_reproducible() -> None:
    a = case_rng(0, "anchoring", "energy.x", 0).random(4)
    assert np.array_equal(a, case_rng(0, "anchoring", "energy.x", 0).random(4))
    for other in (case_rng(1, "anchoring", "energy.x", 0), case_rng(0, "framing-effect", "energy.x", 0),
                  case_rng(0, "anchoring", "energy.y", 0), case_rng(0, "anchoring", "energy.x", 1)):
        assert not np.array_equal(a, other.random(4))


def test_same_seed_gives_byte_identical_cases_and_cases_are_prefix_stable() -> None:
    dump = lambda suite: [c.model_dump_json() for c in suite.cases()]  # noqa: E731
    assert dump(BiasSuite("all", cases=25, seed=3)) == dump(BiasSuite("all", cases=25, seed=3))
    assert dump(BiasSuite("all", cases=25, seed=3)) != dump(BiasSuite("all", cases=25, seed=4))
    short = BiasSuite(["anchoring"], cases=10, seed=3).cases()
    assert short == BiasSuite(["anchoring"], cases=300, seed=3).cases()[:10]


def test_cases_record_provenance_and_values() -> None:
    case = BiasSuite(["anchoring"], cases=1, seed=5).cases()[0]
    assert (case.bias, case.seed, case.index, case.bias_version) == ("anchoring", 5, 0, 1)
    assert case.id == f"anchoring/{case.scenario_id}/0"
    assert 10 <= case.values["anchor"] <= 89
    assert TestCase.model_validate_json(case.model_dump_json()) == case


def test_counterbalancing_reverses_exactly_half() -> None:
    for slug in ("anchoring", "framing-effect", "loss-aversion"):
        cases = BiasSuite([slug], cases=401, seed=0).cases()
        reversed_ = [c.conditions["control"].shown_order[0] != 0 for c in cases]
        assert abs(sum(reversed_) - len(cases) / 2) <= 2
        # all conditions of a case share one display order
        for case in cases:
            assert len({c.shown_order for c in case.conditions.values()}) == 1
    plain = BiasSuite(["anchoring"], cases=20, counterbalance="none").cases()
    assert all(c.conditions["control"].display_order is None for c in plain)


def test_decisions_map_displayed_positions_back_to_scale_order() -> None:
    prompt = Prompt(case_id="b/s/0", condition="control", text="...", labels=("A", "B", "C"),
                    options=("High", "Mid", "Low"), display_order=(2, 1, 0))
    decision = decide(prompt, Response(choice=0, scores=(-0.1, -2.0, -3.0)))
    assert (decision.choice, decision.displayed_choice, decision.valid) == (2, 0, True)
    assert decision.scores == (-3.0, -2.0, -0.1)
    bad = decide(prompt, Response(choice=5))
    assert bad.status == "invalid" and bad.choice is None and "out of range" in bad.error
    refused = decide(prompt, Response(status="refused", text="I cannot help with that."))
    assert not refused.valid and refused.text == "I cannot help with that."


def test_suite_rejects_bad_arguments_clearly() -> None:
    with pytest.raises(ConfigError, match="cases must be at least 1"):
        BiasSuite(["anchoring"], cases=0)
    with pytest.raises(ConfigError, match="more than once"):
        BiasSuite(["anchoring", "Anchoring"])
    with pytest.raises(ConfigError, match="counterbalance"):
        BiasSuite(["anchoring"], counterbalance="shuffle")  # type: ignore[arg-type]


def test_presets_select_biases_in_paper_order() -> None:
    from biasorigins.presets import get_preset

    paper = get_preset("paper32")
    assert len(paper.slugs) == 32 and paper.slugs[:3] == ["anchoring", "anthropomorphism", "availability-heuristic"]
    assert paper.display_names["status-quo-bias"] == "Status-Quo Bias"
    with pytest.raises(ConfigError, match="unknown preset"):
        get_preset("nope")


def test_builtin_preset_lists_every_builtin_bias() -> None:
    from biasorigins.plugins import BUILTIN_PLUGIN, registered_biases
    from biasorigins.presets import get_preset

    builtin = {slug for slug, entry in registered_biases().items() if entry.plugin == BUILTIN_PLUGIN}
    assert set(get_preset("builtin").slugs) == builtin
    assert len(builtin) == 35
    for name in ("malberg30", "itzhak5", "paper32"):
        assert set(get_preset(name).slugs) <= builtin
