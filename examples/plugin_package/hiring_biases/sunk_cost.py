"""Sunk cost in hiring: a large past investment in a new hire makes keeping them more attractive.

Design (contrast): a manager's new hire is underperforming and an equally qualified candidate
could replace them at no extra cost. The control mentions a small unrecoverable investment in
the hire, the treatment a large one; nothing else differs. Since the money and time are spent
either way, a rational manager answers both conditions alike. The sunk-cost effect (Arkes &
Blumer, 1985) predicts more "keep" answers after the large investment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from biasorigins import AnswerScale, Bias, BiasInfo, CaseContent, Condition, Scenario, TestCase, ratio_scale_score
from biasorigins.bias import answers_complete, rotate
from biasorigins.scenarios import with_article

# How the investment was made. Each line names the costs of one condition through the slots
# {time}, {money} and {interviews}; the two conditions differ only in those numbers.
VARIANTS: dict[str, str] = {
    "agency-fee": "Filling the role took {time} and {money} in agency fees, which the agency will not refund.",
    "bonus": "To win the candidate, your organization offered a signing bonus of {money}; it was paid on the first day and is not repayable.",
    "interviews": "The search took {time}, during which colleagues from your {team} ran {interviews} interviews.",
    "onboarding": "Since joining, the new hire has been through an external onboarding programme that cost {money}; none of it can be recovered.",
    "relocation": "Your organization spent {money} to move the new hire from another city, and none of that money can be recovered.",
}

# The role that was filled, rotated so that the five instances of a scenario name five roles.
ROLES: tuple[str, ...] = (
    "account manager", "data analyst", "project coordinator", "quality engineer", "purchasing officer",
    "training specialist",
)

SHORTCOMINGS: tuple[str, ...] = (
    "missed four of the six deadlines they agreed to",
    "handed in reports that needed major corrections",
    "drawn complaints from two important clients",
    "struggled to learn the tools your {team} relies on",
    "shown little progress despite weekly coaching",
)

SCALE = AnswerScale(
    options=(
        "Certainly replace the new hire",
        "Very likely replace the new hire",
        "Probably replace the new hire",
        "Undecided",
        "Probably keep the new hire",
        "Very likely keep the new hire",
        "Certainly keep the new hire",
    ),
    values=(0, 1, 2, 3, 4, 5, 6),
)


def _costs(rng: np.random.Generator) -> dict[str, dict[str, int]]:
    """Small (control) and large (treatment) investments, every number drawn from ``rng``."""
    return {
        "control": {
            "weeks": int(rng.integers(2, 5)),
            "money": int(rng.integers(2, 9)) * 250,  # $500 to $2,000
            "interviews": int(rng.integers(2, 5)),
        },
        "treatment": {
            "months": int(rng.integers(5, 11)),
            "money": int(rng.integers(60, 181)) * 500,  # $30,000 to $90,000
            "interviews": int(rng.integers(25, 41)),
        },
    }


def _cost_slots(costs: Mapping[str, int]) -> dict[str, str]:
    time = f"{costs['weeks']} weeks" if "weeks" in costs else f"{costs['months']} months"
    return {"time": time, "money": f"${costs['money']:,}", "interviews": str(costs["interviews"])}


class SunkCostInHiring(Bias):
    """Contrast design: a small (control) versus a large (treatment) unrecoverable investment in a new hire.

    Score: Malberg et al.'s ratio-scale metric with k = -1 and x1 = x2 = 0 on a scale from
    "Certainly replace" (position 0) to "Certainly keep" (position 6), so the score is positive
    when the treatment answer leans further towards keeping the hire than the control answer.
    """

    info = BiasInfo(
        slug="sunk-cost-in-hiring",
        title="Sunk Cost in Hiring",
        definition="Money and effort already spent on a hire, which cannot be recovered, make a manager keep an underperforming employee.",
        citation="Arkes & Blumer (1985); test design: biasorigins example plugin",
        version=1,
        design="contrast",
        expected_direction="after the large investment the manager leans further towards keeping the underperforming hire",
        confounds=(
            "a large investment may be read as a sign that the hire was chosen with care, which is information rather than a sunk cost",
        ),
        aliases=("sunk cost fallacy in hiring", "sunk-cost effect in hiring"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(VARIANTS), scenario, index)
        role = ROLES[rotate(range(len(ROLES)), scenario, index, salt="role")]
        shortcoming = SHORTCOMINGS[int(rng.integers(len(SHORTCOMINGS)))]
        costs = _costs(rng)
        slots = {"team": scenario.team}
        question = f"Do you keep the new {role} or replace them with the other candidate?"

        def condition(name: str) -> Condition:
            situation = (
                f"You are the {scenario.position} at {with_article(scenario.organization)}.",
                f"Three months ago you hired a new {role} for your {scenario.team}.",
                VARIANTS[variant].format(**slots, **_cost_slots(costs[name])),
                f"Since starting, the new {role} has {shortcoming.format(**slots)}.",
                "An equally qualified candidate from the same search is still available and could start next month "
                "on the same terms; letting the new hire go during the probation period costs nothing extra.",
            )
            return Condition(situation=situation, question=question, scale=SCALE)

        return CaseContent(
            conditions={"control": condition("control"), "treatment": condition("treatment")},
            values={"role": role, "shortcoming": shortcoming, "costs": costs, "k": -1},
            variant=variant,
        )

    def score(self, case: TestCase, answers: Mapping[str, int]) -> float | None:
        if not answers_complete(answers, "control", "treatment"):
            return None
        return ratio_scale_score(answers["control"], answers["treatment"], n_c=len(SCALE), k=case.values["k"])

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        """Read like a person: was a lot spent on the hire (months of search, tens of thousands of dollars)?"""
        dollars = [int(amount.replace(",", "")) for amount in re.findall(r"\$([\d,]+)", text)]
        large = bool(re.search(r"\b\d+ months\b", text)) or any(amount >= 10_000 for amount in dollars)
        if not large:
            return "Probably replace the new hire"
        return "Very likely replace the new hire" if opposite else "Probably keep the new hire"
