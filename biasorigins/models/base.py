"""The runner protocol: anything that turns rendered prompts into responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from biasorigins.records import Prompt, Response


@runtime_checkable
class Runner(Protocol):
    """A model (or responder) that answers decision prompts.

    ``decide`` returns one :class:`~biasorigins.records.Response` per prompt, in
    order; ``choice`` is the displayed position of the chosen option (0-based).
    ``name`` labels results; ``fingerprint`` identifies the weights and decoding
    settings for caching (two runners with the same fingerprint answer alike).
    """

    name: str

    @property
    def fingerprint(self) -> str: ...

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]: ...
