"""Anthropomorphism: a text is judged differently when an AI rather than a person wrote it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario, with_article
from biasorigins.stimuli import capitalize, fill, scenario_slots, seven_point

# Contested claims of an opinion piece, adapted to the scenario through its slots.
CLAIMS: tuple[str, ...] = (
    "firms that sell {product} have grown complacent, and the next downturn will show how little most of them have invested in their own future.",
    "chasing a better {metric} has become a fashion among managers, but the evidence that it predicts long-term success is thin at best.",
    "initiatives like the {project} are sold to boards as bold bets, yet they are usually expensive ways of postponing hard choices.",
    "the real threat to every {organization} today is not competition but regulation, which will double the cost of doing business within a decade.",
    "managers who trust their instincts decide better than those who wait for more data, and the obsession with dashboards is slowing companies down.",
    "remote work has quietly damaged the culture of most companies, and employers that bring staff back to the office will outperform the rest.",
    "customers no longer reward loyalty; the next generation will buy {product} from whichever supplier is cheapest on the day.",
    "consultants cost companies far more than they deliver, and most of their advice repeats what employees had been saying for years.",
    "most corporate sustainability targets are public relations; few companies would keep them if they cost real profit.",
    "a four-day working week would raise productivity almost everywhere, and employers that refuse to try it will lose their best people.",
    "large mergers destroy more value than they create, and shareholders of the buying company rarely see any benefit.",
    "annual performance reviews do more harm than good and should be replaced by frequent, informal feedback.",
    "a price war among sellers of {product} will push the smaller players out of the market within five years.",
    "cutting the budget of {a_team} is almost always a false economy that costs more in the long run than it saves.",
)

# A sentence that reports the figure the piece uses to back its claim.
SUPPORTS: tuple[str, ...] = (
    "to back this up, the {doc} cites a survey in which {share}% of senior managers said they agree in private.",
    "the {doc} states that {share}% of the companies its author examined show exactly this pattern.",
    "the author quotes a study in which {share}% of the executives asked shared this view.",
    "the writer estimates that {share}% of companies will learn this the hard way over the next few years.",
    "as evidence, the {doc} points to a poll in which {share}% of employees said the same.",
    "the {doc} claims that {share}% of the cases its author reviewed support this conclusion.",
)

# (human author, AI author): the same role and standing, only a person or an AI system fills it.
AUTHORS: tuple[tuple[str, str], ...] = (
    ("a writer who covers your industry", "an AI system that covers your industry"),
    ("a business columnist who writes for the publication every week", "an AI business columnist that writes for the publication every week"),
    ("a researcher at a business school", "an AI research system at a business school"),
    ("an analyst at a research firm", "an AI analyst at a research firm"),
    ("a freelance writer", "a freelance AI writing tool"),
)

_VARIANTS: dict[str, dict] = {
    "trade-journal": {
        "doc": "piece",
        "situation": (
            "you are the {position} at {a_organization} and are about to decide {decision}.",
            "while reading up on the topic, you find an excerpt from an opinion piece in a trade journal. It argues: \"{claim}\"",
            "{support}",
            "the piece was written by {author}.",
        ),
        "question": "How would you rate the credibility and accuracy of the excerpt?",
    },
    "newsletter": {
        "doc": "editorial",
        "situation": (
            "as the {position} at {a_organization}, you receive a weekly business newsletter.",
            "this week it opens with an editorial that says: \"{claim}\"",
            "{support}",
            "a note at the end states that the editorial was written by {author}.",
        ),
        "question": "How credible and accurate do you find the editorial?",
    },
    "briefing-pack": {
        "doc": "commentary",
        "situation": (
            "you work as the {position} at {a_organization}, and your {team} is preparing a briefing on {decision}.",
            "a colleague has added a quotation from a published commentary to the briefing: \"{claim}\"",
            "{support}",
            "the commentary was written by {author}.",
        ),
        "question": "How would you rate the credibility and accuracy of the quoted commentary?",
    },
    "conference": {
        "doc": "essay",
        "situation": (
            "you are the {position} at {a_organization}, attending an industry conference.",
            "the handout for one session contains an excerpt from a recent essay: \"{claim}\"",
            "{support}",
            "according to the handout, the essay was written by {author}.",
        ),
        "question": "How credible and accurate do you consider the essay excerpt?",
    },
    "forwarded": {
        "doc": "column",
        "situation": (
            "you are the {position} at {a_organization}.",
            "a member of your {team} forwards you an excerpt from an online opinion column: \"{claim}\"",
            "{support}",
            "the column was written by {author}.",
        ),
        "question": "How would you rate the credibility and accuracy of the column?",
    },
}

SCALE = seven_point("Very high", "High", "Somewhat high", "Neither high nor low", "Somewhat low", "Low", "Very low")


class Anthropomorphism(RatioScaleBias):
    """Simple contrast: the same opinion excerpt, said to be written by a person (control) or by an AI (treatment).

    Score (Malberg et al.): k = +1, x = 0, so B = (c - t) / max(c, t) on the scale
    "Very high ... Very low"; positive when the AI-written version is rated more credible.
    """

    info = BiasInfo(
        slug="anthropomorphism",
        title="Anthropomorphism",
        definition="Attributing human qualities such as judgement and understanding to non-human agents like AI systems.",
        citation="Epley, Waytz & Cacioppo (2007); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="the excerpt is rated more credible and accurate when an AI system is named as its author",
        confounds=(
            "a model may rate AI-written text as more credible out of self-preference or trained deference to AI, "
            "not only because it ascribes human understanding to the AI",
            "a person and an AI system in the same role still differ in accountability and in what they can know; "
            "the authors are matched in role and standing only",
        ),
        version=2,
        aliases=("anthropomorphism bias",),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        claim_index = int(rng.integers(len(CLAIMS)))
        support_index = int(rng.integers(len(SUPPORTS)))
        share = int(rng.integers(20, 81))
        author_index = int(rng.integers(len(AUTHORS)))
        slots = {**scenario_slots(scenario), "a_team": with_article(scenario.team), "share": share}
        claim = capitalize(CLAIMS[claim_index].format(**slots))
        template = _VARIANTS[variant]
        support = SUPPORTS[support_index].format(**slots, doc=template["doc"])
        human, machine = AUTHORS[author_index]

        def condition(author: str) -> Condition:
            lines = fill(template["situation"], **slots, claim=claim, support=support, author=author)
            return Condition(situation=lines, question=template["question"], scale=SCALE)

        return CaseContent(
            conditions={"control": condition(human), "treatment": condition(machine)},
            values={"claim": claim_index, "support": support_index, "share": share, "author": author_index, "k": 1, "x": 0},
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=len(SCALE), k=1)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Trusts a text more when an AI wrote it (less if opposite); no lean when a person wrote it.
        if re.search(r"\bAI\b", body(text)) is None:
            return option(options, "Neither high nor low")
        return option(options, "Very low" if opposite else "Very high")


BIASES = (Anthropomorphism(),)
