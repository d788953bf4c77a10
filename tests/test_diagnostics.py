"""Answer diagnostics: position-only, content-reading and mixed responders, the probe, CLI, HTML, SmolLM2."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from biasorigins import BiasSuite
from biasorigins.cli import main
from biasorigins.diagnostics import (
    OVERALL,
    diagnostics_html,
    model_warnings,
    reversed_twin,
    twin_chance,
)
from biasorigins.errors import ConfigError
from biasorigins.store import DecisionStore
from biasorigins.testing.answer_styles import ContentResponder, MixtureResponder, PositionResponder

BIASES = ["anchoring", "framing-effect", "certainty-effect", "belief-bias-valid", "decoy-cheaper"]


@pytest.fixture(scope="module")
def suite() -> BiasSuite:
    return BiasSuite(BIASES, cases=8, seed=3)


def overall(result) -> pd.Series:
    frame = result.diagnostics
    return frame[frame["bias"] == OVERALL].iloc[0]


@pytest.mark.parametrize("position", [0, -1])
def test_a_position_only_responder_is_flagged_and_the_table_says_so(suite: BiasSuite, position: int) -> None:
    result = suite.run(PositionResponder(position), progress=False)
    row = overall(result)
    assert row["follows_position"] == 1 and row["follows_content"] == 0
    assert row["first_share" if position == 0 else "last_share"] == 1
    assert row["invalid_rate"] == 0
    if position == 0:  # always label A; the last label depends on the scale's length
        assert row["top_label"] == "A" and row["top_label_share"] == 1 and row["label_entropy"] == 0
    assert row["twin_pairs"] == len(BIASES) * 4 * 2 + 4 * 2  # 4 probed cases; belief bias and decoy have 3 conditions
    assert (result.diagnostics["verdict"] == "positional").all()
    quality = result.answer_quality
    assert quality.verdict == "positional"
    assert quality.warning.startswith("answers follow option position in 100% of 48 probed questions")
    text = str(result)
    assert f"Warning: {quality.warning}" in text and "answers follow" in text


def test_a_content_reading_responder_is_not_flagged(suite: BiasSuite) -> None:
    result = suite.run(ContentResponder(), progress=False)
    row = overall(result)
    assert row["follows_content"] == 1 and row["follows_position"] == 0
    assert result.answer_quality.verdict == "content" and result.answer_quality.warning is None
    assert set(result.diagnostics["verdict"]) <= {"content", "undetermined"}
    assert "Warning" not in str(result)
    # counterbalancing: the preferred option is shown first in some cases and last in others
    assert 0 < row["first_share"] < 1 and row["top_label_share"] < 1


def test_the_verdict_depends_on_the_reversal(suite: BiasSuite, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutation: twins shown in the original order make the content reader look positional."""
    import biasorigins.diagnostics as diagnostics

    monkeypatch.setattr(diagnostics, "reversed_twin", lambda case: case)
    result = BiasSuite(BIASES, cases=8, seed=3).run(ContentResponder(), progress=False)
    assert result.answer_quality.verdict == "positional"


def test_a_half_positional_responder_is_mixed_and_a_random_one_is_not_positional(suite: BiasSuite) -> None:
    mixed = suite.run(MixtureResponder(0.5, correlated=True, seed=1), progress=False)
    assert mixed.answer_quality.verdict == "mixed" and mixed.answer_quality.warning is None
    assert f"Note: {mixed.answer_quality.message}" in str(mixed) and "attenuated" in str(mixed)
    noisy = BiasSuite("all", cases=4, seed=1).run(MixtureResponder(0.0, noise=1.0, seed=1), progress=False)
    row = overall(noisy)
    assert abs(row["follows_position"] - row["twin_chance"]) < 0.06
    assert abs(row["follows_content"] - row["twin_chance"]) < 0.06
    assert noisy.answer_quality.verdict == "mixed"


def test_twin_chance_and_the_twin_of_a_case() -> None:
    assert twin_chance(2) == 0.5 and math.isclose(twin_chance(7), 1 / 8) and math.isclose(twin_chance(11), 1 / 12)
    case = BiasSuite("decoy-cheaper", cases=1).cases()[0]
    twin = reversed_twin(case)
    for name, cond in case.conditions.items():  # decoy fixes its display order; the twin still reverses it
        assert twin.conditions[name].shown_order == tuple(reversed(cond.shown_order))
    assert twin.id == case.id


def test_the_probe_is_bounded_configurable_and_never_scored(suite: BiasSuite) -> None:
    class Counting(ContentResponder):
        asked = 0

        def decide(self, prompts):
            Counting.asked += len(prompts)
            return super().decide(prompts)

    scored = len(suite.prompts())
    with_probe = suite.run(Counting(), progress=False)
    assert Counting.asked == scored + len(BIASES) * 4 * 2 + 2 * 4
    off = BiasSuite(BIASES, cases=8, seed=3, reversal_probe=0)
    Counting.asked = 0
    without = off.run(Counting(), progress=False)
    assert Counting.asked == scored
    pd.testing.assert_frame_equal(with_probe.table, without.table)
    pd.testing.assert_frame_equal(with_probe.summary, without.summary)
    assert without.answer_quality.verdict == "undetermined" and without.twins.empty
    assert "answers follow" not in str(without) and "answers follow" in str(with_probe)
    assert len(BiasSuite(BIASES, cases=2, reversal_probe=4).probe_prompts(suite.biases[0])) == 2 * 2
    with pytest.raises(ConfigError, match="reversal_probe"):
        BiasSuite(BIASES, reversal_probe=-1)


