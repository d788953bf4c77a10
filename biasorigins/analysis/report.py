"""Write a `StudyAnalysis` as a self-contained HTML report (figures embedded as PNG) and a Markdown twin."""

from __future__ import annotations

import base64
import html
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from biasorigins.display import plural
from biasorigins.errors import ConfigError
from biasorigins.tables import write_table_set

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from matplotlib.figure import Figure

    from biasorigins.analysis.analyze import StudyAnalysis
    from biasorigins.analysis.results import AnalysisResult

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Section:
    """A section of its own at the top of a report: a heading, paragraphs and tables ``{name: table}``."""

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


MAX_ROWS = 64
# One paragraph under each section heading: the question the section answers and how to read it.
READING_GUIDE = {
    "randomness": (
        "How far do bias scores move when only the finetuning seed changes? This is the noise floor of the "
        "study: a difference between backbones or datasets smaller than this spread says nothing."
    ),
    "clustering": (
        "Are the bias profiles of models that share a backbone closer to each other than those of models that "
        "share instruction data? A higher silhouette means tighter groups. The 'cell' permutation test keeps "
        "each cell's seeds together and is the test this design supports; the 'model' test treats seeds as "
        "independent models and is optimistic."
    ),
    "attribution": (
        "Which part of the differences between models in each bias score goes with the backbone, the "
        "instruction data, their interaction, and the seed (what is left)? Read omega squared, or a share "
        "against its chance level: with no effect at all a term still gets a share of df / (N - 1). The "
        "fixed-effects tests count each training set-up as fixed; the test against the interaction allows "
        "set-up effects and needs many cells. The shares describe these backbones and datasets only."
    ),
}
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { margin-top: 2.2em; border-bottom: 1px solid #bbb; }
blockquote { background: #f4f7fb; border-left: 4px solid #1f77b4; margin: 1em 0; padding: .6em 1em; }
table { border-collapse: collapse; font-size: 12px; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } img { max-width: 100%; }
.note { color: #555; font-size: 13px; } .skipped { color: #8a4b00; }
.caveat { background: #fff6e0; border-left: 4px solid #d08a00; padding: .6em 1em; }
.guide { font-style: italic; color: #333; }
"""


# How the parts of snake_case column and table names read in a heading.
_WORDS = {
    "ci": "CI", "std": "SD", "eta": "η", "omega": "ω", "ari": "ARI", "pca": "PCA", "anova": "ANOVA",
    "permanova": "PERMANOVA", "kmeans": "k-means", "icc1": "ICC(1)", "icc1k": "ICC(1,k)", "R2": "R²",
    "pearson": "Pearson", "calinski": "Calinski-", "harabasz": "Harabasz", "davies": "Davies-", "bouldin": "Bouldin",
    "num": "(numerator)", "den": "(denominator)", "pseudo": "pseudo-", "abs": "absolute", "vs": "vs",
}
_NAMES = {"sum_sq": "Sum of squares", "mean_sq": "Mean square"}
_KEEP_CASE = {"n", "p", "q", "df", "k-means", "η²", "ω²", "pseudo-"}


def heading(name: str) -> str:
    """A readable heading for a snake_case column or table name: ``"p_value"`` -> ``"p value"``,
    ``"partial_eta_sq"`` -> ``"Partial η²"``, ``"ci_low"`` -> ``"CI low"``, ``"k3"`` -> ``"k = 3"``."""
    if name in _NAMES:
        return _NAMES[name]
    words: list[str] = []
    for part in name.split("_"):
        if part == "sq" and words and words[-1] in ("η", "ω"):
            words[-1] += "²"
        elif re.fullmatch(r"k\d+", part):
            words.append(f"k = {part[1:]}")
        elif part in ("a", "b") and words:
            words.append(part.upper())
        else:
            words.append(_WORDS.get(part, part))
    text = " ".join(words).replace("- ", "-")
    first = words[0]
    if first in _KEEP_CASE or first.startswith("k = ") or not first[:1].islower():
        return text  # a symbol, or already capitalised (model names, PC1, F)
    return text[:1].upper() + text[1:]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _format_value(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        if value == 0:
            return "0"  # also -0.0
        if abs(value) < 1e-3 or abs(value) >= 1e5:
            return f"{value:.3g}"
        return f"{value:.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:.1f}"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a meaningful index (e.g. model names) turned into a column."""
    return table if isinstance(table.index, pd.RangeIndex) else table.reset_index()


def _prepare(table: pd.DataFrame, csv: str) -> tuple[pd.DataFrame, str]:
    """The table as shown: formatted values, readable headings, at most MAX_ROWS rows; and a note."""
    note = f"All rows with the original column names: {csv}."
    if len(table) > MAX_ROWS:
        note = f"First {MAX_ROWS} of {len(table)} rows; the full table is in {csv}."
        table = table.head(MAX_ROWS)
    # A matrix labelled on both sides (e.g. model x model) keeps its labels; only its row-label column is named.
    named = [name for name in table.index.names if name] if not isinstance(table.index, pd.RangeIndex) else table.columns
    shown = _flat(table).map(_format_value)
    return shown.rename(columns={column: heading(str(column)) for column in named}), note


def _html_table(name: str, table: pd.DataFrame, csv: str) -> str:
    shown, note = _prepare(table, csv)
    body = shown.to_html(index=False, escape=True, border=0)
    return f"<h3>{html.escape(heading(name))}</h3>\n" + f'<p class="note">{html.escape(note)}</p>\n' + body


def _markdown_table(name: str, table: pd.DataFrame, csv: str) -> str:
    shown, note = _prepare(table, csv)
    columns = [str(c) for c in shown.columns]

    def cell(text: object) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [f"### {heading(name)}", "", f"_{note}_", ""]
    lines.append("| " + " | ".join(cell(c) for c in columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _figures_by_section(analysis: StudyAnalysis, figures: dict[str, bytes]) -> dict[str, list[tuple[str, bytes]]]:
    sections: dict[str, list[tuple[str, bytes]]] = {name: [] for name in analysis.results()}
    for name, figure in figures.items():
        if name == "seed_variability":
            sections["randomness"].append((name, figure))
        elif name == "attribution":
            sections["attribution"].append((name, figure))
        else:
            level = name.split("_", 1)[1]
            sections[f"clustering ({level} level)"].append((name, figure))
    return sections


def _guide(name: str) -> str:
    return READING_GUIDE[name.split(" ")[0]]


def write_report(analysis: StudyAnalysis, path: Path, *, figures: bool = True, title: str = "Cross-tuning analysis",
                 note: str | None = None, appendix: Mapping[str, pd.DataFrame] | None = None,
                 first: Sequence[Section] = ()) -> Path:
    """Write ``path`` (HTML, self-contained) and ``<stem>.md`` with figures in ``<stem>_figures/``, and
    every table in full as CSV in ``<stem>_tables/`` (``<section>-<table>.csv``, the original column names).

    ``note`` is a caveat shown under the title (e.g. that a study is a toy-scale demonstration);
    ``appendix`` holds further tables ``{heading: table}`` shown after the summary (e.g. the answer
    diagnostics of every model); ``first`` holds sections shown before everything else (e.g. what a
    demonstration was built to show).
    """
    if path.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"report path {path} must end in .html (the Markdown twin is written beside it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    rendered: dict[str, bytes] = {}
    if figures:
        from biasorigins.analysis.figures import study_figures

        rendered = {name: _png(figure) for name, figure in study_figures(analysis).items()}
    sections = _figures_by_section(analysis, rendered)
    figure_dir = path.with_name(f"{path.stem}_figures")
    if rendered:
        figure_dir.mkdir(exist_ok=True)
    table_dir = path.with_name(f"{path.stem}_tables")
    tables = {("appendix", name): table for name, table in (appendix or {}).items()}
    tables.update({(section.title, name): table for section in first for name, table in section.tables.items()})
    for section, result in analysis.results().items():
        tables.update({(section, name): table for name, table in result.tables().items() if not table.empty})
    stems = {key: f"{_slug(key[0])}-{_slug(key[1])}" for key in tables}
    write_table_set({stems[key]: _flat(table) for key, table in tables.items()}, table_dir, "csv")
    csv = {key: f"{table_dir.name}/{stem}.csv" for key, stem in stems.items()}

    scores = analysis.scores
    overview = (
        f"{plural(len(scores.models), 'model')} ({int(scores.models['reference'].sum())} reference), "
        f"{plural(len(scores.biases), 'bias')}; backbones: {', '.join(sorted(scores.models['backbone'].unique()))}; "
        f"instruction data: {', '.join(sorted(scores.models['data'].unique()))}."
    )
    settings = ", ".join(f"{k} = {v}" for k, v in analysis.settings.items())
    html_parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
        *([f'<p class="caveat">{html.escape(note)}</p>'] if note else []),
        *[part for section in first for part in _html_first(section, csv)],
        f"<p>{html.escape(overview)}</p>", f'<p class="note">Settings: {html.escape(settings)}</p>',
        "<h2>Summary</h2><ul>",
        *[f"<li><b>{html.escape(name)}</b>: {html.escape(text)}</li>" for name, text in analysis.summaries().items()],
        *[f'<li class="skipped"><b>{html.escape(name)}</b>: skipped ({html.escape(reason)})</li>'
          for name, reason in analysis.skipped.items()],
        "</ul>",
        *[_html_table(name, table, csv["appendix", name]) for name, table in (appendix or {}).items()],
    ]
    md_parts = [f"# {title}", "", *([f"> **{note}**", ""] if note else [])]
    md_parts += [part for section in first for part in _markdown_first(section, csv)]
    md_parts += [overview, "", f"_Settings: {settings}_", "", "## Summary", ""]
    md_parts += [f"- **{name}**: {text}" for name, text in analysis.summaries().items()]
    md_parts += [f"- **{name}**: skipped ({reason})" for name, reason in analysis.skipped.items()]
    md_parts.append("")
    md_parts += [_markdown_table(name, table, csv["appendix", name]) for name, table in (appendix or {}).items()]

    for name, result in analysis.results().items():
        html_parts += _html_section(name, result, sections.get(name, []), csv)
        md_parts += _markdown_section(name, result, sections.get(name, []), figure_dir, csv)
    html_parts.append("</body></html>")
    path.write_text("\n".join(html_parts), encoding="utf-8")
    path.with_suffix(".md").write_text("\n".join(md_parts), encoding="utf-8")
    logger.info("wrote report %s and %s", path, path.with_suffix(".md"))
    return path


def _html_first(section: Section, csv: Mapping[tuple[str, str], str]) -> list[str]:
    parts = [f"<h2>{html.escape(section.title)}</h2>"]
    parts += [f"<p>{html.escape(text)}</p>" for text in section.paragraphs]
    return parts + [_html_table(name, table, csv[section.title, name]) for name, table in section.tables.items()]


def _markdown_first(section: Section, csv: Mapping[tuple[str, str], str]) -> list[str]:
    parts = [f"## {section.title}", ""]
    for text in section.paragraphs:
        parts += [text, ""]
    return parts + [_markdown_table(name, table, csv[section.title, name]) for name, table in section.tables.items()]


def _html_section(name: str, result: AnalysisResult, figures: list[tuple[str, bytes]],
                  csv: Mapping[tuple[str, str], str]) -> list[str]:
    parts = [f"<h2>{html.escape(name.capitalize())}</h2>", f'<p class="guide">{html.escape(_guide(name))}</p>',
             f"<blockquote>{html.escape(result.summary)}</blockquote>"]
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in result.notes]
    for figure_name, figure in figures:
        encoded = base64.b64encode(figure).decode("ascii")
        parts.append(f'<figure><img alt="{html.escape(figure_name)}" src="data:image/png;base64,{encoded}"></figure>')
    parts += [_html_table(table_name, table, csv[name, table_name]) for table_name, table in result.tables().items()
              if not table.empty]
    return parts


def _markdown_section(name: str, result: AnalysisResult, figures: list[tuple[str, bytes]], figure_dir: Path,
                      csv: Mapping[tuple[str, str], str]) -> list[str]:
    parts = [f"## {name.capitalize()}", "", f"_{_guide(name)}_", "", f"> {result.summary}", ""]
    parts += [f"_{note}_\n" for note in result.notes]
    for figure_name, figure in figures:
        file = figure_dir / f"{figure_name}.png"
        file.write_bytes(figure)
        parts += [f"![{figure_name}]({figure_dir.name}/{file.name})", ""]
    parts += [_markdown_table(table_name, table, csv[name, table_name]) for table_name, table in result.tables().items()
              if not table.empty]
    return parts
