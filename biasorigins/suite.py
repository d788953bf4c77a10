"""BiasSuite: choose biases, generate their test cases, run a model, score the answers."""

from __future__ import annotations

import logging
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from biasorigins.bias import Bias
from biasorigins.checks import integer
from biasorigins.diagnostics import (
    DEFAULT_REVERSAL_PROBE,
    DIAGNOSTIC_COLUMNS,
    TWIN_COLUMNS,
    AnswerQuality,
    answer_quality,
    diagnose,
    probe_cases,
    twin_pairs,
)
from biasorigins.display import format_ci, format_score, html_card, html_table, plural
from biasorigins.engine import answer_prompts, runner_chat_format, runner_name
from biasorigins.errors import ConfigError, PluginError
from biasorigins.metrics import ScoreSummary
from biasorigins.records import Decision, Prompt, TestCase, decide
from biasorigins.rendering import LabelStyle, render_prompt
from biasorigins.scenarios import coverage_order
from biasorigins.seeding import counterbalance_rng
from biasorigins.store import DecisionStore
from biasorigins.tables import write_table_set

if TYPE_CHECKING:
    from datasets import DatasetDict
    from matplotlib.figure import Figure

    from biasorigins.models.base import Runner
    from biasorigins.plotting import BiasOrder
    from biasorigins.scenarios import Scenario

logger = logging.getLogger(__name__)

Counterbalance = Literal["reverse", "none"]


@dataclass(frozen=True)
class SuiteError:
    """A bias that failed while generating or scoring; the rest of the suite went on."""

    bias: str
    stage: Literal["generate", "score"]
    message: str


def resolve_biases(biases: str | Bias | Iterable[str | Bias]) -> list[Bias]:
    """Biases from 'all', a preset name, a bias name, Bias objects or a mix of names and objects."""
    from biasorigins.plugins import get_bias, registered_biases
    from biasorigins.presets import get_preset, preset_names

    if isinstance(biases, Bias):
        return [biases]
    if isinstance(biases, str):
        if biases == "all":
            return [entry.bias for _, entry in sorted(registered_biases().items())]
        if biases in preset_names():
            return [get_bias(slug) for slug in get_preset(biases).slugs]
        return [get_bias(biases)]
    resolved = [get_bias(item) for item in biases]
    slugs = [bias.info.slug for bias in resolved]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicates:
        raise ConfigError(f"biases listed more than once: {duplicates}")
    if not resolved:
        raise ConfigError("no biases selected")
    return resolved


