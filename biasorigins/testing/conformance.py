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
with what was wrong and for which bias, case and condition. The checks test the
contract, not a particular bias: metadata, JSON round trip, determinism, distinct
fully rendered cases, score range, conditions that differ only in the manipulation,
no answer label ("Option B") inside the test's own texts, and synthetic responders
run through :meth:`BiasSuite.run`: uniformly random ~0, position-only ~0, and two
responders that read only each prompt's text and displayed options
(:class:`~biasorigins.testing.responders.TextResponder` with the bias's
:meth:`~biasorigins.Bias.biased_option`): biased > 0.3, opposite < -0.3. When one of
those fails, the message says which condition pushes the score the wrong way.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence

import numpy as np

from biasorigins.bias import Bias
from biasorigins.records import TestCase
from biasorigins.rendering import render_prompt
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import (
    FirstDescribedResponder,
    FirstOptionResponder,
    RandomResponder,
    TextResponder,
)

__all__ = ["CHECKS", "check_bias", "check_order_confound", "condition_effects", "conformance_suite"]

#: 200 scenarios x 5 instances: the number of cases the built-in biases are checked with.
DEFAULT_CASES = 1000
#: Largest |mean score| accepted from a responder without the bias (standard error ~0.02 at 1000 cases).
ZERO_TOLERANCE = 0.05
#: Smallest mean score accepted from a responder built to have the bias (the opposite one must score below minus it).
BIASED_MINIMUM = 0.3
#: A condition whose biased answers (random answers elsewhere) score this much below its opposite answers
#: pushes the score the wrong way.
WRONG_WAY_MARGIN = 0.05
#: An answer label as the renderer writes it, in any supported label style: "Option B", "option 2",
#: "Option (C)", "options 2 and 3". Inside a situation, question or scale text it makes a model's answer
#: (and a parsed reply) ambiguous. Bare letters are allowed: scales say "opinion A" or "reason B".
LABEL_PATTERN = re.compile(r"\b(?i:options?)\s*(?:#|(?i:no\.?|number)\s*)?[(\[]?\s*(?:[A-Z]|\d+)(?![\w'])")
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
    result = suite.run(runner, progress=False)  # type: ignore[arg-type]
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


def check_no_label_collisions(suite: BiasSuite) -> None:
    """No answer label ("Option B", "option 2", ...) occurs in any situation, question or scale text."""
    for case in suite.cases():
        for name, condition in case.conditions.items():
            texts = {"situation": condition.situation, "question": (condition.question,), "scale": condition.scale.options}
            for part, lines in texts.items():
                for line in lines:
                    match = LABEL_PATTERN.search(line)
                    assert match is None, (
                        f"{case.bias}: case {case.id}, condition {name!r}: its {part} contains the answer label "
                        f"{match.group()!r}, which a model or the answer parser may read as a choice: {line!r}; "
                        "name the alternatives otherwise (e.g. 'the first offer', 'Plan North')"
                    )


def _biased_option_defined(suite: BiasSuite) -> None:
    bias = _bias(suite)
    prompt = suite.prompts(suite.cases()[:1])[0]
    try:
        bias.biased_option(prompt.text, prompt.options)
    except NotImplementedError as error:
        raise AssertionError(f"{bias.info.slug}: {error}") from None


def _means_per_condition(suite: BiasSuite, responder: Callable[[list[str]], TextResponder]) -> dict[str, float]:
    """Mean score of ``responder([condition])`` (random answers in the other conditions), per condition."""
    names = _bias(suite).info.conditions
    runners = [responder([name]) for name in names]
    results = suite.run_many(runners, progress=False)
    return {name: float(results[runner.name].summary["mean"].iloc[0]) for name, runner in zip(names, runners)}


def condition_effects(suite: BiasSuite) -> dict[str, tuple[float, float]]:
    """Per condition: mean score of biased and of opposite text answers there, random answers elsewhere.

    A condition where the biased answers score below the opposite ones pushes the score the
    wrong way (e.g. its scale text runs opposite to what the scorer assumes).
    """
    bias = _bias(suite)
    biased = _means_per_condition(suite, lambda names: TextResponder([bias], conditions=names))
    opposite = _means_per_condition(suite, lambda names: TextResponder([bias], opposite=True, conditions=names))
    return {name: (biased[name], opposite[name]) for name in biased}


def _diagnosis(suite: BiasSuite) -> str:
    lines = []
    for name, (biased, opposite) in condition_effects(suite).items():
        effect = biased - opposite
        verdict = ("pushes the score the WRONG way" if effect < -WRONG_WAY_MARGIN
                   else "pushes the score the right way" if effect > WRONG_WAY_MARGIN else "does not move the score")
        lines.append(f"  condition {name!r} {verdict}: biased answers there (random elsewhere) score {biased:+.3f}, "
                     f"opposite answers {opposite:+.3f}")
    return "\n".join(lines)


def check_biased_text_responder(suite: BiasSuite) -> None:
    """A responder that answers from the prompt text as biased_option says scores clearly positive."""
    _biased_option_defined(suite)
    mean = _mean_score(suite, TextResponder(suite.biases))
    assert mean > BIASED_MINIMUM, (
        f"{suite.bias_slugs[0]}: a responder reading the prompts with biased_option() scores {mean:+.3f}, "
        f"not > {BIASED_MINIMUM}; per condition:\n{_diagnosis(suite)}"
    )


def check_opposite_text_responder(suite: BiasSuite) -> None:
    """A responder with the opposite tendency (biased_option(..., opposite=True)) scores clearly negative."""
    _biased_option_defined(suite)
    mean = _mean_score(suite, TextResponder(suite.biases, opposite=True))
    assert mean < -BIASED_MINIMUM, (
        f"{suite.bias_slugs[0]}: a responder reading the prompts with the opposite tendency scores {mean:+.3f}, "
        f"not < {-BIASED_MINIMUM}; per condition:\n{_diagnosis(suite)}"
    )


def check_order_confound(suite: BiasSuite, alternatives: Sequence[str], *, tolerance: float = 0.1) -> None:
    """A responder that takes whichever of ``alternatives`` the situation describes first scores ~0.

    Not one of :data:`CHECKS`: which texts name the alternatives is bias-specific. Call it for a
    bias whose situations describe two alternatives (plans, offers, ...) by name, e.g.
    ``check_order_confound(suite, ("Plan North", "Plan South"))``.
    """
    mean = _mean_score(suite, FirstDescribedResponder(alternatives))
    if abs(mean) < tolerance:
        return
    per_condition = _means_per_condition(suite, lambda names: FirstDescribedResponder(alternatives, conditions=names))
    lines = "\n".join(f"  condition {name!r}: first-described answers there (random elsewhere) score {value:+.3f}"
                      for name, value in per_condition.items())
    worst = max(per_condition, key=lambda name: abs(per_condition[name]))
    raise AssertionError(
        f"{suite.bias_slugs[0]}: a responder that takes the first-described alternative scores {mean:+.3f}, not within "
        f"{tolerance} of 0: the order in which the situation describes the alternatives goes with the score, most "
        f"in condition {worst!r}; describe them in the same (or a balanced) order in every condition\n{lines}"
    )


#: Every conformance check, in a stable order; each takes a suite from :func:`conformance_suite`.
CHECKS: tuple[Callable[[BiasSuite], None], ...] = (
    check_metadata,
    check_json_round_trip,
    check_deterministic,
    check_distinct_rendered_cases,
    check_score_range,
    check_conditions_share_wording,
    check_no_label_collisions,
    check_random_responder,
    check_first_option_responder,
    check_biased_text_responder,
    check_opposite_text_responder,
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
