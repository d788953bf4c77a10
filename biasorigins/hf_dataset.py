"""The suite as a Hugging Face ``datasets.DatasetDict`` with a dataset card, for answering anywhere.

>>> data = suite.to_dataset()                                   # doctest: +SKIP
>>> data["test"][0]["text"]                                     # the prompt a model reads
>>> save_dataset(suite, "bias-suite")                           # + README.md (the card)

One split, ``test``, with one row per rendered prompt (every condition of every case) and the
bias as a column: splits name held-out partitions in the Hub's conventions (and bias slugs, with
their dashes, are not valid split names), and one table can be answered in one pass, then
filtered by ``bias``. The columns are those of :func:`~biasorigins.exchange.export_prompts` (the
prompt text, displayed labels and options, the display order, and the whole test case as JSON,
which is what :func:`~biasorigins.exchange.score_answers` reads back), plus the case laid out as
columns where every bias shares the schema: ``bias_version``, ``scenario_id``, ``index``,
``variant``, the condition's ``situation`` paragraphs, ``question``, ``scale_options`` and
``scale_values`` in the scale's own order, ``reversed`` (shown in reverse order) and the sampled
``values`` as JSON (their keys differ from bias to bias).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from biasorigins.bias import RatioScaleBias
from biasorigins.errors import ConfigError
from biasorigins.exchange import export_prompts
from biasorigins.models.fingerprint import digest_of
from biasorigins.records import TestCase

if TYPE_CHECKING:
    from datasets import DatasetDict
    from huggingface_hub import DatasetCard

    from biasorigins.bias import Bias
    from biasorigins.suite import BiasSuite

SPLIT = "test"
CASE_COLUMNS = ["bias_version", "scenario_id", "index", "variant", "situation", "question", "scale_options",
                "scale_values", "reversed", "values"]


def _datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise ConfigError("to_dataset needs the datasets package: pip install 'biasorigins[datasets]'") from None
    return datasets


def _features(datasets: Any) -> Any:
    text, integer = datasets.Value("string"), datasets.Value("int64")
    return datasets.Features({
        "prompt_id": text, "bias": text, "case_id": text, "condition": text, "text": text,
        "labels": datasets.List(text), "options": datasets.List(text), "display_order": datasets.List(integer),
        "answer_prefix": text, "suite_seed": integer, "paper_compatible": datasets.Value("bool"), "case": text,
        "bias_version": integer, "scenario_id": text, "index": integer, "variant": text,
        "situation": datasets.List(text), "question": text, "scale_options": datasets.List(text),
        "scale_values": datasets.List(datasets.Value("float64")), "reversed": datasets.Value("bool"), "values": text,
    })


def _case_columns(case: TestCase, condition: str) -> dict[str, Any]:
    cond = case.condition(condition)
    return {
        "bias_version": case.bias_version, "scenario_id": case.scenario_id, "index": case.index,
        "variant": case.variant, "situation": list(cond.situation), "question": cond.question,
        "scale_options": list(cond.scale.options),
        "scale_values": None if cond.scale.values is None else list(cond.scale.values),
        "reversed": cond.shown_order[0] != 0, "values": json.dumps(case.values, sort_keys=True),
    }


def dataset_frame(suite: BiasSuite) -> pd.DataFrame:
    """The rows of :func:`to_dataset` as a DataFrame (no ``datasets`` needed)."""
    frame = export_prompts(suite)
    cases = {case.id: case for case in suite.cases()}
    extra = [_case_columns(cases[row.case_id], row.condition) for row in frame.itertuples()]
    return pd.concat([frame, pd.DataFrame(extra, columns=CASE_COLUMNS)], axis=1)


def to_dataset(suite: BiasSuite) -> DatasetDict:
    """The suite's prompts as a ``DatasetDict`` with one split, ``test`` (see the module docstring);
    the dataset card (:func:`dataset_card`) is each split's ``info.description``."""
    datasets = _datasets()
    frame = dataset_frame(suite)
    features = _features(datasets)
    info = datasets.DatasetInfo(description=str(dataset_card(suite, frame)), citation=_citations(suite.biases),
                                features=features)
    split = datasets.Dataset.from_pandas(frame, features=features, info=info, preserve_index=False)
    return datasets.DatasetDict({SPLIT: split})


