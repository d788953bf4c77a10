"""`analyze_scores`: every cross-tuning analysis of a score table in one call, and its `StudyAnalysis`."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from biasorigins.analysis.attribution import analyze_attribution
from biasorigins.analysis.clustering import analyze_clustering
from biasorigins.analysis.geometry import Metric
from biasorigins.analysis.randomness import PAPER_TAU, analyze_randomness
from biasorigins.analysis.findings import findings_frame
from biasorigins.analysis.report import Section, write_report
from biasorigins.analysis.results import AnalysisResult, AttributionResult, ClusteringResult, RandomnessResult
from biasorigins.analysis.scores import StudyScores
from biasorigins.analysis.stats import SeedLike, spawn_generators
from biasorigins.display import html_card, html_table, plural
from biasorigins.errors import ConfigError

logger = logging.getLogger(__name__)


class StudyAnalysis(BaseModel):
    """Every analysis of a cross-tuning score table, with a report writer.

    Attributes
    ----------
    scores
        The analysed `StudyScores`.
    randomness, attribution
        Results, or None when the design does not allow them (the reason is in ``skipped``).
    clustering
        Clustering results by level (``"bias"``, and ``"scenario"`` when scenario scores are given).
    skipped
        Analysis name -> why it was not run.
    settings
        The options the analyses ran with (seed, permutations, ...).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    scores: StudyScores
    randomness: RandomnessResult | None
    clustering: dict[str, ClusteringResult]
    attribution: AttributionResult | None
    skipped: dict[str, str]
    settings: dict[str, Any]

    def results(self) -> dict[str, AnalysisResult]:
        """The results that were computed, by name (``randomness``, ``clustering (bias level)``, ...)."""
        out: dict[str, AnalysisResult] = {}
        if self.randomness is not None:
            out["randomness"] = self.randomness
        for level, result in self.clustering.items():
            out[f"clustering ({level} level)"] = result
        if self.attribution is not None:
            out["attribution"] = self.attribution
        return out

    @property
    def findings(self) -> pd.DataFrame:
        """One row per claim the summaries make: analysis, factor (backbone / data / interaction / seed), level,
        test, statistic, p_value, p_min, significant (at ``alpha`` after ``correction``), estimate, its
        no-effect level ``chance``, and ``assumes`` (what the p-value rests on, in plain words)."""
        frames = [result.findings for result in self.results().values()]
        return findings_frame([]) if not frames else pd.concat(frames, ignore_index=True).astype({"significant": bool})

    def summaries(self) -> dict[str, str]:
        """One quotable sentence per analysis, by name."""
        return {name: result.summary for name, result in self.results().items()}

    def report(self, path: str | Path, *, figures: bool = True, title: str = "Cross-tuning analysis",
               note: str | None = None, appendix: Mapping[str, pd.DataFrame] | None = None,
               first: Sequence[Section] = ()) -> Path:
        """Write a self-contained HTML report (tables, embedded figures, summaries) and a Markdown twin.

        ``note`` is a caveat shown under the title; ``appendix`` holds further tables
        ``{heading: table}`` shown after the summary; ``first`` holds sections (`report.Section`)
        shown before everything else.

        The Markdown file ``<stem>.md`` is written beside ``path`` with its figures as PNG files in
        ``<stem>_figures/``. Figures need matplotlib (``pip install biasorigins[plots]``).

        Returns
        -------
        Path
            The HTML file.
        """
        return write_report(self, Path(path), figures=figures, title=title, note=note, appendix=appendix,
                            first=first)

    def __str__(self) -> str:
        lines = [f"{name}: {sentence}" for name, sentence in self.summaries().items()]
        lines += [f"{name}: skipped ({reason})" for name, reason in self.skipped.items()]
        return "\n".join(lines)

    def _design(self) -> list[str]:
        models = self.scores.models
        return [plural(len(models), "model") + f" ({int(models['reference'].sum())} reference)",
                plural(len(self.scores.biases), "bias")]

    def __repr__(self) -> str:
        done = ", ".join(self.results()) or "nothing"
        skipped = f"; skipped: {', '.join(self.skipped)}" if self.skipped else ""
        return f"<StudyAnalysis {', '.join(self._design())}: {done}{skipped}>"

    def _repr_html_(self) -> str:
        rows = [(name, sentence) for name, sentence in self.summaries().items()]
        rows += [(name, f"skipped: {reason}") for name, reason in self.skipped.items()]
        findings = self.findings
        significant = int(findings["significant"].sum())
        notes = [(f"{plural(len(findings), 'finding')} ({significant} significant) in .findings; "
                  ".report(path) writes the full HTML report with figures."),
                 "Settings: " + ", ".join(f"{key} = {value}" for key, value in self.settings.items())]
        table = html_table(["analysis", "summary"], rows, text_columns=2)
        return html_card("Cross-tuning analysis", self._design(), body=table, notes=notes)


