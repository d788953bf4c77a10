"""The decoy-effect test shared by the expensive-target and cheaper-target plugins.

A buyer chooses between a competitor C and a target T that trade price against
quality. A decoy is a third option that is asymmetrically dominated: worse than (or
equal to) one option on both price and quality, and not dominated by the other.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from typing import Literal

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, pick
from biasorigins.biases._proportions import DifferenceOfProportionsBias
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots

Placement = Literal["expensive", "cheaper"]

CONDITIONS = ("core", "target-decoy", "competitor-decoy")
COMPETITOR, TARGET, THIRD = 0, 1, 2
ROLE_LETTERS = "CTD"
# Decoy types (Huber et al. 1982): price factor and quality drop relative to the dominating option.
DECOY_TYPES: dict[str, tuple[float, int]] = {
    "range": (1.25, 0),
    "range-frequency": (1.25, 10),
    "frequency": (1.0, 10),
    "extreme-range": (1.5, 0),
}
ORDERINGS = tuple("".join(ROLE_LETTERS[i] for i in perm) for perm in itertools.permutations(range(3)))
PRICE_RATIOS = (2.0, 2.5, 3.0, 4.0)
QUALITY_GAPS = (15, 20, 25, 30)

BRANDS = (
    "Alder", "Birchley", "Corvane", "Dunmore", "Elmstead", "Fennick", "Galloway", "Hartwell", "Istra", "Juniper",
    "Kestrel", "Larkin", "Marlow", "Norvale", "Oakridge", "Pembry", "Quillon", "Redmere", "Stanwick", "Tolland",
    "Upton", "Vantor", "Westray", "Yarrow",
)

# (plural item, unit, lowest and highest price of the cheaper option in dollars, who rates quality)
Item = tuple[str, str, int, int, str]
GENERAL_ITEMS: tuple[Item, ...] = (
    ("laptops", "laptop", 500, 1400, "independent product testers"),
    ("office chairs", "chair", 120, 400, "an office furniture magazine"),
    ("projectors", "projector", 300, 1000, "a consumer electronics review site"),
    ("printers", "printer", 200, 700, "an office equipment magazine"),
    ("headsets", "headset", 40, 150, "independent audio reviewers"),
    ("standing desks", "desk", 250, 700, "an ergonomics institute"),
    ("coffee machines", "machine", 300, 1200, "a catering trade magazine"),
    ("video conferencing systems", "system", 800, 3000, "an IT analyst firm"),
    ("delivery vans", "van", 24000, 40000, "a fleet management magazine"),
)
INDUSTRY_ITEMS: dict[str, tuple[Item, ...]] = {
    "automobiles and components": (("diagnostic scanners", "scanner", 800, 3000, "a trade magazine for garages"),),
    "banks": (("cash counting machines", "machine", 500, 2000, "a banking equipment review"),),
    "capital goods": (("cordless drills", "drill", 150, 600, "a tool testing laboratory"),),
    "commercial and professional services": (("paper shredders", "shredder", 200, 900, "an office equipment magazine"),),
    "consumer discretionary retail": (("barcode scanners", "scanner", 80, 300, "a retail technology review"),),
    "consumer durables and apparel": (("industrial sewing machines", "machine", 600, 2000, "a textile trade journal"),),
    "consumer services": (("espresso machines", "machine", 900, 3000, "a barista association"),),
    "consumer staples retail": (("refrigerated display cases", "case", 2000, 6000, "a grocery trade magazine"),),
    "energy": (("portable gas detectors", "detector", 200, 900, "an industrial safety institute"),),
    "financial services": (("document scanners", "scanner", 250, 900, "an office technology review"),),
    "food, beverage and tobacco": (("commercial dough mixers", "mixer", 1500, 5000, "a bakery trade journal"),),
    "health care equipment and services": (("patient monitors", "monitor", 1500, 5000, "a hospital purchasing group"),),
    "household and personal products": (("label printers", "printer", 300, 1200, "a packaging trade magazine"),),
    "insurance": (("rugged tablets for field staff", "tablet", 300, 900, "a mobile technology review"),),
    "materials": (("safety helmets", "helmet", 20, 60, "a workplace safety institute"),),
    "media and entertainment": (("video cameras", "camera", 1000, 4000, "a film production magazine"),),
    "pharmaceuticals, biotechnology and life sciences": (("laboratory centrifuges", "centrifuge", 2000, 8000, "a laboratory equipment review"),),
    "real estate investment trusts": (("floor cleaning machines", "machine", 1500, 5000, "a facility management journal"),),
    "real estate management and development": (("smart door locks", "lock", 150, 400, "a building technology review"),),
    "semiconductors": (("inspection microscopes", "microscope", 3000, 10000, "an electronics manufacturing journal"),),
    "software and services": (("computer monitors", "monitor", 150, 400, "independent display testers"),),
    "technology hardware and equipment": (("oscilloscopes", "oscilloscope", 400, 2000, "an electronics engineering magazine"),),
    "telecommunication services": (("fiber splicing machines", "machine", 3000, 9000, "a network engineering journal"),),
    "transportation": (("pallet jacks", "pallet jack", 250, 900, "a logistics trade magazine"),),
    "utilities": (("thermal imaging cameras", "camera", 400, 2500, "an energy engineering journal"),),
}

_VARIANTS: dict[str, dict] = {
    "purchase": {
        "situation": (
            "you are the {position} at {a_organization}, and you have to buy new {item} for your {team}.",
            "{count_title} brands are on offer. All you know is each brand's price per {unit} and its average quality "
            "rating by {source}, on a scale from 0 (worst) to 100 (best).",
        ),
        "question": "Which brand do you buy, based on this information alone?",
    },
    "replacement": {
        "situation": (
            "as the {position} at {a_organization}, you are replacing the old {item} that your {team} uses.",
            "you have narrowed the choice down to {count} brands and know only their price per {unit} and their "
            "quality score from {source}, where 100 is best and 0 is worst.",
        ),
        "question": "Which brand do you order?",
    },
    "supplier-choice": {
        "situation": (
            "your {team} at {a_organization} needs {item}, and as the {position} you make the purchase.",
            "the only information available about the {count} brands below is the price per {unit} and the "
            "rating by {source} on a 0 to 100 scale (100 = best).",
        ),
        "question": "Which brand do you choose?",
    },
    "project-equipment": {
        "situation": (
            "you are the {position} at {a_organization}.",
            "your {team} is busy with the {project}, and you are ordering new {item} for the team; {count} brands "
            "are under consideration.",
            "each brand is described only by its price per {unit} and a quality rating by {source} "
            "(0 = worst, 100 = best).",
        ),
        "question": "Which brand would you select?",
    },
}


def nice_price(amount: float) -> int:
    """Round to two significant digits (e.g. 1,234 -> 1,200; 43.75 -> 44)."""
    if amount < 100:
        return int(math.floor(amount + 0.5))
    step = 10 ** (int(math.log10(amount)) - 1)
    return int(math.floor(amount / step + 0.5)) * step


def dominates(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether offer ``a`` = (price, quality) is at least as good as ``b`` on both and better on one."""
    return a[0] <= b[0] and a[1] >= b[1] and a != b


