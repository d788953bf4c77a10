"""The shared bank of managerial decision scenarios that bias templates are filled with.

Each scenario is one manager in one industry facing one decision. Its fields are
short phrases written to slot into template sentences, for example::

    You are the {position} of {with_article(organization)}.
    You are deciding {decision}.
    Your {team} has spent months on the {project}.

The bank ships as ``biasorigins/data/scenarios.jsonl``: 25 industry groups (the
GICS groups, in our own short words) times 8 positions, one JSON object a line.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from importlib import resources
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from biasorigins.errors import ConfigError, DataFormatError

__all__ = ["Scenario", "coverage_order", "derive_scenario_id", "get_scenario", "load_scenarios", "with_article"]

SCENARIO_FILE = "scenarios.jsonl"
PHRASE_FIELDS = ("industry", "position", "organization", "decision", "project", "product", "metric", "team")
DECISION_OPENERS = ("whether", "how", "which", "what", "when", "where", "who")

_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*$")
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the)\s", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?"

# First words that start with a vowel letter but a consonant sound, and the reverse.
_CONSONANT_SOUND_PREFIXES = (
    "eu", "ewe", "uni", "use", "usu", "usa", "uti", "uto", "ubi", "uku", "ura", "uri", "uro", "uvu",
)
_VOWEL_SOUND_NEGATED_UNI = ("unim", "unin", "unid")
_VOWEL_SOUND_H_PREFIXES = ("hour", "honest", "honor", "honour", "heir")
_VOWEL_SOUND_LETTERS = set("AEFHILMNORSX")


class Scenario(BaseModel):
    """One manager facing one decision; every field is a phrase for template sentences.

    Attributes
    ----------
    industry : str
        Industry group in lower case, e.g. ``"energy"``.
    position : str
        Job title without article, e.g. ``"procurement manager"``.
    organization : str
        The employer, readable after "a"/"the", e.g. ``"offshore drilling company"``.
    decision : str
        Readable after "is deciding", e.g. ``"whether to switch the main supplier"``.
    project : str
        The initiative at stake, readable after "the", e.g. ``"supplier switch"``.
    product : str
        What the organization sells, plural or mass noun, e.g. ``"drilling services"``.
    metric : str
        What the position is judged on, readable after "the", e.g. ``"on-time delivery rate"``.
    team : str
        The manager's team, readable after "your", e.g. ``"procurement team"``.
    id : str
        ``"{industry slug}.{position slug}"``, e.g. ``"energy.procurement-manager"``;
        it never depends on where the record sits in the file.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    industry: str
    position: str
    organization: str
    decision: str
    project: str
    product: str
    metric: str
    team: str
    id: str  # declared last so that its check can see the validated industry and position

    @field_validator(*PHRASE_FIELDS)
    @classmethod
    def _check_phrase(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        if value != value.strip() or "  " in value:
            raise ValueError("must not have leading, trailing or doubled spaces")
        if not value.isascii() or not value.isprintable():
            raise ValueError("must be plain printable ASCII (no curly quotes, dashes or control characters)")
        if not (value[0].islower() or value[0].isdigit()):
            raise ValueError("must start with a lowercase letter or a digit")
        if _LEADING_ARTICLE.match(value):
            raise ValueError("must not start with an article; templates add their own")
        if value[-1] in _TRAILING_PUNCTUATION:
            raise ValueError("must not end with punctuation; templates add their own")
        return value

    @field_validator("decision")
    @classmethod
    def _check_decision(cls, value: str) -> str:
        if value.split(" ", 1)[0] not in DECISION_OPENERS:
            raise ValueError(f"must read well after 'is deciding', so start with one of {DECISION_OPENERS}")
        return value

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str, info: ValidationInfo) -> str:
        if not _ID_PATTERN.match(value):
            raise ValueError("must look like 'industry-slug.position-slug' using only [a-z0-9-] and one dot")
        if "industry" in info.data and "position" in info.data:
            expected = derive_scenario_id(info.data["industry"], info.data["position"])
            if value != expected:
                raise ValueError(f"{value!r} does not match the industry and position; expected {expected!r}")
        return value

    @property
    def text(self) -> str:
        """One sentence describing the scenario, e.g. "A plant manager at a ... is deciding whether to ..."."""
        sentence = f"{with_article(self.position)} at {with_article(self.organization)} is deciding {self.decision}."
        return sentence[0].upper() + sentence[1:]


def derive_scenario_id(industry: str, position: str) -> str:
    """Return the stable id derived from an industry and a position.

    Examples
    --------
    >>> derive_scenario_id("food, beverage and tobacco", "export manager")
    'food-beverage-and-tobacco.export-manager'
    """
    return f"{_slug(industry)}.{_slug(position)}"


