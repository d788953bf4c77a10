"""Scoring inside inspect: each answer read with our parser, the per-bias scores from ``score_answers``.

The scorer (:func:`bias_choice`) reads one sample's answer: the option scores the likelihood
solver stored, or else the completion text, parsed by
:func:`~biasorigins.models.parsing.parse_choice`. Its value is the answer's status (``"ok"``,
``"invalid"``, ``"refused"``); the chosen label is the score's ``answer``. A bias score needs the
answers to all conditions of a case, so the metric (:func:`bias_scores`) hands every answer, with
the exported prompts from the sample metadata, to :func:`~biasorigins.exchange.score_answers`,
the same scoring as ``suite.run``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, metric, scorer
from inspect_ai.solver import TaskState

from biasorigins.errors import DataFormatError
from biasorigins.exchange import EXPORT_COLUMNS, prompt_from_row, score_answers
from biasorigins.inspect_task.dataset import POSITION
from biasorigins.models.callable import response_from_answer
from biasorigins.suite import SuiteResult

#: Key in the sample store under which the likelihood solver leaves one score per displayed option.
OPTION_SCORES = "biasorigins_option_scores"
#: Key in the sample store (and the score metadata) for how the likelihood solver wrapped the prompt.
CHAT_FORMAT = "biasorigins_chat_format"
#: Name of the scorer's entry in each sample's scores.
SCORER = "bias_choice"
#: Per-bias quantities the metric reports, as ``{bias}/{quantity}``.
METRIC_FIELDS = ("mean", "ci_low", "ci_high", "n_valid", "n_invalid", "invalid_answers", "refused_answers")


def answer_field(state: TaskState) -> dict[str, Any]:
    """The sample's answer as a field of an answer row: ``{"scores": [...]}`` or ``{"answer": text}``."""
    scores = state.store.get(OPTION_SCORES)
    if scores is not None:
        return {"scores": [float(s) for s in scores]}
    return {"answer": state.output.completion}


@metric
def bias_scores() -> Metric:
    """Per bias: mean score, bootstrap CI, valid and invalid cases, invalid and refused answers."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        summary = suite_result(scores).summary
        return {f"{row['bias']}/{name}": float(row[name]) for row in summary.to_dict(orient="records")
                for name in METRIC_FIELDS}

    return compute


@scorer(metrics=[bias_scores()])
def bias_choice() -> Scorer:
    """The option a sample's answer chose, read as ``suite.run`` reads it."""

    async def score(state: TaskState, target: Target) -> Score:
        prompt = prompt_from_row(state.metadata)
        field = answer_field(state)
        (kind, answer), = field.items()
        response = response_from_answer(prompt, answer, output="scores" if kind == "scores" else "text")
        label = prompt.labels[response.choice] if response.choice is not None else None
        chat_format = state.store.get(CHAT_FORMAT)
        metadata = field if chat_format is None else {**field, CHAT_FORMAT: chat_format}
        return Score(value=response.status, answer=label, explanation=response.error, metadata=metadata)

    return score


def suite_result(scores: Sequence[SampleScore], *, model: str = "model") -> SuiteResult:
    """Score the answers of scored samples with :func:`~biasorigins.exchange.score_answers`.

    Each sample score must come from :func:`bias_choice` on a sample of :func:`suite_dataset`
    (its metadata is the exported prompt row). Samples are put back in the suite's order, so the
    bootstrap intervals equal those of ``suite.run``. The chat format is recorded when every
    sample's answer came from the likelihood solver with the same one.
    """
    rows, chat_formats = [], set()
    for number, sample_score in enumerate(scores, start=1):
        metadata, answer = sample_score.sample_metadata or {}, sample_score.score.metadata or {}
        missing = [column for column in (*EXPORT_COLUMNS, POSITION) if column not in metadata]
        if missing or not answer:
            raise DataFormatError(f"sample score {number} ({sample_score.sample_id}) is not from the biasorigins "
                                  f"task: its sample metadata lacks {missing or 'nothing'} and its score metadata "
                                  f"has {'no' if not answer else 'an'} answer")
        answer = dict(answer)
        chat_formats.add(answer.pop(CHAT_FORMAT, None))
        rows.append((metadata, answer))
    rows.sort(key=lambda pair: pair[0][POSITION])
    prompts = pd.DataFrame([metadata for metadata, _ in rows], columns=EXPORT_COLUMNS)
    answers = [{"prompt_id": metadata["prompt_id"], **answer} for metadata, answer in rows]
    chat_format = chat_formats.pop() if len(chat_formats) == 1 else None
    return score_answers(answers, prompts=prompts, model=model, chat_format=chat_format)


def result_from_log(log: Any) -> SuiteResult:
    """A finished inspect log of the ``biasorigins/bias_suite`` task (an ``EvalLog`` or a log file)
    as a :class:`~biasorigins.suite.SuiteResult`, labelled with the evaluated model."""
    from inspect_ai.log import read_eval_log

    if isinstance(log, (str, os.PathLike)):
        log = read_eval_log(str(log))
    if not log.samples:
        raise DataFormatError(f"the inspect log of {log.eval.task} has no samples (status {log.status})")
    scores = [SampleScore(score=sample.scores[SCORER], sample_id=sample.id, sample_metadata=sample.metadata)
              for sample in log.samples if SCORER in (sample.scores or {})]
    return suite_result(scores, model=log.eval.model)
