"""In-group bias: favouring people who belong to one's own group."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, line_with, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# First names by gender; the two colleagues of a case share a gender.
NAMES: tuple[tuple[str, ...], ...] = (
    ("Anna", "Laura", "Fatima", "Chloe", "Ines", "Grace", "Yuki", "Nadia"),
    ("David", "Mark", "Omar", "Felix", "Ravi", "Ben", "Kenji", "Pablo"),
)

# Something you share with one colleague: (shared, not shared).
GROUPS: tuple[tuple[str, str], ...] = (
    ("studied at the same university as you", "studied at a different university"),
    ("grew up in the same town as you", "grew up in another part of the country"),
    ("joined the company through the same trainee programme as you", "joined the company through a different route"),
    ("plays in the company football team with you", "does not play in the company football team"),
    ("is, like you, a member of the company's running club", "is not a member of the company's running club"),
    ("worked at the same previous employer as you", "came from a different previous employer"),
    ("supports the same football club as you", "supports a different football club"),
    ("sings in the company choir with you", "does not sing in the company choir"),
    ("belongs to the same professional association as you", "belongs to a different professional association"),
    ("shares your hobby of sailing and crews on your boat at weekends", "has no interest in sailing"),
)

# Each variant: what can go to only one colleague, and the question.
_VARIANTS: dict[str, dict] = {
    "bonus": {
        "reward": "you can award a one-off bonus of ${amount},000 to only one of them.",
        "question": "Who receives the bonus?",
    },
    "leadership-course": {
        "reward": "the company has one place on a prestigious leadership course, and you must nominate one of them.",
        "question": "Whom do you nominate for the course?",
    },
    "board-presentation": {
        "reward": "one of them will present the results of the {project} to the board, which is a great chance to get noticed.",
        "question": "Whom do you choose to give the presentation?",
    },
    "conference-trip": {
        "reward": "your budget pays for only one of them to attend a major industry conference abroad.",
        "question": "Who goes to the conference?",
    },
    "lead-role": {
        "reward": "you must choose one of them to lead the next phase of the {project}.",
        "question": "Whom do you choose to lead the next phase?",
    },
}

SHARED_LINES: tuple[str, ...] = (
    "you are the {position} at {a_organization}.",
    "two members of your {team}, colleague A ({name_a}) and colleague B ({name_b}), have worked on the {project} for the past {months} months, and their contributions were equally strong.",
)

SCALE = seven_point(
    "Definitely colleague A", "Very likely colleague A", "Probably colleague A", "No preference",
    "Probably colleague B", "Very likely colleague B", "Definitely colleague B",
)


class InGroupBias(RatioScaleBias):
    """Mirrored pair: two equally good colleagues; in the control colleague A shares a group with
    you, in the treatment colleague B does.

    Score (Malberg et al.): k = -1, x = 0, no flip, so B = (t - c) / max(c, t) on the scale
    "colleague A ... colleague B"; positive when the colleague who shares your group is favoured.
    """

    info = BiasInfo(
        slug="in-group-bias",
        title="In-Group Bias",
        definition="Favouring members of one's own group over others.",
        citation="Tajfel et al. (1971); test design after Malberg et al. (2024)",
        design="mirrored pair",
        expected_direction="the colleague who shares a group with you is favoured, whichever label they carry",
        aliases=("in-group favoritism", "in-group favouritism", "intergroup bias"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        names = NAMES[int(rng.integers(len(NAMES)))]
        name_a, name_b = (names[int(i)] for i in rng.choice(len(names), size=2, replace=False))
        group = int(rng.integers(len(GROUPS)))
        months = int(rng.integers(3, 19))
        amount = int(rng.integers(2, 16))
        shared, not_shared = GROUPS[group]
        template = _VARIANTS[variant]
        slots = {**scenario_slots(scenario), "name_a": name_a, "name_b": name_b, "months": months, "amount": amount}
        question = template["question"]

        def condition(a_shares: bool) -> Condition:
            about_a, about_b = (shared, not_shared) if a_shares else (not_shared, shared)
            lines = [*SHARED_LINES, template["reward"], f"{name_a} {about_a}, while {name_b} {about_b}."]
            return Condition(situation=fill(lines, **slots), question=question, scale=SCALE)

        return CaseContent(
            conditions={"control": condition(True), "treatment": condition(False)},
            values={
                "colleague_a": name_a,
                "colleague_b": name_b,
                "group": group,
                "months": months,
                "bonus_thousands": amount,
                "in_group_in_control": "A",
                "in_group_in_treatment": "B",
                "k": -1,
                "x": 0,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=len(SCALE), k=-1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Favours the colleague who shares a group with you (or, if opposite, the other one).
        situation = body(text)
        labels = {name: label for label, name in re.findall(r"colleague ([AB]) \((\w+)\)", situation)}
        pair = line_with(situation, r", while ") or ""
        shared = [name for clause in pair.split(", while ") for name in labels
                  if clause.startswith(name) and re.search(r"\byour?\b", clause)]
        if len(shared) != 1:
            return None
        favoured = labels[shared[0]] if not opposite else "B" if labels[shared[0]] == "A" else "A"
        return option(options, f"Very likely colleague {favoured}")


BIASES = (InGroupBias(),)
