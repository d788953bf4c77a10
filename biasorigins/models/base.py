"""The runner protocol: anything that turns rendered prompts into responses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from biasorigins.records import Prompt, Response


@runtime_checkable
class Runner(Protocol):
    """A model (or responder) that answers decision prompts.

    ``decide`` returns one :class:`~biasorigins.records.Response` per prompt, in
    order; ``choice`` is the displayed position of the chosen option (0-based).
    ``name`` labels results; ``fingerprint`` identifies the weights and decoding
    settings for caching (two runners with the same fingerprint answer alike).

    Optional members the engine and the decision store use when a runner has them:

    - ``decide_batches(prompts, *, runners=None)``: yields ``[(prompt index, response), ...]``
      batch by batch, so each batch is stored as soon as it ends (else ``decide`` is called on
      chunks of 32 prompts);
    - ``joint_key``: runners with equal keys answer in shared batches through the first one's
      ``decide_batches(prompts, runners=[...])`` (e.g. LoRA variants of one loaded model);
    - ``model_fingerprint`` and ``settings``: the weights' identity and a dict of the decoding
      settings, stored separately so stored answers can be inspected per model and setting.
    """

    name: str

    @property
    def fingerprint(self) -> str: ...

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]: ...


AnswerMode = Literal["likelihood", "cloze", "generate"]


def mode_runner(mode: AnswerMode, model: Any, *, max_new_tokens: int = 40, **options: Any) -> Runner:
    """The runner of an answer mode: the option label with the highest likelihood (`HFRunner`), the
    option text most likely after the situation and question (`HFRunner(scoring="cloze")`), or a greedy answer
    read by the parser (`GenerationRunner`, at most ``max_new_tokens`` tokens)."""
    if mode == "generate":
        from biasorigins.models.generation import GenerationRunner

        return GenerationRunner(model, max_new_tokens=max_new_tokens, **options)
    from biasorigins.models.hf import HFRunner

    return HFRunner(model, scoring="cloze" if mode == "cloze" else "labels", **options)


def responses_in_order(batches: Iterable[Iterable[tuple[int, Response]]], count: int) -> list[Response]:
    """The ``(prompt index, response)`` pairs of a runner's ``decide_batches`` as one list in prompt order
    (the ``decide`` of runners that answer in batches)."""
    out: list[Response | None] = [None] * count
    for batch in batches:
        for index, response in batch:
            out[index] = response
    return [response for response in out if response is not None]
