"""Synthetic responders: runners without a model, for property tests of bias plugins.

- :class:`RandomResponder` picks a displayed option uniformly at random.
- :class:`FirstOptionResponder` always picks the first displayed option.
- :class:`TextResponder` reads each prompt's text and displayed options only, and answers as
  a person with chosen biases (or their opposite) would: each bias's
  :meth:`~biasorigins.Bias.biased_option`; what no bias decides, it answers at random.
- :class:`FirstDescribedResponder` takes whichever alternative the situation describes first
  (an order preference: a sound test keeps it at ~0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from biasorigins.bias import Bias
from biasorigins.biases._reading import body
from biasorigins.records import Prompt, Response
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


class TextResponder:
    """Answers from the rendered prompt alone, as a person with ``biases`` would.

    Each prompt is read on its own: ``bias.biased_option(prompt.text, prompt.options)`` names the
    displayed option, for the bias whose test the prompt belongs to. Prompts of other biases, of
    conditions outside ``conditions`` and prompts where the bias has no preference get a seeded
    random option. Besides the text and options, only the prompt's case id (which test it is) and
    condition name (to honour ``conditions``) are read; never the case's values or display order.

    Parameters
    ----------
    biases
        The biases this responder has.
    opposite
        Answer with the opposite tendency of every bias.
    conditions
        Answer biased only in these conditions (default: all); random elsewhere.
    seed
        Seed of the random answers.
    """

    def __init__(
        self,
        biases: Iterable[Bias],
        *,
        opposite: bool = False,
        conditions: Iterable[str] | None = None,
        seed: int = 0,
    ) -> None:
        self.biases = {bias.info.slug: bias for bias in biases}
        self.opposite = opposite
        self.conditions = None if conditions is None else frozenset(conditions)
        self.seed = seed
        self.name = self._describe() + ("" if self.conditions is None else "@" + "+".join(sorted(self.conditions)))
        self._random = RandomResponder(seed)

    def _describe(self) -> str:
        return ("opposite:" if self.opposite else "biased:") + "+".join(sorted(self.biases))

    @property
    def fingerprint(self) -> str:
        return f"text-responder-{self.name}-{self.seed}"

    def read(self, prompt: Prompt) -> str | None:
        """The displayed option text chosen for ``prompt``, or None for a random answer."""
        bias = self.biases.get(prompt.case_id.partition("/")[0])
        return None if bias is None else bias.biased_option(prompt.text, prompt.options, opposite=self.opposite)

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        out = []
        for prompt in prompts:
            picked = None
            if self.conditions is None or prompt.condition in self.conditions:
                picked = self.read(prompt)
            if picked is None:
                out.extend(self._random.decide([prompt]))
                continue
            if picked not in prompt.options:
                raise ValueError(
                    f"{self.name} picked {picked!r}, which is not one of the displayed options "
                    f"{list(prompt.options)} of {prompt.key}"
                )
            out.append(Response(choice=prompt.options.index(picked)))
        return out


class FirstDescribedResponder(TextResponder):
    """Leans to whichever alternative the situation describes first: an order preference, no bias.

    A test whose alternatives are described in a fixed order that goes with the condition (e.g.
    the sure plan always first in the treatment only) lets this responder score away from 0; a
    sound test keeps it at ~0. ``alternatives`` are the names the prompts use for the alternatives
    (e.g. ``("Plan North", "Plan South", ...)``); in each prompt the ones named in its options count.
    The pick is the shortest displayed option that names the first-described alternative and no
    other, so it does not depend on display order. Prompts with fewer than two named alternatives
    get a random option.
    """

    def __init__(self, alternatives: Iterable[str], *, conditions: Iterable[str] | None = None, seed: int = 0) -> None:
        self.alternatives = tuple(alternatives)
        super().__init__((), conditions=conditions, seed=seed)

    def _describe(self) -> str:
        return "first-described"

    def read(self, prompt: Prompt) -> str | None:
        situation = body(prompt.text)
        named = [name for name in self.alternatives if any(name in shown for shown in prompt.options)]
        places = {name: situation.find(name) for name in named if name in situation}
        if len(places) < 2:
            return None
        first = min(places, key=places.__getitem__)
        only_first = [shown for shown in prompt.options
                      if first in shown and not any(other in shown for other in named if other != first)]
        return min(only_first, key=len) if only_first else None