def analyze_scores(
    scores: StudyScores | pd.DataFrame | str | Path,
    *,
    seed: SeedLike = 0,
    levels: Sequence[Literal["bias", "scenario"]] | None = None,
    n_permutations: int = 999,
    n_bootstrap: int = 1000,
    n_restarts: int = 100,
    tau: float = PAPER_TAU,
    scale: bool = False,
    metric: Metric = "euclidean",
    standardize: bool = True,
    labels: Mapping[str, Mapping[str, Any]] | pd.DataFrame | None = None,
) -> StudyAnalysis:
    """Run the randomness, clustering and attribution analyses on a cross-tuning score table.

    Analyses the design does not allow (e.g. attribution without seed replicates) are skipped, with the
    reason in ``StudyAnalysis.skipped``.

    Parameters
    ----------
    scores
        A `StudyScores`, a long or wide DataFrame, or a CSV/TSV/Parquet path (see `StudyScores.load`).
    seed
        Integer seed or numpy Generator; the same seed gives the same analysis.
    levels
        Clustering levels; default ``["bias"]`` plus ``"scenario"`` when scenario scores are given.
    n_permutations, n_bootstrap, n_restarts
        Permutations per test, bootstrap replicates, k-means restarts per k.
    tau
        Category threshold of the randomness analysis (the paper's 0.088).
    scale, metric
        Clustering geometry (the paper: raw scores, Euclidean).
    standardize
        Pool z-scored biases in the attribution (every bias counts equally).
    labels
        Per-model labels, when ``scores`` is not yet a `StudyScores` (see `StudyScores.load`).
    """
    for name, value in (("n_permutations", n_permutations), ("n_bootstrap", n_bootstrap), ("n_restarts", n_restarts)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    scores = StudyScores.load(scores, labels=labels) if not isinstance(scores, StudyScores) else scores
    if levels is None:
        levels = ["bias", "scenario"] if scores.has_scenarios else ["bias"]
    rng_clustering, rng_attribution = spawn_generators(seed, 2)
    level_generators = spawn_generators(rng_clustering, len(levels))
    skipped: dict[str, str] = {}

    randomness = None
    try:
        randomness = analyze_randomness(scores, tau=tau)
    except ConfigError as exc:
        skipped["randomness"] = str(exc)
        logger.info("randomness analysis skipped: %s", exc)

    clustering: dict[str, ClusteringResult] = {}
    for level, generator in zip(levels, level_generators):
        try:
            clustering[level] = analyze_clustering(
                scores, level=level, scale=scale, metric=metric, n_permutations=n_permutations,
                n_restarts=n_restarts, seed=generator,
            )
        except ConfigError as exc:
            skipped[f"clustering ({level} level)"] = str(exc)
            logger.info("clustering at %s level skipped: %s", level, exc)

    attribution = None
    try:
        attribution = analyze_attribution(
            scores, standardize=standardize, n_permutations=n_permutations, n_bootstrap=n_bootstrap,
            seed=rng_attribution,
        )
    except ConfigError as exc:
        skipped["attribution"] = str(exc)
        logger.info("attribution skipped: %s", exc)

    settings = {
        "seed": seed if isinstance(seed, int) else "numpy Generator", "levels": list(levels),
        "n_permutations": n_permutations, "n_bootstrap": n_bootstrap, "n_restarts": n_restarts, "tau": tau,
        "scale": scale, "metric": metric, "standardize": standardize,
    }
    return StudyAnalysis(scores=scores, randomness=randomness, clustering=clustering, attribution=attribution,
                         skipped=skipped, settings=settings)
