"""The shared conformance checks of the bias plugin contract, for any bias (built-in or third-party).

Plugin authors run them from their own test suite::

    import pytest
    from biasorigins.testing.conformance import CHECKS, conformance_suite

    @pytest.fixture(scope="module")
    def suite():
        return conformance_suite(MyBias())

    @pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
    def test_conformance(check, suite):
        check(suite)

or all at once with ``check_bias(MyBias())``. Each check raises ``AssertionError``
with what was wrong and for which case. The checks test the contract, not a
particular bias: metadata, JSON round trip, determinism, distinct fully rendered
cases, score range, conditions that differ only in the manipulation, and synthetic
responders (uniformly random ~0, position-only ~0, biased > 0.3).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

import numpy as np

from biasorigins.bias import Bias
from biasorigins.records import TestCase
from biasorigins.rendering import render_prompt
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import BiasedResponder, FirstOptionResponder, RandomResponder

__all__ = ["CHECKS", "check_bias", "conformance_suite"]

#: 200 scenarios x 5 instances: the number of cases the built-in biases are checked with.
DEFAULT_CASES = 1000
#: Largest |mean score| accepted from a responder without the bias (standard error ~0.02 at 1000 cases).
ZERO_TOLERANCE = 0.05
#: Smallest mean score accepted from a responder built to have the bias.
BIASED_MINIMUM = 0.3
_UNFILLED = re.compile(r"\{|\}|\[\[|\]\]")
_SHARED_FIELDS = ("position", "organization", "project", "team")


def conformance_suite(bias: Bias, *, cases: int = DEFAULT_CASES, seed: int = 0) -> BiasSuite:
    """A one-bias suite with its cases generated, to hand to each check."""
    suite = BiasSuite([bias], cases=cases, seed=seed)
    suite.cases()
    if suite.errors:
        raise AssertionError(f"{bias.info.slug}: generating cases failed: {suite.errors[0].message}")
    return suite


def _bias(suite: BiasSuite) -> Bias:
    if len(suite.biases) != 1:
        raise ValueError(f"conformance checks need a one-bias suite, got {suite.bias_slugs}")
    return suite.biases[0]


def _mean_score(suite: BiasSuite, runner: object) -> float:
    result = suite.run(runner)  # type: ignore[arg-type]
    assert not result.errors, f"{suite.bias_slugs[0]}: {result.errors[0].stage} failed: {result.errors[0].message}"
    return float(result.summary["mean"].iloc[0])


def check_metadata(suite: BiasSuite) -> None:
    """Title, definition, citation and expected direction are filled in; two or more conditions."""
    info = _bias(suite).info
    for field in ("title", "definition", "citation", "expected_direction"):
        assert getattr(info, field).strip(), f"{info.slug}: BiasInfo.{field} is empty"
    assert len(info.conditions) >= 2, f"{info.slug}: a bias compares at least two conditions, got {info.conditions}"


def check_json_round_trip(suite: BiasSuite) -> None:
    """Every case survives a JSON round trip unchanged (values are plain JSON)."""
    for case in suite.cases()[:50]:
        again = TestCase.model_validate_json(case.model_dump_json())
        assert again == case, f"{case.id}: the case changes when written to JSON and read back"


def check_deterministic(suite: BiasSuite) -> None:
    """The same seed gives byte-identical cases; another seed gives other cases."""
    bias = _bias(suite)
    first = [c.model_dump_json() for c in BiasSuite([bias], cases=30, seed=suite.seed).cases()]
    again = [c.model_dump_json() for c in BiasSuite([bias], cases=30, seed=suite.seed).cases()]
    other = [c.model_dump_json() for c in BiasSuite([bias], cases=30, seed=suite.seed + 1).cases()]
    assert first == again, f"{bias.info.slug}: the same seed gave different cases; sample only from the rng argument"
    assert first != other, f"{bias.info.slug}: another seed gave the same cases; draw the sampled values from rng"


def check_distinct_rendered_cases(suite: BiasSuite) -> None:
    """Every case renders to different prompts, with no template slot left unfilled."""
    cases = suite.cases()
    seen: dict[str, str] = {}
    for case in cases:
        text = "\n---\n".join(p.text for p in suite.prompts([case]))
        match = _UNFILLED.search(text)
        assert match is None, f"{case.id}: unfilled slot {match.group()!r} in:\n{text}"
        assert text not in seen, f"{case.id} renders exactly like {seen[text]}; rotate variants or sample more values"
        seen[text] = case.id


def check_score_range(suite: BiasSuite) -> None:
    """Scores of arbitrary answers lie in [-1, 1]; no answers give None."""
    bias = _bias(suite)
    rng = np.random.default_rng(0)
    for case in suite.cases()[:200]:
        answers = {name: int(rng.integers(len(cond.scale))) for name, cond in case.conditions.items()}
        score = bias.score(case, answers)
        assert score is None or -1.0 <= score <= 1.0, f"{case.id}: score {score} of answers {answers} is outside [-1, 1]"
        assert bias.score(case, {}) is None, f"{case.id}: score() must return None when no condition was answered"


def check_conditions_share_wording(suite: BiasSuite, *, minimum_overlap: float = 0.6) -> None:
    """The conditions of a case concern the same scenario and share most of their words."""
    scenarios = {s.id: s for s in suite.scenarios}
    for case in suite.cases()[:100]:
        texts = {name: render_prompt(case, name).text for name in case.conditions}
        scenario = scenarios[case.scenario_id]
        for field in _SHARED_FIELDS:
            present = {name: getattr(scenario, field) in text for name, text in texts.items()}
            assert len(set(present.values())) == 1, f"{case.id}: the scenario's {field} appears only in {present}"
        names = list(texts)
        for a, b in zip(names, names[1:]):
            ratio = difflib.SequenceMatcher(None, texts[a].split(), texts[b].split()).ratio()
            assert ratio >= minimum_overlap, (
                f"{case.id}: conditions {a!r} and {b!r} share only {ratio:.0%} of their words; "
                "they should differ only in the manipulation"
            )


def check_random_responder(suite: BiasSuite) -> None:
    """A uniformly random responder scores about 0 (mean over three responder seeds)."""
    means = [_mean_score(suite, RandomResponder(seed)) for seed in range(3)]
    assert abs(np.mean(means)) < ZERO_TOLERANCE, f"{suite.bias_slugs[0]}: random answers score {means}, not ~0"


def check_first_option_responder(suite: BiasSuite) -> None:
    """A responder that always takes the first displayed option scores about 0 (counterbalancing)."""
    mean = _mean_score(suite, FirstOptionResponder())
    assert abs(mean) < ZERO_TOLERANCE, (
        f"{suite.bias_slugs[0]}: a position-only responder scores {mean:+.3f}, not ~0; if a sampled value flips "
        "the sign together with option position, override counterbalance_stratum()"
    )


def check_biased_responder(suite: BiasSuite) -> None:
    """The bias's own synthetic biased answers score clearly positive."""
    mean = _mean_score(suite, BiasedResponder(suite.cases(), suite.biases))
    assert mean > BIASED_MINIMUM, f"{suite.bias_slugs[0]}: biased_answers() score {mean:+.3f}, not > {BIASED_MINIMUM}"


#: Every conformance check, in a stable order; each takes a suite from :func:`conformance_suite`.
CHECKS: tuple[Callable[[BiasSuite], None], ...] = (
    check_metadata,
    check_json_round_trip,
    check_deterministic,
    check_distinct_rendered_cases,
    check_score_range,
    check_conditions_share_wording,
    check_random_responder,
    check_first_option_responder,
    check_biased_responder,
)


def check_bias(bias: Bias, *, cases: int = DEFAULT_CASES, seed: int = 0) -> None:
    """Run every check on ``bias``; raise ``AssertionError`` listing all that failed."""
    suite = conformance_suite(bias, cases=cases, seed=seed)
    failures = []
    for check in CHECKS:
        try:
            check(suite)
        except AssertionError as error:
            failures.append(f"{check.__name__}: {error}")
    if failures:
        raise AssertionError(f"{bias.info.slug} fails {len(failures)} conformance check(s):\n" + "\n".join(failures))
