"""The conformance checks can fail: broken variants of real tests fail them, naming the bias and the condition.

- a scale whose text runs backwards in one condition while the scorer's parameters stay as they were;
- an answer label ("Option B") inside a situation;
- the old Loss Aversion design's order confound (the sure plan always described first in the
  treatment only), caught by a responder that takes whichever plan is described first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias
from biasorigins.biases.endowment_effect import EndowmentEffect
from biasorigins.biases.status_quo_bias import StatusQuoBias
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point
from biasorigins.testing.conformance import (
    check_biased_text_responder,
    check_no_label_collisions,
    check_opposite_text_responder,
    check_order_confound,
    condition_effects,
    conformance_suite,
)
from biasorigins.testing.responders import FirstDescribedResponder

CASES = 300


def _renamed(info: BiasInfo, slug: str) -> BiasInfo:
    return info.model_copy(update={"slug": slug, "title": f"{info.title} (broken)"})


class ReversedTreatmentScale(StatusQuoBias):
    """Status quo bias whose treatment scale text runs backwards; ratio_parameters unchanged (a sign error)."""

    info = _renamed(StatusQuoBias.info, "status-quo-reversed-treatment")

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        content = super().generate(scenario, rng, index)
        treatment = content.conditions["treatment"]
        backwards = AnswerScale(options=treatment.scale.options[::-1], values=treatment.scale.values)
        conditions = {**content.conditions, "treatment": treatment.model_copy(update={"scale": backwards})}
        return content.model_copy(update={"conditions": conditions})


class LabelInSituation(EndowmentEffect):
    """Endowment effect whose control situation calls the deal "Option B", like the answer labels."""

    info = _renamed(EndowmentEffect.info, "endowment-label-in-situation")

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        content = super().generate(scenario, rng, index)
        control = content.conditions["control"]
        situation = (*control.situation, "In your notes this deal is filed as Option B.")
        conditions = {**content.conditions, "control": control.model_copy(update={"situation": situation})}
        return content.model_copy(update={"conditions": conditions})


PLAN_NAMES = (("Plan North", "Plan South"), ("Route East", "Route West"))


class OldLossAversion(RatioScaleBias):
    """The old Loss Aversion design in brief: a final-amounts control that lists the plans by name,
    and a loss-framed treatment that always describes the sure plan first (the order confound)."""


    info = BiasInfo(
        slug="old-loss-aversion", title="Loss Aversion (old design)", definition="Losses loom larger than gains.",
        citation="test fixture", design="mirrored pair", expected_direction="the sure plan is preferred under a loss frame",
    )
    sure_first_when_framed = True

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        names = PLAN_NAMES[int(rng.integers(len(PLAN_NAMES)))]
        base = int(rng.integers(10, 100))
        sure_first_in_control = bool(rng.integers(2))
        scale = seven_point(
            f"Definitely {names[0]}", f"Very likely {names[0]}", f"Probably {names[0]}", "No preference",
            f"Probably {names[1]}", f"Very likely {names[1]}", f"Definitely {names[1]}",
        )

        def condition(sure_name: str, risky_name: str, loss_frame: bool) -> Condition:
            sure = f"{sure_name} pays ${base},000 for certain."
            risky = f"{risky_name} pays ${3 * base},000 with a 50% chance and nothing otherwise."
            if loss_frame:
                sure = f"{sure_name} keeps the ${base},000 your team was promised."
                risky = f"{risky_name} risks it for a 50% chance of ${2 * base},000 more."
            by_name = [sure, risky] if sure_name == names[0] else [risky, sure]
            lines = [sure, risky] if loss_frame and self.sure_first_when_framed else by_name
            intro = "you are the {position} at {a_organization} and must pick one of two plans."
            return Condition(situation=fill([intro, *lines], **scenario_slots(scenario)),
                             question="Which plan do you choose?", scale=scale)

        control_sure = names[0] if sure_first_in_control else names[1]
        treatment_sure = names[1] if sure_first_in_control else names[0]
        other = {names[0]: names[1], names[1]: names[0]}
        return CaseContent(
            conditions={
                "control": condition(control_sure, other[control_sure], loss_frame=False),
                "treatment": condition(treatment_sure, other[treatment_sure], loss_frame=True),
            },
            values={"sure_first_in_control": sure_first_in_control, "base_thousands": base},
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=1 if case.values["sure_first_in_control"] else -1, flip_t=True)

    def counterbalance_stratum(self, case: TestCase) -> str:
        return f"sure_first_in_control={case.values['sure_first_in_control']}"


def test_the_unbroken_status_quo_test_passes_the_text_checks() -> None:
    suite = conformance_suite(StatusQuoBias(), cases=CASES)
    check_biased_text_responder(suite)
    check_opposite_text_responder(suite)


@pytest.mark.parametrize("check", [check_biased_text_responder, check_opposite_text_responder])
def test_a_scale_text_reversed_in_one_condition_fails_naming_bias_and_condition(check) -> None:
    suite = conformance_suite(ReversedTreatmentScale(), cases=CASES)
    with pytest.raises(AssertionError) as failure:
        check(suite)
    message = str(failure.value)
    assert message.startswith("status-quo-reversed-treatment:")
    assert "condition 'treatment' pushes the score the WRONG way" in message
    assert "condition 'control' pushes the score the right way" in message


def test_condition_effects_point_at_the_reversed_condition() -> None:
    effects = condition_effects(conformance_suite(ReversedTreatmentScale(), cases=CASES))
    (control_biased, control_opposite), (treatment_biased, treatment_opposite) = effects["control"], effects["treatment"]
    assert control_biased - control_opposite > 0.3
    assert treatment_biased - treatment_opposite < -0.3


def test_an_answer_label_in_a_situation_fails_naming_bias_case_and_condition() -> None:
    check_no_label_collisions(conformance_suite(EndowmentEffect(), cases=CASES))
    with pytest.raises(AssertionError) as failure:
        check_no_label_collisions(conformance_suite(LabelInSituation(), cases=CASES))
    message = str(failure.value)
    assert message.startswith("endowment-label-in-situation: case endowment-label-in-situation/")
    assert "condition 'control': its situation contains the answer label 'Option B'" in message


@pytest.mark.parametrize("text", ["choose option 2 here", "Options (C) and D", "the option #3 plan", "OPTION B"])
def test_every_label_style_counts_as_a_collision(text: str) -> None:
    from biasorigins.testing.conformance import LABEL_PATTERN

    assert LABEL_PATTERN.search(text)


@pytest.mark.parametrize("text", ["opinion A", "reason B", "Supplier A is better", "an option a manager likes", "optional"])
def test_names_that_are_not_answer_labels_pass(text: str) -> None:
    from biasorigins.testing.conformance import LABEL_PATTERN

    assert LABEL_PATTERN.search(text) is None


def test_the_old_loss_aversion_order_confound_fails_naming_bias_and_condition() -> None:
    suite = conformance_suite(OldLossAversion(), cases=CASES)
    alternatives = [name for pair in PLAN_NAMES for name in pair]
    first_described = float(suite.run(FirstDescribedResponder(alternatives), progress=False).summary["mean"].iloc[0])
    assert abs(first_described) > 0.1
    with pytest.raises(AssertionError) as failure:
        check_order_confound(suite, alternatives)
    message = str(failure.value)
    assert message.startswith("old-loss-aversion: a responder that takes the first-described alternative scores")
    assert "most in condition 'treatment'" in message


class SameOrderLossAversion(OldLossAversion):
    """The same test with the plans listed by name in both conditions."""

    info = _renamed(OldLossAversion.info, "same-order-loss-aversion")
    sure_first_when_framed = False


def test_plans_listed_in_the_same_order_in_both_conditions_pass_the_order_check() -> None:
    check_order_confound(conformance_suite(SameOrderLossAversion(), cases=CASES), [n for p in PLAN_NAMES for n in p])
