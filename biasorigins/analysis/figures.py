"""Figures of the cross-tuning analyses (matplotlib, imported lazily: ``pip install biasorigins[plots]``).

Every function returns a `matplotlib.figure.Figure` built without pyplot, so nothing touches global
backend state; save it with ``fig.savefig(path)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from biasorigins.errors import BiasOriginsError
from biasorigins.display import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from biasorigins.analysis.analyze import StudyAnalysis
    from biasorigins.analysis.results import AttributionResult, ClusteringResult, RandomnessResult

_MARKERS = ["o", "^", "s", "D", "v", "P", "X", "*"]
_SHARE_COLOURS = {"backbone": "#1f77b4", "data": "#ff7f0e", "interaction": "#9467bd", "seed": "#c7c7c7"}
_SHARE_LABELS = {"backbone": "backbone", "data": "instruction data", "interaction": "backbone x data",
                 "seed": "seed (residual)"}


def _palette(levels: list[str]) -> dict[str, Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {level: cmap(i % 10) for i, level in enumerate(levels)}


def pca_scatter(result: ClusteringResult) -> Figure:
    """Models on the first two principal components: colour = backbone, marker = instruction data.

    Reference (original) models are drawn larger with a black edge and labelled by name; seed models are
    labelled with their seed.
    """
    from matplotlib.lines import Line2D

    pca = result.pca
    variance = result.pca_variance.set_index("component")["explained_variance_ratio"]
    if "PC2" not in pca:
        raise BiasOriginsError("the PCA has fewer than two components; nothing to scatter")
    backbones = sorted(pca["backbone"].unique())
    datasets = sorted(pca["data"].unique())
    colours = _palette(backbones)
    markers = {d: _MARKERS[i % len(_MARKERS)] for i, d in enumerate(datasets)}
    fig = new_figure(7.5, 5.5)
    ax = fig.add_subplot()
    # Points closer than 1.5% of the axis spans share a spot: their labels are stacked, not overprinted.
    spans = [max(float(np.ptp(pca[axis])), 1e-12) for axis in ("PC1", "PC2")]
    spot_counts: dict[tuple[int, int], int] = {}
    for row in pca.itertuples():
        reference = bool(row.reference)
        ax.scatter(row.PC1, row.PC2, s=160 if reference else 80, marker=markers[row.data],
                   color=colours[row.backbone], edgecolors="black" if reference else "white",
                   linewidths=1.6 if reference else 0.8, zorder=3)
        label = row.model if reference or pd.isna(row.seed) else f"s{row.seed}"
        spot = (round(row.PC1 / spans[0] / 0.015), round(row.PC2 / spans[1] / 0.015))
        stacked = spot_counts.get(spot, 0)
        spot_counts[spot] = stacked + 1
        ax.annotate(label, (row.PC1, row.PC2), xytext=(6, 4 + 9 * stacked), textcoords="offset points",
                    fontsize=8, color="0.2")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel(f"PC1 ({variance['PC1']:.1%} of variance)")
    ax.set_ylabel(f"PC2 ({variance['PC2']:.1%} of variance)")
    ax.set_title(f"PCA of bias profiles ({result.level} level, {result.n_features} features, {result.n_models} models)")
    backbone_handles = [Line2D([], [], marker="o", ls="", color=colours[b], markersize=9, label=b) for b in backbones]
    data_handles = [Line2D([], [], marker=markers[d], ls="", color="0.45", markersize=9, label=d) for d in datasets]
    ax.margins(x=0.12, y=0.1)
    fig.legend(handles=backbone_handles, title="backbone", loc="outside right upper", frameon=False)
    handles = data_handles
    if pca["reference"].any():
        handles = handles + [Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="black",
                                    markeredgewidth=1.6, markersize=11, label="reference\n(no seed)")]
    fig.legend(handles=handles, title="instruction data", loc="outside right center", frameon=False)
    return fig


def similarity_heatmap(result: ClusteringResult) -> Figure:
    """Cosine similarity between the models' bias vectors, models grouped by backbone then data."""
    sim = result.similarity
    models = result.pca.set_index("model").loc[sim.index]
    n = len(sim)
    size = max(5.0, 0.45 * n + 2.5)
    fig = new_figure(size + 1.2, size)
    ax = fig.add_subplot()
    off_diagonal = np.abs(sim.to_numpy()[~np.eye(n, dtype=bool)])
    limit = float(max(off_diagonal.max(), 0.1)) if off_diagonal.size else 1.0
    from matplotlib import colormaps

    cmap = colormaps["RdBu_r"].with_extremes(bad="0.85")
    shown = np.where(np.eye(n, dtype=bool), np.nan, sim.to_numpy())
    image = ax.imshow(shown, cmap=cmap, vmin=-limit, vmax=limit)
    ax.set_xticks(range(n), sim.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), sim.index, fontsize=8)
    if n <= 20:
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                value = sim.iat[i, j]
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6.5,
                        color="white" if abs(value) > 0.6 * limit else "black")
    boundaries = np.flatnonzero(models["backbone"].to_numpy()[1:] != models["backbone"].to_numpy()[:-1]) + 0.5
    for b in boundaries:
        ax.axhline(b, color="black", lw=1.5)
        ax.axvline(b, color="black", lw=1.5)
    fig.colorbar(image, ax=ax, shrink=0.8, label="cosine similarity")
    ax.set_title(f"Cosine similarity of bias vectors\n({result.level} level; lines separate backbones)")
    return fig


