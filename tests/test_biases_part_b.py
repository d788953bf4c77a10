"""Bias-specific tests of 13 Malberg biases (Information ... Survivorship).

Golden vectors are those of malberg_spec.md section 7, computed with the original code;
the shared contract (round-trip, 1000 distinct cases, responders) is in test_bias_conformance.
"""

from __future__ import annotations

import pytest

from biasorigins import get_bias
from biasorigins.records import TestCase
from biasorigins.suite import BiasSuite


def cases(slug: str, n: int = 200, *, paper_compatible: bool = False) -> list[TestCase]:
    return BiasSuite([slug], cases=n, seed=0, paper_compatible=paper_compatible).cases()


def one_case(slug: str, **values: object) -> TestCase:
    """The first generated case of ``slug`` with some of its stored values replaced."""
    case = cases(slug, 1)[0]
    return case.model_copy(update={"values": {**case.values, **values}})


def situation(case: TestCase, condition: str) -> str:
    return " ".join(case.conditions[condition].situation)


# -- Information Bias -------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "t", "expected"), [(2, 1, 0.6), (2, 5, -0.5), (0, 0, 1.0), (6, 6, -1.0)])
def test_information_bias_golden_vectors(c: int, t: int, expected: float) -> None:
    bias = get_bias("information-bias")
    assert bias.score(one_case("information-bias"), {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_information_bias_consistent_answers_score_zero() -> None:
    bias = get_bias("information-bias")
    for case in cases("information-bias", 20):
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        assert control.situation == treatment.situation
        assert control.scale.options[0].startswith("Certainly go ahead")
        assert treatment.scale.options[6] == "Certainly do not need more information"
        for c in range(7):  # sure to go ahead <-> no need for information, and so on
            assert bias.score(case, {"control": c, "treatment": 6 - c}) == 0.0


# -- Mental Accounting ------------------------------------------------------------------------


def test_mental_accounting_golden_vector() -> None:
    bias = get_bias("mental-accounting")
    assert bias.score(one_case("mental-accounting"), {"control": 4, "treatment": 1}) == pytest.approx(0.75)


def test_mental_accounting_same_price_and_loss_in_both_conditions() -> None:
    for case in cases("mental-accounting"):
        amount = case.values["amount_usd"]
        assert amount % 1000 == 0 and 1000 <= amount <= 99000
        price = f"${amount:,}"
        assert price in case.conditions["control"].question
        assert case.conditions["control"].question == case.conditions["treatment"].question
        # the treatment loses the same sum on something else; the control loses the item itself
        assert price in situation(case, "treatment") and price in situation(case, "control")
        assert case.conditions["control"].situation[0] == case.conditions["treatment"].situation[0]


# -- Negativity Bias --------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "t", "expected"), [(0, 0, 1.0), (0, 6, 0.0), (6, 6, -1.0)])
def test_negativity_bias_golden_vectors(c: int, t: int, expected: float) -> None:
    bias = get_bias("negativity-bias")
    assert bias.score(one_case("negativity-bias"), {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-6)


def test_negativity_bias_treatment_inverts_every_aspect() -> None:
    from biasorigins.biases.negativity_bias import ASPECTS

    for case in cases("negativity-bias", 50):
        control, treatment = situation(case, "control"), situation(case, "treatment")
        good_in_control = set(case.values["good_in_control"])
        for aspect in case.values["aspects"]:
            good_start, bad_start = (text.split("{")[0] for text in ASPECTS[aspect][:2])
            shown, hidden = (good_start, bad_start) if aspect in good_in_control else (bad_start, good_start)
            assert shown in control and hidden in treatment
        # listing order and wording of the frame are shared
        assert control.split(":")[0] == treatment.split(":")[0]


def test_negativity_bias_content_consistent_answers_score_zero() -> None:
    bias = get_bias("negativity-bias")
    case = one_case("negativity-bias")
    for c in range(7):  # the contents that weigh more in the control weigh more in the treatment too
        assert bias.score(case, {"control": c, "treatment": 6 - c}) == 0.0


# -- Not Invented Here ------------------------------------------------------------------------


def test_not_invented_here_golden_vector() -> None:
    bias = get_bias("not-invented-here")
    assert bias.score(one_case("not-invented-here"), {"control": 1, "treatment": 3}) == pytest.approx(0.667, abs=1e-3)


def test_not_invented_here_only_the_source_differs() -> None:
    seen = set()
    for case in cases("not-invented-here"):
        control, treatment = case.conditions["control"].situation, case.conditions["treatment"].situation
        assert control[:-1] == treatment[:-1] and control[-1] != treatment[-1]
        assert "your own" in control[-1] and "your own" not in treatment[-1]
        externality = case.values["externality"]
        seen.add(externality)
        if externality == "spatial":
            assert case.values["country"] in treatment[-1]
        if externality == "contextual":
            assert case.values["department"] in treatment[-1]
    assert seen == {"organizational", "contextual", "spatial"}


# -- Optimism Bias ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "c", "t"), [("positive", 3, 6), ("negative", 6, 3)])
def test_optimism_bias_golden_vectors(kind: str, c: int, t: int) -> None:
    bias = get_bias("optimism-bias")
    case = one_case("optimism-bias", event_kind=kind, k=-1 if kind == "positive" else 1)
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(0.5)


def test_optimism_bias_sign_follows_the_event_kind() -> None:
    from biasorigins.biases.optimism_bias import EVENTS

    bias = get_bias("optimism-bias")
    kinds = set()
    for case in cases("optimism-bias"):
        kind = case.values["event_kind"]
        kinds.add(kind)
        assert EVENTS[kind][case.values["event"]] in case.conditions["treatment"].question
        assert case.conditions["control"].question == case.conditions["treatment"].question
        assert "your own" in situation(case, "treatment") and "average" in situation(case, "control")
        higher_for_self = bias.score(case, {"control": 3, "treatment": 7})
        assert (higher_for_self > 0) == (kind == "positive")
    assert kinds == {"positive", "negative"}
