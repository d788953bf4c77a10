"""Status-quo bias: preferring whatever is the current state of affairs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

# Pairs of equally valuable ways for a team to work. Each reads after "has relied on" (as the
# current approach) and before "instead" (as the alternative).
APPROACHES: tuple[tuple[str, str], ...] = (
    ("keeping all of its work in-house", "handing part of its work to a specialist outside partner"),
    ("buying from a single main supplier on a long-term contract", "spreading its purchases across several suppliers on short contracts"),
    ("running everything from one central office", "working through small regional units with their own budgets"),
    ("leasing the equipment it uses", "buying its equipment outright"),
    ("planning its work in detail once a year", "planning its work in less detail every quarter"),
    ("paying mainly fixed salaries", "paying a larger part of its pay as performance bonuses"),
    ("training its own junior staff for senior roles", "hiring experienced people from outside for senior roles"),
    ("dealing with its contacts mainly in person", "dealing with its contacts mainly online"),
    ("using one broad software package for all of its tasks", "using several specialized tools for different tasks"),
    ("holding large stocks of what it needs to avoid shortages", "keeping stocks low and ordering more often"),
)

# Each variant: an intro and the lines that state the current approach, the alternative and
# their equal value. "{current}" and "{other}" swap contents between the conditions.
_VARIANTS: dict[str, tuple[str, ...]] = {
    "yearly-review": (
        "you are the {position} at {a_organization}, and you are reviewing how your {team} should work over the next {years} years.",
        "for a long time your {team} has relied on {current}.",
        "the alternative would be {other} instead.",
        "a careful internal study expects both approaches to deliver about the same results at about the same cost over those {years} years, the cost of any change included.",
    ),
    "inherited-team": (
        "you recently became the {position} at {a_organization} and took over the {team}.",
        "the team has always relied on {current}, and that is how it works today.",
        "you could change course and have the team start {other} instead.",
        "the finance department has compared the two, counting the cost of changing, and sees no meaningful difference in value over the next {years} years.",
    ),
    "consultant-advice": (
        "as the {position} at {a_organization}, you asked consultants to look at the way your {team} operates.",
        "at present the team relies on {current}.",
        "the consultants describe one alternative: {other} instead.",
        "their report concludes that, even after the cost of any change, the two approaches are equally good for the company over the next {years} years.",
    ),
    "budget-planning": (
        "you are the {position} at {a_organization}, and your {team} is drawing up its budget for the next {years} years.",
        "so far the team has relied on {current}.",
        "the planning template asks whether to move to {other} instead.",
        "the figures, which include the cost of switching, show both options giving the same overall value over the {years} years.",
    ),
    "strategy-day": (
        "you work as the {position} at {a_organization}, and at the company's strategy day each manager reviews one basic choice for the next {years} years.",
        "your {team} currently relies on {current}.",
        "the other option on the table is {other} instead.",
        "allowing for the cost of any change, the strategy office judges the two options to be of equal value over that period.",
    ),
}

QUESTION = "Looking {years} years ahead, how do you compare keeping the current approach with switching to the alternative?"

SCALE = seven_point(
    "Keeping the current approach is much better", "Keeping the current approach is better",
    "Keeping the current approach is slightly better", "Both are equally good",
    "Switching to the alternative is slightly better", "Switching to the alternative is better",
    "Switching to the alternative is much better",
)


class StatusQuoBias(RatioScaleBias):
    """Mirrored pair with a treatment flip: two equally valuable approaches, one of them the
    current one; the treatment swaps which approach is current.

    Score (Malberg et al.): k = -1, x = 0, flip_t = True, i.e. ``(6 - t - c) / max(c, 6 - t)``.
    Preferring the same approach in both conditions scores 0; preferring whichever approach
    is current scores positive.
    """

    info = BiasInfo(
        slug="status-quo-bias",
        title="Status-Quo Bias",
        definition="Preferring the current state of affairs over an alternative of equal value.",
        citation="Samuelson & Zeckhauser (1988); test design after Malberg et al. (2024)",
        design="mirrored pair",
        expected_direction="whichever approach is the current one is preferred in both conditions",
        aliases=("status quo bias",),
        confounds=(
            "the text says the cost of changing is already counted, but a responder that still assumes hidden "
            "transition costs prefers the current approach for that reason",
        ),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        pair = int(rng.integers(len(APPROACHES)))
        years = int(rng.integers(5, 11))
        first_is_current_in_control = bool(rng.integers(2))
        first, second = APPROACHES[pair]
        a, b = (first, second) if first_is_current_in_control else (second, first)
        slots = {**scenario_slots(scenario), "years": years}
        question = QUESTION.format(years=years)

        def condition(current: str, other: str) -> Condition:
            return Condition(
                situation=fill(_VARIANTS[variant], **slots, current=current, other=other),
                question=question,
                scale=SCALE,
            )

        return CaseContent(
            conditions={"control": condition(a, b), "treatment": condition(b, a)},
            values={
                "pair": pair,
                "years": years,
                "current_in_control": a,
                "current_in_treatment": b,
                "k": -1,
                "flip_treatment": True,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=-1, flip_t=True)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Keeps whatever is current (switches, if opposite).
        if opposite:
            return option(options, "Switching to the alternative is better")
        return option(options, "Keeping the current approach is better")


BIASES = (StatusQuoBias(),)
