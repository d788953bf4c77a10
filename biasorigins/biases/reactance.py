"""Reactance: a forceful demand to give up a behaviour makes people hold on to it more."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import body, nearest
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, percent_scale, scenario_slots

# Habitual work activities (read after "spend time") with three risks each, shared by both messages.
ACTIVITIES: tuple[tuple[str, tuple[str, str, str]], ...] = (
    ("answering email and chat messages the moment they arrive", (
        "constant interruptions make complex work take longer",
        "quick replies are more often incomplete or wrong",
        "colleagues come to expect an instant answer from you at any hour",
    )),
    ("sitting in recurring status meetings", (
        "many meetings repeat what is already available in writing",
        "time in meetings crowds out time for real decisions",
        "participants often leave without clear next steps",
    )),
    ("traveling to meet suppliers and partners in person", (
        "most of these meetings could be held just as well by video",
        "days on the road leave little time for your team",
        "the trips are costly for the company",
    )),
    ("checking the detailed work of your team yourself", (
        "your team gets fewer chances to build its own judgment",
        "your reviews become a bottleneck that slows everyone down",
        "you have less time left to plan ahead",
    )),
    ("polishing slide decks for internal updates", (
        "most readers look only at the summary",
        "the polishing takes time away from analysis",
        "decisions wait until the slides are finished",
    )),
    ("reading industry news and social media", (
        "it breaks up periods of focused work",
        "much of what you read has no bearing on your decisions",
        "it is easy to lose track of time",
    )),
    ("handling routine requests from other departments yourself", (
        "work that others could do piles up on your desk",
        "your own priorities slip as a result",
        "the requests keep coming because you always say yes",
    )),
    ("joining every customer call of your team", (
        "your team relies on you instead of building its own customer relationships",
        "customers learn to bypass your team and ask for you",
        "your calendar has no room left for unexpected problems",
    )),
)

# Each variant: who sends the message, the mild wording (control) and the forceful wording
# (treatment); each refers to the activity as "this".
_VARIANTS: dict[str, dict[str, str]] = {
    "wellbeing-program": {
        "sender": "the company's workplace wellbeing program has sent you a message about this habit.",
        "control": "it reads: \"You may want to consider doing a little less of this where it suits you. You know your work best, and the choice is entirely yours.\"",
        "treatment": "it reads: \"You must stop this immediately. This is not optional, and no exceptions will be made.\"",
    },
    "chief-executive": {
        "sender": "the chief executive has written to all managers, including you, about this kind of habit.",
        "control": "the note says: \"I would suggest that each of you think about cutting back on this a bit, if you find it useful.\"",
        "treatment": "the note says: \"Every one of you will stop this now. I will not accept any excuses.\"",
    },
    "human-resources": {
        "sender": "the human resources department has sent managers like you a notice about this habit.",
        "control": "it says: \"We gently recommend reducing this somewhat. Whether and how you do so is up to you.\"",
        "treatment": "it says: \"This must end at once. Compliance is mandatory, and breaches will be recorded.\"",
    },
    "executive-coach": {
        "sender": "the executive coach the company hired for its managers has raised this habit with you.",
        "control": "the coach says: \"It might help to do somewhat less of this. Think it over and decide what works for you.\"",
        "treatment": "the coach says: \"You have to stop this completely, starting today. There is nothing to discuss.\"",
    },
    "occupational-health": {
        "sender": "the occupational health service has sent you a circular about this habit.",
        "control": "it says: \"If you feel it is right for you, you could try cutting down on this a little.\"",
        "treatment": "it says: \"You are required to cease this at once. The instruction is final and applies without exception.\"",
    },
}

INTRO = "you are the {position} at {a_organization}, where you lead the {team}, and for years you have spent about {share}% of your working time {activity}."
RISKS = "the reasons given are three risks: {risks[0]}; {risks[1]}; and {risks[2]}."
QUESTION = "What share of your working time next month do you plan to spend {activity}?"


class Reactance(RatioScaleBias):
    """Simple contrast: a mild suggestion to cut back on a habitual work activity (control)
    against a forceful demand to stop it (treatment), with the same three risks.

    Score (Malberg et al.): k = -1, x = 0, i.e. ``(t - c) / max(c, t)``; positive when more
    working time is planned for the activity after the forceful demand.
    """

    info = BiasInfo(
        slug="reactance",
        title="Reactance",
        definition="Resisting a demand that threatens one's freedom of choice, for instance by doing more of what one is told to stop.",
        citation="Brehm (1966); Dillard & Shen (2005); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="more working time is planned for the activity after a forceful demand to stop it than after a mild suggestion",
        aliases=("psychological reactance",),
        confounds=(
            "the forceful message also asks for a larger change (stop rather than reduce), so plain compliance "
            "pushes the score negative",
        ),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        activity_index = int(rng.integers(len(ACTIVITIES)))
        share = 5 * int(rng.integers(4, 11))  # 20% ... 50%
        slots = scenario_slots(scenario)
        activity, risks = ACTIVITIES[activity_index]
        slots |= {"activity": activity, "share": share}
        shared = [INTRO, template["sender"]]
        risks_line = capitalize(RISKS.format(risks=risks))
        question = QUESTION.format(**slots)
        scale = percent_scale()

        def condition(name: str) -> Condition:
            return Condition(
                situation=(*fill([*shared, template[name]], **slots), risks_line), question=question, scale=scale
            )

        return CaseContent(
            conditions={"control": condition("control"), "treatment": condition("treatment")},
            values={"activity": activity_index, "current_share": share, "k": -1},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=11, k=-1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # A forceful order to stop a habit makes one cling to it (or, if opposite, drop it entirely).
        situation = body(text)
        current = re.search(r"about (\d+)% of your working time", situation)
        if current is None:
            return None
        share = float(current.group(1))
        forceful = re.search(r"\b(?:must|will stop|at once|immediately|have to stop|required)\b", situation)
        if forceful is None:
            return nearest(options, share - 10)
        return nearest(options, 0 if opposite else share + 10)


BIASES = (Reactance(),)