def seed_variability_bars(result: RandomnessResult) -> Figure:
    """Mean across-seed std of bias scores per group (with capability-metric std), and the std of each bias."""
    groups = result.groups
    per_bias = result.per_bias
    feature = "bias"
    order = per_bias.groupby(feature, sort=False)["std"].mean().sort_values().index
    height = max(4.5, 0.22 * len(order) + 1.5)
    fig = new_figure(12, height)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.6])
    names = groups["group"].tolist()
    x = np.arange(len(names))
    capability = [c for c in groups.columns
                  if c.endswith("_seed_std") and c.removesuffix("_std") + "_mean" in groups.columns]
    width = 0.8 / (1 + len(capability))
    colours = _palette(names)
    bars = left.bar(x, groups["mean_bias_std"], width, color=[colours[g] for g in names],
                    label="bias scores (mean over biases)")
    left.bar_label(bars, fmt="%.3f", fontsize=8)
    for i, column in enumerate(capability, start=1):
        cap = left.bar(x + i * width, groups[column], width, color="0.6", hatch="//", edgecolor="white",
                       label=f"{column.removesuffix('_seed_std')} (across seeds)")
        left.bar_label(cap, fmt="%.3f", fontsize=8)
    left.set_xticks(x + width * len(capability) / 2, names, rotation=20, ha="right")
    left.set_ylabel("standard deviation across seeds")
    left.set_title("Variability across random seeds")
    left.legend(frameon=False, fontsize=8, loc="upper right")
    left.margins(y=0.15)
    y = np.arange(len(order))
    for name in names:
        values = per_bias[per_bias["group"] == name].set_index(feature)["std"].reindex(order)
        right.scatter(values, y, color=colours[name], s=22, label=name, zorder=3)
    right.set_yticks(y, order, fontsize=7.5)
    right.set_xlabel("standard deviation across seeds")
    right.set_title("Per bias (sorted by mean std)")
    right.grid(axis="x", color="0.9")
    right.legend(frameon=False, fontsize=8, loc="lower right", title="group")
    return fig


def attribution_bars(result: AttributionResult) -> Figure:
    """Stacked eta^2 shares per bias (backbone, data, interaction, seed), pooled shares on top.

    A star after a bias marks a backbone (or data) effect with FDR q below the result's alpha. Dotted lines
    mark where each stacked effect share ends on average with no effect at all (its chance level).
    """
    shares = result.shares.copy()
    components = [c for c in ("backbone", "data", "interaction", "seed") if f"eta_sq_{c}" in shares]
    shares = shares.sort_values("eta_sq_backbone", ascending=True)
    pooled = result.pooled.set_index("term")["share"].rename({"backbone:data": "interaction"})
    labels = []
    for row in shares.itertuples():
        marks = ""
        if getattr(row, "q_backbone", 1.0) < result.alpha:
            marks += " *B"
        if getattr(row, "q_data", 1.0) < result.alpha:
            marks += " *D"
        labels.append(f"{row.bias}{marks}")
    labels.append("POOLED (all biases)")
    height = max(4.5, 0.24 * len(labels) + 1.8)
    fig = new_figure(9.5, height)
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    left = np.zeros(len(labels))
    for component in components:
        values = np.append(shares[f"eta_sq_{component}"].to_numpy(), pooled.get(component, np.nan))
        ax.barh(y, values, left=left, color=_SHARE_COLOURS[component], label=_SHARE_LABELS[component],
                edgecolor="white", linewidth=0.5)
        left = left + np.nan_to_num(values)
    for position, total in zip(y, left):
        if total == 0:  # every model scored this bias alike: nothing to attribute
            ax.text(0.01, position, "no variation between models", va="center", fontsize=7, color="0.4")
    chance = result.pooled.set_index("term")["chance_share"].rename({"backbone:data": "interaction"})
    edge = 0.0
    for component in components:
        if component == "seed" or component not in chance:
            continue
        edge += float(chance[component])
        ax.axvline(edge, color=_SHARE_COLOURS[component], ls=":", lw=1.2)
        ax.text(edge, len(labels) - 0.45, f"chance {component}", rotation=90, fontsize=6, va="top", ha="right")
    ax.set_yticks(y, labels, fontsize=7.5)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.axhline(len(labels) - 1.5, color="black", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_xlabel("share of variance (eta squared)")
    ax.set_title(f"Variance of each bias score attributed to its sources ({result.n_models} models)\n"
                 f"* B / * D: backbone / data effect with FDR q < {result.alpha:g}; dotted: no-effect (chance) levels", fontsize=10)
    fig.legend(loc="outside lower center", ncols=len(components), frameon=False, fontsize=8)
    return fig


def study_figures(analysis: StudyAnalysis) -> dict[str, Figure]:
    """Every figure of a `StudyAnalysis`, by name."""
    figures: dict[str, Figure] = {}
    if analysis.randomness is not None:
        figures["seed_variability"] = seed_variability_bars(analysis.randomness)
    for level, result in analysis.clustering.items():
        if "PC2" in result.pca:  # a scatter needs two components
            figures[f"pca_{level}"] = pca_scatter(result)
        figures[f"similarity_{level}"] = similarity_heatmap(result)
    if analysis.attribution is not None:
        figures["attribution"] = attribution_bars(analysis.attribution)
    return figures
