"""Forest plots of suite results (matplotlib, imported lazily: ``pip install biasorigins[plots]``).

Figures are built without pyplot, so nothing touches global backend state; save one with
``fig.savefig(path)`` or show it in a notebook by leaving it as a cell's last value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np

from biasorigins.display import new_figure
from biasorigins.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from biasorigins.suite import SuiteResult

BiasOrder = Literal["mean", "given", "title"]

_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def plot_results(results: SuiteResult | Iterable[SuiteResult] | Mapping[str, SuiteResult], *,
                 order: BiasOrder = "mean", title: str | None = None) -> Figure:
    """A forest plot: each bias's mean score with its 95% bootstrap CI, one colour and marker per model.

    Parameters
    ----------
    results
        One `SuiteResult`, several (side by side in each bias's row) or the ``{name: result}`` of
        :meth:`BiasSuite.run_many`.
    order
        Rows from the top: ``"mean"`` (highest mean over the models first), ``"given"`` (the order of
        the first result) or ``"title"`` (alphabetical).
    title
        The figure title (default: the model's name, or "Bias scores of N models").

    Models whose answers follow option position are marked so in the legend: their scores are
    uninformative (see :attr:`SuiteResult.answer_quality`). A bias without valid cases has no marker.
    """
    from biasorigins.suite import combine_results

    if order not in ("mean", "given", "title"):
        raise ConfigError(f"order must be 'mean', 'given' or 'title', got {order!r}")
    table = combine_results(results)
    models = list(dict.fromkeys(table["model"]))
    positional = set(table.loc[table["answer_quality"] == "positional", "model"])
    titles = dict(zip(table["bias"], table["title"]))
    if order == "mean":
        biases = list(table.groupby("bias", sort=False)["mean"].mean().sort_values(ascending=False,
                                                                                   kind="stable").index)
    else:
        biases = list(titles)
        if order == "title":
            biases.sort(key=lambda slug: titles[slug].lower())
    row_of = {slug: len(biases) - 1 - i for i, slug in enumerate(biases)}  # the first bias on top

    fig = new_figure(7.0, 1.4 + len(biases) * (0.22 + 0.07 * len(models)))
    ax = fig.add_subplot()
    from matplotlib import colormaps

    colours = colormaps["tab10"]
    band = 0.7  # the share of a row the models of a bias spread over
    offsets = np.linspace(band / 2, -band / 2, len(models)) if len(models) > 1 else np.zeros(1)
    for number, (model, offset) in enumerate(zip(models, offsets)):
        ours = table[table["model"] == model]
        for slug in ours.loc[ours["mean"].isna(), "bias"]:
            ax.text(-1.07, row_of[slug] + offset, f"{model}: no valid cases" if len(models) > 1 else "no valid cases",
                    va="center", fontsize="x-small", color="0.4")
        rows = ours[ours["mean"].notna()]
        y = rows["bias"].map(row_of).to_numpy() + offset
        error = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
        label = model + (" [answers follow position]" if model in positional else "")
        ax.errorbar(rows["mean"], y, xerr=error, fmt=_MARKERS[number % len(_MARKERS)], color=colours(number % 10),
                    markersize=5, capsize=2, elinewidth=1.2, label=label)
    ax.axvline(0.0, color="0.35", linewidth=0.9, linestyle="--", zorder=0)
    for row in range(len(biases)):
        if row % 2 == 0:
            ax.axhspan(row - 0.5, row + 0.5, color="0.95", zorder=-1, linewidth=0)
    ax.set_yticks(range(len(biases)), [titles[slug] for slug in reversed(biases)])
    ax.set_ylim(-0.5, len(biases) - 0.5)
    ax.set_xlim(-1.1, 1.1)
    ax.set_xticks(np.linspace(-1, 1, 9))
    ax.set_xlabel("mean bias score, 95% CI  (> 0: biased, < 0: the opposite)")
    ax.tick_params(axis="y", length=0)
    if len(biases) > 12:  # a long plot: the scale on top too
        ax.tick_params(axis="x", top=True, labeltop=True)
    ax.grid(axis="x", color="0.85", linewidth=0.6)
    ax.set_axisbelow(True)
    if len(models) == 1:
        warning = "\nanswers follow option position: the scores are uninformative" if positional else ""
        ax.set_title((title or models[0]) + warning)
    else:
        ax.set_title(title or f"Bias scores of {len(models)} models")
        labels = ax.get_legend_handles_labels()[1]
        columns = min(len(models), 3) if max(map(len, labels)) <= 28 else 1
        fig.legend(loc="outside lower center", ncols=columns, frameon=False, fontsize="small")
    return fig
