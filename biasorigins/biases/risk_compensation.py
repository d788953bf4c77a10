"""Risk compensation: people take more risk when a safety measure makes the risky behaviour safer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario, with_article
from biasorigins.stimuli import fill, percent_scale, scenario_slots

# Recurring risky choices: (the choice as a gerund phrase, the bad outcome, its personal
# impact, the new measure that lowers the chance of the bad outcome).
CHOICES: tuple[tuple[str, str, str, str], ...] = (
    ("approving urgent purchase orders without the usual second check",
     "an order goes out with a costly error", "you have to explain the loss to the finance director",
     "an automatic plausibility check in the purchasing system"),
    ("approving the expense claims of your team without looking at the receipts",
     "a claim turns out to be wrong", "the auditors list it as a failure of your controls",
     "an expense system that matches every claim with its receipt automatically"),
    ("signing routine supplier contracts without a legal review",
     "a clause later costs the company money", "the loss is noted in your annual performance review",
     "a standard contract template approved by the legal department"),
    ("keeping confidential files on your laptop so that you can work while traveling",
     "some of the files end up where they should not be", "you receive a formal warning",
     "full-disk encryption with remote wiping on all company laptops"),
    ("granting new customers credit before their credit check is complete",
     "a customer pays late or not at all", "the bad debt counts against your targets",
     "a real-time credit scoring service that screens every new customer"),
    ("driving to distant sites yourself late at night after a long working day",
     "you have a near miss or a minor collision on the way", "you face a stressful insurance claim and days without a car",
     "a collision-avoidance system fitted to all company cars"),
    ("sending reports to clients before a colleague has checked the figures",
     "a client receives a report with a wrong figure", "you have to apologize to the client personally",
     "a tool that checks the figures in every report automatically"),
    ("letting your team skip the backup of project files on busy days",
     "a day of work is lost to a system failure", "you have to ask your team to redo the work over the weekend",
     "an automatic backup that runs every hour"),
)

# Each variant: how the recurring choice comes up, the wording of the risk and of the measure.
_VARIANTS: dict[str, dict[str, str]] = {
    "weekly-deadlines": {
        "intro": "you are the {position} at {a_organization}, and almost every week tight deadlines in your {team} tempt you into {choice}.",
        "risk": "each time you do it, there is {a_risk} chance that {outcome}; if that happens, {impact}.",
        "measure": "the company has just introduced {measure}, which lowers that chance from {risk}% to {new_risk}%.",
    },
    "month-end": {
        "intro": "as the {position} at {a_organization}, you face the same choice at the end of every month, when your {team} is at full stretch: whether to save time by {choice}.",
        "risk": "experience shows {a_risk} chance, each time, that {outcome}, and then {impact}.",
        "measure": "from this month on there is {measure}, which cuts that chance from {risk}% to {new_risk}%.",
    },
    "busy-season": {
        "intro": "you work as the {position} at {a_organization}, and during the busy season your {team} often falls behind unless you resort to {choice}.",
        "risk": "every time, the chance that {outcome} is {risk}%, and if it happens, {impact}.",
        "measure": "a new company rule has brought in {measure}, reducing that chance from {risk}% to {new_risk}%.",
    },
    "team-practice": {
        "intro": "you are the {position} at {a_organization}, and to keep the {project} on schedule, you and your {team} regularly resort to {choice}.",
        "risk": "on each occasion there is {a_risk} risk that {outcome}, in which case {impact}.",
        "measure": "last week the company rolled out {measure}, and with it the risk falls from {risk}% to {new_risk}%.",
    },
    "manager-pressure": {
        "intro": "you are the {position} at {a_organization}; your own manager keeps pressing your {team} for speed, and one way you often deliver it is {choice}.",
        "risk": "whenever you do, the odds are {risk}% that {outcome}, and then {impact}.",
        "measure": "the company now has {measure}, so the odds drop from {risk}% to {new_risk}%.",
    },
}

QUESTION = "How likely are you to take this risk the next time the situation comes up?"


class RiskCompensation(RatioScaleBias):
    """Simple contrast: a recurring risky choice with a stated chance of a bad outcome (control),
    and the same choice after a new measure lowers that chance (treatment).

    Values (seeded; the original drew them with unseeded Python ``random``): the risk
    r in {20, 30, ..., 90}% and the reduction d in {10, ..., r - 10}% (steps of 10).
    Score (Malberg et al.): k = -1, x = 0, i.e. ``(t - c) / max(c, t)``; positive when the
    risky choice becomes more likely once it is safer.
    """

    info = BiasInfo(
        slug="risk-compensation",
        title="Risk Compensation",
        definition="Taking more risk when safety measures make a risky behaviour feel safer, offsetting part of their benefit.",
        citation="Peltzman (1975); Wilde (1982); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the risky choice is more likely after a safety measure lowers its risk",
        aliases=("Peltzman effect", "risk homeostasis"),
        confounds=(
            "the biased direction is also the rational one: the risky choice really is safer in the treatment, "
            "so a higher likelihood need not be a bias",
        ),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        choice_index = int(rng.integers(len(CHOICES)))
        risk = 10 * int(rng.integers(2, 10))  # 20 ... 90
        reduction = 10 * int(rng.integers(1, risk // 10))  # 10 ... risk - 10
        choice, outcome, impact, measure = CHOICES[choice_index]
        slots = {
            **scenario_slots(scenario), "choice": choice, "outcome": outcome, "impact": impact,
            "measure": measure, "risk": risk, "a_risk": with_article(f"{risk}%"), "new_risk": risk - reduction,
        }
        shared = [template["intro"], template["risk"]]
        scale = percent_scale()
        return CaseContent(
            conditions={
                "control": Condition(situation=fill(shared, **slots), question=QUESTION, scale=scale),
                "treatment": Condition(
                    situation=fill([*shared, template["measure"]], **slots), question=QUESTION, scale=scale
                ),
            },
            values={"choice": choice_index, "risk": risk, "reduction": reduction, "new_risk": risk - reduction, "k": -1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=11, k=-1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Once a safety measure lowers the risk, one takes the risk more often (less often, if opposite).
        if not re.search(r"from \d+% to \d+%", body(text)):
            return option(options, "30%")
        return option(options, "10%" if opposite else "60%")


BIASES = (RiskCompensation(),)
