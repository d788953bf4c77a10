"""Golden vectors (malberg_spec.md section 7) and design checks for the part-A built-in biases."""

from __future__ import annotations

import numpy as np
import pytest

from biasorigins.bias import Bias
from biasorigins.records import TestCase
from biasorigins.scenarios import load_scenarios
from biasorigins.biases.anthropomorphism import Anthropomorphism
from biasorigins.biases.availability_heuristic import AvailabilityHeuristic
from biasorigins.biases.bandwagon_effect import BandwagonEffect
from biasorigins.biases.confirmation_bias import ConfirmationBias
from biasorigins.biases.conservatism import Conservatism
from biasorigins.biases.disposition_effect import DispositionEffect
from biasorigins.biases.endowment_effect import ASSETS, EndowmentEffect
from biasorigins.biases.escalation_of_commitment import EscalationOfCommitment
from biasorigins.biases.fundamental_attribution_error import ACTS, COLLEAGUES, FundamentalAttributionError
from biasorigins.biases.halo_effect import HaloEffect
from biasorigins.biases.hindsight_bias import HindsightBias
from biasorigins.biases.hyperbolic_discounting import HyperbolicDiscounting
from biasorigins.biases.illusion_of_control import CUES, IllusionOfControl
from biasorigins.biases.in_group_bias import GROUPS, InGroupBias


def make_case(bias: Bias, scenario: int = 0, index: int = 0, seed: int = 0, **values: object) -> TestCase:
    """A generated case, with selected stored values forced (e.g. a golden vector's parameters)."""
    case = bias.make_case(load_scenarios()[scenario], index, seed)
    if values:
        case = case.model_copy(update={"values": {**case.values, **values}})
    return case


def differing_lines(case: TestCase, first: str = "control", second: str = "treatment") -> list[tuple[str, str]]:
    """Pairs of situation lines that differ between two conditions (which must have as many lines)."""
    a, b = case.conditions[first], case.conditions[second]
    assert len(a.situation) == len(b.situation)
    return [(x, y) for x, y in zip(a.situation, b.situation) if x != y]


def cases_of(bias: Bias, n: int = 60, seed: int = 0) -> list[TestCase]:
    scenarios = load_scenarios()
    return [bias.make_case(scenarios[(7 * i) % len(scenarios)], i % 5, seed) for i in range(n)]


# -- Anthropomorphism ---------------------------------------------------------------------
def test_anthropomorphism_golden():
    case = make_case(Anthropomorphism())
    assert Anthropomorphism().score(case, {"control": 3, "treatment": 1}) == pytest.approx(0.667, abs=1e-3)
    assert Anthropomorphism().score(case, {"control": 1, "treatment": 3}) == pytest.approx(-0.667, abs=1e-3)
    assert Anthropomorphism().score(case, {"control": 2, "treatment": 2}) == 0
    assert Anthropomorphism().score(case, {"control": 2}) is None


def test_anthropomorphism_only_the_author_changes():
    for case in cases_of(Anthropomorphism()):
        (control_line, treatment_line), = differing_lines(case)
        assert "AI" in treatment_line and "AI" not in control_line
        assert case.conditions["control"].question == case.conditions["treatment"].question


# -- Availability Heuristic ---------------------------------------------------------------
def test_availability_golden():
    bias = AvailabilityHeuristic()
    case = make_case(bias)
    assert bias.score(case, {"control": 4, "treatment": 7}) == pytest.approx(0.429, abs=1e-3)
    assert bias.score(case, {"control": 0, "treatment": 0}) == 0
    assert bias.score(case, {"control": 7, "treatment": 4}) == pytest.approx(-0.429, abs=1e-3)


def test_availability_story_matches_the_asked_outcome():
    cases = cases_of(AvailabilityHeuristic(), n=80)
    assert {case.values["outcome"] for case in cases} == {"failure", "success"}
    for case in cases:
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        assert control.question == treatment.question
        assert len(treatment.situation) == len(control.situation) + 1
        story = next(line for line in treatment.situation if line not in control.situation)
        verb = "fail" if case.values["outcome"] == "failure" else "succeed"
        assert control.question.endswith(f"{verb}?")
        failure_words = ("abandon", "collapsed", "failed", "stopped", "failure", "wrong")
        assert any(word in story for word in failure_words) == (case.values["outcome"] == "failure")


