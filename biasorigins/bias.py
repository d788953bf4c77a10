"""The bias plugin contract: metadata plus ``generate`` and ``score``.

A bias never calls a model. It turns a scenario and a random generator into a
:class:`~biasorigins.records.TestCase` (named conditions plus every sampled
value), and turns the chosen scale positions of one case back into a score in
[-1, 1] where positive means "biased".
"""

from __future__ import annotations

import copy
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from biasorigins.metrics import ScoreSummary, ratio_scale_score, summarize
from biasorigins.records import Condition, JSONValue, TestCase, json_safe
from biasorigins.seeding import case_rng

if TYPE_CHECKING:
    from biasorigins.scenarios import Scenario

DesignPattern = Literal["contrast", "mirrored pair", "reference point", "difference of proportions"]

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
T = TypeVar("T")


class BiasInfo(BaseModel):
    """Metadata that describes a bias test to users and to result tables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str = Field(description="Stable lowercase id, e.g. 'loss-aversion'.")
    title: str = Field(description="Display name, e.g. 'Loss Aversion'.")
    definition: str = Field(description="One-line definition of the bias.")
    citation: str = Field(description="The source of the test design.")
    version: int = Field(default=1, ge=1, description="Bump when prompts or scoring change.")
    design: DesignPattern
    expected_direction: str = Field(description="What a positive score means.")
    conditions: tuple[str, ...] = ("control", "treatment")
    confounds: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @field_validator("slug")
    @classmethod
    def _slug_format(cls, slug: str) -> str:
        if not _SLUG.match(slug):
            raise ValueError(f"slug {slug!r} must be lowercase words joined by '-', e.g. 'loss-aversion'")
        return slug


class CaseContent(BaseModel):
    """What :meth:`Bias.generate` returns: the conditions and the sampled values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    conditions: dict[str, Condition]
    values: dict[str, JSONValue] = Field(default_factory=dict)
    variant: str = "default"


class Bias(ABC):
    """Base class of every bias test (built-in or third-party).

    Subclasses set :attr:`info` and implement :meth:`generate` and :meth:`score`.
    ``paper_compatible=True`` asks for the original paper's scoring where our
    default deliberately differs (documented per bias).
    """

    info: BiasInfo

    def __init__(self, *, paper_compatible: bool = False) -> None:
        self.paper_compatible = paper_compatible

    # -- to implement -------------------------------------------------------------------
    @abstractmethod
    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        """Build the conditions of one test case for ``scenario``, sampling only from ``rng``."""

    @abstractmethod
    def score(self, case: TestCase, answers: Mapping[str, int]) -> float | None:
        """Score one case from the chosen scale positions of its validly answered conditions.

        Return ``None`` when the answers present are not enough to score the case.
        """

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        """The displayed option a person with this bias picks, reading only the rendered prompt.

        ``text`` is the prompt text a model reads (``Prompt.text``), ``options`` the displayed option
        texts in displayed order (``Prompt.options``). Returns one of ``options``; ``opposite=True``
        gives the choice of a person with the opposite tendency. ``None``: no preference in this
        prompt (the responder then answers at random).

        Write it from the text alone (find the anchor number, the frame words, the option that
        keeps the current plan, ...), never from ``case.values``, ``ratio_parameters`` or
        :meth:`score`: the shared conformance checks drive text-reading responders with it, so a
        scale whose text runs the wrong way, a label inside a situation or an order confound
        fails them (see :mod:`biasorigins.testing.conformance`).
        """
        raise NotImplementedError(
            f"bias {self.info.slug!r} does not say which displayed option a biased person picks; "
            "implement biased_option(text, options, *, opposite=False)"
        )

    def counterbalance_stratum(self, case: TestCase) -> str:
        """Cases with equal strata are display-reversed in exactly balanced numbers.

        Override when a sampled value interacts with option position, e.g. a sign
        ``k`` that depends on which option the bias listed first: balancing reversal
        within each value of ``k`` makes a position-only responder average exactly 0.
        """
        return ""

    def aggregate(self, scores: Sequence[float | None], *, seed: int = 0) -> ScoreSummary:
        """Aggregate per-case scores; the default is the mean with a bootstrap CI."""
        return summarize(scores, seed=seed)

    # -- provided -----------------------------------------------------------------------
    @property
    def slug(self) -> str:
        return self.info.slug

    @property
    def title(self) -> str:
        return self.info.title

    def configured(self, *, paper_compatible: bool) -> Bias:
        """A copy of this bias with another scoring mode."""
        clone = copy.copy(self)
        clone.paper_compatible = paper_compatible
        return clone

    def make_case(self, scenario: Scenario, index: int, seed: int) -> TestCase:
        """Generate case ``index`` for ``scenario`` under master ``seed``, with provenance."""
        content = self.generate(scenario, case_rng(seed, self.info.slug, scenario.id, index), index)
        missing = set(self.info.conditions) - set(content.conditions)
        if missing:
            raise ValueError(f"bias {self.info.slug!r} generated a case without conditions {sorted(missing)}")
        return TestCase(
            bias=self.info.slug,
            bias_version=self.info.version,
            seed=seed,
            scenario_id=scenario.id,
            index=index,
            variant=content.variant,
            conditions=content.conditions,
            values=json_safe(content.values),
        )

    def __repr__(self) -> str:
        compat = ", paper_compatible=True" if self.paper_compatible else ""
        return f"<{type(self).__name__} {self.info.slug!r} v{self.info.version}{compat}>"


class RatioScaleBias(Bias):
    """A bias with a ``control`` and a ``treatment`` answer, scored by the ratio-scale metric.

    Subclasses give the metric's parameters for a case (``n_c``, ``k`` and, where needed,
    ``x1``, ``x2``, ``flip_c``, ``flip_t``; see :func:`~biasorigins.metrics.ratio_scale_score`) instead of
    writing ``score``.
    """

    @abstractmethod
    def ratio_parameters(self, case: TestCase) -> dict[str, Any]:
        """Keyword arguments of ``ratio_scale_score`` for this case."""

    def score(self, case: TestCase, answers: Mapping[str, int]) -> float | None:
        if not answers_complete(answers, "control", "treatment"):
            return None
        return ratio_scale_score(answers["control"], answers["treatment"], **self.ratio_parameters(case))


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One element of ``options``, drawn from ``rng``."""
    return options[int(rng.integers(len(options)))]


def rotate(options: Sequence[T], scenario: Scenario, index: int, *, salt: str = "") -> T:
    """The element of ``options`` for instance ``index`` of ``scenario``.

    Consecutive instances of one scenario take consecutive elements (from a
    scenario-specific starting point), so the first ``len(options)`` instances of a
    scenario never repeat a template variant or another rotated choice.
    """
    digest = hashlib.sha256(f"{scenario.id}|{salt}".encode()).digest()
    return options[(int.from_bytes(digest[:4], "little") + index) % len(options)]


def answers_complete(answers: Mapping[str, Any], *names: str) -> bool:
    """Whether every named condition has an answer."""
    return all(name in answers for name in names)
