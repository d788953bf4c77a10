"""Certainty effect, belief bias and decoy effect (Itzhak et al. 2024 designs, our stimuli).

The shared plugin contract (round trip, determinism, 1000 distinct cases, random and
position-only responders ~0, biased responder > 0.3) is in test_bias_conformance.py;
here: the design cells and their counts, the logic and world knowledge behind the
stimuli, golden scores, and responders with and without the bias.
"""

from __future__ import annotations

import functools
import itertools
import re
import zlib
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from biasorigins import get_bias
from biasorigins.biases._decoy import THIRD, dominates
from biasorigins.biases._syllogisms import (
    INVALID_FORMS,
    VALID_FORMS,
    WORLD,
    Form,
    relation,
    render_statement,
    statement_true,
)
from biasorigins.records import Prompt, Response, TestCase
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import FirstOptionResponder, RandomResponder

ITB_SLUGS = ("certainty-effect", "belief-bias-valid", "belief-bias-invalid", "decoy-expensive", "decoy-cheaper")
N = 1000


@functools.lru_cache(maxsize=None)
def suite(slug: str, cases: int = N, paper_compatible: bool = False) -> BiasSuite:
    return BiasSuite([slug], cases=cases, seed=0, paper_compatible=paper_compatible)


class RuleResponder:
    """Answers every condition by a rule on the case (scale index), mapped to the displayed position."""

    def __init__(self, cases: Sequence[TestCase], rule: Callable[[TestCase, str], int], name: str = "rule") -> None:
        self.cases = {case.id: case for case in cases}
        self.rule = rule
        self.name = name
        self.fingerprint = name

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        return [
            Response(choice=p.display_order.index(self.rule(self.cases[p.case_id], p.condition))) for p in prompts
        ]


def mean_with(slug: str, rule: Callable[[TestCase, str], int], *, paper_compatible: bool = False) -> float:
    s = suite(slug, 400, paper_compatible)
    result = s.run(RuleResponder(s.cases(), rule))
    assert not result.errors
    return float(result.summary["mean"].iloc[0])


# -- design cells and counts ----------------------------------------------------------------
@pytest.mark.parametrize("slug", ITB_SLUGS)
def test_full_design_is_generated_deterministically_with_counts_per_cell(slug: str) -> None:
    bias = get_bias(slug)
    cases = suite(slug).cases()
    counts = bias.design_counts(cases)
    assert list(counts.columns) == [*bias.design_factors, "condition", "prompts"]
    n_cells = int(np.prod([len(levels) for levels in bias.design_factors.values()]))
    assert len(counts) == n_cells * len(bias.info.conditions)
    assert (counts["prompts"] > 0).all(), counts[counts["prompts"] == 0]
    per_condition = counts.groupby("condition")["prompts"].sum()
    assert (per_condition == N).all() and set(per_condition.index) == set(bias.info.conditions)
    again = bias.design_counts(BiasSuite([slug], cases=N, seed=0).cases())
    assert again.equals(counts)


@pytest.mark.parametrize("slug", ITB_SLUGS)
def test_every_test_declares_the_difference_of_proportions_design(slug: str) -> None:
    bias = get_bias(slug)
    assert bias.info.design == "difference of proportions"
    assert "excluded" in bias.undecided_rule and bias.info.confounds


# -- certainty effect ---------------------------------------------------------------------------
def _ev(lottery: list[list[int]]) -> float:
    return sum(prize * chance for prize, chance in lottery) / 100


def test_certainty_lotteries_follow_kahneman_tversky_structures() -> None:
    for case in suite("certainty-effect").cases():
        v = case.values
        for name in ("treatment_risky", "treatment_target", "control_risky", "control_target"):
            assert sum(chance for _, chance in v[name]) == 100
            assert v[f"ev_{name}"] == pytest.approx(_ev(v[name]))
        assert v["treatment_target"] == [[v["treatment_target"][0][0], 100]]  # the sure thing
        assert len(v["control_target"]) == 2  # risky in the control
        # the gamble has the better expected value in both conditions, never by a negligible margin
        sure = v["treatment_target"][0][0]
        assert v["ev_treatment_risky"] >= 1.005 * sure
        assert v["ev_control_risky"] > v["ev_control_target"]
        if v["subtype"] == "common-consequence":  # same EV difference: the common outcome was removed
            diff_t = v["ev_treatment_risky"] - v["ev_treatment_target"]
            assert v["ev_control_risky"] - v["ev_control_target"] == pytest.approx(diff_t)
        else:  # common ratio: both chances scaled by the same factor
            ratio = v["control_target"][0][1] / 100
            assert v["control_risky"][0][1] == pytest.approx(v["treatment_risky"][0][1] * ratio)
        treatment, control = case.conditions["treatment"], case.conditions["control"]
        assert treatment.situation == control.situation and treatment.question == control.question
        assert "$" in treatment.scale.options[1] and "%" not in treatment.scale.options[1].replace("100%", "")
        assert treatment.shown_order == control.shown_order


