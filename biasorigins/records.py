"""The data model: answer scales, conditions, test cases, prompts and decisions.

Every record is a frozen pydantic model that round-trips through JSON, so a test
case can be stored, audited and re-rendered exactly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

JSONValue = JsonValue

DecisionStatus = Literal["ok", "invalid", "refused", "error"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AnswerScale(_Record):
    """An ordered answer scale; index 0 is the first option in the scale's own order.

    ``values`` optionally gives each option a number (e.g. 0, 10, ..., 100 percent)
    for readers and analyses; scoring works on positions.
    """

    options: tuple[str, ...] = Field(min_length=2)
    values: tuple[float, ...] | None = None

    @model_validator(mode="after")
    def _check(self) -> AnswerScale:
        if any(not text.strip() for text in self.options):
            raise ValueError("answer options must be non-empty text")
        if len(set(self.options)) != len(self.options):
            raise ValueError(f"answer options must be distinct, got {list(self.options)}")
        if self.values is not None and len(self.values) != len(self.options):
            raise ValueError("values must have one number per option")
        return self

    def __len__(self) -> int:
        return len(self.options)


class Condition(_Record):
    """One version of a test (control, treatment, ...): situation, question and scale.

    ``display_order[j]`` is the scale index shown at displayed position j; it is
    set by the suite's counterbalancing unless the bias fixes it by design.
    """

    situation: tuple[str, ...] = Field(min_length=1)
    question: str = Field(min_length=1)
    scale: AnswerScale
    display_order: tuple[int, ...] | None = None

    @model_validator(mode="after")
    def _check_order(self) -> Condition:
        if self.display_order is not None and sorted(self.display_order) != list(range(len(self.scale))):
            raise ValueError(
                f"display_order {list(self.display_order)} is not a permutation of 0..{len(self.scale) - 1}"
            )
        return self

    @property
    def shown_order(self) -> tuple[int, ...]:
        """The display order, identity when none was set."""
        return self.display_order if self.display_order is not None else tuple(range(len(self.scale)))


class TestCase(_Record):
    """One generated test: named conditions plus every sampled value and its provenance."""

    __test__ = False  # not a pytest class

    bias: str
    bias_version: int
    seed: int
    scenario_id: str
    index: int = Field(ge=0)
    variant: str = "default"
    conditions: dict[str, Condition] = Field(min_length=1)
    values: dict[str, JSONValue] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable identity of the case within a suite run."""
        return f"{self.bias}/{self.scenario_id}/{self.index}"

    def condition(self, name: str) -> Condition:
        try:
            return self.conditions[name]
        except KeyError:
            raise KeyError(f"case {self.id} has no condition {name!r}; it has {sorted(self.conditions)}") from None


class Prompt(_Record):
    """A rendered condition, ready for a runner: the text and its displayed options."""

    case_id: str
    condition: str
    text: str
    labels: tuple[str, ...]
    options: tuple[str, ...]
    display_order: tuple[int, ...]
    answer_prefix: str = "Answer: Option"

    @property
    def key(self) -> str:
        return f"{self.case_id}#{self.condition}"


class Response(_Record):
    """What a runner returns for one prompt; ``choice`` is a displayed position (0-based)."""

    choice: int | None = None
    status: DecisionStatus = "ok"
    text: str | None = None
    scores: tuple[float, ...] | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Response:
        if self.status == "ok" and self.choice is None:
            raise ValueError("a response with status 'ok' needs a choice")
        return self


class Decision(_Record):
    """A model's decision on one condition of one case, mapped to the scale's own order."""

    case_id: str
    condition: str
    choice: int | None
    displayed_choice: int | None
    status: DecisionStatus
    text: str | None = None
    scores: tuple[float, ...] | None = None
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.status == "ok" and self.choice is not None


def decide(prompt: Prompt, response: Response) -> Decision:
    """Map a runner's response (displayed position) back to the scale's own order."""
    choice = None
    status = response.status
    error = response.error
    if response.choice is not None:
        if 0 <= response.choice < len(prompt.display_order):
            choice = prompt.display_order[response.choice]
        else:
            status, error = "invalid", f"choice {response.choice} out of range for {len(prompt.options)} options"
    scores = None
    if response.scores is not None:
        by_scale = [0.0] * len(response.scores)
        for shown, scale_index in enumerate(prompt.display_order):
            by_scale[scale_index] = response.scores[shown]
        scores = tuple(by_scale)
    return Decision(
        case_id=prompt.case_id,
        condition=prompt.condition,
        choice=choice if status == "ok" else None,
        displayed_choice=response.choice,
        status=status,
        text=response.text,
        scores=scores,
        error=error,
    )


def json_safe(value: Any) -> JSONValue:
    """Convert numpy scalars and tuples into plain JSON values (for case values)."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return value
