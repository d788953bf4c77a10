"""The shared conformance checks (biasorigins.testing.conformance) over every registered bias.

Built-ins and any installed third-party plugin must pass them all; the last test checks
isolation across biases: a responder with one bias answers every other bias at random.
"""

from __future__ import annotations

import functools

import pytest

from biasorigins.plugins import registered_biases
from biasorigins.suite import BiasSuite
from biasorigins.testing.conformance import CHECKS, conformance_suite
from biasorigins.testing.responders import RandomResponder, TextResponder

SLUGS = sorted(registered_biases())
#: Enough cases for every check (standard error of a random responder's mean ~0.02).
CASES = 600


@functools.lru_cache(maxsize=None)
def suite_for(slug: str) -> BiasSuite:
    return conformance_suite(registered_biases()[slug].bias, cases=CASES)


#: Known failures, each a finding about the test itself (strict: a fix makes them fail until removed here).
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _cases() -> list[object]:
    params = []
    for slug in SLUGS:
        for check in CHECKS:
            reason = KNOWN_FAILURES.get((slug, check.__name__))
            marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
            params.append(pytest.param(slug, check, marks=marks, id=f"{slug}-{check.__name__.removeprefix('check_')}"))
    return params


@pytest.mark.parametrize(("slug", "check"), _cases())
def test_conformance(slug: str, check) -> None:
    check(suite_for(slug))


def test_a_responder_with_one_bias_answers_every_other_bias_at_random() -> None:
    # Its answers to the other biases' prompts are exactly those of the random responder with its seed.
    exhibited = "framing-effect"
    suite = BiasSuite(SLUGS, cases=40, seed=0)
    runs = suite.run_many([TextResponder([suite.bias(exhibited)]), RandomResponder(0)], names=["one", "random"],
                          progress=False)
    one, random = (runs[name].table.set_index(["case_id", "condition"])["choice"] for name in ("one", "random"))
    others = ~one.index.get_level_values("case_id").str.startswith(f"{exhibited}/")
    assert one[others].equals(random[others])
    assert not one[~others].equals(random[~others])
    assert runs["one"].summary.set_index("bias")["mean"][exhibited] > 0.3
