"""Batch planning and out-of-memory recovery shared by the model runners.

Requests are grouped into *units* that must share a batch (e.g. the control
and treatment prompts of one test case), units are sorted by length, longest
first (so an out-of-memory error shows at once and padding stays small), and
cut into batches of at most ``batch_size`` rows and ``max_batch_tokens``
padded tokens.  :func:`run_with_oom_retry` halves a batch that runs out of
memory until it fits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TypeVar

from biasorigins.errors import BiasOriginsError

logger = logging.getLogger(__name__)

T = TypeVar("T")


class OutOfMemory(BiasOriginsError):
    """A single request does not fit in memory, even alone in its batch."""


def plan_batches(
    lengths: Sequence[int],
    units: Sequence[Hashable],
    *,
    batch_size: int,
    max_batch_tokens: int | None = None,
) -> list[list[int]]:
    """Cut requests into batches: whole units, longest first, bounded rows and padded tokens.

    Parameters
    ----------
    lengths
        Token length of each request.
    units
        Unit key of each request; requests with the same key stay in one batch.
    batch_size
        Most rows per batch (a unit larger than this gets a batch of its own).
    max_batch_tokens
        Optional bound on rows x longest row.

    Returns
    -------
    Batches of request indices. The plan depends only on the arguments, so the
    same pending requests always give the same batches.
    """
    members: dict[Hashable, list[int]] = {}
    for index, unit in enumerate(units):
        members.setdefault(unit, []).append(index)
    groups = sorted(members.values(), key=lambda idx: (-max(lengths[i] for i in idx), idx[0]))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for group in groups:
        group_longest = max(lengths[i] for i in group)
        rows = len(current) + len(group)
        widest = max(longest, group_longest)
        too_many = rows > batch_size
        too_wide = max_batch_tokens is not None and rows * widest > max_batch_tokens
        if current and (too_many or too_wide):
            batches.append(current)
            current, longest = [], 0
        current = current + group
        longest = max(longest, group_longest)
    if current:
        batches.append(current)
    return batches


def is_out_of_memory(error: BaseException) -> bool:
    """True for CUDA/MPS/CPU allocation failures raised by torch."""
    import torch

    if isinstance(error, getattr(torch, "OutOfMemoryError", ())):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def _free_accelerator_memory() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def run_with_oom_retry(
    batch: Sequence[T],
    work: Callable[[Sequence[T]], list],
    *,
    on_split: Callable[[int], None] | None = None,
) -> Iterator[tuple[Sequence[T], list]]:
    """Run ``work`` on ``batch``; on out-of-memory, retry in pieces half as large, and so on.

    Yields (piece, results) pairs in order.  Once a size failed, the rest of the
    batch runs in the smaller pieces; ``on_split(size)`` tells the caller the new
    size so later batches start small too.

    Raises
    ------
    OutOfMemory
        If a single item does not fit.
    """
    items = list(batch)
    size = len(items)
    start = 0
    while start < len(items):
        piece = items[start : start + size]
        try:
            results = work(piece)
        except Exception as error:  # noqa: BLE001 - only memory errors are handled, others re-raised
            if not is_out_of_memory(error):
                raise
            _free_accelerator_memory()
            if len(piece) == 1:
                raise OutOfMemory(
                    f"one request does not fit in memory even alone ({error}); use a smaller model, dtype or prompt"
                ) from error
            size = (len(piece) + 1) // 2
            logger.warning("out of memory on a batch of %d; retrying with batches of %d", len(piece), size)
            if on_split is not None:
                on_split(size)
            continue
        yield piece, results
        start += len(piece)
