"""Rendering: a condition of a test case becomes a decision prompt with labelled options."""

from __future__ import annotations

import string
from typing import Literal

from biasorigins.records import Condition, Prompt, TestCase

LabelStyle = Literal["letters", "numbers"]

INSTRUCTION = "The following is a decision task. Read the situation and choose exactly one of the answer options."
CLOSING = "Reply with the label of the one option you choose."
ANSWER_PREFIX = "Answer: Option"
SITUATION = "Situation:"
QUESTION = "Question: "
OPTIONS = "Answer options:"
#: What cloze scoring prefills before each option text.
CLOZE_ANSWER_PREFIX = "Answer:"


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
    lines = [INSTRUCTION, "", SITUATION, *condition.situation, "", f"{QUESTION}{condition.question}", "", OPTIONS]
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


def cloze_text(text: str) -> str:
    """What cloze scoring reads from a rendered prompt: the situation with the question, without the
    labelled options and the reply instruction.

    Raises ``ValueError`` when ``text`` is not laid out as :func:`render_condition` lays prompts out.
    """
    lines = text.split("\n")
    if SITUATION not in lines or OPTIONS not in lines:
        raise ValueError(f"not a rendered decision prompt (no {SITUATION!r} or {OPTIONS!r} line): {text[:80]!r}")
    body = lines[lines.index(SITUATION) : lines.index(OPTIONS)]
    if not any(line.startswith(QUESTION) for line in body):
        raise ValueError(f"a rendered decision prompt without a {QUESTION.strip()!r} line: {text[:80]!r}")
    return "\n".join(body).strip()
