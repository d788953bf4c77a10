"""Belief bias on invalid syllogisms: invalid arguments are accepted when their conclusion is believable."""

from __future__ import annotations

from biasorigins.biases._belief import BeliefBias, belief_info
from biasorigins.biases._syllogisms import INVALID_FORMS

BIASES = (BeliefBias(belief_info(False), INVALID_FORMS),)