def save_dataset(suite: BiasSuite, folder: str | os.PathLike[str]) -> Path:
    """Write :func:`to_dataset` with ``save_to_disk`` and its card as ``README.md``; returns the folder."""
    folder = Path(folder)
    data = to_dataset(suite)
    data.save_to_disk(str(folder))
    (folder / "README.md").write_text(data[SPLIT].info.description, encoding="utf-8")
    return folder


def content_digest(frame: pd.DataFrame) -> str:
    """A short digest of every prompt id: equal digests mean identical prompts and cases."""
    return digest_of(sorted(frame["prompt_id"]))[:16]


def _metric(bias: Bias) -> str:
    if isinstance(bias, RatioScaleBias):
        return "ratio scale (control vs treatment answer)"
    return bias.info.design


def _citations(biases: list[Bias]) -> str:
    return "\n".join(dict.fromkeys(bias.info.citation for bias in biases))


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def dataset_card(suite: BiasSuite, frame: pd.DataFrame | None = None) -> DatasetCard:
    """A ``huggingface_hub.DatasetCard`` for the suite's dataset, written from the plugins' metadata:
    every bias's definition, conditions, metric and version, the suite's settings and seed, and the
    library version."""
    from huggingface_hub import DatasetCard, DatasetCardData

    from biasorigins import __version__

    frame = dataset_frame(suite) if frame is None else frame
    rows = len(frame)
    data = DatasetCardData(
        pretty_name=f"biasorigins bias suite ({len(suite.biases)} biases x {suite.n_cases} cases, seed {suite.seed})",
        language=["en"], task_categories=["multiple-choice"], tags=["cognitive-bias", "biasorigins"],
        size_categories=["n<1K" if rows < 1000 else "1K<n<10K" if rows < 10_000 else "10K<n<100K"],
        configs=[{"config_name": "default", "data_files": [{"split": SPLIT, "path": f"{SPLIT}/*.arrow"}]}],
    )
    settings = [
        ("library", f"biasorigins {__version__}"), ("biases", str(len(suite.biases))),
        ("cases per bias", str(suite.n_cases)), ("seed", str(suite.seed)), ("option labels", suite.labels),
        ("counterbalance", suite.counterbalance), ("paper-compatible scoring", str(suite.paper_compatible)),
        ("prompts", str(rows)), ("content digest", content_digest(frame)),
    ]
    lines = [
        f"# {data.pretty_name}", "",
        "Test prompts for cognitive biases of language models, generated by the biasorigins library. "
        "Each row is one condition of one test case: give a model the `text` (a user message; wrap it in "
        "the model's chat format) and record which displayed option it picks, as the `label` it shows "
        "(`labels`), as free text (`answer`) or as one score per displayed option (`scores`), in a row "
        "with the `prompt_id`. Options are shown in the order of `display_order`: the cases with "
        "`reversed` true show the scale backwards, so a preference for a position cancels out. For "
        "likelihood scoring, read the label after `text` + `answer_prefix`.", "",
        "Score the answers with the library (the same numbers as running the suite on the model):", "",
        "```python",
        "from datasets import load_from_disk",
        "from biasorigins.exchange import score_answers",
        "",
        "data = load_from_disk(\"DIR\")",
        "result = score_answers(answers, prompts=data, model=\"my-model\")",
        "print(result)",
        "```", "",
        "## Settings", "",
        "| setting | value |", "|---|---|",
        *(f"| {name} | {_cell(value)} |" for name, value in settings), "",
        "## Biases", "",
        "Each case is scored in [-1, 1] (positive: the bias was shown); a bias's score is the mean over its "
        "valid cases with a 95% bootstrap interval.", "",
        "| bias | slug | version | design | conditions | metric | definition | a positive score means |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for bias in suite.biases:
        info = bias.info
        lines.append(f"| {_cell(info.title)} | `{info.slug}` | {info.version} | {info.design} | "
                     f"{', '.join(info.conditions)} | {_metric(bias)} | {_cell(info.definition)} | "
                     f"{_cell(info.expected_direction)} |")
    lines += ["", "## Columns", "",
              "`prompt_id`, `bias`, `case_id`, `condition`, `text`, `labels`, `options`, `display_order`, "
              "`answer_prefix`, `suite_seed`, `paper_compatible` and `case` (the whole test case as JSON, read "
              "back when scoring), then the case as columns: " + ", ".join(f"`{c}`" for c in CASE_COLUMNS) + ".",
              "", "## Sources", "", *(f"- {_cell(c)}" for c in _citations(suite.biases).splitlines())]
    return DatasetCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines) + "\n")