# -- Bandwagon Effect ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("majority", "c", "t", "expected"),
    [("A", 1, 1, 0.8), ("A", 2, 4, 0.0), ("A", 3, 3, 0.0), ("B", 5, 5, 0.8), ("B", 2, 4, 0.0)],
)
def test_bandwagon_golden(majority, c, t, expected):
    bias = BandwagonEffect()
    case = make_case(bias, majority=majority)
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_bandwagon_treatment_swaps_the_views_but_keeps_the_majority_label():
    rng = np.random.default_rng(3)
    bias = BandwagonEffect()
    for case in cases_of(bias):
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        a_c, b_c = (line for line in control.situation if line.startswith("Opinion "))
        a_t, b_t = (line for line in treatment.situation if line.startswith("Opinion "))
        assert a_c[len("Opinion A: "):] == b_t[len("Opinion B: "):] and b_c[len("Opinion B: "):] == a_t[len("Opinion A: "):]
        assert control.situation[-1] == treatment.situation[-1]
        assert f"opinion {case.values['majority']}," in control.situation[-1]
        # Answering by content (the same view in both versions) scores 0.
        c = int(rng.integers(7))
        assert bias.score(case, {"control": c, "treatment": 6 - c}) == 0


# -- Confirmation Bias --------------------------------------------------------------------
def test_confirmation_golden():
    bias = ConfirmationBias()
    case = make_case(bias)
    assert bias.score(case, {"control": 8, "treatment": 3}) == pytest.approx(0.625, abs=1e-3)
    assert bias.score(case, {"control": 3, "treatment": 8}) == pytest.approx(-0.625, abs=1e-3)


def test_confirmation_lists_the_same_ten_distinct_arguments_in_both_conditions():
    for case in cases_of(ConfirmationBias()):
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        listed = [line for line in control.situation if line[:1].isdigit()]
        assert [line.split(". ", 1)[0] for line in listed] == [str(n) for n in range(1, 11)]
        assert len(set(case.values["arguments"])) == 10
        assert listed == [line for line in treatment.situation if line[:1].isdigit()]
        changed = differing_lines(case)
        assert len(changed) == 2 and "not yet decided" in changed[0][0] and "already decided" in changed[0][1]


