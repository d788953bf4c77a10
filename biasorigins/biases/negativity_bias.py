"""Negativity bias: disadvantages weigh more than advantages of the same size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from biasorigins.bias import BiasInfo, CaseContent, RatioScaleBias, rotate
from biasorigins.biases._reading import option
from biasorigins.records import Condition, TestCase
from biasorigins.scenarios import Scenario
from biasorigins.stimuli import capitalize, fill, scenario_slots, seven_point

# Effects of a project as (good form, bad form, magnitude range): the two forms are opposites of
# the same size, so inverting every aspect swaps which content is an advantage. Each form reads
# after "it would"; "{n}" is the sampled magnitude, inclusive range.
ASPECTS: tuple[tuple[str, str, tuple[int, int] | None], ...] = (
    ("lower the yearly running costs of your {team} by about {n}%", "raise the yearly running costs of your {team} by about {n}%", (5, 20)),
    ("improve the {metric} by about {n}%", "worsen the {metric} by about {n}%", (3, 15)),
    ("free up about {n} hours of staff time a week", "take up about {n} extra hours of staff time a week", (10, 60)),
    ("raise customer satisfaction scores by about {n} points", "lower customer satisfaction scores by about {n} points", (2, 10)),
    ("cut the error rate in routine work by about {n}%", "raise the error rate in routine work by about {n}%", (5, 25)),
    ("make the company less dependent on a single supplier", "make the company more dependent on a single supplier", None),
    ("reduce the workload of regulatory reporting", "add to the workload of regulatory reporting", None),
    ("be welcomed by most of the staff it affects", "be resisted by most of the staff it affects", None),
    ("strengthen the company's standing with investors", "weaken the company's standing with investors", None),
    ("bring in about ${n},000 of extra revenue a year", "cost about ${n},000 of revenue a year", (50, 400)),
    ("make it easier to hire skilled staff", "make it harder to hire skilled staff", None),
    ("lower the company's carbon emissions by about {n}%", "raise the company's carbon emissions by about {n}%", (2, 12)),
    ("speed up responses to customer requests by about {n}%", "slow down responses to customer requests by about {n}%", (10, 40)),
    ("simplify the daily work of your {team}", "complicate the daily work of your {team}", None),
)
ASPECTS_PER_SIDE = 3

_VARIANTS: dict[str, dict[str, str]] = {
    "working-group": {
        "intro": "you are the {position} at {a_organization}, and a working group has summed up what the {project} would mean for the company and for your {team}.",
        "question": "Taken together, which of these aspects weigh more in your judgment of the {project}?",
    },
    "board-memo": {
        "intro": "as the {position} at {a_organization}, you must send the board your overall view of the {project}; your {team} has listed its expected effects.",
        "question": "When you form your overall view of the {project}, which aspects weigh more for you?",
    },
    "analyst-estimate": {
        "intro": "you work as the {position} at {a_organization}. An analyst in your {team} has estimated the main effects of the {project}.",
        "question": "Which of the estimated effects of the {project} carry more weight in your assessment?",
    },
    "consultant-review": {
        "intro": "you are the {position} at {a_organization}. Outside consultants reviewed the {project} together with your {team} and reported its likely consequences.",
        "question": "Weighing the consultants' findings, which side counts more in your evaluation of the {project}?",
    },
    "deputy-notes": {
        "intro": "you are the {position} at {a_organization}, and your deputy in the {team} has written a short note on the pros and cons of the {project}.",
        "question": "In your overall judgment of the {project}, which aspects weigh more heavily?",
    },
}

SCALE = seven_point(
    "The disadvantages weigh much more", "The disadvantages weigh more", "The disadvantages weigh slightly more",
    "Both weigh the same", "The advantages weigh slightly more", "The advantages weigh more",
    "The advantages weigh much more",
)


def _listing(label: str, phrases: list[str]) -> str:
    return f"{label}: it would {phrases[0]}; it would {phrases[1]}; and it would {phrases[2]}."


class NegativityBias(RatioScaleBias):
    """Mirrored pair with a treatment flip: six effects of a project, three good and three bad;
    the treatment turns every effect into its opposite of the same size, so the good and bad
    contents swap sides.

    Score (Malberg et al.): k = -1, x = 0, flip_t = True, i.e. ``(6 - t - c) / max(c, 6 - t)``.
    Judging by content (whatever side a content is on) scores 0; saying the disadvantages
    weigh more in both conditions scores positive.
    """

    info = BiasInfo(
        slug="negativity-bias",
        title="Negativity Bias",
        definition="Negative information weighs more in judgements than positive information of the same size.",
        citation="Rozin & Royzman (2001); Baumeister et al. (2001); test design after Malberg et al. (2024)",
        design="mirrored pair",
        expected_direction="the disadvantages are said to weigh more both before and after every effect is turned into its opposite",
    )

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = rotate(sorted(_VARIANTS), scenario, index)
        template = _VARIANTS[variant]
        chosen = [int(i) for i in rng.choice(len(ASPECTS), size=2 * ASPECTS_PER_SIDE, replace=False)]
        magnitudes = [int(rng.integers(r[0], r[1] + 1)) if r else None for r in (ASPECTS[i][2] for i in chosen)]
        advantages_first = bool(rng.integers(2))
        slots = scenario_slots(scenario)

        def phrase(aspect: int, magnitude: int | None, good: bool) -> str:
            good_text, bad_text, _ = ASPECTS[aspect]
            return (good_text if good else bad_text).format(**slots, n=magnitude)

        def condition(inverted: bool) -> Condition:
            # In the control the first three chosen effects are good, the other three bad.
            forms = [
                phrase(a, m, good=(rank < ASPECTS_PER_SIDE) != inverted)
                for rank, (a, m) in enumerate(zip(chosen, magnitudes))
            ]
            good = [f for rank, f in enumerate(forms) if (rank < ASPECTS_PER_SIDE) != inverted]
            bad = [f for rank, f in enumerate(forms) if (rank < ASPECTS_PER_SIDE) == inverted]
            lists = [_listing("Advantages", good), _listing("Disadvantages", bad)]
            if not advantages_first:
                lists.reverse()
            return Condition(
                situation=(*fill([template["intro"]], **slots), *map(capitalize, lists)),
                question=template["question"].format(**slots),
                scale=SCALE,
            )

        return CaseContent(
            conditions={"control": condition(inverted=False), "treatment": condition(inverted=True)},
            values={
                "aspects": chosen,
                "magnitudes": magnitudes,
                "good_in_control": chosen[:ASPECTS_PER_SIDE],
                "advantages_first": advantages_first,
                "k": -1,
                "flip_treatment": True,
            },
            variant=variant,
        )

    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        return dict(n_c=7, k=-1, flip_t=True)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # The disadvantages weigh more, whatever they are (the advantages, if opposite).
        return option(options, "The advantages weigh more" if opposite else "The disadvantages weigh more")


BIASES = (NegativityBias(),)
