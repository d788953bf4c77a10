"""Answering prompts with one or several runners: store look-ups, batches, progress.

:func:`answer_prompts` is what :meth:`BiasSuite.run` uses: it takes the answers
already in the store, asks the runners for the rest batch by batch, and writes
each batch to the store as soon as it ends.  Runners that share one loaded
model and the same settings (e.g. the LoRA variants from
:meth:`HFRunner.variants`) are asked together, in mixed batches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from tqdm.auto import tqdm

from biasorigins.errors import ConfigError
from biasorigins.records import Prompt, Response
from biasorigins.store import DecisionStore, RunnerKey, StoredResponse

logger = logging.getLogger(__name__)

#: Prompts per call for runners that only have ``decide`` (no batches of their own).
DEFAULT_CHUNK = 32

Batch = list[tuple[int, Response]]


def runner_name(runner: Any) -> str:
    """The label a runner's results carry."""
    return str(getattr(runner, "name", None) or type(runner).__name__)


def runner_chat_format(runner: Any) -> str:
    """How a runner wraps each prompt for its model: ``"raw"``, ``"tulu"``, ``"model"`` (the tokenizer's
    template), ``"server"`` (a served model's own template) or ``"none"`` (it reads the prompt text itself)."""
    return str(getattr(runner, "chat_format", None) or "none")


def runner_batches(runner: Any, prompts: Sequence[Prompt], *, chunk_size: int = DEFAULT_CHUNK) -> Iterator[Batch]:
    """A runner's answers batch by batch: its own ``decide_batches`` if it has one, else chunks of ``decide``."""
    if hasattr(runner, "decide_batches"):
        yield from runner.decide_batches(prompts)
        return
    for start in range(0, len(prompts), chunk_size):
        chunk = prompts[start : start + chunk_size]
        responses = list(runner.decide(chunk))
        if len(responses) != len(chunk):
            raise ConfigError(f"runner {runner!r} returned {len(responses)} responses for {len(chunk)} prompts")
        for response in responses:
            if not isinstance(response, Response):
                raise ConfigError(f"runner {runner!r} returned {type(response).__name__}, not a Response")
        yield [(start + k, response) for k, response in enumerate(responses)]


def joint_groups(runners: Sequence[Any]) -> list[list[int]]:
    """Indices of runners that can answer in shared batches (same ``joint_key``); others alone."""
    groups: dict[Any, list[int]] = {}
    alone: list[list[int]] = []
    for index, runner in enumerate(runners):
        key = getattr(runner, "joint_key", None)
        if key is None:
            alone.append([index])
        else:
            groups.setdefault(key, []).append(index)
    return list(groups.values()) + alone


def answer_prompts(
    runners: Sequence[Any],
    prompts: Sequence[Prompt],
    *,
    store: DecisionStore | None = None,
    progress: bool = True,
    description: str = "",
    chunk_size: int = DEFAULT_CHUNK,
) -> list[list[Response]]:
    """Every runner's response to every prompt: ``responses[runner index][prompt index]``.

    Responses found in ``store`` are reused; the others are computed batch by batch and
    each batch is stored in one transaction when it ends.  An interruption (Ctrl-C,
    a crash) loses at most the batch in progress.
    """
    names = [runner_name(r) for r in runners]
    keys = [RunnerKey.of(r) for r in runners] if store is not None else [None] * len(runners)
    results: list[list[Response | None]] = [[None] * len(prompts) for _ in runners]
    if store is not None:
        for r, key in enumerate(keys):
            assert key is not None
            store.register_settings(key)
            for index, response in store.get(key, prompts).items():
                results[r][index] = response
    cached = sum(response is not None for row in results for response in row)
    if cached:
        logger.info("%s: %d of %d answers found in the store", description or "answers", cached,
                    len(prompts) * len(runners))

    with tqdm(total=len(prompts) * len(runners), initial=cached, desc=description, unit="prompt",
              disable=not progress, leave=False) as bar:
        for group in joint_groups(runners):
            rows = [(r, i) for r in group for i in range(len(prompts)) if results[r][i] is None]
            if not rows:
                continue
            asked = [prompts[i] for _, i in rows]
            if len(group) > 1:
                batches = runners[group[0]].decide_batches(asked, runners=[runners[r] for r, _ in rows])
            else:
                batches = runner_batches(runners[group[0]], asked, chunk_size=chunk_size)
            for batch in batches:
                items = []
                for k, response in batch:
                    r, i = rows[k]
                    results[r][i] = response
                    if keys[r] is not None:
                        items.append(StoredResponse(keys[r], prompts[i], response, model=names[r]))
                if store is not None:
                    store.put(items)
                bar.update(len(batch))
    missing = [(names[r], i) for r, row in enumerate(results) for i, response in enumerate(row) if response is None]
    if missing:
        raise ConfigError(f"{len(missing)} prompts got no response, e.g. prompt {missing[0][1]} of {missing[0][0]}")
    return [[response for response in row if response is not None] for row in results]
