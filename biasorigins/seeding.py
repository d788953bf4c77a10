"""Deterministic randomness: one numpy Generator per (bias, scenario, index) from a master seed."""

from __future__ import annotations

import hashlib

import numpy as np


def _words(text: str) -> list[int]:
    """A stable 128-bit integer entropy for a string, as four 32-bit words."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()[:16]
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


def seed_sequence(master_seed: int, *keys: str | int) -> np.random.SeedSequence:
    """A SeedSequence for ``keys`` under ``master_seed``; independent of call order and process."""
    if master_seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {master_seed}")
    entropy = [master_seed]
    for key in keys:
        entropy.extend(_words(str(key)) if isinstance(key, str) else [int(key)])
    return np.random.SeedSequence(entropy)


def case_rng(master_seed: int, bias: str, scenario_id: str, index: int) -> np.random.Generator:
    """The generator a bias uses to sample the values of one test case."""
    return np.random.default_rng(seed_sequence(master_seed, "case", bias, scenario_id, index))


def counterbalance_rng(master_seed: int, bias: str, pair: int) -> np.random.Generator:
    """The generator that decides the display order of one pair of consecutive cases."""
    return np.random.default_rng(seed_sequence(master_seed, "display", bias, pair))
