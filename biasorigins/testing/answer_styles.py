"""Responders that read the options' text, their displayed position, or a mixture of both.

They drive the answer diagnostics' tests and the simulation behind its threshold
(``benchmarks/diagnostics_threshold.py``). Every choice is made from the rendered prompt alone:
the option texts and their displayed order, never a case's stored values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from biasorigins.models.fingerprint import digest_of
from biasorigins.records import Prompt, Response
from biasorigins.seeding import seed_sequence


class MixtureResponder:
    """Each answer follows position with probability ``position_share``, is random with ``noise``,
    and otherwise follows content.

    - Content: the displayed option whose text ranks first under a seeded digest of the text, so the
      same option wins wherever it is displayed (a fixed preference among option texts).
    - Position: the displayed option at ``position`` (0 first, -1 last).
    - Random: a uniform displayed option.

    The mode of an answer is drawn from the prompt's text (so a case and its display-reversed twin
    draw independently), or, with ``correlated=True``, from its case and condition (so both follow
    the same mode, as a model whose reading depends on the question would).
    """

    def __init__(self, position_share: float = 0.0, *, noise: float = 0.0, position: int = 0,
                 correlated: bool = False, seed: int = 0, name: str | None = None) -> None:
        if not (0 <= position_share <= 1 and 0 <= noise <= 1 - position_share):
            raise ValueError(f"need 0 <= position_share ({position_share}) and noise ({noise}) with a sum <= 1")
        self.position_share, self.noise, self.position = position_share, noise, position
        self.correlated, self.seed = correlated, seed
        self.name = name or f"mixture(position={position_share:g}, noise={noise:g})"

    @property
    def fingerprint(self) -> str:
        return (f"mixture-responder-{self.position_share}-{self.noise}-{self.position}-{self.correlated}-"
                f"{self.seed}")

    def _preferred(self, prompt: Prompt) -> int:
        ranks = [digest_of([str(self.seed), text]) for text in prompt.options]
        return ranks.index(min(ranks))

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        out = []
        for prompt in prompts:
            text_key = digest_of([prompt.text])
            mode_key = prompt.key if self.correlated else text_key
            mode = np.random.default_rng(seed_sequence(self.seed, "mixture-mode", mode_key)).random()
            if mode < self.position_share:
                choice = self.position % len(prompt.options)
            elif mode < self.position_share + self.noise:
                rng = np.random.default_rng(seed_sequence(self.seed, "mixture-noise", text_key))
                choice = int(rng.integers(len(prompt.options)))
            else:
                choice = self._preferred(prompt)
            out.append(Response(choice=choice))
        return out


class ContentResponder(MixtureResponder):
    """Always the option whose text it prefers, wherever that option is displayed."""

    def __init__(self, *, seed: int = 0, name: str = "content-reader") -> None:
        super().__init__(0.0, seed=seed, name=name)


class PositionResponder(MixtureResponder):
    """Always the option displayed at ``position`` (0 first, -1 last), whatever its text."""

    def __init__(self, position: int = 0, *, name: str = "position-only") -> None:
        super().__init__(1.0, position=position, name=name)