def counterbalanced(case: TestCase, rank: int, stratum: str, seed: int) -> TestCase:
    """Reverse the option order of exactly one case in each consecutive pair of a stratum (seeded).

    ``rank`` is the case's position among the earlier cases of its bias in the same
    ``stratum`` (see :meth:`Bias.counterbalance_stratum`), so reversal is balanced within
    every stratum and a case's display order never depends on later cases. Conditions
    whose display order the bias fixed by design are left alone; all conditions of a case
    are reversed together, so a position preference cancels out.
    """
    coin = int(counterbalance_rng(seed, f"{case.bias}|{stratum}", rank // 2).integers(2))
    if (rank % 2) == coin:
        return case
    conditions = {
        name: cond
        if cond.display_order is not None
        else cond.model_copy(update={"display_order": tuple(reversed(range(len(cond.scale))))})
        for name, cond in case.conditions.items()
    }
    return case.model_copy(update={"conditions": conditions})


def checked_score(bias: Bias, value: object) -> float | None:
    """A plugin's score as a float in [-1, 1] or None (also for NaN); PluginError naming the
    plugin and the value for anything else."""
    if value is None:
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        score = float(value)
        if math.isnan(score):
            return None
        if -1.0 <= score <= 1.0:
            return score
    from biasorigins.plugins import plugin_of

    raise PluginError(f"bias {bias.info.slug!r} of plugin {plugin_of(bias)!r} returned the score {value!r} "
                      f"({type(value).__name__}); a score must be a finite number in [-1, 1], None or NaN")


class BiasSuite:
    """A set of bias tests with a fixed number of cases per bias and a master seed.

    Parameters
    ----------
    biases
        ``"all"``, a preset name (see :func:`biasorigins.presets.preset_names`), a bias
        name, :class:`Bias` objects (no packaging needed) or a list mixing names and objects.
    cases
        Number of test cases per bias. Case ``j`` uses scenario ``j % len(scenarios)`` of
        the bank in :func:`~biasorigins.scenarios.coverage_order` (industries in turn, so
        any number of cases spreads over the industries) and instance index
        ``j // len(scenarios)``.
    seed
        Master seed; the same seed gives byte-identical test cases.
    scenarios
        The scenario bank (default: the built-in 200+ managerial scenarios).
    counterbalance
        ``"reverse"`` shows the options reversed in exactly half of the cases (within
        each counterbalancing stratum of the bias).
    labels
        Option labels in prompts: ``"letters"`` (A, B, ...) or ``"numbers"``.
    paper_compatible
        Use the original papers' scoring where our default deliberately differs.
    reversal_probe
        Cases per bias (the first ones) asked again with their displayed options reversed, for the
        answer diagnostics (:attr:`SuiteResult.diagnostics`); never scored. 0 turns the probe off.
    """

    def __init__(
        self,
        biases: str | Bias | Iterable[str | Bias] = "all",
        *,
        cases: int = 20,
        seed: int = 0,
        scenarios: Sequence[Scenario] | None = None,
        counterbalance: Counterbalance = "reverse",
        labels: LabelStyle = "letters",
        paper_compatible: bool = False,
        reversal_probe: int = DEFAULT_REVERSAL_PROBE,
    ) -> None:
        cases = integer(cases, "cases", minimum=1)
        seed = integer(seed, "seed", minimum=0)
        if labels not in ("letters", "numbers"):
            raise ConfigError(f"labels must be 'letters' or 'numbers', got {labels!r}")
        if counterbalance not in ("reverse", "none"):
            raise ConfigError(f"counterbalance must be 'reverse' or 'none', got {counterbalance!r}")
        if reversal_probe < 0:
            raise ConfigError(f"reversal_probe must be 0 (off) or a number of cases per bias, got {reversal_probe}")
        self.biases = [b.configured(paper_compatible=paper_compatible) for b in resolve_biases(biases)]
        self.n_cases = cases
        self.seed = seed
        self.counterbalance = counterbalance
        self.labels = labels
        self.paper_compatible = paper_compatible
        self.reversal_probe = reversal_probe
        if scenarios is None:
            from biasorigins.scenarios import load_scenarios

            scenarios = load_scenarios()
        if not scenarios:
            raise ConfigError("the scenario bank is empty")
        self.scenarios = tuple(scenarios)
        self._scenario_order = coverage_order(self.scenarios)
        self._cases: dict[str, list[TestCase]] = {}
        self.errors: list[SuiteError] = []

    @classmethod
    def from_cases(
        cls,
        cases: Sequence[TestCase],
        *,
        biases: Sequence[Bias] | None = None,
        seed: int = 0,
        labels: LabelStyle = "letters",
        paper_compatible: bool = False,
    ) -> BiasSuite:
        """A suite made of given test cases (e.g. read back from an export), for scoring them.

        ``biases`` supplies bias objects that are not registered; the others are looked up by slug.
        """
        if not cases:
            raise ConfigError("from_cases needs at least one test case")
        slugs = list(dict.fromkeys(case.bias for case in cases))
        given = {b.info.slug: b for b in biases or ()}
        per_bias = {slug: [c for c in cases if c.bias == slug] for slug in slugs}
        suite = cls([given.get(slug, slug) for slug in slugs], cases=max(len(v) for v in per_bias.values()),
                    seed=seed, counterbalance="none", labels=labels,
                    paper_compatible=paper_compatible)
        suite._cases = per_bias
        return suite

    @property
    def bias_slugs(self) -> list[str]:
        return [bias.info.slug for bias in self.biases]

    def bias(self, slug: str) -> Bias:
        """A bias of this suite by slug (exact, fast) or by title or alias."""
        for bias in self.biases:
            if bias.info.slug == slug:
                return bias
        from biasorigins.plugins import get_bias

        return get_bias(slug, pool={b.info.slug: b for b in self.biases})

    # -- generation ---------------------------------------------------------------------
    def cases_for(self, bias: Bias) -> list[TestCase]:
        """The test cases of one bias (generated once, then cached)."""
        slug = bias.info.slug
        if slug not in self._cases:
            generated = []
            ranks: dict[str, int] = {}
            for number in range(self.n_cases):
                scenario = self._scenario_order[number % len(self._scenario_order)]
                case = bias.make_case(scenario, number // len(self._scenario_order), self.seed)
                if self.counterbalance == "reverse":
                    stratum = bias.counterbalance_stratum(case)
                    rank = ranks[stratum] = ranks.get(stratum, -1) + 1
                    case = counterbalanced(case, rank, stratum, self.seed)
                generated.append(case)
            self._cases[slug] = generated
        return self._cases[slug]

    def cases(self) -> list[TestCase]:
        """All test cases, bias by bias. A bias that fails to generate is reported in ``errors``."""
        out: list[TestCase] = []
        for bias in self.biases:
            try:
                out.extend(self.cases_for(bias))
            except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the suite
                self._record_error(bias.info.slug, "generate", exc)
        return out

    def prompts(self, cases: Sequence[TestCase] | None = None) -> list[Prompt]:
        """The rendered prompts of every condition of every case (default: of every bias that
        generates and renders; failures are reported in ``errors``)."""
        if cases is None:
            return [p for bias in self.biases for p in self._bias_prompts(bias) or []]
        return [render_prompt(case, name, labels=self.labels) for case in cases for name in case.conditions]

    def _bias_prompts(self, bias: Bias) -> list[Prompt] | None:
        """The prompts of one bias, or None (error recorded) if its cases cannot be generated or rendered."""
        try:
            return self.prompts(self.cases_for(bias))
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the suite
            self._record_error(bias.info.slug, "generate", exc)
            return None

    def probe_prompts(self, bias: Bias) -> list[Prompt]:
        """The display-reversed twins of the first ``reversal_probe`` cases of ``bias``, rendered."""
        return self.prompts(probe_cases(self.cases_for(bias), self.reversal_probe))

    def to_dataset(self) -> DatasetDict:
        """The rendered prompts as a Hugging Face ``DatasetDict`` (one split, ``test``, with a ``bias``
        column) carrying its dataset card; see :mod:`biasorigins.hf_dataset`. Needs the ``datasets`` extra."""
        from biasorigins.hf_dataset import to_dataset

        return to_dataset(self)

    # -- running and scoring ------------------------------------------------------------
    def run(
        self,
        runner: Runner,
        *,
        model: str | None = None,
        store: DecisionStore | str | os.PathLike[str] | None = None,
        progress: bool = True,
    ) -> SuiteResult:
        """Ask ``runner`` every prompt and score the answers.

        Parameters
        ----------
        runner
            Any :class:`~biasorigins.models.base.Runner` (HF model, callable, responder...).
        model
            Label of the results (default: the runner's name).
        store
            A :class:`~biasorigins.store.DecisionStore` or a path to one: answers already
            there are reused, new ones are written batch by batch, so an interrupted run
            restarts where it stopped.
        progress
            Show a progress bar per bias.
        """
        name = model or runner_name(runner)
        return self.run_many([runner], names=[name], store=store, progress=progress)[name]

    def run_many(
        self,
        runners: Sequence[Runner],
        *,
        names: Sequence[str] | None = None,
        store: DecisionStore | str | os.PathLike[str] | None = None,
        progress: bool = True,
    ) -> dict[str, SuiteResult]:
        """Run several runners on the same prompts; returns {name: result}.

        Runners that share one loaded model and settings, such as the LoRA variants of
        :meth:`HFRunner.variants`, answer in mixed batches: the base model is loaded
        and read once for all of them.
        """
        names = [runner_name(r) for r in runners] if names is None else list(names)
        if len(names) != len(runners):
            raise ConfigError(f"{len(names)} names given for {len(runners)} runners")
        if len(set(names)) != len(names):
            raise ConfigError(f"runner names must be distinct, got {names}; pass names=[...]")
        opened, owned = DecisionStore.open(store) if store is not None else (None, False)
        decisions: dict[str, list[Decision]] = {name: [] for name in names}
        twins: dict[str, list[Decision]] = {name: [] for name in names}
        try:
            for bias in self.biases:
                prompts = self._bias_prompts(bias)
                if not prompts:
                    continue
                probes = self.probe_prompts(bias)
                label = names[0] if len(names) == 1 else f"{len(names)} models"
                responses = answer_prompts(runners, prompts + probes, store=opened, progress=progress,
                                           description=f"{label}: {bias.info.slug}")
                for name, answered in zip(names, responses):
                    decisions[name].extend(decide(p, r) for p, r in zip(prompts, answered))
                    twins[name].extend(decide(p, r) for p, r in zip(probes, answered[len(prompts):]))
        finally:
            if owned and opened is not None:
                opened.close()
        cases = [case for bias in self.biases for case in self._cases.get(bias.info.slug, [])]
        return {name: self.score(decisions[name], model=name, cases=cases, twins=twins[name],
                                 chat_format=runner_chat_format(runner))
                for name, runner in zip(names, runners)}

    def score(
        self, decisions: Iterable[Decision], *, model: str = "model", cases: Sequence[TestCase] | None = None,
        twins: Iterable[Decision] = (), chat_format: str | None = None,
    ) -> SuiteResult:
        """Score decisions (e.g. handed back from outside) against this suite's cases.

        ``chat_format`` is recorded on the result (None: not known, as for answers given outside).

        Biases that failed to generate or render their prompts are left out (see ``errors``).
        ``twins`` are the decisions on the display-reversed probes (:meth:`probe_prompts`): they
        feed the answer diagnostics only, never the scores.
        """
        decisions = list(decisions)
        cases = self.cases() if cases is None else cases
        unusable = {e.bias for e in self.errors if e.stage == "generate"}
        cases = [case for case in cases if case.bias not in unusable]
        by_case: dict[str, dict[str, Decision]] = {}
        for decision in decisions:
            by_case.setdefault(decision.case_id, {})[decision.condition] = decision
        rows, case_scores = [], {}
        failed: set[str] = set()
        score_errors: list[SuiteError] = []
        for case in cases:
            bias = self.bias(case.bias)
            got = by_case.get(case.id, {})
            answers = {name: d.choice for name, d in got.items() if d.valid}
            score = None
            if case.bias not in failed:
                try:
                    score = checked_score(bias, bias.score(case, answers)) if answers else None
                except Exception as exc:  # noqa: BLE001 - report and go on
                    failed.add(case.bias)
                    score_errors.append(self._record_error(case.bias, "score", exc))
            case_scores.setdefault(case.bias, []).append(score)
            for name, cond in case.conditions.items():
                d = got.get(name)
                rows.append(
                    {
                        "model": model,
                        "bias": case.bias,
                        "case_id": case.id,
                        "scenario_id": case.scenario_id,
                        "index": case.index,
                        "variant": case.variant,
                        "condition": name,
                        "choice": d.choice if d else None,
                        "chosen_option": cond.scale.options[d.choice] if d and d.valid else None,
                        "displayed_choice": d.displayed_choice if d else None,
                        "reversed": cond.shown_order[0] != 0,
                        "status": d.status if d else "missing",
                        "valid": bool(d and d.valid),
                        "text": d.text if d else None,
                        "error": d.error if d else None,
                        "option_scores": d.scores if d else None,
                        "score": score,
                    }
                )
        summaries = {
            bias.info.slug: bias.aggregate(case_scores[bias.info.slug], seed=self.seed)
            for bias in self.biases
            if bias.info.slug in case_scores and bias.info.slug not in failed
        }
        generation_errors = [e for e in self.errors if e.stage == "generate"]
        pairs = twin_pairs(model, cases, decisions, twins)
        return SuiteResult(
            model=model,
            table=pd.DataFrame(rows, columns=_TABLE_COLUMNS),
            summaries=summaries,
            titles={b.info.slug: b.info.title for b in self.biases},
            errors=generation_errors + score_errors,
            paper_compatible=self.paper_compatible,
            diagnostics=diagnose(model, cases, decisions, pairs, labels=self.labels),
            twins=pairs,
            chat_format=chat_format,
        )

    def _record_error(self, slug: str, stage: Literal["generate", "score"], exc: Exception) -> SuiteError:
        message = f"{type(exc).__name__}: {exc}"
        error = SuiteError(slug, stage, message)
        if error not in self.errors:
            logger.error("bias %r failed while %s: %s", slug, "generating cases" if stage == "generate" else "scoring",
                         message)
            self.errors.append(error)
        return error

    def __repr__(self) -> str:
        return f"<BiasSuite {plural(len(self.biases), 'bias')} x {plural(self.n_cases, 'case')}, seed={self.seed}>"

    def _repr_html_(self) -> str:
        facts = [plural(len(self.biases), "bias"), f"{plural(self.n_cases, 'case')} per bias", f"seed {self.seed}",
                 f"counterbalance: {self.counterbalance}", f"labels: {self.labels}",
                 f"reversal probe: {plural(self.reversal_probe, 'case')} per bias" if self.reversal_probe
                 else "no reversal probe"]
        if self.paper_compatible:
            facts.append("paper-compatible scoring")
        rows = [(b.info.title, b.info.slug, b.info.design) for b in self.biases]
        notes = [f"Failed: {e.bias} ({e.stage}): {e.message}" for e in self.errors]
        table = html_table(["bias", "name", "design"], rows, text_columns=3)
        return html_card("BiasSuite", facts, body=table, notes=notes)


_FOLLOWS = {"positional": "position", "content": "content", "mixed": "mixed", "undetermined": ""}

_TABLE_COLUMNS = [
    "model", "bias", "case_id", "scenario_id", "index", "variant", "condition", "choice",
    "chosen_option", "displayed_choice", "reversed", "status", "valid", "text", "error",
    "option_scores", "score",
]


@dataclass
class SuiteResult:
    """Results of one model on a suite.

    ``table`` has one row per case and condition; ``summary`` one row per bias; ``diagnostics``
    one row per bias and an ``overall`` row on how informative the answers are
    (:mod:`biasorigins.diagnostics`), from the scored answers and ``twins``, the answers to the
    display-reversed probes (one row per probed case and condition, never scored). ``chat_format``
    is how the prompts were wrapped for the model (see :func:`~biasorigins.engine.runner_chat_format`;
    None when not known, e.g. for answers scored from outside).
    """

    model: str
    table: pd.DataFrame
    summaries: dict[str, ScoreSummary]
    titles: dict[str, str] = field(default_factory=dict)
    errors: list[SuiteError] = field(default_factory=list)
    paper_compatible: bool = False
    diagnostics: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DIAGNOSTIC_COLUMNS))
    twins: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TWIN_COLUMNS))
    chat_format: str | None = None

    @property
    def answer_quality(self) -> AnswerQuality:
        """The overall verdict: do the answers follow option content or position? (``.warning``: a sentence or None)"""
        return answer_quality(self.diagnostics, model=self.model)

    @property
    def scores(self) -> pd.DataFrame:
        """One row per case: model, bias, case, scenario and its score (NaN if unscorable)."""
        cols = ["model", "bias", "case_id", "scenario_id", "index", "score"]
        return self.table.drop_duplicates("case_id")[cols].reset_index(drop=True)

    @property
    def summary(self) -> pd.DataFrame:
        """Per-bias mean score, bootstrap CI, mean |score|, valid/invalid case counts and answer counts.

        ``invalid_answers`` counts every answer that gave no choice (invalid, refused,
        errored or missing); ``refused_answers`` the refusals among them.
        """
        rows = [
            {"model": self.model, "bias": slug, "title": self.titles.get(slug, slug), **s.model_dump()}
            for slug, s in self.summaries.items()
        ]
        by_bias = self.table.groupby("bias")
        invalid_answers = by_bias["valid"].apply(lambda v: int((~v).sum()))
        refused_answers = by_bias["status"].apply(lambda v: int((v == "refused").sum()))
        frame = pd.DataFrame(
            rows, columns=["model", "bias", "title", "mean", "ci_low", "ci_high", "n_valid", "n_invalid", "mean_abs"]
        )
        frame["invalid_answers"] = frame["bias"].map(invalid_answers).fillna(0).astype(int)
        frame["refused_answers"] = frame["bias"].map(refused_answers).fillna(0).astype(int)
        frame["paper_compatible"] = self.paper_compatible
        frame["chat_format"] = self.chat_format
        return frame

    @property
    def answer_counts(self) -> pd.DataFrame:
        """Answers per bias and status (ok, invalid, refused, error, missing): one row per bias."""
        counts = pd.crosstab(self.table["bias"], self.table["status"])
        for status in ("ok", "invalid", "refused", "error", "missing"):
            if status not in counts:
                counts[status] = 0
        counts = counts[["ok", "invalid", "refused", "error", "missing"]].astype(int).reset_index()
        counts.insert(0, "model", self.model)
        return counts.rename_axis(columns=None)

    @property
    def _answer_mode(self) -> str | None:
        """``"likelihood"`` when the answers carry option scores, ``"generate"`` when they are generated
        text, None when neither (e.g. a synthetic responder)."""
        if self.table["option_scores"].notna().any():
            return "likelihood"
        return "generate" if self.table["text"].notna().any() else None

    def _answers_follow(self) -> pd.Series | None:
        """Per summary row what the answers follow (position, content, mixed or blank); None when no
        bias has a verdict."""
        verdicts = self.summary["bias"].map(self.diagnostics.set_index("bias")["verdict"]).fillna("undetermined")
        if not (verdicts != "undetermined").any():
            return None
        return verdicts.map(_FOLLOWS)

    def _quality_flag(self) -> str | None:
        """The answer-quality sentence with ``Warning:`` (positional) or ``Note:`` (mixed), else None."""
        quality = self.answer_quality
        flag = {"positional": "Warning: ", "mixed": "Note: "}.get(quality.verdict)
        return f"{flag}{quality.message}" if flag else None

    def to_string(self) -> str:
        """A human-readable per-bias table."""
        summary = self.summary
        frame = pd.DataFrame({
            "bias": summary["title"],
            **{column: summary[column].map(format_score) for column in ("mean", "ci_low", "ci_high")},
            "valid cases": summary["n_valid"], "invalid cases": summary["n_invalid"],
            "invalid answers": summary["invalid_answers"], "refused": summary["refused_answers"],
        })
        follows = self._answers_follow()
        if follows is not None:
            frame["answers follow"] = follows.to_numpy()
        scoring = " (paper-compatible scoring)" if self.paper_compatible else ""
        flag = self._quality_flag()
        text = f"Model: {self.model}{scoring}\nChat format: {self.chat_format or 'not recorded'}\n"
        text += f"{flag}\n" if flag else ""
        text += frame.to_string(index=False)
        if self.errors:
            text += "\n\nFailed biases:\n" + "\n".join(f"  {e.bias} ({e.stage}): {e.message}" for e in self.errors)
        return text

    def _repr_html_(self) -> str:
        summary = self.summary
        facts = [plural(len(summary), "bias"), plural(self.table["case_id"].nunique(), "case")]
        if self._answer_mode:
            facts.append(f"mode: {self._answer_mode}")
        if self.chat_format:
            facts.append(f"chat format: {self.chat_format}")
        if self.paper_compatible:
            facts.append("paper-compatible scoring")
        columns = ["bias", "mean", "95% CI", "n", "invalid"]
        rows = [[row.title, format_score(row.mean), format_ci(row.ci_low, row.ci_high), row.n_valid, row.n_invalid]
                for row in summary.itertuples()]
        follows = self._answers_follow()
        if follows is not None:
            columns.append("answers follow")
            rows = [[*row, label] for row, label in zip(rows, follows)]
        answers = int(summary["invalid_answers"].sum())
        refused = int(summary["refused_answers"].sum())
        notes = [(f"n: cases with a valid answer pair; invalid: cases without one ({plural(answers, 'answer')} "
                  f"gave no choice, {refused} refused).")]
        notes += [f"Failed: {e.bias} ({e.stage}): {e.message}" for e in self.errors]
        return html_card(f"Model: {self.model}", facts, body=html_table(columns, rows), warning=self._quality_flag(),
                         notes=notes)

    def __repr__(self) -> str:
        verdict = self.answer_quality.verdict
        follows = "" if verdict == "undetermined" else f", {verdict} answers"
        return (f"<SuiteResult {self.model!r}: {plural(len(self.summaries), 'bias')}, "
                f"{plural(self.table['case_id'].nunique(), 'case')}, "
                f"{plural(int(self.summary['n_invalid'].sum()), 'invalid case')}{follows}>")

    def to_model_card(
        self, suite: BiasSuite | None = None, *, settings: Mapping[str, object] | None = None,
        dataset: str = "biasorigins",
    ) -> str:
        """A model-card section: YAML ``model-index`` results (one per bias) and a Markdown table of the
        per-bias scores with their CIs, the settings, chat format and versions; see
        :mod:`biasorigins.model_card`. ``suite`` (the one that made this result) adds its seed, case count,
        labels and the biases' versions; ``settings`` adds more (e.g. ``{"mode": "likelihood"}``)."""
        from biasorigins.model_card import model_card

        return model_card(self, suite, settings=settings, dataset=dataset)

    def write(self, folder: str | os.PathLike[str], format: str = "csv") -> dict[str, Path]:
        """Write ``decisions`` (the table), ``summary`` and ``diagnostics`` to ``folder`` as CSV, JSON or Parquet."""
        return write_results([self], folder, format)

    def plot(self, *, order: BiasOrder = "mean", title: str | None = None) -> Figure:
        """A forest plot of the per-bias means with CIs (see :func:`biasorigins.plotting.plot_results`,
        which also draws several models side by side); needs matplotlib."""
        from biasorigins.plotting import plot_results

        return plot_results(self, order=order, title=title)

    def __str__(self) -> str:
        return self.to_string()


