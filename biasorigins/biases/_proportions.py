"""Shared base of the difference-of-proportions tests (Itzhak et al., 2024).

Certainty effect, belief bias and decoy effect compare how often one kind of
answer (the "hit": the sure option, "valid", the target brand) is chosen under a
bias-inducing condition and under a neutral one, on matched content. Here each
test case holds the matched versions as named conditions, and the case's score is
its contribution to the difference of proportions::

    score = hit(bias-inducing condition) - hit(neutral condition)   in {-1, 0, 1}

so the mean over cases is P(hit | bias-inducing) - P(hit | neutral), in [-1, 1],
positive = biased. The aggregate is the default one (mean and a bootstrap CI over
cases); each case is an independently sampled item, and its order and wording
duplicates are not counted as extra observations.

Undecided answers (one rule for all three tests)
-------------------------------------------------
The answer scales offer no "undecided" option: as in the original tests the model
must pick one of the shown options. An answer that names no option, names several,
or refuses (status ``invalid`` / ``refused``) is *undecided* and is excluded from
the proportions: a case is scored only when both conditions it compares were
decided; otherwise its score is ``None`` and it counts as an invalid case
(``n_invalid`` in the summary, each undecided answer in ``invalid_answers``). This
is the belief-bias convention of the original code applied to all three tests
(the original counted undecided answers as "not target" for decoy and certainty
but excluded them for belief). Choosing a shown option that is not the hit (e.g.
the decoy itself) is a decided answer and counts as "no hit".
"""

from __future__ import annotations

import itertools
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar

import pandas as pd

from biasorigins.bias import Bias, answers_complete
from biasorigins.errors import PluginError
from biasorigins.records import TestCase

UNDECIDED_RULE = (
    "Undecided answers (no option, several options or a refusal) are excluded from the proportions: a case is "
    "scored only when both compared conditions were decided; otherwise it counts as an invalid case."
)


class DifferenceOfProportionsBias(Bias):
    """A bias scored as hit(bias-inducing condition) - hit(neutral condition) per case.

    Subclasses name the two compared conditions (:attr:`compared_conditions`), store
    the scale index of the hit option in ``case.values[hit_key]`` and describe their
    design cells for :meth:`design_counts`.
    """

    hit_key: ClassVar[str] = "target_index"
    undecided_rule: ClassVar[str] = UNDECIDED_RULE
    design_factors: Mapping[str, tuple[str, ...]]  # factor -> its levels, set by each subclass

    @property
    @abstractmethod
    def compared_conditions(self) -> tuple[str, str]:
        """(bias-inducing condition, neutral condition) of the score."""

    @abstractmethod
    def design_cell(self, case: TestCase) -> dict[str, str]:
        """The level of every design factor for ``case`` (keys as in :attr:`design_factors`)."""

    def hit(self, case: TestCase, answer: int) -> bool:
        """Whether ``answer`` (a scale index) is the hit option of ``case``."""
        return answer == int(case.values[self.hit_key])

    def score(self, case: TestCase, answers: Mapping[str, int]) -> float | None:
        treated, neutral = self.compared_conditions
        if not answers_complete(answers, treated, neutral):
            return None
        return float(self.hit(case, answers[treated])) - float(self.hit(case, answers[neutral]))

    def design_counts(self, cases: Sequence[TestCase]) -> pd.DataFrame:
        """Prompts per design cell and condition, with every cell of the full design listed (zeros included).

        Columns: one per design factor, then ``condition`` and ``prompts``.
        """
        factors = list(self.design_factors)
        counts: dict[tuple[str, ...], int] = {}
        for case in cases:
            if case.bias != self.info.slug:
                continue
            cell = self.design_cell(case)
            for condition in case.conditions:
                key = (*(cell[f] for f in factors), condition)
                counts[key] = counts.get(key, 0) + 1
        levels = [self.design_factors[f] for f in factors] + [self.info.conditions]
        rows = [(*key, counts.get(key, 0)) for key in itertools.product(*levels)]
        unexpected = set(counts) - {row[:-1] for row in rows}
        if unexpected:
            raise PluginError(
                f"bias {self.info.slug!r} generated cases outside its declared design_factors, e.g. "
                f"{sorted(unexpected)[:3]}; add the levels to design_factors"
            )
        return pd.DataFrame(rows, columns=[*factors, "condition", "prompts"])


def shown_first(case: TestCase, condition: str, index: int) -> bool:
    """Whether scale option ``index`` is displayed first in ``condition`` of ``case``."""
    return case.condition(condition).shown_order[0] == index
