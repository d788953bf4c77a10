"""Answer diagnostics: do a model's answers follow the options' content or their displayed position?

Counterbalancing cancels a position preference out of the bias scores, so a model that answers by
position alone scores about 0 on every bias: it looks unbiased when it did not read the question.
The diagnostics make that visible, per bias and overall:

- ``first_share`` / ``last_share``: share of valid answers choosing the first / last displayed
  option, beside ``position_chance`` (the mean of 1/n over those answers);
- the label prior: ``top_label`` and its share ``top_label_share``, and ``label_entropy``, the
  entropy of the chosen displayed positions over the entropy of uniform choice (1: as spread as
  chance, 0: always the same label);
- ``invalid_rate``: answers without a usable choice;
- the twin probe: the first ``reversal_probe`` cases of each bias are asked again with their
  displayed options reversed (through the same runner and store, never scored). A pair is
  *informative* unless both answers are the middle option of an odd scale (the one position that
  reversal maps onto itself). ``follows_position`` is the share of informative pairs in which the
  model chose the same displayed position (so a different option), ``follows_content`` the share
  in which it chose the same option (so a different position); ``twin_chance`` is what a uniformly
  random responder gets for either.

The verdict of a row (``verdict``): with fewer than `MIN_PAIRS` informative pairs it is
``"undetermined"``. Otherwise, with the chance-corrected index ``k = (share - chance) / (1 - chance)``,
``"positional"`` when ``k(follows_position) >= POSITION_THRESHOLD`` (bias scores uninformative),
``"content"`` when ``k(follows_content) >= POSITION_THRESHOLD`` and ``"mixed"`` otherwise (scores
attenuated or noisy). The threshold and the minimum are justified by simulation in
``benchmarks/diagnostics_threshold.py`` (see docs/concepts.md, "Is the model reading the question?").
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from biasorigins.display import plural
from biasorigins.records import Decision, TestCase
from biasorigins.rendering import LabelStyle, option_labels

#: Cases per bias asked again with the displayed options reversed (BiasSuite's ``reversal_probe``).
DEFAULT_REVERSAL_PROBE = 4
#: Chance-corrected share of twin pairs that makes a verdict (see the module docstring).
POSITION_THRESHOLD = 0.5
#: Fewest informative twin pairs a verdict is given on.
MIN_PAIRS = 6

Verdict = Literal["positional", "mixed", "content", "undetermined"]

DIAGNOSTIC_COLUMNS = [
    "model", "bias", "answers", "invalid_rate", "first_share", "last_share", "position_chance", "top_label",
    "top_label_share", "label_entropy", "twin_pairs", "follows_position", "follows_content", "twin_chance",
    "verdict",
]
TWIN_COLUMNS = ["model", "bias", "case_id", "condition", "options", "shown", "twin_shown", "follows"]
OVERALL = "overall"


def reversed_twin(case: TestCase) -> TestCase:
    """``case`` with every condition's displayed options in the reverse of the order it shows them."""
    conditions = {
        name: cond.model_copy(update={"display_order": tuple(reversed(cond.shown_order))})
        for name, cond in case.conditions.items()
    }
    return case.model_copy(update={"conditions": conditions})


def probe_cases(cases: Sequence[TestCase], per_bias: int) -> list[TestCase]:
    """The reversed twins of the first ``per_bias`` cases of each bias (prefix-stable, no randomness)."""
    taken: dict[str, int] = {}
    twins = []
    for case in cases:
        if taken.get(case.bias, 0) < per_bias:
            taken[case.bias] = taken.get(case.bias, 0) + 1
            twins.append(reversed_twin(case))
    return twins


# ---------------------------------------------------------------------------- pairs
def _follows(n: int, shown: int | None, twin: int | None) -> str:
    """How a twin pair's answers relate: position, content, middle (uninformative) or invalid."""
    if shown is None or twin is None or not (0 <= shown < n and 0 <= twin < n):
        return "invalid"
    if shown == twin and shown == n - 1 - twin:
        return "middle"
    if shown == twin:
        return "position"
    if twin == n - 1 - shown:
        return "content"
    return "neither"


