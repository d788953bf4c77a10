"""Belief bias on valid syllogisms: valid arguments are rejected when their conclusion is unbelievable."""

from __future__ import annotations

from biasorigins.biases._belief import BeliefBias, belief_info
from biasorigins.biases._syllogisms import VALID_FORMS

BIASES = (BeliefBias(belief_info(True), VALID_FORMS),)
