"""The bias catalogue: a Markdown page generated from the registered biases' metadata.

``docs/biases.md`` is this function's output for the built-in biases, so the page
cannot drift from the code (a test compares them). Regenerate it with::

    BIASORIGINS_LOAD_PLUGINS= biasorigins list --markdown > docs/biases.md
"""

from __future__ import annotations

from collections.abc import Iterable

from biasorigins.bias import Bias
from biasorigins.presets import get_preset

HEADER = """# Bias catalogue

Generated from the plugins' metadata by `biasorigins list --markdown`; do not edit by hand.
A positive score always means the bias was shown. Design patterns: *contrast* (the same
question with and without a cue), *mirrored pair* (content swapped between conditions, so
answering by content alone scores 0), *reference point* (distance to an anchor or true value),
*difference of proportions* (share of target answers across conditions).
"""


def _section(bias: Bias, paper_names: dict[str, str]) -> str:
    info = bias.info
    lines = [f"## {info.title}", "", info.definition, ""]
    facts = [
        ("Slug", f"`{info.slug}`"),
        ("Design", info.design),
        ("Conditions", ", ".join(f"`{c}`" for c in info.conditions)),
        ("Positive score means", info.expected_direction),
        ("Source", info.citation),
        ("Version", str(info.version)),
    ]
    if info.slug in paper_names:
        facts.append(("Name in the cross-tuning paper", paper_names[info.slug]))
    if info.aliases:
        facts.append(("Also found as", ", ".join(info.aliases)))
    lines += [f"- **{label}:** {value}" for label, value in facts]
    for confound in info.confounds:
        lines.append(f"- **Known confound:** {confound}")
    doc = (type(bias).__doc__ or "").strip()
    if doc:
        lines += ["", " ".join(doc.split())]
    return "\n".join(lines)


def render_catalogue(biases: Iterable[Bias]) -> str:
    """The catalogue page for ``biases``, sorted by title."""
    paper_names = get_preset("paper32").display_names
    sections = [_section(b, paper_names) for b in sorted(biases, key=lambda b: b.info.title.lower())]
    return HEADER + "\n" + "\n\n".join(sections) + "\n"
