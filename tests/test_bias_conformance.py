"""The shared conformance checks (biasorigins.testing.conformance) over every registered bias.

Built-ins and any installed third-party plugin must pass them all; the last test checks
isolation across biases: a responder with one bias scores ~0 on every other bias.
"""

from __future__ import annotations

import functools

import pytest

from biasorigins.plugins import registered_biases
from biasorigins.suite import BiasSuite
from biasorigins.testing.conformance import CHECKS, DEFAULT_CASES, ZERO_TOLERANCE, conformance_suite
from biasorigins.testing.responders import BiasedResponder

SLUGS = sorted(registered_biases())


@functools.lru_cache(maxsize=None)
def suite_for(slug: str) -> BiasSuite:
    return conformance_suite(registered_biases()[slug].bias)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
@pytest.mark.parametrize("slug", SLUGS)
def test_conformance(slug: str, check) -> None:
    check(suite_for(slug))


def test_a_responder_with_one_bias_scores_about_zero_on_the_others() -> None:
    # Averaged over three responder seeds, like the random-responder check (standard error ~0.012).
    exhibited = "framing-effect"
    suite = BiasSuite(SLUGS, cases=DEFAULT_CASES, seed=0)
    runs = [
        suite.run(BiasedResponder(suite.cases(), [suite.bias(exhibited)], seed=seed)).summary.set_index("bias")["mean"]
        for seed in range(3)
    ]
    means = sum(runs) / len(runs)
    assert means[exhibited] > 0.3
    others = means.drop(exhibited)
    assert (others.abs() < ZERO_TOLERANCE).all(), others[others.abs() >= ZERO_TOLERANCE]