def _slug(phrase: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", phrase.lower()).strip("-")


def with_article(noun_phrase: str) -> str:
    """Prefix ``noun_phrase`` with "a" or "an" according to the sound of its first word.

    Handles the usual exceptions: "an hour", "an honest", "a university",
    "a European", "a one-time", "an MBA", "an 8-hour", "an 11-day".

    Examples
    --------
    >>> with_article("offshore drilling company")
    'an offshore drilling company'
    >>> with_article("university hospital")
    'a university hospital'
    """
    phrase = noun_phrase.strip()
    if not phrase:
        raise ConfigError("with_article needs a non-empty noun phrase")
    return f"{'an' if _starts_with_vowel_sound(phrase) else 'a'} {phrase}"


def _starts_with_vowel_sound(phrase: str) -> bool:
    first_word = re.split(r"[\s/]", phrase, maxsplit=1)[0]
    leading = re.match(r"[A-Za-z]+", first_word)
    if first_word[0].isdigit():
        return _number_starts_with_vowel_sound(first_word)
    if leading is None:
        return False
    letters = leading.group(0)
    if letters.isupper() and (len(letters) >= 2 or first_word[1:2] in ("", "-")):  # "MBA", "X-ray"
        return letters[0] in _VOWEL_SOUND_LETTERS
    word = letters.lower()
    if word.startswith(_VOWEL_SOUND_H_PREFIXES):
        return True
    if word == "one" or word.startswith("once"):
        return False
    if word.startswith(_VOWEL_SOUND_NEGATED_UNI):
        return True
    if word.startswith(_CONSONANT_SOUND_PREFIXES):
        return False
    return word[0] in "aeiou"


def _number_starts_with_vowel_sound(token: str) -> bool:
    """Spoken numbers that start with a vowel sound: 8, 11, 18, 80-89, 800-899, 11,000, ..."""
    digits = re.match(r"[\d,]+", token).group(0).replace(",", "")
    leading_group = digits[: (len(digits) - 1) % 3 + 1]
    return leading_group.startswith("8") or leading_group in ("11", "18")


def _read_scenario_file(path: Path | str) -> tuple[Scenario, ...]:
    """Parse and validate a scenario JSONL file; return the scenarios ordered by id.

    Raises
    ------
    DataFormatError
        For a line that is not a JSON object, a missing, unknown or invalid
        field, or a duplicated id; the message names the file, line and field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataFormatError(f"{path}: cannot read the scenario file as UTF-8 text ({error})") from error
    return _parse_scenario_lines(text, source=str(path))


def _parse_scenario_lines(text: str, source: str) -> tuple[Scenario, ...]:
    lines_by_id: dict[str, int] = {}
    scenarios: list[Scenario] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        scenario = _parse_scenario_line(line, source, line_number)
        if scenario.id in lines_by_id:
            raise DataFormatError(
                f"{source}, line {line_number}, field 'id': duplicate id {scenario.id!r}, first used on line "
                f"{lines_by_id[scenario.id]}; each industry and position pair must appear once"
            )
        lines_by_id[scenario.id] = line_number
        scenarios.append(scenario)
    if not scenarios:
        raise DataFormatError(f"{source}: contains no scenarios; expected one JSON object per line")
    return tuple(sorted(scenarios, key=lambda scenario: scenario.id))


def _parse_scenario_line(line: str, source: str, line_number: int) -> Scenario:
    where = f"{source}, line {line_number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataFormatError(
            f"{where}: not valid JSON ({error.msg} at column {error.colno}); write one JSON object per line"
        ) from error
    if not isinstance(record, dict):
        raise DataFormatError(f"{where}: expected a JSON object, got {type(record).__name__}")
    try:
        return Scenario.model_validate(record)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "<record>"
        raise DataFormatError(f"{where}, field '{field}': {first['msg']}") from error


def coverage_order(scenarios: Sequence[Scenario]) -> tuple[Scenario, ...]:
    """The scenarios in the order a suite's cases take them: industries in turn, positions spread.

    Round ``r`` takes the ``r``-th remaining scenario of every industry (industries in order of
    first appearance), and industry ``i`` starts at its ``i``-th scenario (wrapping), so the first
    cases reach as many industries as there are cases and different positions within them. Any
    prefix of the order covers the industries as evenly as possible (counts differ by at most one
    while industries have scenarios left). A fixed permutation of the bank: it depends on the bank
    alone, never on the number of cases.
    """
    groups: dict[str, list[Scenario]] = {}
    for scenario in scenarios:
        groups.setdefault(scenario.industry, []).append(scenario)
    rotated = [group[i % len(group):] + group[: i % len(group)] for i, group in enumerate(groups.values())]
    rounds = max((len(group) for group in rotated), default=0)
    return tuple(group[r] for r in range(rounds) for group in rotated if r < len(group))


@functools.cache
def load_scenarios() -> tuple[Scenario, ...]:
    """Return the built-in scenario bank, validated and ordered by id (read once, then cached)."""
    resource = resources.files("biasorigins").joinpath("data").joinpath(SCENARIO_FILE)
    with resources.as_file(resource) as path:
        return _read_scenario_file(path)


@functools.cache
def _scenarios_by_id() -> dict[str, Scenario]:
    return {scenario.id: scenario for scenario in load_scenarios()}


def get_scenario(scenario_id: str) -> Scenario:
    """Return the built-in scenario with this id.

    Raises
    ------
    ConfigError
        If no scenario has this id; the message suggests the closest ids.
    """
    by_id = _scenarios_by_id()
    try:
        return by_id[scenario_id]
    except KeyError:
        close = difflib.get_close_matches(scenario_id, by_id, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(repr(match) for match in close)}?" if close else (
            "see load_scenarios() for the valid ids"
        )
        raise ConfigError(f"unknown scenario id {scenario_id!r}; {hint}") from None
