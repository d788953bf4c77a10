"""MMLU accuracy with the cross-tuning paper's protocol (paper_spec section 6).

Each test question becomes one prompt::

    The following are multiple choice questions (with answers) about {subject}.

    {dev question 1}
    A. ...
    B. ...
    C. ...
    D. ...
    Answer: B

    ... (k dev exemplars of the same subject, the first k of its dev split)

    {test question}
    A. ...
    ...
    D. ...
    Answer:

Decoder-only models without a chat format also get `` The answer is:``
appended. With a chat format (``"tulu"`` or the model's own template) the
whole text is the user turn and ``The answer is:`` follows the assistant tag.
The prediction is the most likely next token among `` A``/`` B``/`` C``/`` D``
(for T5: at the first decoder step). If a prompt is longer than
``max_length`` tokens, exemplars are dropped one at a time. The score is the
micro-averaged accuracy over all questions; per-subject accuracies are kept.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from biasorigins.errors import ConfigError, DataFormatError

__all__ = [
    "MMLUQuestion",
    "MMLUData",
    "MMLUResult",
    "QuestionResult",
    "load_mmlu",
    "mmlu_prompt",
    "evaluate_mmlu",
]

logger = logging.getLogger(__name__)

LETTERS = ("A", "B", "C", "D")
HUB_DATASET = "cais/mmlu"


class MMLUQuestion(BaseModel):
    """One multiple-choice question."""

    model_config = ConfigDict(frozen=True)
    subject: str
    question: str
    choices: tuple[str, str, str, str]
    answer: Literal["A", "B", "C", "D"]


class MMLUData(BaseModel):
    """Dev (exemplar) and test questions per subject."""

    model_config = ConfigDict(frozen=True)
    dev: dict[str, tuple[MMLUQuestion, ...]]
    test: dict[str, tuple[MMLUQuestion, ...]]
    source: str

    @property
    def subjects(self) -> list[str]:
        return sorted(self.test)


class QuestionResult(BaseModel):
    """The model's answer to one test question."""

    model_config = ConfigDict(frozen=True)
    subject: str
    index: int
    answer: str
    prediction: str
    probabilities: tuple[float, float, float, float]
    shots: int

    @property
    def correct(self) -> bool:
        return self.answer == self.prediction


class MMLUResult(BaseModel):
    """MMLU accuracy of one model.

    Attributes
    ----------
    accuracy
        Micro-averaged accuracy: correct answers / questions, over all subjects.
    questions
        Every question's prediction, probabilities over A-D and the shots used.
    """

    model_config = ConfigDict(frozen=True)
    model: str
    fingerprint: str
    shots: int
    chat_format: str
    accuracy: float
    num_questions: int
    questions: tuple[QuestionResult, ...]

    @property
    def per_subject(self) -> Any:
        """A DataFrame: subject, questions, correct, accuracy (one row per subject)."""
        frame = self.to_frame()
        grouped = frame.groupby("subject", sort=True)["correct"]
        table = grouped.agg(questions="size", correct="sum").reset_index()
        table["accuracy"] = table["correct"] / table["questions"]
        return table

    @property
    def macro_accuracy(self) -> float:
        """Mean of the per-subject accuracies."""
        return float(self.per_subject["accuracy"].mean())

    def to_frame(self) -> Any:
        """One row per question: subject, index, answer, prediction, correct, shots, p_A..p_D."""
        import pandas as pd

        rows = []
        for q in self.questions:
            row = {"subject": q.subject, "index": q.index, "answer": q.answer, "prediction": q.prediction,
                   "correct": q.correct, "shots": q.shots}
            row.update({f"p_{letter}": p for letter, p in zip(LETTERS, q.probabilities)})
            rows.append(row)
        return pd.DataFrame(rows)


# ------------------------------------------------------------------ data
def load_mmlu(data: str | Path = HUB_DATASET, *, subjects: Sequence[str] | None = None) -> MMLUData:
    """Read MMLU from a local folder in the standard layout or from the hub.

    Parameters
    ----------
    data
        A folder holding ``dev/{subject}_dev.csv`` and ``test/{subject}_test.csv``
        (no header; columns question, A, B, C, D, answer), or that folder's
        parent with a ``data/`` subfolder; or ``"cais/mmlu"`` (needs the
        ``datasets`` package and a network or a local hub cache).
    subjects
        Only these subjects (default: all).
    """
    folder = Path(data)
    if folder.is_dir():
        if not (folder / "test").is_dir() and (folder / "data" / "test").is_dir():
            folder = folder / "data"
        loaded = _read_folder(folder)
    elif str(data) == HUB_DATASET or ("/" in str(data) and not folder.exists() and not folder.suffix):
        loaded = _read_hub(str(data))
    else:
        raise DataFormatError(f"MMLU data {str(data)!r} is neither a folder nor the hub dataset {HUB_DATASET!r}")
    if subjects is not None:
        unknown = sorted(set(subjects) - set(loaded.test))
        if unknown:
            raise ConfigError(f"unknown MMLU subject(s) {unknown}; available: {loaded.subjects}")
        loaded = MMLUData(
            dev={s: loaded.dev.get(s, ()) for s in subjects}, test={s: loaded.test[s] for s in subjects},
            source=loaded.source,
        )
    return loaded


