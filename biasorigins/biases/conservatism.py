"""Conservatism: beliefs are revised too little when new evidence arrives."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots, seven_point

FACTS_PER_ROUND = 3

# Kinds of neutral alternative (singular, plural, label); the alternatives are "<label> A" and "<label> B".
KINDS: tuple[tuple[str, str, str], ...] = (
    ("supplier", "suppliers", "Supplier"),
    ("service provider", "service providers", "Provider"),
    ("contractor", "contractors", "Contractor"),
    ("consulting firm", "consulting firms", "Firm"),
    ("external partner", "external partners", "Partner"),
    ("specialist agency", "specialist agencies", "Agency"),
)

YEARS = ("one year", "two years", "three years")

# Facts that each favour the alternative {x}; six distinct ones are drawn per case.
FACTS: tuple[str, ...] = (
    "{x} quoted a price about {discount}% lower than its rival.",
    "{x} can start {weeks} weeks earlier than its rival.",
    "in a short trial, {x} did better on the {metric}.",
    "two companies similar to yours praised {x} in reference calls.",
    "the systems of {x} fit more easily with the tools your {team} already uses.",
    "{x} offers a guarantee that lasts {years} longer.",
    "{x} has a stronger record of meeting its deadlines.",
    "{x} would need less training time for your {team}.",
    "{x} has lower staff turnover, so you would deal with the same people throughout.",
    "{x} has more experience with work like the {project}.",
    "a credit report rates {x} as financially stronger.",
    "{x} answered your questions during the tender faster and more precisely.",
)

# Each variant: the opening lines, the line before the first facts, the conclusion,
# the line before the new facts and the question.
_VARIANTS: dict[str, dict] = {
    "tender": {
        "intro": (
            "you are the {position} at {a_organization}, and you must choose one of two {kinds} for the {project}: {label_a} or {label_b}.",
        ),
        "first": "a first review of the bids brought three facts to light:",
        "conclusion": "from these facts you concluded that {prior} is the better choice.",
        "second": "since then, a second round of checks has brought three new facts to light:",
        "question": "How do you now compare the two {kinds}?",
    },
    "renewal": {
        "intro": (
            "as the {position} at {a_organization}, you are deciding {decision}.",
            "for the {project}, your {team} has narrowed the field to two {kinds}, {label_a} and {label_b}.",
        ),
        "first": "in the first meetings you learned three things:",
        "conclusion": "on that basis you concluded that {prior} is better.",
        "second": "this week, three further facts have emerged:",
        "question": "How do you now rate the two {kinds} against each other?",
    },
    "due-diligence": {
        "intro": (
            "you work as the {position} at {a_organization}, which sells {product}.",
            "you must pick either {label_a} or {label_b} as the {kind} for the {project}.",
        ),
        "first": "an initial due diligence report listed three facts:",
        "conclusion": "after reading it, you concluded that {prior} is the better {kind}.",
        "second": "a follow-up report that arrived today lists three new facts:",
        "question": "Which of the two {kinds} do you now consider better, and by how much?",
    },
    "shortlist": {
        "intro": (
            "you are the {position} at {a_organization}.",
            "two {kinds} are left on the shortlist for the {project}: {label_a} and {label_b}.",
        ),
        "first": "when you first compared them, three facts stood out:",
        "conclusion": "you therefore concluded that {prior} is the better option.",
        "second": "since then, your {team} has found three new facts:",
        "question": "How do the two {kinds} compare in your view now?",
    },
    "board-paper": {
        "intro": (
            "as the {position} at {a_organization}, you are preparing a recommendation for the board on the {project}.",
            "the choice is between two {kinds}, {label_a} and {label_b}.",
        ),
        "first": "your first draft was based on three facts:",
        "conclusion": "the draft concluded that {prior} is the better choice.",
        "second": "before the paper goes to the board, three new facts have come in:",
        "question": "How do you now compare the two {kinds}?",
    },
}


def _scale(label_a: str, label_b: str) -> AnswerScale:
    return seven_point(
        f"{label_a} is much better", f"{label_a} is better", f"{label_a} is slightly better",
        "Both are equally good",
        f"{label_b} is slightly better", f"{label_b} is better", f"{label_b} is much better",
    )


class Conservatism(RatioScaleBias):
    """Mirrored pair: three facts favour one alternative and you conclude it is better; three new
    facts then favour the other. The control's first conclusion is A (new facts favour B); the
    treatment has the same facts with the labels swapped (first conclusion B, new facts favour A).

    Score: k = -1, x = 0 and no flip, so B = (t - c) / max(c, t) on the scale
    "A much better ... B much better"; positive when the answer stays with the first conclusion
    (the control leans A, the treatment leans B). This is the corrected metric that Malberg et al.
    adopted in October 2025. Following the new facts (towards B in the control, towards A in the
    treatment) scores <= 0; weighing both rounds equally scores 0.

    ``paper_compatible=True`` reproduces the former formula exactly, which also flipped the treatment
    answer (flip_t = True). That version, still used by the cross-tuning fork (Itzhak et al. 2025),
    scores a fixed preference for the label "A" as biased and a truly conservative pattern as 0.
    """

    info = BiasInfo(
        slug="conservatism",
        title="Conservatism",
        definition="Revising one's beliefs insufficiently when presented with new evidence.",
        citation="Edwards (1968); test design after Malberg et al. (2024), metric as corrected in 2025",
        design="mirrored pair",
        expected_direction="the comparison stays closer to the first conclusion than the new evidence warrants",
        confounds=(
            "with paper_compatible=True (the former treatment flip) the score measures a preference for the label 'A', "
            "not conservatism",
        ),
        aliases=("conservatism bias", "belief revision bias"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        kind_index = int(rng.integers(len(KINDS)))
        facts = [int(i) for i in rng.choice(len(FACTS), size=2 * FACTS_PER_ROUND, replace=False)]
        discount = int(rng.integers(5, 26))
        weeks = int(rng.integers(2, 13))
        years = int(rng.integers(1, 4))
        kind, kinds, label = KINDS[kind_index]
        label_a, label_b = f"{label} A", f"{label} B"
        slots = {
            **scenario_slots(scenario), "kind": kind, "kinds": kinds, "label_a": label_a, "label_b": label_b,
            "discount": discount, "weeks": weeks, "years": YEARS[years - 1],
        }
        template = _VARIANTS[variant]
        question = template["question"].format(**slots)
        scale = _scale(label_a, label_b)

        def condition(prior: str, other: str) -> Condition:
            first = [FACTS[i].format(**slots, x=prior) for i in facts[:FACTS_PER_ROUND]]
            second = [FACTS[i].format(**slots, x=other) for i in facts[FACTS_PER_ROUND:]]
            lines = [
                *fill(template["intro"], **slots),
                *fill([template["first"]], **slots),
                *(capitalize(fact) for fact in first),
                *fill([template["conclusion"]], **slots, prior=prior),
                *fill([template["second"]], **slots),
                *(capitalize(fact) for fact in second),
            ]
            return Condition(situation=tuple(lines), question=question, scale=scale)

        return CaseContent(
            conditions={"control": condition(label_a, label_b), "treatment": condition(label_b, label_a)},
            values={
                "kind": kind_index,
                "facts": facts,
                "discount": discount,
                "weeks": weeks,
                "years": years,
                "prior_in_control": "A",
                "prior_in_treatment": "B",
                "k": -1,
                "x": 0,
                "flip_treatment": False,
                "flip_treatment_paper_compatible": True,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        flip_key = "flip_treatment_paper_compatible" if self.paper_compatible else "flip_treatment"
        return dict(n_c=7, k=case.values["k"], flip_t=bool(case.values[flip_key]))

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Stays with the first conclusion (or, if opposite, swings fully to the alternative the new facts favour).
        first = re.search(r"concluded that (.+?) is (?:the )?better", body(text))
        if first is None:
            return None
        prior = first.group(1)
        if not opposite:
            return next(shown for shown in options if shown == f"{prior} is better")
        return next(shown for shown in options if shown.endswith(" is much better") and not shown.startswith(prior))


BIASES = (Conservatism(),)
