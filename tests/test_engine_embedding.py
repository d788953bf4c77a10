"""Embedding API: any callable as a runner; export prompts, score answers handed back."""

from __future__ import annotations

import json
import math
import runpy
from pathlib import Path

import pandas as pd
import pytest

from biasorigins.errors import ConfigError, DataFormatError
from biasorigins.exchange import export_prompts, prompt_id, read_table, score_answers
from biasorigins.models.callable import CallableRunner
from biasorigins.records import Prompt, Response
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import RandomResponder

BIASES = ["anchoring", "framing-effect", "loss-aversion"]
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "embed_in_your_eval.py"


@pytest.fixture(scope="module")
def suite():
    return BiasSuite(BIASES, cases=4, seed=3)


def random_labels(prompts: list[Prompt]) -> list[str]:
    """The choices of a seeded random responder, written out as labels."""
    return [p.labels[r.choice] for p, r in zip(prompts, RandomResponder(5).decide(prompts))]


def test_text_answers_are_parsed_like_generated_ones(suite):
    seen = []

    def answer(texts):
        seen.append(len(texts))
        return [f"My choice is Option {t.split('Option ')[2][0]}." if "%" in t else "I cannot answer that."
                for t in texts]

    result = suite.run(CallableRunner(answer, name="api", batch_size=5), progress=False)
    assert max(seen) == 5
    counts = result.answer_counts.set_index("bias")
    assert counts.loc["anchoring", "ok"] == 8
    assert counts.loc["loss-aversion", "refused"] + counts.loc["loss-aversion", "ok"] == 8
    table = result.table
    refused = table[table["status"] == "refused"]
    assert (refused["text"] == "I cannot answer that.").all() and refused["error"].notna().all()
    anchoring = table[table["bias"] == "anchoring"]
    assert (anchoring["displayed_choice"] == 1).all()  # "Option B" is the second displayed option


def test_option_scores_lists_and_label_mappings(suite):
    prompts = suite.prompts()
    by_list = CallableRunner(lambda ps: [[-abs(k - 1.0) for k in range(len(p.options))] for p in ps], input="prompt")
    by_label = CallableRunner(lambda ps: [{p.labels[1]: 0.0, p.labels[0]: -1.0} for p in ps], input="prompt")
    for runner in (by_list, by_label):
        responses = runner.decide(prompts)
        assert all(r.choice == 1 and r.status == "ok" for r in responses)
    assert by_list.decide(prompts[:1])[0].scores == (-1.0, 0.0, *(-float(k - 1) for k in range(2, 11)))
    nan = CallableRunner(lambda ps: [[math.nan] * len(p.options) for p in ps], input="prompt")
    assert nan.decide(prompts[:1])[0].status == "invalid"
    with pytest.raises(ConfigError, match="option scores"):
        CallableRunner(lambda ps: [[0.0, 1.0] for _ in ps], input="prompt").decide(prompts[:1])
    with pytest.raises(ConfigError, match="unknown labels"):
        CallableRunner(lambda ps: [{"Z": 1.0} for _ in ps], input="prompt").decide(prompts[:1])
    with pytest.raises(ConfigError, match="returned 0 answers"):
        CallableRunner(lambda ps: []).decide(prompts[:2])
    responses = CallableRunner(lambda ps: [None, Response(status="refused", text="no")], batch_size=2).decide(prompts[:2])
    assert [r.status for r in responses] == ["invalid", "refused"]


def test_callable_answers_are_stored_under_their_fingerprint(suite, tmp_path):
    calls = []

    def answer(texts):
        calls.append(len(texts))
        return ["Option A"] * len(texts)

    path = tmp_path / "store.sqlite"
    suite.run(CallableRunner(answer, fingerprint="api-model v1"), store=path, progress=False)
    suite.run(CallableRunner(answer, fingerprint="api-model v1"), store=path, progress=False)
    asked = len(suite.prompts()) + sum(len(suite.probe_prompts(b)) for b in suite.biases)  # with the probes
    assert sum(calls) == asked
    suite.run(CallableRunner(answer, fingerprint="api-model v2"), store=path, progress=False)
    assert sum(calls) == 2 * asked


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_exported_prompts_answered_elsewhere_score_like_a_run(suite, tmp_path, suffix):
    path = tmp_path / f"prompts{suffix}"
    frame = export_prompts(suite, path)
    assert list(frame["prompt_id"]) == [prompt_id(p) for p in suite.prompts()]
    assert frame["prompt_id"].is_unique
    back = read_table(path, what="prompts")
    assert list(back["labels"].map(list)) == list(frame["labels"])
    labels = random_labels(suite.prompts())
    answers = pd.DataFrame({"prompt_id": frame["prompt_id"], "label": labels})
    handed_back = score_answers(answers, prompts=path, model="elsewhere")
    with_suite = score_answers(answers, suite=suite, model="elsewhere")
    run = suite.run(RandomResponder(5), model="elsewhere", progress=False)
    keep = ["bias", "case_id", "condition", "choice", "displayed_choice", "status", "score"]
    assert handed_back.table[keep].equals(run.table[keep])
    assert with_suite.table[keep].equals(run.table[keep])
    assert (handed_back.chat_format, run.chat_format) == (None, "none")  # answered elsewhere: not known
    pd.testing.assert_frame_equal(handed_back.summary.drop(columns="chat_format"),
                                  run.summary.drop(columns="chat_format"))


def test_answers_by_case_and_condition_text_and_scores(suite, tmp_path):
    prompts = suite.prompts()
    rows = [{"case_id": p.case_id, "condition": p.condition, "answer": f"Option {p.labels[-1]}"} for p in prompts[:4]]
    rows += [{"case_id": p.case_id, "condition": p.condition, "scores": [0.0] * (len(p.options) - 1) + [1.0]}
             for p in prompts[4:8]]
    rows.append({"case_id": prompts[8].case_id, "condition": prompts[8].condition, "status": "refused",
                 "answer": "No."})
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = score_answers(answers, suite=suite)
    table = result.table.set_index(["case_id", "condition"])
    for p in prompts[:8]:
        assert table.loc[(p.case_id, p.condition), "displayed_choice"] == len(p.options) - 1
    assert table.loc[(prompts[8].case_id, prompts[8].condition), "status"] == "refused"
    assert (result.table["status"] == "missing").sum() == len(prompts) - 9


def test_bad_answer_files_name_the_row(suite, tmp_path):
    pid = prompt_id(suite.prompts()[0])
    cases = {
        "not among the exported prompts": [{"prompt_id": "nope", "label": "A"}],
        "answered twice": [{"prompt_id": pid, "label": "A"}, {"prompt_id": pid, "label": "B"}],
        "not answer and label": [{"prompt_id": pid, "label": "A", "answer": "Option A"}],
        "no answer": [{"prompt_id": pid}],
        "name the prompt": [{"label": "A"}],
    }
    for message, rows in cases.items():
        with pytest.raises(DataFormatError, match=message) as caught:
            score_answers(rows, suite=suite)
        assert "answer row" in str(caught.value)
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"prompt_id": pid, "label": "A"}) + "\n{oops\n")
    with pytest.raises(DataFormatError, match="line 2"):
        score_answers(broken, suite=suite)
    with pytest.raises(DataFormatError, match="exactly one of"):
        score_answers([], suite=suite, prompts=tmp_path / "x.jsonl")
    out_of_range = score_answers([{"prompt_id": pid, "label": "Z"}], suite=suite)
    assert out_of_range.table.iloc[0]["status"] == "invalid"


def test_worked_example_runs(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "Loss Aversion" in out and "stored answers: 60" in out
