"""Reading a rendered prompt the way a person does: helpers for the built-in ``biased_option`` methods.

They see only what a model sees (the prompt text and the displayed option texts), never a
case's stored values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_OPTIONS_HEADING = "\nAnswer options:"
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_DOWNWARD = re.compile(r"\b(?:down|below|cut|less|fell|lower)\b", re.IGNORECASE)


def body(text: str) -> str:
    """The prompt text without its list of answer options (situation and question)."""
    return text.split(_OPTIONS_HEADING, 1)[0]


def option(options: Sequence[str], wanted: str) -> str:
    """The displayed option whose text is ``wanted`` (ignoring case)."""
    for shown in options:
        if shown.lower() == wanted.lower():
            return shown
    raise ValueError(f"no displayed option reads {wanted!r}; the options are {list(options)}")


def amount(text: str) -> float:
    """The signed number a text states: "Up 20%" 20, "Down 20%" and "20% below ..." -20, no number 0."""
    match = _NUMBER.search(text)
    if match is None:
        return 0.0
    value = float(match.group().replace(",", ""))
    return -value if _DOWNWARD.search(text) else value


def nearest(options: Sequence[str], value: float) -> str:
    """The displayed option whose stated amount is nearest to ``value``."""
    return min(options, key=lambda shown: abs(amount(shown) - value))


def farthest(options: Sequence[str], value: float) -> str:
    """The displayed option whose stated amount is farthest from ``value``."""
    return max(options, key=lambda shown: abs(amount(shown) - value))


def line_with(text: str, pattern: str) -> str | None:
    """The first line of ``text`` that matches ``pattern`` (case-insensitive), or None."""
    for line in text.splitlines():
        if re.search(pattern, line, re.IGNORECASE):
            return line
    return None
