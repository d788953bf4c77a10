"""Fundamental attribution error: explaining others' behaviour by character, one's own by circumstances."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, line_with, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots, seven_point

# Colleagues: (name, subject pronoun, possessive pronoun).
COLLEAGUES: tuple[tuple[str, str, str], ...] = (
    ("Daniel", "he", "his"), ("Maria", "she", "her"), ("Tom", "he", "his"), ("Aisha", "she", "her"),
    ("Lukas", "he", "his"), ("Mei", "she", "her"), ("Carlos", "he", "his"), ("Priya", "she", "her"),
    ("Jonas", "he", "his"), ("Sofia", "she", "her"), ("Kwame", "he", "his"), ("Hannah", "she", "her"),
)

# Socially undesirable acts. "act" is a predicate for "you ..." / "<name> ..." ({poss} = your / his / her);
# each reason is a (first-person, third-person) pair; "n" is the inclusive range of the number {n}.
ACTS: tuple[dict, ...] = (
    {
        "act": "arrived {n} minutes late to an important meeting with a client",
        "n": (10, 45),
        "dispositional": ("you are not a punctual person and tend to underestimate how long things take",
                          "{name} is not a punctual person and tends to underestimate how long things take"),
        "situational": ("an accident on the motorway caused a long traffic jam that morning",
                        "an accident on the motorway caused a long traffic jam that morning"),
    },
    {
        "act": "handed in the quarterly report on the {project} {n} days after the deadline",
        "n": (2, 9),
        "dispositional": ("you are disorganized and often leave work until the last minute",
                          "{name} is disorganized and often leaves work until the last minute"),
        "situational": ("the figures you needed from another department arrived very late",
                        "the figures {subj} needed from another department arrived very late"),
    },
    {
        "act": "sent the management team a spreadsheet with an error that overstated costs by ${n},000",
        "n": (10, 90),
        "dispositional": ("you are careless with details",
                          "{name} is careless with details"),
        "situational": ("the file you were given contained a faulty formula from an old template",
                        "the file {subj} was given contained a faulty formula from an old template"),
    },
    {
        "act": "spoke sharply to a junior colleague in front of the whole {team}",
        "n": (10, 16),
        "dispositional": ("you have a short temper",
                          "{name} has a short temper"),
        "situational": ("you had been working on an urgent problem for {n} hours without a break",
                        "{subj} had been working on an urgent problem for {n} hours without a break"),
    },
    {
        "act": "left an important customer's email unanswered for {n} days",
        "n": (3, 10),
        "dispositional": ("you do not take customers' concerns seriously enough",
                          "{name} does not take customers' concerns seriously enough"),
        "situational": ("the email had been caught by the spam filter",
                        "the email had been caught by the spam filter"),
    },
    {
        "act": "cancelled a meeting with a supplier {n} hours before it was due to start",
        "n": (2, 6),
        "dispositional": ("you do not respect other people's time",
                          "{name} does not respect other people's time"),
        "situational": ("an urgent request from the chief executive came in at the last minute",
                        "an urgent request from the chief executive came in at the last minute"),
    },
    {
        "act": "placed an order for the wrong quantity of materials, which cost the company ${n},000",
        "n": (5, 60),
        "dispositional": ("you do not check your work carefully",
                          "{name} does not check {poss} work carefully"),
        "situational": ("the ordering system had just been updated and displayed the quantities in a confusing way",
                        "the ordering system had just been updated and displayed the quantities in a confusing way"),
    },
    {
        "act": "interrupted another colleague again and again during a {n}-minute presentation",
        "n": (20, 60),
        "dispositional": ("you are impatient and like to dominate discussions",
                          "{name} is impatient and likes to dominate discussions"),
        "situational": ("the meeting was running late and a decision had to be taken before it ended",
                        "the meeting was running late and a decision had to be taken before it ended"),
    },
    {
        "act": "skipped a compulsory {n}-hour compliance training that the whole {team} had to attend",
        "n": (2, 4),
        "dispositional": ("you do not take rules very seriously",
                          "{name} does not take rules very seriously"),
        "situational": ("a customer emergency came up on the morning of the training",
                        "a customer emergency came up on the morning of the training"),
    },
    {
        "act": "presented the results of the {project} to senior management without mentioning the colleague who did most of the analysis",
        "n": (5, 10),
        "dispositional": ("you like to take credit for other people's work",
                          "{name} likes to take credit for other people's work"),
        "situational": ("the presentation slot was cut to {n} minutes at the last moment, leaving no time for acknowledgements",
                        "the presentation slot was cut to {n} minutes at the last moment, leaving no time for acknowledgements"),
    },
)

# (control, treatment) versions of the act line.
ACT_LINE: tuple[str, str] = ("{when} you {act}.", "{when} {name}, a colleague of yours, {act}.")

_VARIANTS: dict[str, dict] = {
    "manager-asks": {
        "intro": "you are the {position} at {a_organization}.",
        "when": "last month",
        "framing": "your own manager has asked which of two explanations fits better:",
        "question": "Which reason more likely explains what happened?",
    },
    "retrospective": {
        "intro": "as the {position} at {a_organization}, you are reviewing the past month of work on the {project}.",
        "when": "during that month",
        "framing": "in the team retrospective, two possible explanations come up:",
        "question": "Which of the two reasons do you consider more likely?",
    },
    "incident-log": {
        "intro": "you work as the {position} at {a_organization}, which sells {product}.",
        "when": "recently",
        "framing": "the incident log that you are filling in asks you to choose between two causes:",
        "question": "Which cause do you think is more likely?",
    },
    "reflection": {
        "intro": "you are the {position} at {a_organization}, and you are deciding {decision}.",
        "when": "a few weeks ago",
        "framing": "thinking it over in the evening, you consider two explanations:",
        "question": "Which explanation seems more likely to you?",
    },
    "hr-conversation": {
        "intro": "you are the {position} at {a_organization}.",
        "when": "earlier this quarter",
        "framing": "in a conversation with human resources, two explanations are put forward:",
        "question": "Which reason better explains what happened, in your view?",
    },
}

SCALE = seven_point(
    "Very likely reason A", "Likely reason A", "Somewhat more likely reason A", "Both equally likely",
    "Somewhat more likely reason B", "Likely reason B", "Very likely reason B",
)


class FundamentalAttributionError(RatioScaleBias):
    """Simple contrast with a sampled sign: the same awkward act done by you (control) or by a
    colleague (treatment), with a dispositional and a situational reason in random A/B order.

    Score (Malberg et al.): k = +1 when reason A is the dispositional one, else -1; x = 0.
    Positive when the colleague's act is put down to character more than your own act is.
    """

    info = BiasInfo(
        slug="fundamental-attribution-error",
        title="Fundamental Attribution Error",
        definition="Explaining other people's behaviour by their character while explaining one's own by the situation.",
        citation="Ross (1977); Jones & Harris (1967); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the dispositional reason is preferred more for a colleague's act than for the same act of your own",
        confounds=(
            "the first-person version mixes the attribution error with self-serving attribution (actor-observer "
            "asymmetry); the test cannot separate the two",
        ),
        aliases=("FAE", "correspondence bias", "attribution effect"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        act_index = int(rng.integers(len(ACTS)))
        name, subj, poss = COLLEAGUES[int(rng.integers(len(COLLEAGUES)))]
        dispositional_is_a = bool(rng.integers(2))
        act = ACTS[act_index]
        n = int(rng.integers(act["n"][0], act["n"][1] + 1))
        template = _VARIANTS[variant]
        slots = {**scenario_slots(scenario), "n": n, "name": name, "subj": subj, "when": template["when"]}

        def condition(own: bool) -> Condition:
            person = {"poss": "your" if own else poss}
            reasons = [act["dispositional"][not own], act["situational"][not own]]
            reason_a, reason_b = reasons if dispositional_is_a else reasons[::-1]
            act_text = act["act"].format(**slots, **person)
            lines = [
                template["intro"],
                ACT_LINE[not own].replace("{act}", act_text),
                template["framing"],
                f"reason A: {capitalize(reason_a.format(**slots, **person))}.",
                f"reason B: {capitalize(reason_b.format(**slots, **person))}.",
            ]
            return Condition(situation=fill(lines, **slots), question=template["question"], scale=SCALE)

        return CaseContent(
            conditions={"control": condition(True), "treatment": condition(False)},
            values={
                "act": act_index,
                "n": n,
                "colleague": name,
                "dispositional_is_a": dispositional_is_a,
                "k": 1 if dispositional_is_a else -1,
                "x": 0,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        k = 1 if case.values["dispositional_is_a"] else -1
        return dict(n_c=len(SCALE), k=k)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Character explains a colleague's lapse, circumstances one's own (reversed if opposite).
        # The reason stated in the present tense ("is careless", "does not check") is the trait.
        reasons = {label: line_with(body(text), rf"^reason {label}:") or "" for label in "AB"}
        trait = r"\b(?:are|is|do not|does not|have a|has a|like|likes)\b"
        character = [label for label, reason in reasons.items() if re.search(trait, reason.split(":", 1)[-1])]
        if len(character) != 1:
            return None
        circumstance = "B" if character[0] == "A" else "A"
        colleague = re.search(r"a colleague of yours", body(text)) is not None
        return option(options, f"Likely reason {character[0] if colleague != opposite else circumstance}")


BIASES = (FundamentalAttributionError(),)
