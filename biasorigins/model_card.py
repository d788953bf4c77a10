"""A model's bias profile as a model-card section, following the Hugging Face Hub's conventions.

>>> print(result.to_model_card(suite, settings={"mode": "likelihood"}))   # doctest: +SKIP

The text starts with YAML metadata holding the ``model-index`` results, one per bias (task
``text-generation``; dataset type ``biasorigins``, its config the bias slug, split ``test`` and
the suite's settings as ``dataset_args``; metric ``bias_score``, the mean case score), written by
``huggingface_hub.ModelCardData`` so it parses back into ``EvalResult`` objects. Then a Markdown
section: the per-bias table with 95% bootstrap intervals and answer counts, the settings (chat
format, mode, seed, cases, labels) and the library and bias versions. Paste both into a model's
README.md (merging the ``model-index`` into its metadata), or use the text as the whole card.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from biasorigins.tables import markdown_cell

if TYPE_CHECKING:
    from biasorigins.suite import BiasSuite, SuiteResult

TASK_TYPE = "text-generation"
METRIC_TYPE = "bias_score"
HEADING = "## Cognitive biases (biasorigins)"


def _signed(value: float) -> str:
    """``+0.123``; ``0.000`` rather than ``-0.000``; a dash for no value."""
    if value is None or math.isnan(value):
        return "–"
    text = f"{value:+.3f}"
    return "0.000" if text in ("+0.000", "-0.000") else text


def _bias_versions(result: SuiteResult, suite: BiasSuite | None) -> dict[str, int | None]:
    """The version of every scored bias: the suite's, else the registered bias's, else None."""
    from biasorigins.errors import UnknownBiasError
    from biasorigins.plugins import get_bias

    versions: dict[str, int | None] = {}
    for slug in result.summaries:
        try:
            versions[slug] = (suite.bias(slug) if suite is not None else get_bias(slug)).info.version
        except UnknownBiasError:
            versions[slug] = None
    return versions


def card_settings(result: SuiteResult, suite: BiasSuite | None, settings: Mapping[str, object] | None
                  ) -> dict[str, object]:
    """What the card records about how the result was made, in display order."""
    from biasorigins import __version__

    recorded: dict[str, object] = {"library": f"biasorigins {__version__}",
                                   "chat format": result.chat_format or "not recorded"}
    if suite is not None:
        recorded.update({"cases per bias": suite.n_cases, "seed": suite.seed, "option labels": suite.labels,
                         "counterbalance": suite.counterbalance})
    recorded["paper-compatible scoring"] = result.paper_compatible
    recorded.update(settings or {})
    return recorded


def eval_results(result: SuiteResult, suite: BiasSuite | None = None, *, dataset: str = "biasorigins") -> list[Any]:
    """One ``huggingface_hub.EvalResult`` per bias with a score (biases without valid cases are left out)."""
    from huggingface_hub import EvalResult

    from biasorigins import __version__

    versions = _bias_versions(result, suite)
    args: dict[str, Any] = {"library_version": __version__, "paper_compatible": result.paper_compatible}
    if suite is not None:
        args.update({"cases": suite.n_cases, "seed": suite.seed, "labels": suite.labels})
    out = []
    for slug, summary in result.summaries.items():
        if math.isnan(summary.mean):
            continue
        title = result.titles.get(slug, slug)
        out.append(EvalResult(
            task_type=TASK_TYPE, task_name="Cognitive bias", dataset_type=dataset,
            dataset_name=f"biasorigins: {title}", dataset_config=slug, dataset_split="test",
            dataset_args={**args, "bias_version": versions[slug]} if versions[slug] is not None else dict(args),
            metric_type=METRIC_TYPE, metric_value=round(summary.mean, 4),
            metric_name=f"{title} bias score (95% CI {_signed(summary.ci_low)} to {_signed(summary.ci_high)})",
        ))
    return out


def model_card_section(result: SuiteResult, suite: BiasSuite | None = None, *,
                       settings: Mapping[str, object] | None = None) -> str:
    """The Markdown part of the card: per-bias table, settings and versions."""
    summary = result.summary.set_index("bias")
    versions = _bias_versions(result, suite)
    lines = [
        HEADING, "",
        (f"Bias profile of **{markdown_cell(result.model)}** on the biasorigins suite. Each case scores in [-1, 1] "
         "(positive: the model showed the bias, 0: no bias); a bias's score is the mean over its valid "
         "cases with a 95% bootstrap interval."), "",
    ]
    warning = result.answer_quality.warning
    if warning:
        lines += [f"> **Warning:** {markdown_cell(warning)}", ""]
    lines += ["| Bias | Version | Score | 95% CI | Valid cases | Invalid answers |",
              "|---|---|---|---|---|---|"]
    for slug in result.summaries:
        row = summary.loc[slug]
        version = versions[slug] if versions[slug] is not None else "–"
        lines.append(f"| {markdown_cell(row['title'])} | {version} | {_signed(row['mean'])} | "
                     f"{_signed(row['ci_low'])} to {_signed(row['ci_high'])} | {int(row['n_valid'])} | "
                     f"{int(row['invalid_answers'])} |")
    lines += ["", "| Setting | Value |", "|---|---|",
              *(f"| {markdown_cell(name)} | {markdown_cell(value)} |"
                for name, value in card_settings(result, suite, settings).items())]
    if result.errors:
        lines += ["", "Biases that failed: " + ", ".join(sorted({e.bias for e in result.errors})) + "."]
    return "\n".join(lines) + "\n"


def model_card(result: SuiteResult, suite: BiasSuite | None = None, *,
               settings: Mapping[str, object] | None = None, dataset: str = "biasorigins") -> str:
    """YAML metadata with the ``model-index`` results, then :func:`model_card_section`."""
    from huggingface_hub import ModelCardData

    data = ModelCardData(model_name=result.model, eval_results=eval_results(result, suite, dataset=dataset) or None)
    return f"---\n{data.to_yaml()}\n---\n\n" + model_card_section(result, suite, settings=settings)
