"""MMLU with the paper's protocol, on a small fixture in the standard layout that we wrote ourselves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from biasorigins.errors import ConfigError, DataFormatError
from biasorigins.mmlu import LETTERS, evaluate_mmlu, load_mmlu, mmlu_prompt
from biasorigins.models.loading import load_model

FIXTURE = Path(__file__).parent / "fixtures" / "mmlu"
SUBJECTS = ["imaginary_geography", "kitchen_science", "toy_arithmetic"]


def test_load_local_folder() -> None:
    data = load_mmlu(FIXTURE)
    assert data.subjects == SUBJECTS
    assert all(len(data.dev[s]) == 5 and len(data.test[s]) == 6 for s in SUBJECTS)
    first = data.test["toy_arithmetic"][0]
    assert (first.question, first.choices, first.answer) == ("What is 2 + 2?", ("3", "4", "5", "22"), "B")
    assert load_mmlu(FIXTURE, subjects=["kitchen_science"]).subjects == ["kitchen_science"]
    with pytest.raises(ConfigError, match="unknown MMLU subject.*'astrology'"):
        load_mmlu(FIXTURE, subjects=["astrology"])


def test_malformed_csv_names_file_and_line(tmp_path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "mmlu")
    path = tmp_path / "mmlu" / "test" / "toy_arithmetic_test.csv"
    path.write_text(path.read_text() + "What is 1 + 1?,1,2,3,4,E\n")
    with pytest.raises(DataFormatError, match=r"toy_arithmetic_test.csv, line 7: field 'answer' must be A, B, C or D"):
        load_mmlu(tmp_path / "mmlu")
    path.write_text("What is 1 + 1?,1,2,3,B\n")
    with pytest.raises(DataFormatError, match="line 1: expected 6 columns"):
        load_mmlu(tmp_path / "mmlu")


def test_prompt_raw_two_shot() -> None:
    data = load_mmlu(FIXTURE)
    prompt = mmlu_prompt(data.test["toy_arithmetic"][0], data.dev["toy_arithmetic"][:2])
    assert prompt == (
        "The following are multiple choice questions (with answers) about toy arithmetic.\n\n"
        "What is 3 + 4?\nA. 6\nB. 7\nC. 8\nD. 12\nAnswer: B\n\n"
        "What is 10 - 6?\nA. 4\nB. 3\nC. 16\nD. 6\nAnswer: A\n\n"
        "What is 2 + 2?\nA. 3\nB. 4\nC. 5\nD. 22\nAnswer: The answer is:"
    )
    t5 = mmlu_prompt(data.test["toy_arithmetic"][0], (), seq2seq=True)
    assert t5.endswith("D. 22\nAnswer:")  # T5 without chat gets no suffix


def test_prompt_tulu_chat() -> None:
    data = load_mmlu(FIXTURE)
    prompt = mmlu_prompt(data.test["kitchen_science"][5], (), chat_format="tulu")
    assert prompt == (
        "<|user|>\nThe following are multiple choice questions (with answers) about kitchen science.\n\n"
        "Which part of an egg is yellow?\nA. The shell\nB. The yolk\nC. The white\nD. The membrane\nAnswer:\n"
        "<|assistant|>\nThe answer is:"
    )


def _naive_predictions(loaded, data, shots: int, chat_format: str) -> list[tuple[str, list[float]]]:
    """One unpadded forward per question, read the four choice logits: the reference."""
    seq2seq = loaded.kind == "seq2seq"
    ids_of = [loaded.tokenizer.encode(" " + letter, add_special_tokens=False)[-1] for letter in LETTERS]
    found = []
    for subject in data.subjects:
        for question in data.test[subject]:
            text = mmlu_prompt(question, data.dev[subject][:shots], chat_format=chat_format, seq2seq=seq2seq,
                               tokenizer=loaded.tokenizer)
            ids = torch.tensor([loaded.tokenizer(text)["input_ids"]])
            with torch.no_grad():
                if seq2seq:
                    start = torch.tensor([[loaded.model.config.decoder_start_token_id]])
                    logits = loaded.model(input_ids=ids, decoder_input_ids=start).logits[0, -1]
                else:
                    logits = loaded.model(input_ids=ids).logits[0, -1]
            probs = torch.softmax(logits[ids_of], dim=-1)
            found.append((LETTERS[int(probs.argmax())], probs.tolist()))
    return found


@pytest.mark.parametrize(("fixture", "shots", "chat_format"), [
    ("tiny_causal_dir", 0, "raw"), ("tiny_causal_dir", 2, "tulu"), ("tiny_t5_dir", 5, "raw"),
])
def test_batched_evaluation_equals_one_forward_per_question(request, fixture, shots, chat_format) -> None:
    loaded = load_model(request.getfixturevalue(fixture))
    data = load_mmlu(FIXTURE)
    result = evaluate_mmlu(loaded, data, shots=shots, chat_format=chat_format, batch_size=5, progress=False)
    expected = _naive_predictions(loaded, data, shots, chat_format)
    assert [q.prediction for q in result.questions] == [p for p, _ in expected]
    for question, (_, probs) in zip(result.questions, expected):
        assert question.probabilities == pytest.approx(probs, abs=1e-5)
    assert all(q.shots == shots for q in result.questions)


def test_accuracy_is_micro_averaged(tiny_causal_dir) -> None:
    result = evaluate_mmlu(tiny_causal_dir, FIXTURE, shots=1, progress=False, subjects=SUBJECTS[1:])
    frame = result.to_frame()
    assert result.num_questions == len(frame) == 12
    assert result.accuracy == (frame["answer"] == frame["prediction"]).mean()
    table = result.per_subject
    assert list(table["subject"]) == SUBJECTS[1:] and list(table["questions"]) == [6, 6]
    assert result.accuracy == table["correct"].sum() / table["questions"].sum()
    assert result.macro_accuracy == pytest.approx(table["accuracy"].mean())


def test_shots_are_reduced_when_the_prompt_is_too_long(tiny_causal_dir) -> None:
    full = evaluate_mmlu(tiny_causal_dir, FIXTURE, shots=5, subjects=["toy_arithmetic"], progress=False)
    assert {q.shots for q in full.questions} == {5}
    longest_one_shot = max(
        len(load_model(tiny_causal_dir).tokenizer(mmlu_prompt(q, load_mmlu(FIXTURE).dev["toy_arithmetic"][:1]))
            ["input_ids"])
        for q in load_mmlu(FIXTURE).test["toy_arithmetic"]
    )
    cut = evaluate_mmlu(tiny_causal_dir, FIXTURE, shots=5, subjects=["toy_arithmetic"], progress=False,
                        max_length=longest_one_shot)
    assert {q.shots for q in cut.questions} == {1}


def test_too_many_shots_and_hub_without_network(tiny_causal_dir) -> None:
    with pytest.raises(ConfigError, match="has 5 dev questions; cannot use 6 shots"):
        evaluate_mmlu(tiny_causal_dir, FIXTURE, shots=6, progress=False)
    with pytest.raises(ConfigError, match="cais/mmlu"):
        load_mmlu("cais/mmlu")  # datasets missing or the hub offline: a clear error either way


@pytest.mark.slow
def test_smollm2_batched_evaluation_equals_one_forward_per_question(smollm2_dir) -> None:
    # SmolLM2-135M is near chance on MMLU-style questions, so this checks the real path, not the score.
    loaded = load_model(smollm2_dir)
    data = load_mmlu(FIXTURE, subjects=["kitchen_science"])
    result = evaluate_mmlu(loaded, data, shots=2, chat_format="model", batch_size=4, progress=False)
    expected = _naive_predictions(loaded, data, 2, "model")
    assert [q.prediction for q in result.questions] == [p for p, _ in expected]
    for question, (_, probs) in zip(result.questions, expected):
        assert question.probabilities == pytest.approx(probs, abs=1e-4)
