"""Rendering: a condition of a test case becomes a decision prompt with labelled options."""

from __future__ import annotations

import string
from typing import Literal

from biasorigins.records import Condition, Prompt, TestCase

LabelStyle = Literal["letters", "numbers"]

INSTRUCTION = "The following is a decision task. Read the situation and choose exactly one of the answer options."
CLOSING = "Reply with the label of the one option you choose."
ANSWER_PREFIX = "Answer: Option"


def option_labels(n: int, style: LabelStyle = "letters") -> tuple[str, ...]:
    """Labels of ``n`` displayed options: A, B, C, ... or 1, 2, 3, ..."""
    if style == "letters":
        if n > len(string.ascii_uppercase):
            raise ValueError(f"letter labels support at most 26 options, got {n}")
        return tuple(string.ascii_uppercase[:n])
    if style == "numbers":
        return tuple(str(i) for i in range(1, n + 1))
    raise ValueError(f"unknown label style {style!r}; use 'letters' or 'numbers'")


def render_condition(condition: Condition, *, labels: LabelStyle = "letters") -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Render one condition: (prompt text, displayed labels, displayed option texts)."""
    order = condition.shown_order
    shown = tuple(condition.scale.options[i] for i in order)
    tags = option_labels(len(shown), labels)
    lines = [INSTRUCTION, "", "Situation:", *condition.situation, "", f"Question: {condition.question}", "", "Answer options:"]
    lines += [f"Option {tag}: {text}" for tag, text in zip(tags, shown)]
    lines += ["", CLOSING]
    return "\n".join(lines), tags, shown


def render_prompt(case: TestCase, condition: str, *, labels: LabelStyle = "letters") -> Prompt:
    """The :class:`Prompt` for one condition of ``case``."""
    cond = case.condition(condition)
    text, tags, shown = render_condition(cond, labels=labels)
    return Prompt(
        case_id=case.id,
        condition=condition,
        text=text,
        labels=tags,
        options=shown,
        display_order=cond.shown_order,
        answer_prefix=ANSWER_PREFIX,
    )
