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

    def lists(case: TestCase, condition: str) -> dict[str, str]:
        return {line.split(":")[0]: line for line in case.conditions[condition].situation[1:]}

    for case in cases("negativity-bias", 50):
        control, treatment = lists(case, "control"), lists(case, "treatment")
        assert set(control) == set(treatment) == {"Advantages", "Disadvantages"}
        good_in_control = set(case.values["good_in_control"])
        for aspect in case.values["aspects"]:
            good_start, bad_start = (text.split("{")[0] for text in ASPECTS[aspect][:2])
            if aspect in good_in_control:  # an advantage in the control, its opposite a disadvantage in the treatment
                assert good_start in control["Advantages"] and bad_start in treatment["Disadvantages"]
            else:
                assert bad_start in control["Disadvantages"] and good_start in treatment["Advantages"]
        assert case.conditions["control"].situation[0] == case.conditions["treatment"].situation[0]


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


# -- Planning Fallacy -------------------------------------------------------------------------


def planning_case(direction: str, points: int, *, paper_compatible: bool = False) -> TestCase:
    case = cases("planning-fallacy", 1, paper_compatible=paper_compatible)[0]
    steps = points // 10
    values = {**case.values, "direction": direction, "record_points": points, "record_steps": steps,
              "x1": -steps, "k": -1 if direction == "under" else 1, "flip_both": direction == "under"}
    return case.model_copy(update={"values": values})


@pytest.mark.parametrize(
    ("points", "c", "t", "expected"),
    [(30, 5, 5, 0.0), (30, 5, 8, -0.273), (30, 5, 10, -0.385), (10, 5, 5, -0.25), (10, 5, 6, -0.333)],
)
def test_planning_fallacy_golden_vectors_in_paper_mode(points: int, c: int, t: int, expected: float) -> None:
    bias = get_bias("planning-fallacy").configured(paper_compatible=True)
    case = planning_case("over", points, paper_compatible=True)
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_planning_fallacy_default_formula_centres_rational_updating_at_zero() -> None:
    bias = get_bias("planning-fallacy")
    for points in (10, 20, 30, 40):
        steps = points // 10
        over, under = planning_case("over", points), planning_case("under", points)
        for c in range(0, 11 - steps):
            assert bias.score(over, {"control": c, "treatment": c + steps}) == 0.0
            assert bias.score(under, {"control": c + steps, "treatment": c}) == 0.0
        # ignoring an overrun keeps the plan a whole record too short: biased
        assert bias.score(over, {"control": 5, "treatment": 5}) == 1.0
        # ignoring an underrun keeps the plan a whole record too long: the opposite sign
        assert bias.score(under, {"control": 5, "treatment": 5}) == -1.0
    # the paper's constant shift makes rational updating score negative
    paper = bias.configured(paper_compatible=True)
    assert paper.score(planning_case("over", 30, paper_compatible=True), {"control": 5, "treatment": 8}) < -0.2


@pytest.mark.parametrize(
    ("direction", "points", "c", "t", "expected"),
    [
        ("over", 20, 5, 6, 0.5),  # half of a 2-step overrun taken up
        ("over", 20, 5, 9, -1.0),  # twice the update: cut at -1
        ("over", 40, 8, 10, 0.0),  # implied 12 is off the scale: the top is the rational plan
        ("under", 30, 6, 0, 1.0),  # an underrun taken up twice over
        ("under", 30, 6, 4, -1 / 3),  # a third of the update left out: plan too long
        ("under", 10, 0, 0, 0.0),  # nothing to take up below 0%
    ],
)
def test_planning_fallacy_golden_missed_update(direction: str, points: int, c: int, t: int, expected: float) -> None:
    case = planning_case(direction, points)
    assert get_bias("planning-fallacy").score(case, {"control": c, "treatment": t}) == pytest.approx(expected)


def exact_random_mean(slug_cases: list[TestCase], bias) -> float:
    """Expected score of a uniformly random responder, enumerated over all answer pairs."""
    return sum(
        bias.score(case, {"control": c, "treatment": t}) for case in slug_cases for c in range(11) for t in range(11)
    ) / (len(slug_cases) * 121)


