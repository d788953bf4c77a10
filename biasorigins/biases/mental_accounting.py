"""Mental accounting: money lost on the very item weighs on buying it again more than an equal loss elsewhere."""

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

# Each variant: an intro (shared), the loss line of the control (the item itself was paid for
# and lost), the loss line of the treatment (an equal sum lost on something unrelated, the
# item not yet bought) and the question (shared). The economics of the two are the same.
_VARIANTS: dict[str, dict[str, str]] = {
    "conference": {
        "intro": "you are the {position} at {a_organization}. Several members of your {team} are to attend an industry conference next month to learn how other firms handled projects like the {project}; the group registration costs {price}.",
        "control": "your team had already paid {price} for the registration, but the organizer lost it in a system failure, and the money will not be refunded.",
        "treatment": "your team has not registered yet. Last week, however, it lost {price} from the same budget when a deposit it had paid for an unrelated event was forfeited.",
        "question": "How likely are you to pay {price} from the team budget to register the group for the conference?",
    },
    "software-license": {
        "intro": "you are the {position} at {a_organization}, and your {team} needs an analytics software license for the {project}; a one-year license costs {price}.",
        "control": "your team bought the license last month, but the vendor canceled it after a billing mistake on your side, and the {price} cannot be recovered.",
        "treatment": "your team has not bought the license yet. Last month, however, a billing mistake on your side cost the team {price} on an unrelated software contract, and that money cannot be recovered.",
        "question": "How likely are you to spend {price} on a one-year license for the {project}?",
    },
    "facilitator": {
        "intro": "you are the {position} at {a_organization} and want an outside facilitator to run a two-day planning workshop on the {project} for your {team}; facilitators charge {price} for it.",
        "control": "you had booked and paid a facilitator, but the firm went out of business before the workshop took place, and the {price} is lost.",
        "treatment": "you have not booked anyone yet. Last month, however, your team lost {price} when a different supplier it had paid in advance went out of business.",
        "question": "How likely are you to pay {price} to book a facilitator for the workshop?",
    },
    "training-course": {
        "intro": "you are the {position} at {a_organization}, and your {team} needs a two-day training course before it can start the {project}; the course costs {price}.",
        "control": "you had paid for the course, but the booking was canceled after a mix-up over the dates, and the provider keeps the {price}.",
        "treatment": "you have not booked the course yet. Earlier this month, however, a mix-up over the dates of a different course meant that its provider kept {price} of your team's money.",
        "question": "How likely are you to pay {price} to book the course?",
    },
    "market-report": {
        "intro": "you are the {position} at {a_organization}; for the {project}, your {team} needs a market research report that costs {price}.",
        "control": "you had bought the report, but the vendor's system deleted your access before anyone opened it, and the vendor will not refund the {price}.",
        "treatment": "you have not bought the report yet. This quarter, however, your team lost {price} on a different data subscription that its vendor ended without a refund.",
        "question": "How likely are you to pay {price} for the report?",
    },
}

SCALE = seven_point(
    "Very likely", "Likely", "Somewhat likely", "Neither likely nor unlikely", "Somewhat unlikely", "Unlikely",
    "Very unlikely",
)


class MentalAccounting(RatioScaleBias):
    """Simple contrast: the item paid for and lost (control) against an equal, unrelated loss (treatment).

    In both conditions the team is the same amount poorer and must pay the same price now.
    Score (Malberg et al.): k = +1, x = 0, i.e. ``(c - t) / max(c, t)``; positive when paying
    again is less likely after losing the item itself than after losing the same sum elsewhere.
    """

    info = BiasInfo(
        slug="mental-accounting",
        title="Mental Accounting",
        definition="Treating money differently depending on the mental account it is booked to, although money is fungible.",
        citation="Thaler (1985); Tversky & Kahneman (1981); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="less willing to pay for the item again after losing it than after losing the same amount on something else",
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        amount = 1000 * int(rng.integers(1, 100))
        slots = {**scenario_slots(scenario), "price": f"${amount:,}"}
        question = template["question"].format(**slots)

        def condition(name: str) -> Condition:
            return Condition(
                situation=fill([template["intro"], template[name]], **slots), question=question, scale=SCALE
            )

        return CaseContent(
            conditions={"control": condition("control"), "treatment": condition("treatment")},
            values={"amount_usd": amount, "k": 1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Paying again for the very thing that was lost feels like paying twice; an unrelated loss does not.
        not_bought_yet = re.search(r"\bnot\b[^.]*\byet\b", body(text)) is not None
        return option(options, "Likely" if not_bought_yet != opposite else "Unlikely")


BIASES = (MentalAccounting(),)