def twin_pairs(model: str, cases: Sequence[TestCase], decisions: Iterable[Decision],
               twins: Iterable[Decision]) -> pd.DataFrame:
    """One row per probed case and condition: both displayed choices and how they relate (`TWIN_COLUMNS`)."""
    by_key = {(d.case_id, d.condition): d for d in decisions}
    options = {(c.id, name): len(cond.scale) for c in cases for name, cond in c.conditions.items()}
    bias_of = {c.id: c.bias for c in cases}
    rows = []
    for twin in twins:
        key = (twin.case_id, twin.condition)
        if key not in options:
            continue
        original = by_key.get(key)
        shown = original.displayed_choice if original is not None and original.valid else None
        other = twin.displayed_choice if twin.valid else None
        rows.append({"model": model, "bias": bias_of[twin.case_id], "case_id": twin.case_id,
                     "condition": twin.condition, "options": options[key], "shown": shown, "twin_shown": other,
                     "follows": _follows(options[key], shown, other)})
    return pd.DataFrame(rows, columns=TWIN_COLUMNS).astype({"shown": "Int64", "twin_shown": "Int64"})


def twin_chance(n: int) -> float:
    """Probability that two independent uniform answers on ``n`` options keep the displayed position,
    given that they form an informative pair (the same as the probability that they keep the option)."""
    middle = 1 / n**2 if n % 2 else 0.0
    return (1 / n - middle) / (1 - middle)


# ---------------------------------------------------------------------------- table
def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def _row(model: str, bias: str, answers: pd.DataFrame, pairs: pd.DataFrame, labels: LabelStyle) -> dict:
    valid = answers[answers["shown"].notna()]
    shown = valid["shown"].to_numpy(dtype=int)
    n = valid["options"].to_numpy(dtype=int)
    row: dict = {"model": model, "bias": bias, "answers": len(answers),
                 "invalid_rate": float(1 - len(valid) / len(answers)) if len(answers) else math.nan}
    if len(valid):
        width = int(n.max())
        counts = np.bincount(shown, minlength=width).astype(float)
        sizes, answers_per_size = np.unique(n, return_counts=True)
        chance = sum(m * (np.arange(width) < k) / k for k, m in zip(sizes, answers_per_size))  # uniform choices
        row.update(first_share=float((shown == 0).mean()), last_share=float((shown == n - 1).mean()),
                   position_chance=float((1 / n).mean()), top_label=option_labels(width, labels)[int(counts.argmax())],
                   top_label_share=float(counts.max() / counts.sum()),
                   label_entropy=abs(_entropy(counts) / _entropy(chance)) if _entropy(chance) > 0 else math.nan)
    informative = pairs[pairs["follows"].isin(["position", "content", "neither"])]
    row["twin_pairs"] = len(informative)
    if len(informative):
        chance = float(informative["options"].map(twin_chance).mean())
        row.update(follows_position=float((informative["follows"] == "position").mean()),
                   follows_content=float((informative["follows"] == "content").mean()), twin_chance=chance)
    row["verdict"] = verdict_of(row)
    return row


def _corrected(share: float, chance: float) -> float:
    return (share - chance) / (1 - chance)


def verdict_of(row: dict | pd.Series) -> Verdict:
    """The verdict of a diagnostics row (see the module docstring for the rule)."""
    if row.get("twin_pairs", 0) < MIN_PAIRS:
        return "undetermined"
    if _corrected(row["follows_position"], row["twin_chance"]) >= POSITION_THRESHOLD:
        return "positional"
    if _corrected(row["follows_content"], row["twin_chance"]) >= POSITION_THRESHOLD:
        return "content"
    return "mixed"


def diagnose(model: str, cases: Sequence[TestCase], decisions: Sequence[Decision], pairs: pd.DataFrame,
             *, labels: LabelStyle = "letters") -> pd.DataFrame:
    """The diagnostics table: one row per bias (in case order) and an ``overall`` row (`DIAGNOSTIC_COLUMNS`)."""
    by_key = {(d.case_id, d.condition): d for d in decisions}
    rows = []
    for case in cases:
        for name, cond in case.conditions.items():
            d = by_key.get((case.id, name))
            rows.append({"bias": case.bias, "options": len(cond.scale),
                         "shown": d.displayed_choice if d is not None and d.valid else None})
    answers = pd.DataFrame(rows, columns=["bias", "options", "shown"])
    table = [_row(model, bias, answers[answers["bias"] == bias], pairs[pairs["bias"] == bias], labels)
             for bias in dict.fromkeys(answers["bias"])]
    table.append(_row(model, OVERALL, answers, pairs, labels))
    return pd.DataFrame(table, columns=DIAGNOSTIC_COLUMNS)


