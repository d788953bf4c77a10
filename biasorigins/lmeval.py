"""The bias suite as lm-evaluation-harness tasks.

The task configs ship inside the package (``biasorigins lm-eval-path`` prints their folder)::

    lm_eval --model hf --model_args pretrained=MODEL --include_path "$(biasorigins lm-eval-path)" \\
        --tasks biasorigins_paper32

One task per built-in bias (``biasorigins_<slug>``) and one group per preset
(``biasorigins_<preset>``).  Each task is a multiple-choice log-likelihood task over the
displayed option labels, on documents built by :func:`build_docs` from a seeded
:class:`~biasorigins.suite.BiasSuite` (so they always match the installed plugins; change
the size or seed with ``--metadata '{"cases": 50, "seed": 1}'``).  The context is the
prompt, a blank line and ``"Answer: Option"``, the continuations ``" A"``, ``" B"``, ...:
exactly what ``HFRunner(chat_format="raw")`` reads.

Scoring goes through :func:`~biasorigins.exchange.score_answers`: every per-document item
carries its bias, case (as JSON) and condition, so an aggregation needs nothing but its items.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from biasorigins.errors import ConfigError, DataFormatError
from biasorigins.exchange import EXPORT_COLUMNS, export_prompts, score_answers
from biasorigins.models.chat import RAW_ANSWER_SPACER

if TYPE_CHECKING:
    from biasorigins.suite import SuiteResult

TASK_PREFIX = "biasorigins_"
DEFAULT_CASES = 100
DEFAULT_SEED = 0
#: Version of the task definitions (documents, context, metrics); bump when they change.
TASK_VERSION = 1
#: The per-bias numbers each task reports, each a column of ``SuiteResult.summary``.
METRICS = {"bias_score": "mean", "ci_low": "ci_low", "ci_high": "ci_high", "valid_cases": "n_valid"}
HOOKS_MODULE = "biasorigins_hooks"


def task_folder() -> Path:
    """The folder of the shipped task configs, for ``lm_eval --include_path``."""
    return Path(__file__).parent / "data" / "lm_eval"


def task_name(slug: str) -> str:
    """The lm-eval task name of a bias: ``biasorigins_<slug>``."""
    return TASK_PREFIX + slug


def build_docs(bias: str, cases: int = DEFAULT_CASES, seed: int = DEFAULT_SEED, **_lm_eval_metadata: Any) -> Any:
    """The documents of one bias task: one per prompt (case and condition), as a ``DatasetDict``.

    lm-eval calls this with the task's metadata (and any ``--metadata`` or model arguments,
    which are ignored).  Each document is a row of :func:`~biasorigins.exchange.export_prompts`
    plus ``query``, the context the option labels follow.
    """
    import datasets

    from biasorigins.suite import BiasSuite

    suite = BiasSuite(bias, cases=cases, seed=seed, reversal_probe=0)
    frame = export_prompts(suite)
    if suite.errors:
        raise ConfigError(f"lm-eval task for bias {bias!r}: {suite.errors[0].message}")
    frame["query"] = frame["text"] + RAW_ANSWER_SPACER + frame["answer_prefix"]
    return datasets.DatasetDict({"test": datasets.Dataset.from_pandas(frame, preserve_index=False)})


def process_results(doc: Mapping[str, Any], results: Sequence[tuple[float, bool]]) -> dict[str, dict[str, Any]]:
    """One item per metric: the document's export fields and the options' log-likelihoods."""
    item = {column: doc[column] for column in EXPORT_COLUMNS}
    item["scores"] = [float(loglikelihood) for loglikelihood, _ in results]
    return {metric: item for metric in METRICS}


def score_items(items: Sequence[Mapping[str, Any]]) -> SuiteResult:
    """The suite result of one task's items (all of one bias), scored by :func:`score_answers`."""
    frame = pd.DataFrame(list(items))
    biases = sorted(set(frame["bias"])) if len(frame) else []
    if len(biases) != 1:
        raise DataFormatError(f"lm-eval items must all come from one bias, got {biases or 'none'}")
    return score_answers(frame[["prompt_id", "scores"]], prompts=frame[EXPORT_COLUMNS], model="lm-eval")


def _summary_value(items: Sequence[Mapping[str, Any]], metric: str) -> float:
    summary = score_items(items).summary
    value = summary[METRICS[metric]].iloc[0] if len(summary) else None
    return float("nan") if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def bias_score(items: Sequence[Mapping[str, Any]]) -> float:
    """Mean bias score over the cases (NaN when no case has a valid answer)."""
    return _summary_value(items, "bias_score")


def ci_low(items: Sequence[Mapping[str, Any]]) -> float:
    """Lower end of the bootstrap confidence interval of the mean."""
    return _summary_value(items, "ci_low")


def ci_high(items: Sequence[Mapping[str, Any]]) -> float:
    """Upper end of the bootstrap confidence interval of the mean."""
    return _summary_value(items, "ci_high")


def valid_cases(items: Sequence[Mapping[str, Any]]) -> float:
    """Number of cases with a score."""
    return _summary_value(items, "valid_cases")


def task_configs() -> dict[str, str]:
    """File name -> YAML text of every shipped config: a template, one task per built-in bias,
    one group per preset.  ``tests/test_lmeval.py`` checks the shipped files equal these."""
    from biasorigins.plugins import get_bias
    from biasorigins.presets import get_preset, preset_names

    files = {"_template_yaml": _template()}
    for slug in get_preset("builtin").slugs:
        title = get_bias(slug).info.title
        files[f"{slug}.yaml"] = (
            f"include: _template_yaml\ntask: {task_name(slug)}\ntask_alias: {json.dumps(title)}\n"
            f"metadata:\n  version: {TASK_VERSION}\n  bias: {slug}\n  cases: {DEFAULT_CASES}\n  seed: {DEFAULT_SEED}\n"
        )
    for name in preset_names():
        members = "".join(f"  - {task_name(slug)}\n" for slug in get_preset(name).slugs)
        files[f"_group_{name}.yaml"] = (
            f"group: {TASK_PREFIX}{name}\ntask:\n{members}metadata:\n  version: {TASK_VERSION}\n"
        )
    return files


def _template() -> str:
    metrics = "".join(
        f"  - metric: {metric}\n    aggregation: !function {HOOKS_MODULE}.{metric}\n"
        f"    higher_is_better: {str(metric == 'valid_cases').lower()}\n"
        for metric in METRICS
    )
    return (
        "# Generated by biasorigins.lmeval.task_configs(); do not edit by hand.\n"
        f"custom_dataset: !function {HOOKS_MODULE}.build_docs\n"
        "test_split: test\n"
        "output_type: multiple_choice\n"
        "doc_to_text: query\n"
        "doc_to_choice: labels\n"
        "doc_to_target: 0\n"
        'target_delimiter: " "\n'
        f"process_results: !function {HOOKS_MODULE}.process_results\n"
        f"metric_list:\n{metrics}"
    )


def write_task_configs(folder: str | Path) -> None:
    """Write :func:`task_configs` and the hooks module lm-eval imports into ``folder``."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, text in {**task_configs(), f"{HOOKS_MODULE}.py": _hooks_module()}.items():
        (target / name).write_text(text, encoding="utf-8")


def _hooks_module() -> str:
    names = ", ".join(sorted(["build_docs", "process_results", *METRICS]))
    return (
        '"""What the biasorigins lm-eval task configs call (``!function`` looks for it next to them)."""\n\n'
        f"from biasorigins.lmeval import {names}  # noqa: F401\n"
    )