def _result_list(results: SuiteResult | Iterable[SuiteResult] | Mapping[str, SuiteResult]) -> list[SuiteResult]:
    """Results as a list of distinct models (ConfigError for none, a non-result or a repeated model name)."""
    if isinstance(results, SuiteResult):
        return [results]
    listed = list(results.values() if isinstance(results, Mapping) else results)
    if not listed:
        raise ConfigError("no results given")
    strangers = [type(r).__name__ for r in listed if not isinstance(r, SuiteResult)]
    if strangers:
        raise ConfigError(f"expected SuiteResult objects, got {', '.join(sorted(set(strangers)))}")
    names = [r.model for r in listed]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"results of the same model name given more than once: {repeated}; "
                          "name the runs apart (suite.run(..., model=...))")
    return listed


def combine_results(results: SuiteResult | Iterable[SuiteResult] | Mapping[str, SuiteResult]) -> pd.DataFrame:
    """One tidy table of several models' results: the rows of every ``summary`` (one per model and
    bias) plus ``answer_quality``, the model's overall diagnostics verdict (positional, mixed, content
    or undetermined). Takes results, a list of them or the ``{name: result}`` of :meth:`BiasSuite.run_many`."""
    listed = _result_list(results)
    frames = [r.summary.assign(answer_quality=r.answer_quality.verdict) for r in listed]
    return pd.concat(frames, ignore_index=True)


def write_results(results: Iterable[SuiteResult], folder: str | os.PathLike[str], format: str = "csv"
                  ) -> dict[str, Path]:
    """Write the ``decisions``, ``summary`` and ``diagnostics`` tables of one or more results (one file
    each) to ``folder``, all or none (see :func:`~biasorigins.tables.write_table_set`)."""
    results = list(results)
    tables = {"decisions": pd.concat([r.table for r in results], ignore_index=True),
              "summary": combine_results(results).drop(columns="answer_quality"),
              "diagnostics": pd.concat([r.diagnostics for r in results], ignore_index=True)}
    return write_table_set(tables, folder, format)
