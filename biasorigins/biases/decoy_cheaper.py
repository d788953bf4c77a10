"""Decoy effect with the cheaper, lower-quality option as the target (the decoy sits next to it)."""

from __future__ import annotations

from biasorigins.biases._decoy import DecoyEffect

BIASES = (DecoyEffect("cheaper"),)