def test_probe_answers_are_stored_and_reused(tmp_path: Path) -> None:
    suite = BiasSuite(BIASES, cases=4, seed=0)
    first = suite.run(PositionResponder(), store=tmp_path / "store.sqlite", progress=False)

    class Refusing(PositionResponder):
        def decide(self, prompts):
            raise AssertionError(f"asked {len(prompts)} prompts that are in the store")

    again = suite.run(Refusing(), store=tmp_path / "store.sqlite", progress=False)
    pd.testing.assert_frame_equal(first.diagnostics, again.diagnostics)
    with DecisionStore(tmp_path / "store.sqlite") as store:
        assert store.count() == len(suite.prompts()) + len(first.twins)


def test_results_write_the_diagnostics(suite: BiasSuite, tmp_path: Path) -> None:
    result = suite.run(PositionResponder(), progress=False)
    written = result.write(tmp_path)
    table = pd.read_csv(written["diagnostics"])
    assert list(table["bias"]) == [*BIASES, OVERALL] and set(table["verdict"]) == {"positional"}


def test_html_fragment_warns_for_the_positional_model_only(suite: BiasSuite) -> None:
    frames = [suite.run(PositionResponder(name="<pos>"), progress=False).diagnostics,
              suite.run(ContentResponder(), progress=False).diagnostics]
    table = pd.concat(frames, ignore_index=True)
    assert list(model_warnings(table)) == ["<pos>"]
    fragment = diagnostics_html(table)
    assert "<strong>&lt;pos&gt;</strong>: answers follow option position in 100%" in fragment
    assert "bias scores for this model are uninformative" in fragment
    assert fragment.count('class="warning"') == 1 and "content-reader" in fragment


def test_cli_evaluate_prints_the_warning_for_a_random_tiny_model(tiny_causal_dir: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", str(tiny_causal_dir), "--biases", "anchoring", "framing-effect", "--cases", "4",
                 "--no-progress", "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "Warning: answers follow option position in" in out and "bias scores for this model are uninformative" in out
    assert (tmp_path / "diagnostics.csv").is_file()
    assert main(["evaluate", str(tiny_causal_dir), "--biases", "anchoring", "--cases", "2", "--no-progress",
                 "--reversal-probe", "0"]) == 0
    assert "Warning" not in capsys.readouterr().out


@pytest.mark.slow
def test_smollm2_answers_mostly_by_position(smollm2_dir: Path) -> None:
    from biasorigins.models.hf import HFRunner

    runner = HFRunner(smollm2_dir, batch_size=8)
    result = BiasSuite(["anchoring", "framing-effect", "certainty-effect"], cases=4, seed=0).run(runner, progress=False)
    row = overall(result)
    assert result.answer_quality.verdict == "positional", result.diagnostics.to_string()
    assert row["follows_position"] > 0.7 and row["follows_content"] < 0.2
    assert "bias scores for this model are uninformative" in str(result)


@pytest.mark.parametrize(("position_share", "noise", "correlated", "expected"), [
    (0.0, 0.3, False, {"mixed", "content"}),   # a content reader with 30% random answers is never flagged
    (0.3, 0.0, True, {"content", "mixed"}),
    (0.0, 1.0, False, {"mixed"}),              # uniformly random answers: no information, but not positional
    (0.8, 0.0, True, {"positional"}),
    (0.9, 0.0, False, {"positional"}),
])
def test_the_threshold_separates_mixtures_as_the_simulation_says(position_share: float, noise: float,
                                                                  correlated: bool, expected: set[str]) -> None:
    """The docs' calibration claims (benchmarks/diagnostics_threshold.py), on the real design of all biases."""
    for seed in range(3):
        suite = BiasSuite("all", cases=4, seed=seed)
        responder = MixtureResponder(position_share, noise=noise, correlated=correlated, seed=seed)
        assert suite.run(responder, progress=False).answer_quality.verdict in expected


def test_golden_numbers_on_hand_made_answers() -> None:
    """Two-option cases answered by hand: shares, label prior and twin pairs computed on paper."""
    from biasorigins.diagnostics import diagnose, twin_pairs
    from biasorigins.records import Decision

    suite = BiasSuite("certainty-effect", cases=4, seed=0, counterbalance="none")
    cases = suite.cases()
    shown = [0, 0, 0, 0, 0, 0, 1, 1]  # displayed choices, case by case and condition by condition
    keys = [(case.id, name) for case in cases for name in case.conditions]
    decisions = [Decision(case_id=c, condition=n, choice=s, displayed_choice=s, status="ok")
                 for (c, n), s in zip(keys, shown)]
    twins = [Decision(case_id=c, condition=n, choice=1 - s, displayed_choice=s, status="ok")  # the same position
             for (c, n), s in zip(keys[:3], shown)]
    twins.append(Decision(case_id=keys[3][0], condition=keys[3][1], choice=0, displayed_choice=1, status="ok"))
    pairs = twin_pairs("m", cases, decisions, twins)
    assert list(pairs["follows"]) == ["position", "position", "position", "content"]
    row = diagnose("m", cases, decisions, pairs).iloc[-1]
    assert row["bias"] == OVERALL and row["answers"] == 8 and row["invalid_rate"] == 0
    assert row["first_share"] == 0.75 and row["last_share"] == 0.25 and row["position_chance"] == 0.5
    assert row["top_label"] == "A" and row["top_label_share"] == 0.75
    assert math.isclose(row["label_entropy"], -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(2))
    assert row["twin_pairs"] == 4 and row["follows_position"] == 0.75 and row["follows_content"] == 0.25
    assert row["twin_chance"] == 0.5 and row["verdict"] == "undetermined"  # fewer than 6 pairs
