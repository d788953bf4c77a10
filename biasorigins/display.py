"""Text and HTML building blocks for showing results: counts with the right plural, scores without
``-0.00``, the small escaped HTML cards that notebooks show (``_repr_html_``), and empty
matplotlib figures for the plots."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from biasorigins.errors import PlotDependencyError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Inline style of every card, so it reads the same in Jupyter, VS Code and exported HTML.
_CARD_STYLE = "font-family: sans-serif; font-size: 13px; line-height: 1.4"
_WARNING_STYLE = "background: #fff3cd; border-left: 4px solid #d08a00; padding: 4px 8px; margin: 4px 0"
_NOTE_STYLE = "color: #555; margin: 4px 0"
_CELL_STYLE = "padding: 1px 8px; text-align: {}"


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """``count`` and ``word`` in the right number: ``plural(1, "bias")`` -> ``"1 bias"``, 2 -> ``"2 biases"``."""
    if count == 1:
        return f"{count} {word}"
    if plural_form is None:
        plural_form = word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")
    return f"{count} {plural_form}"


def format_score(value: float | None, digits: int = 3, *, signed: bool = True) -> str:
    """A score with a fixed number of decimals: ``+0.125``, ``-0.500``; anything that rounds to zero
    prints unsigned (``0.000``, never ``-0.000``); NaN and None print as an empty string."""
    if value is None or math.isnan(value):
        return ""
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    if float(text) == 0:
        return f"{0:.{digits}f}"
    return text


def format_ci(low: float, high: float, digits: int = 2) -> str:
    """A confidence interval as ``[-0.12, +0.30]`` (empty when it is undefined)."""
    if math.isnan(low) or math.isnan(high):
        return ""
    return f"[{format_score(low, digits)}, {format_score(high, digits)}]"


def html_table(columns: Sequence[str] | None, rows: Iterable[Sequence[object]], *, text_columns: int = 1) -> str:
    """A compact HTML table (no header row when ``columns`` is None); every header and cell is escaped,
    the first ``text_columns`` columns left-aligned, the others (numbers) right-aligned."""
    def cells(tag: str, values: Sequence[object]) -> str:
        out = []
        for i, value in enumerate(values):
            style = _CELL_STYLE.format("left" if i < text_columns else "right")
            out.append(f'<{tag} style="{style}">{html.escape(str(value))}</{tag}>')
        return "".join(out)

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    head = f'<thead><tr>{cells("th", columns)}</tr></thead>' if columns is not None else ""
    return f'<table style="border-collapse: collapse">{head}<tbody>{body}</tbody></table>'


def html_card(title: str, facts: Sequence[str], *, body: str = "", warning: str | None = None,
              notes: Sequence[str] = ()) -> str:
    """An HTML card: a bold escaped title, a line of escaped facts, an optional escaped warning,
    ``body`` (HTML the caller built and escaped, e.g. from :func:`html_table`) and escaped notes."""
    header = " &middot; ".join([f"<strong>{html.escape(title)}</strong>", *(html.escape(f) for f in facts)])
    parts = [f'<div style="{_CARD_STYLE}">', f"<div>{header}</div>"]
    if warning:
        parts.append(f'<div style="{_WARNING_STYLE}">{html.escape(warning)}</div>')
    parts.append(body)
    parts += [f'<div style="{_NOTE_STYLE}">{html.escape(note)}</div>' for note in notes]
    parts.append("</div>")
    return "".join(parts)


def new_figure(width: float, height: float) -> Figure:
    """An empty matplotlib Figure with constrained layout; PlotDependencyError without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise PlotDependencyError("plots need matplotlib, which is not installed: pip install biasorigins[plots]"
                                  ) from exc
    return Figure(figsize=(width, height), layout="constrained")