# ---------------------------------------------------------------------------- verdicts
@dataclass(frozen=True)
class AnswerQuality:
    """The overall verdict on how informative a model's answers are (see `SuiteResult.answer_quality`)."""

    model: str
    verdict: Verdict
    follows_position: float
    follows_content: float
    twin_chance: float
    twin_pairs: int

    @classmethod
    def from_row(cls, row: pd.Series) -> AnswerQuality:
        return cls(model=str(row["model"]), verdict=row["verdict"], follows_position=float(row["follows_position"]),
                   follows_content=float(row["follows_content"]), twin_chance=float(row["twin_chance"]),
                   twin_pairs=int(row["twin_pairs"]))

    @property
    def message(self) -> str:
        """The verdict as a sentence for readers of the scores."""
        if self.verdict == "undetermined":
            return f"too few display-reversed probes ({self.twin_pairs}) to tell whether the answers follow content"
        position = f"option position in {self.follows_position:.0%}"
        content = f"option content in {self.follows_content:.0%}"
        cases = f"of {self.twin_pairs} probed questions (chance {self.twin_chance:.0%})"
        if self.verdict == "positional":
            return f"answers follow {position} {cases}; bias scores for this model are uninformative"
        if self.verdict == "mixed":
            return f"answers follow {position} and {content} {cases}; bias scores for this model are attenuated"
        return f"answers follow {content} {cases}"

    @property
    def warning(self) -> str | None:
        """The message when the answers are positional (bias scores uninformative), else None."""
        return self.message if self.verdict == "positional" else None

    def __str__(self) -> str:
        return f"{self.model}: {self.message}"


def answer_quality(diagnostics: pd.DataFrame, *, model: str = "model") -> AnswerQuality:
    """The overall verdict of one model's diagnostics table (``undetermined`` when it has no overall row)."""
    overall = diagnostics[diagnostics["bias"] == OVERALL]
    if overall.empty:
        return AnswerQuality(model, "undetermined", math.nan, math.nan, math.nan, 0)
    return AnswerQuality.from_row(overall.iloc[0])


def model_warnings(diagnostics: pd.DataFrame) -> dict[str, str]:
    """{model: warning} for every model whose overall verdict is positional."""
    overall = diagnostics[diagnostics["bias"] == OVERALL]
    return {str(row["model"]): warning for _, row in overall.iterrows()
            if (warning := AnswerQuality.from_row(row).warning) is not None}


def positional_summary(diagnostics: pd.DataFrame) -> str | None:
    """One sentence naming the models whose answers follow option position (None when there are none)."""
    warnings = model_warnings(diagnostics)
    if not warnings:
        return None
    models = diagnostics.loc[diagnostics["bias"] == OVERALL, "model"].nunique()
    return (f"the answers of {len(warnings)} of {plural(models, 'model')} follow option position, so their bias "
            f"scores are uninformative: {', '.join(warnings)}")


def diagnostics_html(diagnostics: pd.DataFrame) -> str:
    """An HTML fragment for a report: a warning per positional model, then the overall row of each model."""
    warnings = model_warnings(diagnostics)
    parts = ['<section class="answer-diagnostics">', "<h2>Are the models reading the questions?</h2>"]
    for model, warning in warnings.items():
        parts.append(f'<p class="warning"><strong>{html.escape(model)}</strong>: {html.escape(warning)}.</p>')
    overall = diagnostics[diagnostics["bias"] == OVERALL].drop(columns=["bias"])
    parts.append(overall.to_html(index=False, float_format=lambda v: f"{v:.2f}", na_rep="", border=0,
                                 classes="diagnostics"))
    parts.append("</section>")
    return "\n".join(parts)
