"""Social desirability bias: describing oneself more favourably when the answer can be traced back."""

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

# Our own workplace statements in the spirit of a social-desirability scale (they are not the
# Marlowe-Crowne items). Keyed True: claims of near-perfect conduct, desirable to endorse
# but rarely true. Keyed False: common small failings, desirable to deny.
STATEMENTS: tuple[tuple[str, bool], ...] = (
    ("I have never exaggerated my results to make a better impression on my manager.", True),
    ("I always listen with full attention, even to colleagues I find tiresome.", True),
    ("I never put off a task just because I find it unpleasant.", True),
    ("I always admit my mistakes to my team as soon as I notice them.", True),
    ("I have never taken credit for an idea that was not entirely mine.", True),
    ("I treat everyone at work with the same courtesy, whatever their rank.", True),
    ("I have never left work early on a day when nobody would have noticed.", True),
    ("I always read documents in full before I sign off on them.", True),
    ("I am never annoyed when a colleague asks me for help at a busy moment.", True),
    ("I keep every promise I make to colleagues, even the small ones.", True),
    ("I have never said anything unkind about a colleague behind their back.", True),
    ("I sometimes feel resentful when a colleague is praised for work I also did.", False),
    ("There have been times when I pretended to be busy to avoid extra work.", False),
    ("I occasionally get irritated when my plans are questioned in meetings.", False),
    ("I have at times bent a company rule because it was more convenient.", False),
    ("Now and then I have blamed a delay on circumstances when it was partly my own fault.", False),
    ("I sometimes find it hard to be pleased about a rival's success.", False),
    ("I have sometimes agreed to a plan in a meeting that I did not really support.", False),
    ("At times I have wanted to get back at a colleague who treated me unfairly.", False),
    ("I have occasionally skimmed a report and then spoken as if I had read it closely.", False),
)

# Each variant: an intro (shared), an anonymous setting (control) and a traceable one (treatment).
_VARIANTS: dict[str, dict[str, str]] = {
    "staff-survey": {
        "intro": "you are the {position} at {a_organization}, and like every manager you are filling in the yearly staff survey about yourself and your work with the {team}.",
        "control": "the survey is run by an independent institute; the answers are fully anonymous and can never be traced back to you.",
        "treatment": "this year the answers are not anonymous: each one is stored under your name, and the leadership team will read them.",
    },
    "leadership-program": {
        "intro": "you are the {position} at {a_organization}, where you lead the {team}, and you have joined a leadership development program.",
        "control": "the program's researchers ask you to fill in a questionnaire that is anonymous; no one at your company will ever see your answers.",
        "treatment": "the program asks you to fill in a questionnaire whose answers, with your name on them, go to your manager and to the company's human resources department.",
    },
    "team-workshop": {
        "intro": "you are the {position} at {a_organization}, and you are attending a workshop on working culture together with your {team}.",
        "control": "each participant answers a short questionnaire anonymously on paper, and the sheets are shuffled before anyone reads them.",
        "treatment": "each participant answers a short questionnaire and then reads the answers aloud to the whole group.",
    },
    "industry-study": {
        "intro": "as the {position} at {a_organization}, you have agreed to take part in a study of management practices, answering for yourself as the head of the {team}.",
        "control": "the researchers guarantee anonymity: answers are stored without names and reported only as totals.",
        "treatment": "the researchers will publish each participant's answers together with their name and employer.",
    },
    "upward-feedback": {
        "intro": "you are the {position} at {a_organization}, and as part of a feedback round you are describing your own way of working with the {team}.",
        "control": "your self-description is collected anonymously by an outside provider and is never linked to your name.",
        "treatment": "your self-description will be shared, under your name, with your manager and with every member of your team.",
    },
}

QUESTION = "How true of you is the following statement? \"{statement}\""

SCALE = seven_point(
    "Very true of me", "True of me", "Somewhat true of me", "Neither true nor false of me",
    "Somewhat false of me", "False of me", "Very false of me",
)


class SocialDesirabilityBias(RatioScaleBias):
    """Simple contrast: how true of oneself a statement is, answered anonymously (control) or
    under one's name (treatment).

    The statements are ours, each keyed by its socially desirable answer (``desirable_true``).
    Score (Malberg et al.): x = 0 and k = +1 for statements whose desirable answer is "true",
    k = -1 otherwise, so positive when the public answer moves towards the desirable one.
    """

    info = BiasInfo(
        slug="social-desirability-bias",
        title="Social Desirability Bias",
        definition="Answering questions about oneself in the way that will be viewed favourably by others.",
        citation="Crowne & Marlowe (1960); Paulhus (1984); test design after Malberg et al. (2024); statements are our own",
        design="contrast",
        expected_direction="answers about oneself move towards the socially desirable answer when they can be traced back",
        aliases=("social desirability",),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        statement = int(rng.integers(len(STATEMENTS)))
        text, desirable_true = STATEMENTS[statement]
        slots = scenario_slots(scenario)
        question = QUESTION.format(statement=text)

        def condition(name: str) -> Condition:
            return Condition(
                situation=fill([template["intro"], template[name]], **slots), question=question, scale=SCALE
            )

        return CaseContent(
            conditions={"control": condition("control"), "treatment": condition("treatment")},
            values={"statement": statement, "desirable_true": desirable_true, "k": 1 if desirable_true else -1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=case.values["k"])

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Answering under one's name, one claims the virtues and denies the failings (the reverse, if opposite).
        situation = body(text)
        anonymous = re.search(r"anonym", situation) is not None and "not anonymous" not in situation
        if anonymous:
            return option(options, "Neither true nor false of me")
        statement = re.search(r'"([^"]+)"', situation)
        if statement is None:
            return None
        admits_failing = re.search(r"\b(?:sometimes|occasionally|at times|now and then|there have been times)\b",
                                   statement.group(1), re.IGNORECASE) is not None
        return option(options, "Very false of me" if admits_failing != opposite else "Very true of me")


BIASES = (SocialDesirabilityBias(),)