def test_certainty_golden_scores() -> None:
    bias = get_bias("certainty-effect")
    case = suite("certainty-effect").cases()[0]
    target, gamble = case.values["target_index"], case.values["better_ev_index"]
    assert bias.score(case, {"treatment": target, "control": gamble}) == 1.0
    assert bias.score(case, {"treatment": gamble, "control": target}) == -1.0
    assert bias.score(case, {"treatment": target, "control": target}) == 0.0
    assert bias.score(case, {"treatment": gamble, "control": gamble}) == 0.0
    assert bias.score(case, {"treatment": target}) is None  # undecided control: excluded


def test_certainty_responders() -> None:
    sure_only_when_sure = mean_with(
        "certainty-effect", lambda c, cond: c.values["target_index"] if cond == "treatment" else c.values["better_ev_index"]
    )
    assert sure_only_when_sure == 1.0
    expected_value = mean_with(
        "certainty-effect",
        lambda c, cond: 0 if c.values[f"ev_{cond}_risky"] > c.values[f"ev_{cond}_target"] else 1,
    )
    assert expected_value == 0.0
    assert mean_with("certainty-effect", lambda c, cond: c.values["target_index"]) == 0.0


# -- belief bias ----------------------------------------------------------------------------------
def _models(existential_import: bool):
    """Every Venn model of S, M, P: which of the 8 regions are non-empty."""
    for occupied in itertools.product((False, True), repeat=8):
        regions = [dict(zip("SMP", bits)) for bits, on in zip(itertools.product((False, True), repeat=3), occupied) if on]
        if existential_import and not all(any(r[t] for r in regions) for t in "SMP"):
            continue
        yield regions


def _holds(statement, regions) -> bool:
    x, y = statement.subject, statement.predicate
    if statement.mood == "all":
        return all(r[y] for r in regions if r[x])
    if statement.mood == "no":
        return not any(r[x] and r[y] for r in regions)
    return any(r[x] and r[y] for r in regions)


def _valid(form: Form, existential_import: bool) -> bool:
    return all(
        _holds(form.conclusion, m)
        for m in _models(existential_import)
        if _holds(form.major, m) and _holds(form.minor, m)
    )


@pytest.mark.parametrize("form", VALID_FORMS + INVALID_FORMS, ids=lambda f: f.name)
def test_syllogistic_forms_have_the_declared_validity(form: Form) -> None:
    assert form.major.subject in "MP" and form.major.predicate in "MP"
    assert {form.minor.subject, form.minor.predicate} == {"S", "M"}
    assert (form.conclusion.subject, form.conclusion.predicate) == ("S", "P")
    if form.valid:
        assert _valid(form, existential_import=False)  # valid without assuming non-empty terms
    else:
        assert not _valid(form, existential_import=True)  # invalid even with non-empty terms


def test_world_pool_is_large_and_consistent() -> None:
    assert len(WORLD) >= 40
    assert len(set(WORLD)) == len(WORLD)
    for entry in WORLD:
        assert len(set(entry)) == 4 and all(term == term.lower() or term[0].isupper() for term in entry)
    assert relation(0, 1) == relation(1, 2) == relation(0, 2) == "subset"
    assert relation(2, 0) == "superset" and relation(3, 1) == relation(0, 3) == "disjoint"


@pytest.mark.parametrize("slug", ["belief-bias-valid", "belief-bias-invalid"])
def test_belief_contents_have_the_declared_believability(slug: str) -> None:
    valid = slug.endswith("-valid")
    forms = {f.name: f for f in VALID_FORMS + INVALID_FORMS}
    world_terms = {term for entry in WORLD for term in entry}
    for case in suite(slug).cases():
        v = case.values
        form = forms[v["form"]]
        assert form.valid is valid and v["valid"] is valid
        entry = WORLD[v["world_entry"]]
        for name, believable in (("believable", True), ("unbelievable", False)):
            terms = v["terms"][name]
            assert set(terms.values()) <= set(entry)
            rel = relation(entry.index(terms["S"]), entry.index(terms["P"]))
            assert statement_true(form.conclusion.mood, rel) is believable
            conclusion = render_statement(form.conclusion, terms)
            assert conclusion in case.conditions[name].situation[-1] or conclusion[1:] in case.conditions[name].situation[-1]
        nonsense = v["terms"]["nonsense"]
        assert len(set(nonsense.values())) == 3 and not set(nonsense.values()) & world_terms
        # the three contents share the form, the premise order, the wording and the scale
        first, *others = (case.conditions[n] for n in ("nonsense", "believable", "unbelievable"))
        for other in others:
            assert other.question == first.question and other.scale == first.scale
            assert other.situation[0] == first.situation[0] and other.shown_order == first.shown_order