def test_planning_fallacy_record_directions_and_random_expectation_per_mode() -> None:
    default = cases("planning-fallacy")
    directions = [case.values["direction"] for case in default]
    assert 0.4 < directions.count("under") / len(directions) < 0.6
    assert {case.values["record_points"] for case in default} == {10, 20, 30, 40}
    for case in default:
        word = "more" if case.values["direction"] == "over" else "less"
        assert f"{case.values['record_points']} percentage points {word}" in situation(case, "treatment")
        assert "percentage points" not in situation(case, "control")
    assert abs(exact_random_mean(default, get_bias("planning-fallacy"))) < 0.03

    paper_cases = cases("planning-fallacy", paper_compatible=True)
    assert {case.values["direction"] for case in paper_cases} == {"over"}
    paper = get_bias("planning-fallacy").configured(paper_compatible=True)
    assert exact_random_mean(paper_cases, paper) == pytest.approx(-0.054, abs=0.03)


# -- Reactance --------------------------------------------------------------------------------


def test_reactance_golden_vector() -> None:
    bias = get_bias("reactance")
    assert bias.score(one_case("reactance"), {"control": 3, "treatment": 6}) == pytest.approx(0.5)


def test_reactance_only_the_tone_of_the_message_differs() -> None:
    from biasorigins.biases.reactance import ACTIVITIES

    for case in cases("reactance"):
        control, treatment = case.conditions["control"].situation, case.conditions["treatment"].situation
        differing = [i for i, (a, b) in enumerate(zip(control, treatment)) if a != b]
        assert len(control) == len(treatment) and differing == [2]
        activity, risks = ACTIVITIES[case.values["activity"]]
        assert all(risk in control[3] for risk in risks)
        assert f"{case.values['current_share']}%" in control[0] and activity in case.conditions["control"].question
        assert "stop" in treatment[2] or "cease" in treatment[2] or "end at once" in treatment[2]


# -- Risk Compensation ------------------------------------------------------------------------


def test_risk_compensation_golden_vector() -> None:
    bias = get_bias("risk-compensation")
    assert bias.score(one_case("risk-compensation"), {"control": 3, "treatment": 6}) == pytest.approx(0.5)


