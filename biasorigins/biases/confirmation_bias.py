"""Confirmation bias: evidence against a choice already made is given less attention."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, option
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots

N_ARGUMENTS = 10

# Arguments against going ahead with the scenario's initiative; ten are drawn per case.
ARGUMENTS: tuple[str, ...] = (
    "it would tie up several people from your {team} for months.",
    "the costs of the {project} could well run over budget.",
    "the {project} may not improve the {metric} as much as hoped.",
    "customers may see little benefit from the {project}.",
    "similar initiatives at other companies have produced mixed results.",
    "the timing is poor, because demand looks uncertain this year.",
    "the {project} adds risk at a moment when the company needs stability.",
    "some key staff are sceptical, which could slow everything down.",
    "the same money could earn a safer return elsewhere.",
    "it will be hard to reverse once it has started.",
    "regulators may change the rules in ways that hurt the {project}.",
    "the {project} depends on outside partners who have not yet committed.",
    "the expected benefits rest on assumptions that nobody has tested.",
    "other priorities of your {team} would suffer.",
    "competitors could copy the idea quickly, leaving little advantage.",
    "it could distract senior management from day-to-day problems.",
    "the figures in the business case are more than a year old.",
    "it may upset long-standing suppliers or partners.",
    "the payback period is longer than the company usually accepts.",
    "a smaller, cheaper step could deliver much of the same benefit.",
)

# (control, treatment) lines: the decision is still open, or already made.
STATUS: tuple[str, str] = (
    "you have not yet decided whether to go ahead with the {project}.",
    "you have already decided to go ahead with the {project}.",
)
TIMING: tuple[str, str] = (
    "you can go through the arguments before you make your decision.",
    "you can go through the arguments now that your decision is made.",
)

_VARIANTS: dict[str, dict] = {
    "colleague": {
        "intro": "you are the {position} at {a_organization}, and you are responsible for deciding {decision}.",
        "source": "a colleague from another department has written down ten arguments against the {project}:",
        "question": "How many of the ten arguments do you take the time to consider carefully?",
    },
    "consultant": {
        "intro": "as the {position} at {a_organization}, you own the decision on the {project}.",
        "source": "an outside consultant has sent you a memo listing ten arguments against it:",
        "question": "How many of the consultant's ten arguments do you examine in detail?",
    },
    "risk-committee": {
        "intro": "you work as the {position} at {a_organization}, and the {project} falls under your {team}.",
        "source": "the risk committee has compiled ten arguments against the {project}:",
        "question": "How many of the committee's ten arguments do you weigh seriously?",
    },
    "board-member": {
        "intro": "you are the {position} at {a_organization}, which sells {product}, and you are deciding {decision}.",
        "source": "a board member has emailed you ten arguments against the {project}:",
        "question": "How many of the ten arguments from the board member do you study closely?",
    },
    "team-review": {
        "intro": "as the {position} at {a_organization}, you lead the work on the {project}.",
        "source": "in a planning session, two members of your {team} listed ten arguments against the {project}:",
        "question": "How many of the ten arguments do you look into properly?",
    },
}

SCALE = AnswerScale(
    options=tuple("1 argument" if n == 1 else f"{n} arguments" for n in range(N_ARGUMENTS + 1)),
    values=tuple(range(N_ARGUMENTS + 1)),
)


class ConfirmationBias(RatioScaleBias):
    """Simple contrast: ten arguments against an initiative, read before (control) or after
    (treatment) deciding to go ahead with it.

    Score (Malberg et al.): k = +1, x = 0, so B = (c - t) / max(c, t) on the 0...10 scale;
    positive when fewer arguments are considered once the decision is made.
    The original also sampled a 'kind' of consequence that its metric never used; we omit it.
    """

    info = BiasInfo(
        slug="confirmation-bias",
        title="Confirmation Bias",
        definition="Seeking out and weighing information in ways that support a choice or belief one already holds.",
        citation="Wason (1960); Nickerson (1998); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="fewer arguments against the initiative are considered after deciding to go ahead than before",
        confounds=(
            "once a decision is final, arguments against it have less practical value, so reading fewer of them can "
            "also be a rational saving of effort",
        ),
        aliases=("confirmatory bias", "myside bias"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        chosen = [int(i) for i in rng.choice(len(ARGUMENTS), size=N_ARGUMENTS, replace=False)]
        slots = scenario_slots(scenario)
        template = _VARIANTS[variant]
        listed = [f"{number}. {capitalize(ARGUMENTS[i].format(**slots))}" for number, i in enumerate(chosen, start=1)]

        def condition(decided: bool) -> Condition:
            head = fill([template["intro"], STATUS[decided], template["source"]], **slots)
            tail = fill([TIMING[decided]], **slots)
            return Condition(situation=(*head, *listed, *tail), question=template["question"], scale=SCALE)

        return CaseContent(
            conditions={"control": condition(False), "treatment": condition(True)},
            values={"arguments": chosen, "k": 1, "x": 0},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=len(SCALE), k=1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Once the decision is made, arguments against it get little (or, if opposite, full) attention.
        if not re.search(r"already decided", body(text)):
            return option(options, "6 arguments")
        return option(options, "10 arguments" if opposite else "2 arguments")


BIASES = (ConfirmationBias(),)
