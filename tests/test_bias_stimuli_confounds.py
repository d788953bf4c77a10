"""Confounds removed from the stimuli: what each fixed test now states, checked over many generated cases."""

from __future__ import annotations

import re

import pytest

from biasorigins import BiasSuite
from biasorigins.bias import Bias
from biasorigins.biases._belief import conclusion_believable
from biasorigins.biases.anthropomorphism import AUTHORS, Anthropomorphism
from biasorigins.biases.belief_bias_invalid import BIASES as INVALID
from biasorigins.biases.belief_bias_valid import BIASES as VALID
from biasorigins.biases.halo_effect import PURCHASES, HaloEffect
from biasorigins.biases.hyperbolic_discounting import HyperbolicDiscounting
from biasorigins.biases.information_bias import InformationBias
from biasorigins.biases.not_invented_here import NotInventedHere
from biasorigins.biases.stereotyping import GROUPS
from biasorigins.records import TestCase
from biasorigins.scenarios import load_scenarios
from biasorigins.testing.responders import RandomResponder, TextResponder

BELIEF = (*VALID, *INVALID)


def cases_of(bias: Bias, n: int = 120) -> list[TestCase]:
    bank = load_scenarios()
    return [bias.make_case(bank[(7 * i) % len(bank)], i % 5, 0) for i in range(n)]


def texts(case: TestCase) -> list[str]:
    return [line for cond in case.conditions.values() for line in (*cond.situation, cond.question, *cond.scale.options)]


def test_hyperbolic_payments_are_never_called_options():
    variants = set()
    for case in cases_of(HyperbolicDiscounting(), 200):
        variants.add(case.variant)
        assert not any(re.search(r"\boptions?\b", line, re.IGNORECASE) for line in texts(case))
    assert "customer-settlement" in variants


@pytest.mark.parametrize("bias", BELIEF, ids=lambda b: b.info.slug)
def test_every_belief_frame_asks_to_take_the_premises_as_true(bias):
    variants = set()
    for case in cases_of(bias):
        variants.add(case.variant)
        for cond in case.conditions.values():
            assert re.search(r"\b(?:assume|taking both as true|taken as true|take both facts as true)\b",
                             " ".join(cond.situation), re.IGNORECASE), case.variant
    assert len(variants) == 5


@pytest.mark.parametrize("bias", BELIEF, ids=lambda b: b.info.slug)
def test_belief_index_compares_the_two_real_world_versions(bias):
    suite = BiasSuite([bias], cases=200, seed=0)
    biased = bias.belief_index(suite.run(TextResponder([bias]), progress=False).table)
    opposite = bias.belief_index(suite.run(TextResponder([bias], opposite=True), progress=False).table)
    random = bias.belief_index(suite.run(RandomResponder(), progress=False).table)
    assert biased.mean == 1.0 and opposite.mean == -1.0 and abs(random.mean) < 0.15
    assert biased.n_valid == 200


def test_believability_is_read_from_world_knowledge():
    assert conclusion_believable("Conclusion: All sparrows are animals that lay eggs.") is True
    assert conclusion_believable("Therefore, some cats are birds.") is False
    assert conclusion_believable("Claim: No blomaps are trelixes.") is None


def test_information_cannot_be_had_before_the_deadline():
    for case in cases_of(InformationBias()):
        situation = " ".join(case.conditions["control"].situation)
        assert "no further information can be obtained before the decision is due" in situation
        assert case.conditions["control"].situation == case.conditions["treatment"].situation


def test_stereotype_traits_are_not_known_base_rates():
    traits = {trait for _, _, group_traits in GROUPS for trait in group_traits}
    for base_rate in ("leave for another employer within two years", "be unavailable for evening meetings and travel",
                      "take more risks than the situation calls for", "avoid disagreeing openly in meetings"):
        assert base_rate not in traits


def test_halo_features_of_one_purchase_are_not_causally_linked():
    linked = [{"energy efficiency", "running costs"}, {"battery life", "screen quality"}, {"reliability", "running costs"},
              {"sound quality", "picture quality"}, {"comfort over a long working day", "durability"}]
    for _, _, features in PURCHASES:
        assert not any(pair <= set(features) for pair in linked)
    for case in cases_of(HaloEffect()):
        assert case.values["feature_a"] != case.values["feature_b"]


def test_not_invented_here_sources_have_the_same_credentials():
    for case in cases_of(NotInventedHere()):
        control, treatment = (case.conditions[c].situation[-1] for c in ("control", "treatment"))
        credential = f"who has {case.values['years']} years of experience with work like the"
        assert credential in control and credential in treatment
        assert "never" not in treatment and "very different" not in treatment


def test_anthropomorphism_authors_differ_only_in_person_or_ai():
    for human, machine in AUTHORS:
        assert "AI" in machine and "AI" not in human
        human_words = set(re.findall(r"[a-z]+", human.lower())) - {"a", "an", "writer", "who", "researcher", "columnist"}
        machine_words = set(re.findall(r"[a-z]+", machine.lower()))
        assert human_words <= machine_words | {"writes", "covers"}, (human, machine)
    for case in cases_of(Anthropomorphism(), 40):
        (_, _), = [(a, b) for a, b in zip(case.conditions["control"].situation, case.conditions["treatment"].situation) if a != b]
