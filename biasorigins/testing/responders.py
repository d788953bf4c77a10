"""Synthetic responders: runners without a model, for property tests of bias plugins.

- :class:`RandomResponder` picks a displayed option uniformly at random.
- :class:`FirstOptionResponder` always picks the first displayed option.
- :class:`BiasedResponder` answers the cases of chosen biases as a responder that has
  exactly those biases would (each bias's :meth:`~biasorigins.Bias.biased_answers`),
  and every other case at random.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from biasorigins.bias import Bias
from biasorigins.records import Prompt, Response, TestCase
from biasorigins.seeding import seed_sequence


class RandomResponder:
    """Uniformly random choice among the displayed options (seeded)."""

    def __init__(self, seed: int = 0, name: str = "random") -> None:
        self.seed = seed
        self.name = name

    @property
    def fingerprint(self) -> str:
        return f"random-responder-{self.seed}"

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        out = []
        for prompt in prompts:
            rng = np.random.default_rng(seed_sequence(self.seed, "random-responder", prompt.key))
            out.append(Response(choice=int(rng.integers(len(prompt.options)))))
        return out


class FirstOptionResponder:
    """Always the first displayed option: a pure position preference."""

    name = "first-option"
    fingerprint = "first-option-responder"

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        return [Response(choice=0) for _ in prompts]


class BiasedResponder:
    """Answers the cases of ``biases`` with their synthetic biased answers, the rest at random.

    Parameters
    ----------
    cases
        The test cases the prompts come from (e.g. ``suite.cases()``).
    biases
        The biases this responder exhibits.
    """

    def __init__(self, cases: Iterable[TestCase], biases: Iterable[Bias], *, seed: int = 0) -> None:
        self.seed = seed
        self.biases = {bias.info.slug: bias for bias in biases}
        self.name = "biased:" + "+".join(sorted(self.biases))
        self._cases = {case.id: case for case in cases}
        self._random = RandomResponder(seed)

    @property
    def fingerprint(self) -> str:
        return f"biased-responder-{self.name}-{self.seed}"

    def _answers(self, case: TestCase) -> dict[str, int]:
        rng = np.random.default_rng(seed_sequence(self.seed, "biased-responder", case.id))
        return self.biases[case.bias].biased_answers(case, rng)

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        out = []
        for prompt in prompts:
            case = self._cases.get(prompt.case_id)
            if case is None or case.bias not in self.biases:
                out.extend(self._random.decide([prompt]))
                continue
            position = self._answers(case)[prompt.condition]
            out.append(Response(choice=prompt.display_order.index(position)))
        return out
