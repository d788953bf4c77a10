"""Decoy effect with the pricier, higher-quality option as the target (the decoy is even pricier or worse)."""

from __future__ import annotations

from biasorigins.biases._decoy import DecoyEffect

BIASES = (DecoyEffect("expensive"),)
