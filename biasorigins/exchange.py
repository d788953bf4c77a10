"""Hand the suite's prompts to other evaluation code, and score the answers it brings back.

>>> frame = export_prompts(suite, "prompts.jsonl")           # doctest: +SKIP
>>> # ... another harness answers every row, writing prompt_id + answer ...
>>> result = score_answers("answers.jsonl", prompts="prompts.jsonl")   # doctest: +SKIP

Each exported row is one rendered prompt: its ``prompt_id``, the bias, case
and condition, the prompt ``text``, the displayed ``labels`` and ``options``,
the ``display_order`` that maps displayed positions back to the scale, the
``answer_prefix`` (for likelihood scoring), and the whole test case as JSON,
so the answers can be scored later without regenerating anything.

An answer row names its prompt (``prompt_id``, or ``case_id`` + ``condition``)
and gives exactly one of:

- ``answer``: free text, parsed as in generate-and-parse mode;
- ``label``: the chosen label as displayed ("B", "2", or "Option B");
- ``scores``: one number per displayed option (e.g. log-probabilities).

An optional ``status`` column may mark rows ``"refused"`` or ``"invalid"``
(or ``"error"``) whatever their content.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from biasorigins.errors import DataFormatError
from biasorigins.models.callable import response_from_answer
from biasorigins.models.fingerprint import digest_of
from biasorigins.records import Prompt, Response, TestCase, decide
from biasorigins.store import prompt_hash
from biasorigins.tables import write_frame

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

    from biasorigins.bias import Bias
    from biasorigins.suite import BiasSuite, SuiteResult

PathLike = str | os.PathLike[str]

EXPORT_COLUMNS = [
    "prompt_id", "bias", "case_id", "condition", "text", "labels", "options", "display_order",
    "answer_prefix", "suite_seed", "paper_compatible", "case",
]
_LIST_COLUMNS = ("labels", "options", "display_order")
_ANSWER_FIELDS = ("answer", "label", "scores")


def prompt_id(prompt: Prompt) -> str:
    """Stable id of one prompt of one case: changes when its case, condition or text changes."""
    return digest_of([prompt.key, prompt_hash(prompt)])[:24]


def export_prompts(suite: BiasSuite, path: PathLike | None = None, *, include_cases: bool = True) -> pd.DataFrame:
    """The suite's rendered prompts as a DataFrame, optionally written to ``path``.

    Parameters
    ----------
    suite
        The suite whose prompts to export; biases that fail to generate are left out
        and reported in ``suite.errors``.
    path
        ``.jsonl`` (one JSON object per line), ``.csv`` (lists as JSON text) or ``.parquet``.
    include_cases
        Add each test case as JSON (column ``case``), so :func:`score_answers` needs
        only the exported file.  Without it, scoring needs the suite.
    """
    rows = []
    for bias in suite.biases:
        prompts = suite._bias_prompts(bias)
        if not prompts:
            continue
        cases = {case.id: case for case in suite.cases_for(bias)} if include_cases else {}
        for prompt in prompts:
            rows.append({
                "prompt_id": prompt_id(prompt), "bias": bias.info.slug, "case_id": prompt.case_id,
                "condition": prompt.condition, "text": prompt.text, "labels": list(prompt.labels),
                "options": list(prompt.options), "display_order": list(prompt.display_order),
                "answer_prefix": prompt.answer_prefix, "suite_seed": suite.seed,
                "paper_compatible": suite.paper_compatible,
                "case": cases[prompt.case_id].model_dump_json() if include_cases else None,
            })
    frame = pd.DataFrame(rows, columns=EXPORT_COLUMNS)
    if path is not None:
        _write(frame, Path(path))
    return frame


def _write(frame: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            for record in frame.to_dict(orient="records"):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif suffix in (".csv", ".parquet"):
        write_frame(frame, path)  # list cells become JSON text in CSV, read back by read_table
    else:
        raise DataFormatError(f"cannot write {path}: use a .jsonl, .csv or .parquet file name")


def _dataset_records(source: Any) -> list[dict[str, Any]] | None:
    """The rows of a Hugging Face ``Dataset`` (or of every split of a ``DatasetDict``) as plain dicts, else None."""
    if hasattr(source, "to_list") and hasattr(source, "features"):
        return source.to_list()
    if isinstance(source, Mapping) and source and all(hasattr(s, "to_list") and hasattr(s, "features")
                                                      for s in source.values()):
        return [row for split in source.values() for row in split.to_list()]
    return None


def read_table(source: PathLike | pd.DataFrame | Iterable[Mapping[str, Any]], *, what: str) -> pd.DataFrame:
    """A DataFrame from a DataFrame, a Hugging Face ``Dataset`` or ``DatasetDict``, a list of dicts or a
    ``.jsonl`` / ``.csv`` / ``.parquet`` file."""
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=True)
    records = _dataset_records(source)
    if records is not None:
        return pd.DataFrame(records)
    if not isinstance(source, (str, os.PathLike)):
        return pd.DataFrame(list(source))
    path = Path(source)
    if not path.is_file():
        raise DataFormatError(f"{what} file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        records = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as error:
                        raise DataFormatError(f"{path}, line {number}: not valid JSON ({error.msg})") from error
        return pd.DataFrame(records)
    if suffix == ".csv":
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        for column in (*_LIST_COLUMNS, "scores"):
            if column in frame:
                frame[column] = frame[column].map(lambda v: json.loads(v) if isinstance(v, str) else v)
        return frame
    if suffix == ".parquet":
        return pd.read_parquet(path)
    raise DataFormatError(f"cannot read {path}: use a .jsonl, .csv or .parquet file")


def prompt_from_row(row: Mapping[str, Any]) -> Prompt:
    """The :class:`Prompt` of one exported row (a dict with the columns of :func:`export_prompts`)."""
    return Prompt(case_id=row["case_id"], condition=row["condition"], text=row["text"],
                  labels=tuple(row["labels"]), options=tuple(row["options"]),
                  display_order=tuple(int(i) for i in row["display_order"]), answer_prefix=row["answer_prefix"])


def _suite_from_export(frame: pd.DataFrame, biases: Sequence[Bias] | None) -> BiasSuite:
    from biasorigins.suite import BiasSuite

    if "case" not in frame or frame["case"].isna().any():
        raise DataFormatError("the exported prompts have no 'case' column (include_cases=False); "
                              "pass suite= to score the answers")
    cases = [TestCase.model_validate_json(text) for text in dict.fromkeys(frame["case"])]
    seed = int(frame["suite_seed"].iloc[0]) if "suite_seed" in frame else 0
    paper = bool(frame["paper_compatible"].iloc[0]) if "paper_compatible" in frame else False
    return BiasSuite.from_cases(cases, biases=biases, seed=seed, paper_compatible=paper)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, float) and math.isnan(value)


def _label_response(prompt: Prompt, label: Any) -> Response:
    text = str(label).strip()
    bare = text[len("option"):].strip() if text.lower().startswith("option") else text
    for position, shown in enumerate(prompt.labels):
        if bare == shown or (bare.upper() == shown and shown.isalpha()):
            return Response(choice=position, text=text)
    return Response(status="invalid", text=text, error=f"label {text!r} is not one of {list(prompt.labels)}")


def _response(prompt: Prompt, row: Mapping[str, Any], where: str) -> Response:
    given = [name for name in _ANSWER_FIELDS if name in row and not _is_missing(row[name])]
    status = row.get("status")
    if len(given) > 1:
        raise DataFormatError(f"{where}: give one of {', '.join(_ANSWER_FIELDS)}, not {' and '.join(given)}")
    if not given:
        if _is_missing(status):
            raise DataFormatError(f"{where}: no answer; give one of the fields {', '.join(_ANSWER_FIELDS)}")
        response = Response(status="invalid", error="no answer")
    elif given[0] == "label":
        response = _label_response(prompt, row["label"])
    else:
        try:
            response = response_from_answer(prompt, row[given[0]], output="text" if given[0] == "answer" else "scores")
        except Exception as error:  # noqa: BLE001 - reported with the row's position
            raise DataFormatError(f"{where}, field {given[0]!r}: {error}") from error
    if not _is_missing(status) and status != response.status:
        if status not in ("invalid", "refused", "error"):
            raise DataFormatError(f"{where}, field 'status': {status!r} is not one of invalid, refused, error")
        response = Response(status=status, text=response.text, scores=response.scores,
                            error=row.get("error") if not _is_missing(row.get("error")) else f"marked {status}")
    return response


def score_answers(
    answers: PathLike | pd.DataFrame | Dataset | Iterable[Mapping[str, Any]],
    *,
    suite: BiasSuite | None = None,
    prompts: PathLike | pd.DataFrame | DatasetDict | None = None,
    biases: Sequence[Bias] | None = None,
    model: str = "model",
    chat_format: str | None = None,
) -> SuiteResult:
    """Score answers given to exported prompts.

    Parameters
    ----------
    answers
        A DataFrame, a Hugging Face ``Dataset``, a list of dicts or a file (``.jsonl``, ``.csv``,
        ``.parquet``); see the module docstring for the fields.
    suite
        The suite the prompts came from (same biases, cases, seed and labels).
    prompts
        The exported prompts (file or DataFrame), or the ``DatasetDict`` of
        :meth:`BiasSuite.to_dataset` (e.g. read back with ``load_from_disk``), if ``suite`` is
        not given.
    biases
        Bias objects for biases that are not registered (e.g. defined in a notebook).
    model
        Label of the results.
    chat_format
        How the prompts were wrapped for the model, recorded on the result (None: not known).

    Raises
    ------
    DataFormatError
        When an answer names no known prompt, answers a prompt twice, or has no usable
        answer field; the message gives the row.
    """
    if (suite is None) == (prompts is None):
        raise DataFormatError("pass exactly one of suite= (the suite that made the prompts) or prompts= (the export)")
    table = read_table(answers, what="answers")
    if suite is None:
        exported = read_table(prompts, what="prompts")  # type: ignore[arg-type]
        suite = _suite_from_export(exported, biases)
        known = {row["prompt_id"]: prompt_from_row(row) for row in exported.to_dict(orient="records")}
    else:
        known = {prompt_id(p): p for p in suite.prompts()}
    by_key = {p.key: pid for pid, p in known.items()}
    decisions = {}
    for number, row in enumerate(table.to_dict(orient="records"), start=1):
        where = f"answer row {number}"
        if not _is_missing(row.get("prompt_id")):
            pid = str(row["prompt_id"])
        elif not _is_missing(row.get("case_id")) and not _is_missing(row.get("condition")):
            pid = by_key.get(f"{row['case_id']}#{row['condition']}", "")
        else:
            raise DataFormatError(f"{where}: name the prompt with 'prompt_id' (or 'case_id' and 'condition')")
        if pid not in known:
            raise DataFormatError(
                f"{where}: prompt {row.get('prompt_id') or (row.get('case_id'), row.get('condition'))} is not among "
                "the exported prompts; was the suite made with other biases, cases, seed or labels?"
            )
        if pid in decisions:
            raise DataFormatError(f"{where}: prompt {pid} is answered twice")
        prompt = known[pid]
        decisions[pid] = decide(prompt, _response(prompt, row, where))
    return suite.score(list(decisions.values()), model=model, chat_format=chat_format)