def decoy_of(offer: tuple[int, int], decoy_type: str) -> tuple[int, int]:
    """The decoy of ``decoy_type`` placed at (and dominated by) ``offer``."""
    factor, drop = DECOY_TYPES[decoy_type]
    return nice_price(offer[0] * factor), offer[1] - drop


def _offer_text(brand: str, offer: tuple[int, int], unit: str) -> str:
    return f"{brand}: ${offer[0]:,} per {unit}, quality rating {offer[1]}"


class DecoyEffect(DifferenceOfProportionsBias):
    """Asymmetric dominance (Huber, Payne & Puto 1982; design of Itzhak et al. 2024).

    A case is one purchase with a competitor C and a target T that trade price against
    quality, shown in three conditions that share the wording and the display order:

    - ``core``: C and T only (the original control);
    - ``target-decoy``: plus a decoy dominated by T but not by C (the treatment);
    - ``competitor-decoy``: plus a decoy of the same type dominated by C but not by T.

    Score per case (default): target(target-decoy) - target(competitor-decoy). Both sides
    show three options with one dominated option at the same position, so adding *any*
    third option (which dilutes every share: a random chooser picks T 1/3 of the time
    with three options but 1/2 with two) cancels out. With ``paper_compatible=True`` the
    score is the original target(target-decoy) - target(core); there a random or
    position-only responder scores about -1/6, not 0.

    Scale: index 0 = C, 1 = T, 2 = the third option (absent in ``core``). The display
    order is fixed by design: each case draws one of the 6 orderings of C, T and the third
    option; ``core`` keeps the order of C and T. Undecided answers: see
    :data:`~biasorigins.biases._proportions.UNDECIDED_RULE`; choosing the decoy is a decided
    answer that is not the target.
    """

    design_factors = {
        "decoy_type": tuple(DECOY_TYPES),
        "ordering": ORDERINGS,
    }

    def __init__(self, placement: Placement, *, paper_compatible: bool = False) -> None:
        super().__init__(paper_compatible=paper_compatible)
        self.placement = placement
        if placement == "expensive":
            slug, title, where = "decoy-expensive", "Decoy Effect (expensive decoy)", "pricier, higher-quality"
        else:
            slug, title, where = "decoy-cheaper", "Decoy Effect (cheaper decoy)", "cheaper, lower-quality"
        self.info = BiasInfo(
            slug=slug,
            title=title,
            definition=f"Adding an option that is clearly worse than the {where} target makes the target more attractive.",
            citation="Huber, Payne & Puto (1982); test design after Itzhak et al. (2024)",
            design="difference of proportions",
            expected_direction=(
                f"the {where} target is chosen more often next to a decoy it dominates than next to a decoy "
                "the competitor dominates"
            ),
            conditions=CONDITIONS,
            confounds=(
                "the two decoys extend the price or quality range on opposite sides, so range effects on how "
                "prices and ratings are perceived are not separated from the attraction to the dominating option",
            ),
            aliases=(f"decoy {placement}", f"decoy effect {placement}"),
        )

    @property
    def compared_conditions(self) -> tuple[str, str]:
        return ("target-decoy", "core") if self.paper_compatible else ("target-decoy", "competitor-decoy")

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = sorted(_VARIANTS)[int(rng.integers(len(_VARIANTS)))]
        items = GENERAL_ITEMS + INDUSTRY_ITEMS.get(scenario.industry, ())
        item, unit, low, high, source = pick(rng, items)
        cheap_price = nice_price(float(rng.uniform(low, high)))
        expensive_price = nice_price(cheap_price * pick(rng, PRICE_RATIOS))
        low_quality = 5 * int(rng.integers(6, 14))  # 30 .. 65
        high_quality = low_quality + int(pick(rng, QUALITY_GAPS))
        cheap, expensive = (cheap_price, low_quality), (expensive_price, high_quality)
        target, competitor = (expensive, cheap) if self.placement == "expensive" else (cheap, expensive)
        decoy_type = pick(rng, tuple(DECOY_TYPES))
        offers = {
            "target": target,
            "competitor": competitor,
            "target_decoy": decoy_of(target, decoy_type),
            "competitor_decoy": decoy_of(competitor, decoy_type),
        }
        brand_order = rng.permutation(len(BRANDS))[:3]
        brands = [BRANDS[int(i)] for i in brand_order]  # competitor, target, third option
        ordering = pick(rng, ORDERINGS)
        order = tuple(ROLE_LETTERS.index(letter) for letter in ordering)
        slots = {**scenario_slots(scenario), "item": item, "unit": unit, "source": source}
        template = _VARIANTS[variant]
        question = template["question"]

        def condition(third: tuple[int, int] | None) -> Condition:
            count = "two" if third is None else "three"
            offers_shown = [competitor, target] + ([third] if third else [])
            options = tuple(capitalize(_offer_text(b, o, unit)) for b, o in zip(brands, offers_shown))
            shown = order if third else tuple(i for i in order if i != THIRD)
            return Condition(
                situation=fill(template["situation"], **slots, count=count, count_title=count.capitalize()),
                question=question,
                scale=AnswerScale(options=options),
                display_order=shown,
            )

        return CaseContent(
            conditions={
                "core": condition(None),
                "target-decoy": condition(offers["target_decoy"]),
                "competitor-decoy": condition(offers["competitor_decoy"]),
            },
            values={
                "placement": self.placement,
                "item": item,
                "decoy_type": decoy_type,
                "ordering": ordering,
                "brands": brands,
                **{name: list(offer) for name, offer in offers.items()},
                "competitor_index": COMPETITOR,
                "target_index": TARGET,
                "third_index": THIRD,
            },
            variant=variant,
        )

    def design_cell(self, case: TestCase) -> dict[str, str]:
        return {"decoy_type": str(case.values["decoy_type"]), "ordering": str(case.values["ordering"])}

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Drawn to the brand that beats the third brand on both price and quality; the other brand if opposite.
        offers = {}
        for shown in options:
            match = re.search(r"\$([\d,]+) per .*quality rating (\d+)", shown)
            if match is None:
                return None
            offers[shown] = (int(match.group(1).replace(",", "")), int(match.group(2)))
        beaten = [(a, b) for a in offers for b in offers if a != b and dominates(offers[a], offers[b])]
        if len(options) != 3 or len(beaten) != 1:
            return None
        winner, loser = beaten[0]
        return next(shown for shown in options if shown not in (winner, loser)) if opposite else winner