def test_risk_compensation_samples_risks_on_the_spec_grid() -> None:
    pairs = set()
    for case in cases("risk-compensation", 1000):
        risk, reduction = case.values["risk"], case.values["reduction"]
        assert risk in range(20, 100, 10) and reduction in range(10, risk, 10)
        assert case.values["new_risk"] == risk - reduction
        assert f"{risk}%" in situation(case, "control") and f"{risk - reduction}%" not in situation(case, "control")
        assert f"from {risk}% to {risk - reduction}%" in situation(case, "treatment")
        pairs.add((risk, reduction))
    assert len(pairs) == sum(r // 10 - 1 for r in range(20, 100, 10))  # every (r, d) pair occurs
    info = get_bias("risk-compensation").info
    assert any("rational" in confound for confound in info.confounds)


# -- Self-Serving Bias ------------------------------------------------------------------------


def test_self_serving_bias_golden_vector() -> None:
    bias = get_bias("self-serving-bias")
    assert bias.score(one_case("self-serving-bias"), {"control": 5, "treatment": 1}) == pytest.approx(0.8)


def test_self_serving_bias_control_fails_and_treatment_succeeds_at_the_same_task() -> None:
    from biasorigins.biases.self_serving_bias import TASKS

    for case in cases("self-serving-bias"):
        control, treatment = situation(case, "control"), situation(case, "treatment")
        assert "failed" in control and "succeeded" not in control
        assert "succeeded" in treatment and "failed" not in treatment
        task = TASKS[case.values["task"]][0].split("{")[0]
        assert task in control and task in treatment
        assert case.conditions["control"].situation[:2] == case.conditions["treatment"].situation[:2]


# -- Social Desirability Bias -----------------------------------------------------------------


@pytest.mark.parametrize(("desirable_true", "c", "t", "expected"), [(True, 3, 1, 0.667), (False, 3, 5, 0.4)])
def test_social_desirability_golden_vectors(desirable_true: bool, c: int, t: int, expected: float) -> None:
    bias = get_bias("social-desirability-bias")
    case = one_case("social-desirability-bias", desirable_true=desirable_true, k=1 if desirable_true else -1)
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_social_desirability_statements_are_keyed_data() -> None:
    from biasorigins.biases.social_desirability_bias import STATEMENTS

    texts = [text for text, _ in STATEMENTS]
    assert len(STATEMENTS) >= 16 and len(set(texts)) == len(texts)
    keys = [key for _, key in STATEMENTS]
    assert keys.count(True) >= 6 and keys.count(False) >= 6
    for case in cases("social-desirability-bias"):
        text, key = STATEMENTS[case.values["statement"]]
        assert case.values["desirable_true"] == key and case.values["k"] == (1 if key else -1)
        assert text in case.conditions["control"].question == case.conditions["treatment"].question
        assert "anonym" in situation(case, "control")
        assert "name" in situation(case, "treatment") or "aloud" in situation(case, "treatment")


# -- Status-Quo Bias --------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "t", "expected"), [(0, 0, 1.0), (0, 6, 0.0), (3, 3, 0.0)])
def test_status_quo_golden_vectors(c: int, t: int, expected: float) -> None:
    bias = get_bias("status-quo-bias")
    assert bias.score(one_case("status-quo-bias"), {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-6)


def test_status_quo_swaps_the_current_approach_and_scores_content_preference_zero() -> None:
    from biasorigins.biases.status_quo_bias import APPROACHES

    bias = get_bias("status-quo-bias")
    for case in cases("status-quo-bias", 50):
        current_c, current_t = case.values["current_in_control"], case.values["current_in_treatment"]
        assert {current_c, current_t} == set(APPROACHES[case.values["pair"]])
        control, treatment = case.conditions["control"].situation, case.conditions["treatment"].situation
        assert current_c in control[1] and current_t in treatment[1]
        for favoured in (current_c, current_t):  # always the same approach, whichever is current
            answers = {name: 0 if case.values[f"current_in_{name}"] == favoured else 6 for name in ("control", "treatment")}
            assert bias.score(case, answers) == 0.0
        assert bias.score(case, {"control": 0, "treatment": 0}) == pytest.approx(1.0)  # always the current one


# -- Stereotyping -----------------------------------------------------------------------------


def test_stereotyping_golden_vector() -> None:
    bias = get_bias("stereotyping")
    assert bias.score(one_case("stereotyping"), {"control": 3, "treatment": 1}) == pytest.approx(0.667, abs=1e-3)


def test_stereotyping_group_is_named_only_in_the_treatment() -> None:
    from biasorigins.biases.stereotyping import GROUPS

    categories = set()
    for case in cases("stereotyping"):
        category, description, traits = GROUPS[case.values["group"]]
        categories.add(category)
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        assert treatment.situation[:-1] == control.situation and description in treatment.situation[-1]
        assert description not in situation(case, "control")
        assert traits[case.values["trait"]] in control.question and control.question == treatment.question
    assert categories == {group[0] for group in GROUPS}


# -- Survivorship Bias ------------------------------------------------------------------------


def test_survivorship_golden_vector() -> None:
    bias = get_bias("survivorship-bias")
    assert bias.score(one_case("survivorship-bias"), {"control": 3, "treatment": 1}) == pytest.approx(0.667, abs=1e-3)


def test_survivorship_treatment_hides_only_the_share_among_failures() -> None:
    shares = set()
    for case in cases("survivorship-bias", 1000):
        good, bad = case.values["share_good"], case.values["share_bad"]
        assert 90 <= good <= 95 and 90 <= bad <= 95
        shares.update((good, bad))
        control, treatment = case.conditions["control"].situation, case.conditions["treatment"].situation
        assert control[0] == treatment[0] and f"{good}%" in treatment[1]
        assert control[1].startswith(treatment[1][:-1]) and f"{bad}%" in control[1][len(treatment[1]) - 1 :]
    assert shares == set(range(90, 96))
