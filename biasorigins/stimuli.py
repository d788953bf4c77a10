"""Building blocks for bias templates: answer scales, scenario slots and text filling (public for plugin authors)."""

from __future__ import annotations

from biasorigins.records import AnswerScale
from biasorigins.scenarios import Scenario, with_article


def percent_scale(start: int = 0, stop: int = 100, step: int = 10) -> AnswerScale:
    """Percentages from ``start`` to ``stop`` inclusive, e.g. 0%, 10%, ..., 100%."""
    values = list(range(start, stop + 1, step))
    return AnswerScale(options=tuple(f"{v:+d}%" if start < 0 else f"{v}%" for v in values), values=tuple(values))


def count_scale(stop: int = 10) -> AnswerScale:
    """Counts 0, 1, ..., ``stop``."""
    return AnswerScale(options=tuple(str(v) for v in range(stop + 1)), values=tuple(range(stop + 1)))


def seven_point(*options: str) -> AnswerScale:
    """A 7-point scale from its seven option texts (index 0 first)."""
    if len(options) != 7:
        raise ValueError(f"a seven-point scale needs 7 options, got {len(options)}")
    return AnswerScale(options=options, values=tuple(range(7)))


def scenario_slots(scenario: Scenario) -> dict[str, str]:
    """Template slots taken from a scenario ({position}, {a_organization}, {team}, ...)."""
    return {
        "position": scenario.position,
        "a_position": with_article(scenario.position),
        "organization": scenario.organization,
        "a_organization": with_article(scenario.organization),
        "decision": scenario.decision,
        "project": scenario.project,
        "product": scenario.product,
        "metric": scenario.metric,
        "team": scenario.team,
        "industry": scenario.industry,
    }


def fill(lines: tuple[str, ...] | list[str], **slots: object) -> tuple[str, ...]:
    """Format every line with ``slots`` and capitalise its first letter."""
    return tuple(capitalize(line.format(**slots)) for line in lines)


def capitalize(text: str) -> str:
    """Upper-case the first character only (keeps acronyms and names intact)."""
    return text[:1].upper() + text[1:]