def test_belief_golden_scores() -> None:
    accept, reject = 0, 1
    valid, invalid = get_bias("belief-bias-valid"), get_bias("belief-bias-invalid")
    case_v, case_i = suite("belief-bias-valid").cases()[0], suite("belief-bias-invalid").cases()[0]
    # valid: acceptance(nonsense) - acceptance(unbelievable)
    assert valid.score(case_v, {"nonsense": accept, "believable": accept, "unbelievable": reject}) == 1.0
    assert valid.score(case_v, {"nonsense": reject, "unbelievable": accept}) == -1.0
    assert valid.score(case_v, {"nonsense": accept, "unbelievable": accept, "believable": reject}) == 0.0
    assert valid.score(case_v, {"nonsense": accept, "believable": accept}) is None
    # invalid: acceptance(believable) - acceptance(nonsense)
    assert invalid.score(case_i, {"nonsense": reject, "believable": accept, "unbelievable": reject}) == 1.0
    assert invalid.score(case_i, {"nonsense": accept, "believable": reject}) == -1.0
    assert invalid.score(case_i, {"nonsense": reject, "believable": reject}) == 0.0
    assert invalid.score(case_i, {"believable": accept, "unbelievable": accept}) is None


@pytest.mark.parametrize("slug", ["belief-bias-valid", "belief-bias-invalid"])
def test_belief_responders(slug: str) -> None:
    accept, reject = 0, 1

    def logical(case: TestCase, condition: str) -> int:
        return accept if case.values["valid"] else reject

    def believer(case: TestCase, condition: str) -> int:
        # accepts believable and rejects unbelievable conclusions regardless of validity;
        # with nonsense words there is nothing to believe, so it answers logically
        if condition == "nonsense":
            return logical(case, condition)
        return accept if condition == "believable" else reject

    assert mean_with(slug, logical) == 0.0
    assert mean_with(slug, believer) == 1.0
    assert mean_with(slug, lambda c, cond: accept) == 0.0  # yes-sayer
    assert mean_with(slug, lambda c, cond: reject) == 0.0


# -- decoy effect -------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", ["decoy-expensive", "decoy-cheaper"])
def test_decoys_are_asymmetrically_dominated(slug: str) -> None:
    for case in suite(slug).cases():
        v = {k: tuple(case.values[k]) for k in ("target", "competitor", "target_decoy", "competitor_decoy")}
        assert not dominates(v["target"], v["competitor"]) and not dominates(v["competitor"], v["target"])
        assert dominates(v["target"], v["target_decoy"]) and not dominates(v["competitor"], v["target_decoy"])
        assert dominates(v["competitor"], v["competitor_decoy"]) and not dominates(v["target"], v["competitor_decoy"])
        pricier = v["target"][0] > v["competitor"][0]
        assert pricier is (slug == "decoy-expensive")
        core, td, cd = (case.conditions[n] for n in ("core", "target-decoy", "competitor-decoy"))
        assert len(core.scale) == 2 and len(td.scale) == len(cd.scale) == 3
        assert core.scale.options == td.scale.options[:2] == cd.scale.options[:2]
        assert td.display_order == cd.display_order  # fixed by design, the same in both three-option conditions
        assert core.display_order == tuple(i for i in td.display_order if i != THIRD)
        assert td.question == cd.question == core.question and td.situation == cd.situation
        assert "two" in " ".join(core.situation).lower() and "three" in " ".join(td.situation).lower()
        for line in core.situation + td.situation:  # count words are capitalised only at a sentence start
            assert not re.search(r"(?<!^)(?<!\. )\b(Two|Three)\b", line), line
        assert f"${v['target'][0]:,}" in td.scale.options[1]


@pytest.mark.parametrize("slug", ["decoy-expensive", "decoy-cheaper"])
def test_decoy_orderings_and_golden_scores(slug: str) -> None:
    bias, paper = get_bias(slug), get_bias(slug).configured(paper_compatible=True)
    cases = suite(slug).cases()
    orderings = {case.values["ordering"] for case in cases}
    assert len(orderings) == 6
    case = cases[0]
    c, t, d = 0, 1, 2
    assert bias.score(case, {"core": c, "target-decoy": t, "competitor-decoy": c}) == 1.0
    assert bias.score(case, {"core": c, "target-decoy": d, "competitor-decoy": t}) == -1.0
    assert bias.score(case, {"core": t, "target-decoy": t}) is None
    assert paper.score(case, {"core": c, "target-decoy": t}) == 1.0
    assert paper.score(case, {"core": t, "target-decoy": d, "competitor-decoy": t}) == -1.0


