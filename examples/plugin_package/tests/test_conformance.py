"""The shared conformance checks of biasorigins, run on this package's bias."""

from __future__ import annotations

import pytest

from biasorigins.suite import BiasSuite
from biasorigins.testing.conformance import CHECKS, conformance_suite

from hiring_biases import SunkCostInHiring


@pytest.fixture(scope="module")
def suite() -> BiasSuite:
    # 1000 cases (200 scenarios x 5 instances), as for the built-in biases.
    return conformance_suite(SunkCostInHiring())


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_conformance(check, suite: BiasSuite) -> None:
    check(suite)
