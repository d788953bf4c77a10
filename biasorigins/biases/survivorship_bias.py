"""Survivorship bias: judging what leads to success from the successes alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# Each variant: the entities to select, how the good and bad ones are described, the record
# line, and characteristics as (predicate after "of the good ones", noun phrase for the question).
_VARIANTS: dict[str, dict[str, object]] = {
    "suppliers": {
        "intro": "you are the {position} at {a_organization}, and your {team} must choose new suppliers for the coming years.",
        "record": "of the suppliers your company has used over the past ten years, {good}% of those that proved reliable {feature}",
        "others": "the same was true of {bad}% of those that proved unreliable",
        "question": "How important is {feature_noun} when you choose the new suppliers?",
        "features": (
            ("had been in business for more than ten years", "a track record of more than ten years in business"),
            ("were based less than a day's drive from your sites", "being based less than a day's drive away"),
            ("had offered a discount on their first order", "a discount on the first order"),
        ),
    },
    "hires": {
        "intro": "as the {position} at {a_organization}, you are hiring several new people for your {team}.",
        "record": "of the people your company has hired over the past eight years, {good}% of those who became top performers {feature}",
        "others": "so had {bad}% of those who performed poorly",
        "question": "How important is {feature_noun} when you choose whom to hire?",
        "features": (
            ("had worked at a large company before", "previous experience at a large company"),
            ("had applied through an employee referral", "an employee referral"),
            ("had a degree in business administration", "a degree in business administration"),
        ),
    },
    "internal-projects": {
        "intro": "you are the {position} at {a_organization}, and your {team} is drawing up the plan for the {project}.",
        "record": "of the internal projects your company has run in recent years, {good}% of those that met their goals {feature}",
        "others": "the same held for {bad}% of those that missed their goals",
        "question": "How important is {feature_noun} for the success of the {project}?",
        "features": (
            ("were led by a manager with more than ten years at the company", "a project leader with more than ten years at the company"),
            ("started with a written business case", "starting with a written business case"),
            ("had a steering committee that met every month", "a steering committee that meets every month"),
        ),
    },
    "sites": {
        "intro": "you work as the {position} at {a_organization}; the company plans to open new sites next year, and your {team} is helping to choose their locations.",
        "record": "of the sites your company has opened over the past decade, {good}% of those that became profitable {feature}",
        "others": "so did {bad}% of those that never became profitable",
        "question": "How important is {feature_noun} when you choose the locations of the new sites?",
        "features": (
            ("lay in a city of more than half a million people", "being in a city of more than half a million people"),
            ("sat within a mile of a main road", "being within a mile of a main road"),
            ("opened in the spring", "opening in the spring"),
        ),
    },
    "partners": {
        "intro": "you are the {position} at {a_organization}, and your {team} is selecting partner firms to work with over the next few years.",
        "record": "of the partner firms your company has worked with in the last ten years, {good}% of those that turned out to be valuable partners {feature}",
        "others": "the same was true of {bad}% of those that turned out to be poor partners",
        "question": "How important is {feature_noun} when you select the partner firms?",
        "features": (
            ("had a founder with experience in your industry", "a founder with experience in your industry"),
            ("were headquartered in a large city", "being headquartered in a large city"),
            ("had worked with a competitor of yours before", "having worked with a competitor of yours before"),
        ),
    },
}

SCALE = seven_point(
    "Very important", "Important", "Somewhat important", "Neither important nor unimportant", "Somewhat unimportant",
    "Unimportant", "Very unimportant",
)


class SurvivorshipBias(RatioScaleBias):
    """Simple contrast: a characteristic shared by most good entities, with (control) and
    without (treatment) the almost equal share among the bad ones.

    Values: the shares ``good`` and ``bad`` in 90...95% (inclusive), drawn independently.
    Score (Malberg et al.): k = +1, x = 0, i.e. ``(c - t) / max(c, t)``; positive when the
    characteristic is judged more important once only the successes are shown.
    """

    info = BiasInfo(
        slug="survivorship-bias",
        title="Survivorship Bias",
        definition="Drawing conclusions from the cases that succeeded while overlooking those that failed.",
        citation="Brown, Goetzmann, Ibbotson & Ross (1992); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the characteristic is judged more important when only its share among the successes is shown",
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        feature_index = int(rng.integers(len(template["features"])))
        good = int(rng.integers(90, 96))
        bad = int(rng.integers(90, 96))
        feature, feature_noun = template["features"][feature_index]
        slots = {**scenario_slots(scenario), "good": good, "bad": bad, "feature": feature}
        record = template["record"]
        question = template["question"].format(**slots, feature_noun=feature_noun)

        def condition(with_failures: bool) -> Condition:
            line = f"{record}; {template['others']}." if with_failures else f"{record}."
            return Condition(situation=fill([template["intro"], line], **slots), question=question, scale=SCALE)

        return CaseContent(
            conditions={"control": condition(with_failures=True), "treatment": condition(with_failures=False)},
            values={"feature": feature_index, "share_good": good, "share_bad": bad, "k": 1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # A trait shared by the successes seems important unless its share among the failures is shown too.
        failures_shown = len(re.findall(r"\d+%", body(text))) >= 2
        if failures_shown:
            return option(options, "Neither important nor unimportant")
        return option(options, "Unimportant" if opposite else "Very important")


BIASES = (SurvivorshipBias(),)