@pytest.mark.parametrize("slug", ["decoy-expensive", "decoy-cheaper"])
def test_decoy_responders(slug: str) -> None:
    target, competitor = 1, 0

    def attracted(case: TestCase, condition: str) -> int:
        # prefers the target only when the decoy it dominates is present; otherwise a coin flip
        if condition == "target-decoy":
            return target
        return zlib.crc32(f"{case.id}#{condition}".encode()) % 2

    def rational(case: TestCase, condition: str) -> int:
        # a fixed trade-off between price and quality; a dominated option never wins
        offers = [case.values["competitor"], case.values["target"]]
        utility = [quality - 25 * np.log(price) for price, quality in offers]
        return int(np.argmax(utility))

    assert mean_with(slug, attracted) > 0.3
    assert mean_with(slug, rational) == 0.0
    assert mean_with(slug, rational, paper_compatible=True) == 0.0
    assert mean_with(slug, lambda c, cond: competitor) == 0.0


@pytest.mark.parametrize("slug", ["decoy-expensive", "decoy-cheaper"])
def test_paper_decoy_score_is_confounded_by_the_third_option(slug: str) -> None:
    """The original control has two options: a random or position-only chooser scores about -1/6."""
    s = suite(slug, paper_compatible=True)
    random_mean = np.mean([float(s.run(RandomResponder(seed)).summary["mean"].iloc[0]) for seed in range(3)])
    first_mean = float(s.run(FirstOptionResponder()).summary["mean"].iloc[0])
    assert random_mean == pytest.approx(-1 / 6, abs=0.05)
    assert first_mean == pytest.approx(-1 / 6, abs=0.05)
    assert float(suite(slug).run(FirstOptionResponder()).summary["mean"].iloc[0]) == 0.0


def test_results_say_which_scoring_they_used() -> None:
    paper = suite("decoy-expensive", paper_compatible=True).run(FirstOptionResponder())
    ours = suite("decoy-expensive").run(FirstOptionResponder())
    assert paper.paper_compatible and paper.summary["paper_compatible"].all()
    assert "(paper-compatible scoring)" in paper.to_string()
    assert not ours.paper_compatible and not ours.summary["paper_compatible"].any()
    assert "paper-compatible" not in ours.to_string()


# -- undecided answers ------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", ITB_SLUGS)
def test_undecided_answers_are_excluded_from_the_proportions(slug: str) -> None:
    s = BiasSuite([slug], cases=40, seed=0)
    bias = s.biases[0]
    treated, neutral = bias.compared_conditions

    class Refuses:
        """Refuses the neutral condition of every other case; answers the first option otherwise."""

        name = fingerprint = "refuses-some"

        def decide(self, prompts):
            out = []
            for p in prompts:
                refuse = p.condition == neutral and zlib.crc32(p.case_id.encode()) % 2 == 0
                out.append(Response(status="refused", text="I cannot answer.") if refuse else Response(choice=0))
            return out

    result = s.run(Refuses())
    row = result.summary.iloc[0]
    refused = result.table[(result.table.status == "refused")]
    assert len(refused) == row["invalid_answers"] > 0
    assert row["n_invalid"] == refused["case_id"].nunique()
    assert row["n_valid"] + row["n_invalid"] == 40
    assert result.scores.set_index("case_id").loc[refused["case_id"], "score"].isna().all()


# -- a real model -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_smollm2_answers_all_five_tests_offline() -> None:
    from biasorigins.models.hf import HFRunner
    from biasorigins.testing.smollm import SMOLLM2_INSTALL, smollm2_available, smollm2_path

    if not smollm2_available():
        pytest.skip(f"SmolLM2 not installed: {SMOLLM2_INSTALL}")
    cases = 4
    result = BiasSuite(list(ITB_SLUGS), cases=cases, seed=0).run(HFRunner(smollm2_path()))
    assert not result.errors
    summary = result.summary.set_index("bias")
    assert set(summary.index) == set(ITB_SLUGS)
    answers = result.table.groupby("bias")["valid"].agg(valid="sum", total="size")
    for slug in ITB_SLUGS:
        row = summary.loc[slug]
        assert row["n_valid"] + row["n_invalid"] == cases
        assert answers.loc[slug, "total"] == cases * len(get_bias(slug).info.conditions)
        assert answers.loc[slug, "valid"] + row["invalid_answers"] == answers.loc[slug, "total"]
        assert row["n_valid"] > 0 and -1.0 <= row["mean"] <= 1.0
