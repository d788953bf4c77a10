"""Halo effect: one good or bad trait colours the judgement of unrelated traits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, pick
from biasorigins.biases._reading import body, option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import fill, scenario_slots, seven_point

PERCEPTIONS = ("positive", "negative")

# Business purchases: (what is bought, short name, features; two are drawn per case). The features
# of one purchase have no causal link (no "energy efficiency" beside "running costs", no "battery
# life" beside "screen quality"): looks, one function, and the supplier's service.
PURCHASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("new laptops for your {team}", "laptops", ("look", "keyboard comfort", "after-sales support")),
    ("new office chairs for your {team}", "chairs", ("look", "ease of adjustment", "delivery and assembly service")),
    ("a video-conferencing system for the meeting rooms", "video-conferencing system", ("look", "sound quality", "customer support")),
    ("project-management software for your {team}", "project-management software", ("user interface", "data security", "customer support")),
    ("a set of company cars", "company cars", ("look", "fuel economy", "service network")),
    ("a customer-relationship management system", "customer-relationship management system", ("reporting features", "data security", "customer support")),
    ("multifunction printers for the offices", "printers", ("look", "print quality", "delivery and installation service")),
    ("a cloud storage service for company files", "cloud storage service", ("user interface", "security", "customer support")),
    ("smartphones for your field staff", "smartphones", ("look", "camera quality", "customer support")),
)

BRANDS: tuple[str, ...] = ("Novatek", "Brandel", "Corvia", "Zentro", "Altima", "Quorra", "Velmont", "Ostrel", "Pyxis", "Lunaris")

# Each variant: shared lines, the cue line (treatment only, before the last shared line) with its
# (positive, negative) wording, and the question.
_VARIANTS: dict[str, dict] = {
    "first-order": {
        "situation": (
            "you are the {position} at {a_organization}.",
            "your company plans to buy {purchase} from {brand}, a brand it has never bought from before; the budget is ${budget},000.",
            "you have to sign off the order this week.",
        ),
        "cue": "other business buyers view the {feature_a} of {brand}'s {noun} very {view}.",
        "views": ("positively", "negatively"),
        "question": "How do you expect the {feature_b} of {brand}'s {noun} to be?",
    },
    "tender": {
        "situation": (
            "as the {position} at {a_organization}, you are running a tender, worth about ${budget},000, for {purchase}.",
            "the most promising offer comes from {brand}, whose products your company has not used before.",
            "before you decide, you want to form a view of the offer.",
        ),
        "cue": "a recent test in a trade magazine rated the {feature_a} of {brand}'s {noun} as {view}.",
        "views": ("excellent", "very poor"),
        "question": "What do you expect the {feature_b} of {brand}'s {noun} to be like?",
    },
    "budget-approval": {
        "situation": (
            "you work as the {position} at {a_organization}, which sells {product}.",
            "you are asked to approve ${budget},000 for {purchase} from {brand}.",
            "you know little else about {brand} so far.",
        ),
        "cue": "colleagues at other companies describe the {feature_a} of {brand}'s {noun} as {view}.",
        "views": ("outstanding", "dreadful"),
        "question": "How would you rate the {feature_b} of {brand}'s {noun}?",
    },
    "supplier-switch": {
        "situation": (
            "as the {position} at {a_organization}, you are thinking about switching to a new supplier for {purchase}.",
            "the candidate is {brand}, which would cost about ${budget},000 over the first year.",
            "apart from that, you have no information on {brand} yet.",
        ),
        "cue": "a contact at a partner company tells you that the {feature_a} of {brand}'s {noun} is {view}.",
        "views": ("first-rate", "awful"),
        "question": "What is your expectation of the {feature_b} of {brand}'s {noun}?",
    },
    "pilot-order": {
        "situation": (
            "you are the {position} at {a_organization}, and you are deciding {decision}.",
            "separately, you are placing a pilot order for {purchase} from {brand}, worth ${budget},000.",
            "you need to note your expectations before the pilot starts.",
        ),
        "cue": "online reviews by business customers call the {feature_a} of {brand}'s {noun} {view}.",
        "views": ("superb", "terrible"),
        "question": "How good do you expect the {feature_b} of {brand}'s {noun} to be?",
    },
}

# The cue words of every variant, as they appear in a rendered treatment.
_POSITIVE_CUE = re.compile(r"very positively|as excellent|as outstanding|is first-rate|superb", re.IGNORECASE)
_NEGATIVE_CUE = re.compile(r"very negatively|as very poor|as dreadful|is awful|terrible", re.IGNORECASE)

SCALE = seven_point("Very good", "Good", "Somewhat good", "Neither good nor bad", "Somewhat bad", "Bad", "Very bad")


class HaloEffect(RatioScaleBias):
    """Simple contrast with a sampled sign: the treatment adds that one feature of a product is seen
    very positively (or very negatively); both ask about an unrelated feature.

    Score (Malberg et al.): k = +1 for a positive cue, -1 for a negative one; x = 0 on the scale
    "Very good ... Very bad". Positive when the unrelated feature is judged in the direction of the cue.
    """

    info = BiasInfo(
        slug="halo-effect",
        title="Halo Effect",
        definition="An overall impression from one trait spills over onto judgements of unrelated traits.",
        citation="Thorndike (1920); Nisbett & Wilson (1977); test design after Malberg et al. (2024)",
        design="contrast",
        expected_direction="an unrelated feature is judged better after praise, and worse after criticism, of another feature",
        confounds=(
            "features of one product are rarely fully independent: good reviews of one feature are weak evidence of "
            "good engineering overall, so some spill-over can be rational",
        ),
        version=2,
        aliases=("halo", "halo error"),
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = pick(rng, sorted(_VARIANTS))
        perception = pick(rng, PERCEPTIONS)
        purchase_index = int(rng.integers(len(PURCHASES)))
        purchase, noun, features = PURCHASES[purchase_index]
        feature_a, feature_b = (features[int(i)] for i in rng.choice(len(features), size=2, replace=False))
        brand = pick(rng, BRANDS)
        budget = int(rng.integers(2, 41)) * 5
        template = _VARIANTS[variant]
        slots = {
            **scenario_slots(scenario), "brand": brand, "noun": noun, "budget": f"{budget:,}",
            "feature_a": feature_a, "feature_b": feature_b, "view": template["views"][PERCEPTIONS.index(perception)],
        }
        slots["purchase"] = purchase.format(**slots)
        shared = list(template["situation"])
        treated = [*shared[:-1], template["cue"], shared[-1]]
        question = template["question"].format(**slots)
        return CaseContent(
            conditions={
                "control": Condition(situation=fill(shared, **slots), question=question, scale=SCALE),
                "treatment": Condition(situation=fill(treated, **slots), question=question, scale=SCALE),
            },
            values={
                "perception": perception,
                "purchase": purchase_index,
                "feature_a": feature_a,
                "feature_b": feature_b,
                "brand": brand,
                "budget_thousands": budget,
                "k": 1 if perception == "positive" else -1,
                "x": 0,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        k = 1 if case.values["perception"] == "positive" else -1
        return dict(n_c=len(SCALE), k=k)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Praise of one feature makes the other look very good, criticism very bad; no cue, no lean.
        situation = body(text)
        praised, criticised = _POSITIVE_CUE.search(situation), _NEGATIVE_CUE.search(situation)
        if praised is None and criticised is None:
            return option(options, "Neither good nor bad")
        good = (praised is not None) != opposite
        return option(options, "Very good" if good else "Very bad")


BIASES = (HaloEffect(),)