# -- Conservatism -------------------------------------------------------------------------
@pytest.mark.parametrize(("c", "t", "expected"), [(1, 5, 0.8), (5, 1, -0.8), (3, 3, 0.0)])
def test_conservatism_golden_corrected_metric_is_the_default(c, t, expected):
    bias = Conservatism()
    assert not bias.paper_compatible
    assert bias.score(make_case(bias), {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("c", "t", "expected"), [(1, 5, 0.0), (1, 1, 0.8), (5, 5, -0.8), (3, 3, 0.0)])
def test_conservatism_paper_compatible_reproduces_the_former_flip(c, t, expected):
    bias = Conservatism().configured(paper_compatible=True)
    assert bias.score(make_case(bias), {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_conservatism_treatment_swaps_the_labels_of_the_same_facts():
    bias = Conservatism()
    for case in cases_of(bias):
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        label_a = control.scale.options[0].removesuffix(" is much better")
        label_b = label_a[:-1] + "B"
        for line_c, line_t in zip(control.situation, treatment.situation, strict=True):
            if (label_a in line_c) != (label_b in line_c):  # a fact or conclusion about one alternative
                assert line_t == line_c.replace(label_a, "@").replace(label_b, label_a).replace("@", label_b)
            else:
                assert line_t == line_c
        conclusion = next(line for line in control.situation if "concluded" in line)
        assert label_a in conclusion and label_b not in conclusion
        # Following the new facts (towards B in the control, towards A in the treatment) never scores as biased.
        assert all(bias.score(case, {"control": c, "treatment": 6 - c}) <= 0 for c in range(3, 7))


# -- Disposition Effect -------------------------------------------------------------------
@pytest.mark.parametrize(("c", "t", "expected"), [(0, 0, 1.0), (6, 6, -1.0), (3, 3, 0.0), (1, 1, 0.8), (0, 6, 0.0)])
def test_disposition_golden(c, t, expected):
    bias = DispositionEffect()
    assert bias.score(make_case(bias), {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_disposition_treatment_swaps_which_asset_gained():
    for case in cases_of(DispositionEffect()):
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        assert control.scale == treatment.scale and "gained" in control.scale.options[0]
        (line_c, line_t), = differing_lines(case)
        first, second = case.values["first"], case.values["second"]
        gained, lost = f"gained {case.values['gain']}%", f"lost {case.values['loss']}%"
        assert line_c.index(first) < line_c.index(gained) < line_c.index(second) < line_c.index(lost)
        assert line_t.index(first) < line_t.index(lost) < line_t.index(second) < line_t.index(gained)
        assert 10 <= case.values["gain"] <= 50 and 10 <= case.values["loss"] <= 50


# -- Endowment Effect ---------------------------------------------------------------------
def test_endowment_golden():
    bias = EndowmentEffect()
    case = make_case(bias)
    assert bias.score(case, {"control": 8, "treatment": 3}) == pytest.approx(0.625, abs=1e-3)
    assert bias.score(case, {"control": 5, "treatment": 5}) == 0


def test_endowment_owner_sells_and_non_owner_buys_at_the_same_price():
    bias = EndowmentEffect()
    assert bias.score(make_case(bias), {"control": 0, "treatment": 10}) == pytest.approx(-1.0)
    for case in cases_of(bias):
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        assert control.scale.values == tuple(range(-50, 51, 10))
        _, low, high = ASSETS[case.values["asset"]]
        assert low <= case.values["price_thousands"] <= high
        price = f"${case.values['price_thousands'] * 1000:,}"
        assert control.question == treatment.question and price in control.question
        control_text, treatment_text = " ".join(control.situation), " ".join(treatment.situation)
        assert any(w in control_text for w in ("lowest", "minimum"))
        assert not any(w in control_text for w in ("highest", "maximum"))
        assert any(w in treatment_text for w in ("highest", "maximum"))
        assert not any(w in treatment_text for w in ("lowest", "minimum"))


# -- Escalation of Commitment -------------------------------------------------------------
def test_escalation_golden():
    bias = EscalationOfCommitment()
    case = make_case(bias)
    assert bias.score(case, {"control": 3, "treatment": 1}) == pytest.approx(0.667, abs=1e-3)
    assert bias.score(case, {"control": 1, "treatment": 3}) == pytest.approx(-0.667, abs=1e-3)


def test_escalation_only_the_decision_maker_changes():
    for case in cases_of(EscalationOfCommitment()):
        (own, predecessor), = differing_lines(case)
        assert "you decided" in own and "your predecessor" in predecessor
        assert case.conditions["control"].scale.values == tuple(range(-100, 101, 20))
        assert len([line for line in case.conditions["control"].situation if line.startswith("- ")]) == 2


# -- Fundamental Attribution Error --------------------------------------------------------
@pytest.mark.parametrize(("dispositional_is_a", "c", "t", "expected"), [(True, 3, 1, 0.667), (False, 3, 5, 0.4)])
def test_fundamental_attribution_golden(dispositional_is_a, c, t, expected):
    bias = FundamentalAttributionError()
    case = make_case(bias, dispositional_is_a=dispositional_is_a)
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_fundamental_attribution_same_act_and_reasons_for_you_and_the_colleague():
    cases = cases_of(FundamentalAttributionError(), n=80)
    assert {case.values["dispositional_is_a"] for case in cases} == {True, False}
    pronouns = {name: (subj, poss) for name, subj, poss in COLLEAGUES}
    for case in cases:
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        name = case.values["colleague"]
        subj, poss = pronouns[name]
        assert name not in " ".join(control.situation) and name in treatment.situation[1]
        act = ACTS[case.values["act"]]
        dispositional, situational = (3, 4) if case.values["dispositional_is_a"] else (4, 3)
        for line, kind in ((dispositional, "dispositional"), (situational, "situational")):
            you, them = (text.format(n=case.values["n"], name=name, subj=subj, poss=poss) for text in act[kind])
            assert control.situation[line].split(": ", 1)[1] == f"{you[0].upper()}{you[1:]}."
            assert treatment.situation[line].split(": ", 1)[1] == f"{them[0].upper()}{them[1:]}."


# -- Halo Effect --------------------------------------------------------------------------
@pytest.mark.parametrize(("perception", "c", "t", "expected"), [("positive", 3, 1, 0.667), ("negative", 3, 5, 0.4)])
def test_halo_golden(perception, c, t, expected):
    bias = HaloEffect()
    case = make_case(bias, perception=perception)
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_halo_cue_is_about_another_feature_than_the_question():
    cases = cases_of(HaloEffect(), n=80)
    assert {case.values["perception"] for case in cases} == {"positive", "negative"}
    for case in cases:
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        feature_a, feature_b = case.values["feature_a"], case.values["feature_b"]
        assert feature_a != feature_b
        cue = next(line for line in treatment.situation if line not in control.situation)
        assert len(treatment.situation) == len(control.situation) + 1
        assert feature_a in cue and feature_b not in cue
        assert feature_b in control.question and control.question == treatment.question


# -- Hindsight Bias -----------------------------------------------------------------------
@pytest.mark.parametrize(("c", "t", "expected"), [(5, 7, 0.667), (5, 5, 0.0), (7, 5, -0.667)])
def test_hindsight_golden(c, t, expected):
    bias = HindsightBias()
    case = make_case(bias, true_change=30, true_position=8)
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_hindsight_reference_position_follows_the_sampled_truth():
    cases = cases_of(HindsightBias(), n=200)
    changes = [case.values["true_change"] for case in cases]
    assert -49 <= min(changes) < 0 < max(changes) <= 49
    for case in cases:
        change = case.values["true_change"]
        assert case.values["true_position"] == round(change / 10) + 5
        control, treatment = case.conditions["control"], case.conditions["treatment"]
        assert treatment.situation[:-1] == control.situation
        assert (f"{abs(change)}%" in treatment.situation[-1]) == (change != 0)


# -- Hyperbolic Discounting ---------------------------------------------------------------
@pytest.mark.parametrize(("early_is_a", "c", "t", "expected"), [(True, 1, 4, 0.75), (False, 5, 2, 0.6)])
def test_hyperbolic_golden(early_is_a, c, t, expected):
    bias = HyperbolicDiscounting()
    case = make_case(bias, early_is_a=early_is_a)
    assert bias.score(case, {"control": c, "treatment": t}) == pytest.approx(expected, abs=1e-3)


def test_hyperbolic_same_amounts_with_both_payments_a_year_later():
    cases = cases_of(HyperbolicDiscounting(), n=100)
    assert {case.values["early_is_a"] for case in cases} == {True, False}
    for case in cases:
        v = case.values
        assert 1 <= v["early_thousands"] <= 99 and 2 <= v["months"] <= 11 and 1 <= v["coef"] <= 5
        assert v["late_thousands"] == int(min(v["early_thousands"] * v["coef"], 100))
        (early_c, early_t), (late_c, late_t) = differing_lines(case)[:: 1 if v["early_is_a"] else -1]
        assert early_c.endswith("paid immediately.") and early_t.endswith("paid in one year.")
        assert late_c.endswith(f"paid in {v['months']} months.")
        assert late_t.endswith(f"paid in one year and {v['months']} months.")
        late_amount = f"${v['late_thousands']:,},000"
        assert late_amount in late_c and late_amount in late_t


# -- Illusion of Control ------------------------------------------------------------------
def test_illusion_of_control_golden():
    bias = IllusionOfControl()
    case = make_case(bias)
    assert bias.score(case, {"control": 5, "treatment": 8}) == pytest.approx(0.375, abs=1e-3)
    assert bias.score(case, {"control": 8, "treatment": 5}) == pytest.approx(-0.375, abs=1e-3)


def test_illusion_of_control_five_instances_of_a_scenario_cover_the_five_cues():
    bias = IllusionOfControl()
    for scenario in load_scenarios()[:40]:
        cases = [bias.make_case(scenario, index, seed=3) for index in range(5)]
        assert sorted(case.values["cue"] for case in cases) == sorted(CUES)
        for case in cases:
            control, treatment = case.conditions["control"], case.conditions["treatment"]
            has_cue_line = CUES[case.values["cue"]] is not None
            assert len(treatment.situation) == len(control.situation) + has_cue_line
            assert "other managers" in control.situation[-1]
            assert "your own leadership" in treatment.situation[len(control.situation) - 1]


# -- In-Group Bias ------------------------------------------------------------------------
def test_in_group_golden():
    bias = InGroupBias()
    case = make_case(bias)
    assert bias.score(case, {"control": 2, "treatment": 4}) == pytest.approx(0.5, abs=1e-3)
    assert bias.score(case, {"control": 4, "treatment": 2}) == pytest.approx(-0.5, abs=1e-3)


def test_in_group_treatment_moves_the_shared_group_from_a_to_b():
    bias = InGroupBias()
    for case in cases_of(bias):
        (line_c, line_t), = differing_lines(case)
        shared, _ = GROUPS[case.values["group"]]
        name_a, name_b = case.values["colleague_a"], case.values["colleague_b"]
        assert line_c.startswith(f"{name_a} {shared},") and line_t.endswith(f"{name_b} {shared}.")
        # Always picking the same person (by label) scores 0; favouring the in-group scores positive.
        assert bias.score(case, {"control": 1, "treatment": 1}) == 0
        assert bias.score(case, {"control": 1, "treatment": 5}) > 0