def _read_folder(folder: Path) -> MMLUData:
    test_files = sorted((folder / "test").glob("*_test.csv"))
    if not test_files:
        raise DataFormatError(f"{folder / 'test'} holds no '{{subject}}_test.csv' files (the standard MMLU layout)")
    test, dev = {}, {}
    for path in test_files:
        subject = path.name[: -len("_test.csv")]
        test[subject] = _read_csv(path, subject)
        dev_path = folder / "dev" / f"{subject}_dev.csv"
        dev[subject] = _read_csv(dev_path, subject) if dev_path.is_file() else ()
    return MMLUData(dev=dev, test=test, source=str(folder))


def _read_csv(path: Path, subject: str) -> tuple[MMLUQuestion, ...]:
    questions = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        consumed = 0
        for cells in reader:
            line, consumed = consumed + 1, reader.line_num
            if not cells:
                continue
            if len(cells) != 6:
                raise DataFormatError(
                    f"{path}, line {line}: expected 6 columns (question, A, B, C, D, answer), got {len(cells)}"
                )
            answer = cells[5].strip()
            if answer not in LETTERS:
                raise DataFormatError(f"{path}, line {line}: field 'answer' must be A, B, C or D, got {answer!r}")
            questions.append(
                MMLUQuestion(subject=subject, question=cells[0], choices=tuple(cells[1:5]), answer=answer)
            )
    return tuple(questions)


def _read_hub(name: str) -> MMLUData:
    try:
        import datasets  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise ConfigError(
            f"reading {name!r} from the hub needs the 'datasets' package (pip install datasets); "
            "or pass a local folder in the standard MMLU layout (dev/ and test/ CSV files)"
        ) from None
    try:
        splits = datasets.load_dataset(name, "all")
    except Exception as error:  # network, offline mode, missing dataset
        raise ConfigError(
            f"cannot load {name!r} from the hub ({type(error).__name__}: {error}); if you are offline, "
            "download MMLU elsewhere and pass its folder"
        ) from None
    parts: dict[str, dict[str, list[MMLUQuestion]]] = {"dev": {}, "test": {}}
    for split in ("dev", "test"):
        for row in splits[split]:
            parts[split].setdefault(row["subject"], []).append(
                MMLUQuestion(subject=row["subject"], question=row["question"], choices=tuple(row["choices"]),
                             answer=LETTERS[int(row["answer"])])
            )
    return MMLUData(dev={s: tuple(q) for s, q in parts["dev"].items()},
                    test={s: tuple(q) for s, q in parts["test"].items()}, source=name)


# ---------------------------------------------------------------- prompts
def _block(question: MMLUQuestion, *, with_answer: bool) -> str:
    lines = [question.question] + [f"{letter}. {choice}" for letter, choice in zip(LETTERS, question.choices)]
    text = "\n".join(lines) + "\nAnswer:"
    return text + f" {question.answer}\n\n" if with_answer else text


def mmlu_prompt(
    question: MMLUQuestion,
    exemplars: Sequence[MMLUQuestion],
    *,
    chat_format: str = "raw",
    seq2seq: bool = False,
    tokenizer: Any = None,
) -> str:
    """The paper's prompt for one test question with the given dev exemplars."""
    from biasorigins.models.chat import format_chat

    subject = question.subject.replace("_", " ")
    text = f"The following are multiple choice questions (with answers) about {subject}.\n\n"
    text += "".join(_block(exemplar, with_answer=True) for exemplar in exemplars)
    text += _block(question, with_answer=False)
    if chat_format == "raw":
        return text if seq2seq else text + " The answer is:"
    wrapped = format_chat(text, chat_format=chat_format, tokenizer=tokenizer)  # type: ignore[arg-type]
    return wrapped + ("The answer is:" if wrapped[-1:] in ("\n", " ") else " The answer is:")


# -------------------------------------------------------------- evaluation
def evaluate_mmlu(
    model: Any,
    data: str | Path | MMLUData = HUB_DATASET,
    *,
    shots: int = 0,
    chat_format: str = "raw",
    subjects: Sequence[str] | None = None,
    batch_size: int = 8,
    max_length: int = 2048,
    progress: bool = True,
    **load_options: Any,
) -> MMLUResult:
    """MMLU accuracy of a model with the paper's protocol.

    Parameters
    ----------
    model
        Anything :func:`~biasorigins.models.loading.load_model` accepts, or a LoadedModel.
    data
        A folder in the standard MMLU layout, ``"cais/mmlu"`` or :class:`MMLUData`.
    shots
        Dev exemplars per prompt (the paper: 0 for OLMo, 5 for T5).
    chat_format
        ``"raw"``, ``"tulu"`` or ``"model"`` (the paper: Tulu for Tulu-tuned models).
    subjects
        Only these subjects.
    batch_size
        Prompts per forward pass.
    max_length
        Longest prompt in tokens; exemplars are dropped until it fits.
    **load_options
        Passed to ``load_model`` (tokenizer, adapter, dtype, device, ...).
    """
    import torch
    from tqdm.auto import tqdm

    from biasorigins.models.loading import LoadedModel, load_model

    if shots < 0:
        raise ConfigError(f"shots must be 0 or more, got {shots}")
    if batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    mmlu = data if isinstance(data, MMLUData) else load_mmlu(data, subjects=subjects)
    if isinstance(data, MMLUData) and subjects is not None:
        mmlu = MMLUData(dev={s: data.dev.get(s, ()) for s in subjects}, test={s: data.test[s] for s in subjects},
                        source=data.source)
    loaded = model if isinstance(model, LoadedModel) else load_model(model, **load_options)
    tokenizer, seq2seq = loaded.tokenizer, loaded.kind == "seq2seq"
    choice_ids = [tokenizer.encode(" " + letter, add_special_tokens=False)[-1] for letter in LETTERS]
    if len(set(choice_ids)) != 4:
        raise ConfigError("the tokenizer maps ' A', ' B', ' C', ' D' to fewer than four distinct last tokens")

    items = []  # (question, index, token ids, shots used)
    for subject in mmlu.subjects:
        exemplars = mmlu.dev.get(subject, ())
        if shots > len(exemplars):
            raise ConfigError(f"subject {subject!r} has {len(exemplars)} dev questions; cannot use {shots} shots")
        for index, question in enumerate(mmlu.test[subject]):
            ids, used = _fitting_prompt(question, exemplars[:shots], chat_format, seq2seq, tokenizer, max_length)
            items.append((question, index, ids, used))

    order = sorted(range(len(items)), key=lambda i: -len(items[i][2]))
    probabilities: dict[int, list[float]] = {}
    loaded.model.eval()
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    with torch.no_grad():
        for batch in tqdm(batches, desc="MMLU", unit="batch", disable=not progress, leave=False):
            logits = _next_token_logits(loaded, [items[i][2] for i in batch], seq2seq)
            probs = torch.softmax(logits[:, choice_ids].float(), dim=-1).cpu().tolist()
            probabilities.update(zip(batch, probs))

    results = []
    for position, (question, index, _, used) in enumerate(items):
        probs = probabilities[position]
        prediction = LETTERS[max(range(4), key=probs.__getitem__)]
        results.append(QuestionResult(subject=question.subject, index=index, answer=question.answer,
                                      prediction=prediction, probabilities=tuple(probs), shots=used))
    correct = sum(r.correct for r in results)
    return MMLUResult(
        model=loaded.name, fingerprint=loaded.fingerprint, shots=shots, chat_format=chat_format,
        accuracy=correct / len(results) if results else 0.0, num_questions=len(results), questions=tuple(results),
    )


def _fitting_prompt(
    question: MMLUQuestion, exemplars: Sequence[MMLUQuestion], chat_format: str, seq2seq: bool, tokenizer: Any,
    max_length: int,
) -> tuple[list[int], int]:
    """Token ids of the prompt with as many of ``exemplars`` as fit in ``max_length``; and that count."""
    k = len(exemplars)
    while True:
        text = mmlu_prompt(question, exemplars[:k], chat_format=chat_format, seq2seq=seq2seq, tokenizer=tokenizer)
        bos = getattr(tokenizer, "bos_token", None)
        special = not (chat_format == "model" and bos and text.startswith(bos))  # the template wrote BOS itself
        ids = tokenizer(text, add_special_tokens=special)["input_ids"]
        if len(ids) <= max_length or k == 0:
            if len(ids) > max_length:
                logger.warning("an MMLU %s prompt is %d tokens even with 0 shots; it is cut", question.subject,
                               len(ids))
                ids = ids[-max_length:]
            return list(ids), k
        k -= 1


def _next_token_logits(loaded: Any, sequences: list[list[int]], seq2seq: bool) -> Any:
    """Logits of the next token after each sequence (T5: of the first decoder step)."""
    import torch

    device = loaded.device
    pad = loaded.tokenizer.pad_token_id
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence)
        mask[row, : len(sequence)] = 1
    ids, mask = ids.to(device), mask.to(device)
    if seq2seq:
        start = loaded.model.config.decoder_start_token_id
        decoder = torch.full((len(sequences), 1), start, dtype=torch.long, device=device)
        return loaded.model(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder).logits[:, 0]
    last = torch.tensor([len(s) - 1 for s in sequences], device=device)
    if _accepts_logits_to_keep(loaded.model):  # project only the last position onto the vocabulary
        logits = loaded.model(input_ids=ids, attention_mask=mask, use_cache=False, logits_to_keep=last[:, None])
        return logits.logits[:, 0]
    logits = loaded.model(input_ids=ids, attention_mask=mask, use_cache=False).logits
    return logits[torch.arange(len(sequences), device=device), last]


def _accepts_logits_to_keep(model: Any) -> bool:
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters
