"""The tidy score table of a cross-tuning study: one row per model, bias (scenario, case) and score.

`StudyScores` normalises the two shapes scores come in:

* **long** tables with columns ``model, [backbone, data, seed, reference], bias, [scenario, case], score``
  (what ``BiasSuite`` and ``CrossTuning`` produce; ``scenario_id``/``case_id`` are accepted too);
* **wide** tables with one row per feature and one column per model, like the paper's released
  ``cross_tuning_full_scores.csv`` (row label ``bias``) or its scenario-level matrix (row labels
  ``"{Bias}_{scenario}"``).

Each model carries group labels: ``backbone`` (pretraining), ``data`` (instruction data), ``seed`` and
``reference`` (a model that is evaluated only and is not a seed replicate of its cell, such as the paper's
originals Flan-T5 and OLMo-SFT). Missing labels are parsed from model names such as ``OLMo-Flan-Seed-0``
or ``Llama2-Tulu``; the paper's originals map ``Flan-T5 -> T5/Flan`` and ``OLMo-SFT -> OLMo/Tulu``.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from biasorigins.display import plural
from biasorigins.errors import ConfigError, DataFormatError


logger = logging.getLogger(__name__)

Level = Literal["bias", "scenario"]

#: The originally released instruction-tuned models of the paper and their (backbone, data) labels.
PAPER_REFERENCE_MODELS: dict[str, tuple[str, str]] = {
    "Flan-T5": ("T5", "Flan"),
    "OLMo-SFT": ("OLMo", "Tulu"),
}

#: Explicit labels of every model in the paper's released tables. The Llama2/Mistral "-Seed-N" models are
#: separate community releases, not training seeds of one recipe, so they are single (reference) models.
PAPER_MODELS: dict[str, dict[str, Any]] = {
    **{name: {"backbone": backbone, "data": data, "seed": None, "reference": True}
       for name, (backbone, data) in PAPER_REFERENCE_MODELS.items()},
    **{
        f"{backbone}-{data}-Seed-{seed}": {"backbone": backbone, "data": data, "seed": str(seed), "reference": False}
        for backbone in ("OLMo", "T5") for data in ("Flan", "Tulu") for seed in range(3)
    },
    **{
        name: {"backbone": name.split("-")[0], "data": name.split("-")[1], "seed": None, "reference": True}
        for name in ("Llama2-ShareGPT-Seed-0", "Llama2-ShareGPT-Seed-1", "Llama2-Tulu", "Mistral-ShareGPT",
                     "Mistral-Tulu-Seed-0", "Mistral-Tulu-Seed-1")
    },
}

#: Row labels of the paper's wide table that hold capability metrics, not bias scores.
DEFAULT_CAPABILITIES: tuple[str, ...] = ("MMLU",)

_COLUMN_ALIASES: dict[str, str] = {
    "model": "model",
    "model_name": "model",
    "backbone": "backbone",
    "pretraining": "backbone",
    "base_model": "backbone",
    "data": "data",
    "dataset": "data",
    "instruction": "data",
    "instruction_data": "data",
    "seed": "seed",
    "reference": "reference",
    "is_reference": "reference",
    "bias": "bias",
    "scenario": "scenario",
    "scenario_id": "scenario",
    "case": "case",
    "case_id": "case",
    "item": "case",
    "test_case": "case",
    "score": "score",
}
_LABEL_COLUMNS = ("backbone", "data", "seed", "reference")
_MODEL_COLUMNS = ["model", "backbone", "data", "seed", "reference"]
_NAME_PATTERN = re.compile(
    r"^(?P<backbone>[A-Za-z0-9.]+)[-_ ](?P<data>[A-Za-z0-9.]+)(?:[-_ ]seed[-_ ]?(?P<seed>[A-Za-z0-9]+))?$",
    re.IGNORECASE,
)


def parse_model_name(name: str) -> dict[str, Any]:
    """Backbone, data, seed and reference labels read from a model name.

    The paper's models follow `PAPER_MODELS` (explicit labels; its Llama2/Mistral "-Seed-N" community
    releases are not training seeds). Other names are parsed: ``"B1-Flan-Seed-0"`` gives ``B1 / Flan /
    seed "0"``; ``"Llama2-Tulu"`` gives no seed and is a reference (an unreplicated model).

    Raises
    ------
    DataFormatError
        If the name follows none of these patterns.
    """
    if name in PAPER_MODELS:
        return dict(PAPER_MODELS[name])
    match = _NAME_PATTERN.match(name.strip())
    if match is None:
        raise DataFormatError(
            f"cannot read backbone and instruction data from the model name {name!r}: expected "
            "'{Backbone}-{Data}[-Seed-{k}]' (e.g. 'OLMo-Flan-Seed-0'); pass labels={model: {'backbone': ..., "
            "'data': ..., 'seed': ...}} or give the long table backbone/data/seed columns"
        )
    seed = match["seed"]
    return {"backbone": match["backbone"], "data": match["data"], "seed": seed, "reference": seed is None}


def _canonical_columns(frame: pd.DataFrame) -> pd.DataFrame:
    renamed: dict[Any, str] = {}
    for column in frame.columns:
        key = str(column).strip().lower()
        if key in _COLUMN_ALIASES:
            target = _COLUMN_ALIASES[key]
            if target in renamed.values():
                raise DataFormatError(
                    f"score table has two columns for {target!r} (one of them is {column!r}); keep only one"
                )
            renamed[column] = target
    return frame.rename(columns=renamed)


def _is_long(frame: pd.DataFrame) -> bool:
    keys = {_COLUMN_ALIASES.get(str(c).strip().lower()) for c in frame.columns}
    return {"model", "score"} <= keys


def _numeric(values: pd.Series, where: str) -> pd.Series:
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna() & values.notna()
    if bad.any():
        first = bad.idxmax()
        raise DataFormatError(f"{where} holds the non-numeric value {values[first]!r} (row {first!r}); scores must be numbers")
    infinite = np.isinf(converted.astype(float))
    if infinite.any():
        first = infinite.idxmax()
        raise DataFormatError(f"{where} holds the infinite value {values[first]!r} (row {first!r}); scores must be finite")
    return converted.astype(float)


def _split_features(labels: pd.Series, level: Literal["auto", "bias", "scenario"], sep: str) -> pd.DataFrame:
    labels = labels.astype(str)
    if level == "auto":
        has_sep = labels.str.contains(sep, regex=False)
        prefixes = labels.str.split(sep, n=1).str[0]
        level = "scenario" if bool(has_sep.all()) and prefixes.duplicated().any() else "bias"
    if level == "bias":
        return pd.DataFrame({"bias": labels.to_numpy(), "scenario": None})
    parts = labels.str.split(sep, n=1)
    missing = parts.str.len() < 2
    if missing.any():
        raise DataFormatError(
            f"scenario-level row label {labels[missing].iloc[0]!r} has no {sep!r} between bias and scenario; "
            "expected '{Bias}" + sep + "{scenario}'"
        )
    return pd.DataFrame({"bias": parts.str[0].to_numpy(), "scenario": parts.str[1].to_numpy()})


def _wide_to_long(
    frame: pd.DataFrame,
    *,
    models_in: Literal["columns", "rows"],
    level: Literal["auto", "bias", "scenario"],
    scenario_sep: str,
) -> pd.DataFrame:
    if models_in == "rows":
        frame = frame.T if not isinstance(frame.index, pd.RangeIndex) else frame.set_index(frame.columns[0]).T
        frame = frame.reset_index()
    elif isinstance(frame.index, pd.RangeIndex):
        first = frame.columns[0]
        if pd.api.types.is_numeric_dtype(frame[first]):
            raise DataFormatError(
                "wide score table has no row labels: expected the feature names (biases) in the index or in a "
                f"first text column such as 'bias', but the first column {first!r} is numeric"
            )
        frame = frame.copy()
    else:
        frame = frame.reset_index()
    label_column = frame.columns[0]
    labels = frame[label_column]
    if labels.isna().any():
        raise DataFormatError(f"wide score table: column {label_column!r} has an empty feature label")
    if labels.duplicated().any():
        raise DataFormatError(
            f"wide score table: feature {labels[labels.duplicated()].iloc[0]!r} appears twice in column "
            f"{label_column!r}; each row must be one bias (or bias_scenario)"
        )
    models = [c for c in frame.columns if c != label_column]
    if not models:
        raise DataFormatError("wide score table has no model columns")
    features = _split_features(labels, level, scenario_sep)
    pieces = []
    for model in models:
        values = _numeric(frame[model].reset_index(drop=True), f"wide score table: model column {model!r}")
        piece = features.copy()
        piece.insert(0, "model", str(model))
        piece["score"] = values.to_numpy()
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True)


def _read_path(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv", ".tsv", ".txt"):
        raise ConfigError(f"score table {path}: unknown file type {suffix!r}; use .csv, .tsv or .parquet")
    if not path.exists():
        raise ConfigError(f"score table {path} does not exist")
    if suffix == ".parquet":
        try:
            return pd.read_parquet(path)
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ConfigError(f"reading {path} needs pyarrow: pip install biasorigins[parquet]") from exc
    try:
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except pd.errors.EmptyDataError:
        raise DataFormatError(f"score table {path} is empty") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataFormatError(f"score table {path} is not a readable text table ({type(exc).__name__})") from None


def _label_models(long: pd.DataFrame, labels: Mapping[str, Mapping[str, Any]] | pd.DataFrame | None) -> pd.DataFrame:
    """One row per model with backbone, data, seed and reference, from columns, ``labels`` or names."""
    if isinstance(labels, pd.DataFrame):
        table = _canonical_columns(labels)
        if "model" not in table.columns:
            table = table.reset_index().rename(columns={table.index.name or "index": "model"})
        labels = {str(row["model"]): {k: row[k] for k in _LABEL_COLUMNS if k in row} for _, row in table.iterrows()}
    labels = dict(labels or {})
    rows, seeds_from_names = [], []
    for model, group in long.groupby("model", sort=False):
        given: dict[str, Any] = {}
        for column in _LABEL_COLUMNS:
            if column in group.columns:
                values = group[column].dropna().unique()
                if len(values) > 1:
                    raise DataFormatError(
                        f"model {model!r} has several values in column {column!r}: {sorted(map(str, values))}; "
                        "every row of one model must carry the same labels"
                    )
                if len(values) == 1:
                    given[column] = values[0]
        given.update({k: v for k, v in labels.get(str(model), {}).items() if v is not None})
        if "backbone" not in given or "data" not in given:
            parsed = parse_model_name(str(model))
            if parsed["seed"] is not None and "seed" not in given and str(model) not in PAPER_MODELS:
                seeds_from_names.append(str(model))
            for key, value in parsed.items():
                given.setdefault(key, value)
        seed = given.get("seed")
        seed = None if seed is None or (isinstance(seed, float) and np.isnan(seed)) else str(seed)
        if seed is not None and seed.endswith(".0") and seed[:-2].isdigit():
            seed = seed[:-2]
        reference = given.get("reference")
        reference = seed is None if reference is None or pd.isna(reference) else bool(reference)
        rows.append(
            {"model": str(model), "backbone": str(given["backbone"]), "data": str(given["data"]),
             "seed": seed, "reference": reference}
        )
    if seeds_from_names:
        warnings.warn(
            f"training seeds read from model names {seeds_from_names}: the analyses treat these models as seed "
            "replicates of one recipe; if they are separate releases, pass labels={model: {'seed': None, "
            "'reference': True}} or a seed column",
            UserWarning, stacklevel=4,
        )
    unknown = sorted(set(labels) - {r["model"] for r in rows})
    if unknown:
        raise ConfigError(f"labels given for models that are not in the score table: {unknown}")
    models = pd.DataFrame(rows, columns=_MODEL_COLUMNS)
    models["seed"] = models["seed"].astype(object)
    models = models.sort_values(["backbone", "data", "reference", "seed", "model"], key=_natural_key)
    replicated = models[~models["reference"]]
    clash = replicated[replicated.duplicated(["backbone", "data", "seed"], keep=False)]
    if not clash.empty:
        raise DataFormatError(
            f"models {clash['model'].tolist()} share backbone, data and seed; give them distinct seeds"
        )
    return models.reset_index(drop=True)


def _feature_names(table: pd.DataFrame, level: Level) -> pd.Series:
    if level == "bias":
        return table["bias"]
    return table["bias"] + "_" + table["scenario"].astype(str)


def _natural_key(column: pd.Series) -> pd.Series:
    if column.name == "seed":
        return column.map(lambda s: (0, int(s), "") if isinstance(s, str) and s.isdigit() else (1, 0, str(s)))
    return column


class StudyScores:
    """Bias scores of the models of a cross-tuning study, in one tidy long table.

    Build it with `StudyScores.load` (a DataFrame, a `StudyScores` or a CSV/TSV/Parquet path).

    Attributes
    ----------
    table
        Long table: ``model, backbone, data, seed, reference, bias, scenario, case, score`` at the finest
        level given (``scenario`` and ``case`` are empty when not given). NaN scores are unscorable cases.
    models
        One row per model with its labels, sorted by backbone, data, reference flag and seed.
    capabilities
        Capability metrics such as MMLU accuracy (model x metric), kept apart from the bias scores.
    """

    def __init__(self, table: pd.DataFrame, models: pd.DataFrame, capabilities: pd.DataFrame) -> None:
        self._table = table
        self._models = models
        self._capabilities = capabilities

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(
        cls,
        source: StudyScores | pd.DataFrame | str | Path,
        *,
        labels: Mapping[str, Mapping[str, Any]] | pd.DataFrame | None = None,
        capabilities: Iterable[str] = DEFAULT_CAPABILITIES,
        models_in: Literal["columns", "rows"] = "columns",
        level: Literal["auto", "bias", "scenario"] = "auto",
        scenario_sep: str = "_",
    ) -> StudyScores:
        """Normalise a long or wide score table (or a CSV/TSV/Parquet file holding one).

        Parameters
        ----------
        source
            Long table (has ``model`` and ``score`` columns) or wide table (features x models), or a path.
        labels
            Per-model labels that override columns and names: ``{model: {"backbone", "data", "seed",
            "reference"}}`` or a DataFrame with a ``model`` column.
        capabilities
            Feature names (case-insensitive) that are capability metrics, not biases (default: MMLU).
        models_in
            Wide tables only: whether models are the ``columns`` (the paper's layout) or the ``rows``.
        level
            Wide tables only: ``"bias"`` rows, ``"scenario"`` rows labelled ``"{Bias}{sep}{scenario}"``, or
            ``"auto"`` (scenario when every label has the separator and bias prefixes repeat).
        scenario_sep
            The separator between bias and scenario in scenario-level row labels.
        """
        if isinstance(source, StudyScores):
            return source
        if isinstance(source, (str, Path)):
            path = Path(source)
            try:
                return cls.load(
                    _read_path(path), labels=labels, capabilities=capabilities, models_in=models_in,
                    level=level, scenario_sep=scenario_sep,
                )
            except DataFormatError as exc:
                raise DataFormatError(f"{path}: {exc}") from exc
        if not isinstance(source, pd.DataFrame):
            raise ConfigError(f"scores must be a DataFrame, a StudyScores or a file path, not {type(source).__name__}")
        if source.empty:
            raise DataFormatError("score table is empty")
        keys = {_COLUMN_ALIASES.get(str(c).strip().lower()) for c in source.columns}
        if {"model", "bias"} <= keys and "score" not in keys:
            raise DataFormatError(
                f"long score table lacks the column 'score'; found {list(map(str, source.columns))}"
            )
        if _is_long(source):
            long = _canonical_columns(source.copy())
            missing = [c for c in ("model", "bias", "score") if c not in long.columns]
            if missing:
                raise DataFormatError(
                    f"long score table lacks column(s) {missing}; found {list(map(str, source.columns))}"
                )
            long["score"] = _numeric(long["score"].reset_index(drop=True), "column 'score'").to_numpy()
        else:
            long = _wide_to_long(source, models_in=models_in, level=level, scenario_sep=scenario_sep)
        return cls._from_long(long, labels=labels, capabilities=capabilities)

    @classmethod
    def _from_long(
        cls,
        long: pd.DataFrame,
        *,
        labels: Mapping[str, Mapping[str, Any]] | pd.DataFrame | None,
        capabilities: Iterable[str],
    ) -> StudyScores:
        for column in ("model", "bias"):
            if long[column].isna().any():
                raise DataFormatError(f"column {column!r} has an empty value in row {long[column].isna().idxmax()!r}")
            long[column] = long[column].astype(str)
        for column in ("scenario", "case"):
            if column not in long.columns:
                long[column] = None
            # missing or blank (as CSV readers with keep_default_na=False give) -> no scenario / case
            long[column] = long[column].astype(object).map(
                lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "" else v
            )
        capability_names = {c.lower() for c in capabilities}
        is_capability = long["bias"].str.lower().isin(capability_names)
        capability_table = (
            long[is_capability].pivot_table(index="model", columns="bias", values="score", aggfunc="mean")
            if is_capability.any()
            else pd.DataFrame()
        )
        long = long[~is_capability]
        if long.empty:
            raise DataFormatError("score table holds no bias scores (only capability metrics)")
        key = ["model", "bias", "scenario", "case"]
        duplicated = long.duplicated(key, keep=False)
        if duplicated.any():
            first = long[duplicated].iloc[0]
            raise DataFormatError(
                f"score table has several rows for model {first['model']!r}, bias {first['bias']!r}"
                + (f", scenario {first['scenario']!r}" if first["scenario"] is not None else "")
                + (f", case {first['case']!r}" if first["case"] is not None else "")
                + "; add a 'scenario' or 'case' column that tells them apart"
            )
        out_of_range = long["score"].abs() > 1
        if out_of_range.any():
            logger.warning("%d bias scores lie outside [-1, 1]; bias scores are expected in [-1, 1]",
                           int(out_of_range.sum()))
        models = _label_models(long, labels)
        table = long[["model", "bias", "scenario", "case", "score"]].merge(models, on="model", how="left")
        table = table[["model", "backbone", "data", "seed", "reference", "bias", "scenario", "case", "score"]]
        order = {m: i for i, m in enumerate(models["model"])}
        table = table.sort_values("model", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)
        if not capability_table.empty:
            capability_table = capability_table.reindex([m for m in models["model"] if m in capability_table.index])
            capability_table.columns.name = None
        return cls(table, models, capability_table)

    # ------------------------------------------------------------------ views
    @property
    def table(self) -> pd.DataFrame:
        """The long table at the finest level given (a copy)."""
        return self._table.copy()

    @property
    def models(self) -> pd.DataFrame:
        """One row per model: ``model, backbone, data, seed, reference`` (a copy)."""
        return self._models.copy()

    @property
    def capabilities(self) -> pd.DataFrame:
        """Capability metrics (model x metric, e.g. MMLU); empty when none were given (a copy)."""
        return self._capabilities.copy()

    @property
    def biases(self) -> list[str]:
        """Bias names in the order they first appear."""
        return list(dict.fromkeys(self._table["bias"]))

    @property
    def has_scenarios(self) -> bool:
        """Whether scores are given per scenario (scenario-level analyses are possible)."""
        return bool(self._table["scenario"].notna().any())

    @property
    def has_cases(self) -> bool:
        """Whether scores are given per test case (item bootstrap is possible)."""
        return bool(self._table["case"].notna().any())

    def labels(self, factor: Literal["backbone", "data"]) -> pd.Series:
        """The ``backbone`` or ``data`` label of every model, indexed by model."""
        if factor not in ("backbone", "data"):
            raise ConfigError(f"factor must be 'backbone' or 'data', not {factor!r}")
        return self._models.set_index("model")[factor]

    def scores(self, level: Level = "bias") -> pd.DataFrame:
        """Long scores aggregated to ``level``: mean over the valid rows below it (NaN scores ignored).

        At ``"bias"`` level the score of (model, bias) is the plain mean of its case scores (the paper's
        definition), or the mean of scenario means when only scenario-level scores were given. At
        ``"scenario"`` level, biases scored without scenarios (such as Certainty) are left out.
        """
        if level not in ("bias", "scenario"):
            raise ConfigError(f"level must be 'bias' or 'scenario', not {level!r}")
        if level == "scenario" and not self.has_scenarios:
            raise ConfigError("scenario-level analysis needs scores per scenario; this table has bias-level scores only")
        keys = ["model", "bias"] + (["scenario"] if level == "scenario" else [])
        table = self._table
        if level == "scenario":
            unscenarioed = table["scenario"].isna()
            if unscenarioed.any():
                logger.info("scenario level leaves out biases scored without scenarios: %s",
                            sorted(table.loc[unscenarioed, "bias"].unique()))
                table = table[~unscenarioed]
        grouped = table.groupby(keys, sort=False, dropna=False)["score"].mean().reset_index()
        return grouped.merge(self._models, on="model", how="left")

    def features(self, level: Level = "bias") -> pd.DataFrame:
        """The features of `matrix` at ``level``, in column order: ``feature, bias`` (and ``scenario``)."""
        keys = ["bias"] if level == "bias" else ["bias", "scenario"]
        table = self.scores(level)[keys].drop_duplicates().reset_index(drop=True)
        table.insert(0, "feature", _feature_names(table, level))
        return table

    def matrix(self, level: Level = "bias", *, models: Sequence[str] | None = None) -> pd.DataFrame:
        """The model x feature matrix at ``level`` (features are biases, or ``"{bias}_{scenario}"``).

        Raises
        ------
        DataFormatError
            If a model has no valid score for a feature (the matrix must be complete for the analyses).
        """
        long = self.scores(level)
        long["feature"] = _feature_names(long, level)
        features = self.features(level)["feature"].tolist()
        wide = long.pivot(index="model", columns="feature", values="score")
        order = list(models) if models is not None else list(self._models["model"])
        unknown = [m for m in order if m not in wide.index]
        if unknown:
            raise ConfigError(f"unknown model(s) {unknown}; the table has {list(self._models['model'])}")
        wide = wide.reindex(index=order, columns=features)
        if wide.isna().any().any():
            model, feature = wide.isna().stack().pipe(lambda s: s[s]).index[0]
            raise DataFormatError(
                f"model {model!r} has no valid score for {feature!r} at {level} level; drop the feature or the "
                "model with StudyScores.select(...) or supply the score"
            )
        wide.index.name = "model"
        wide.columns.name = "feature"
        return wide

    def select(
        self,
        *,
        models: Iterable[str] | None = None,
        biases: Iterable[str] | None = None,
        references: bool = True,
    ) -> StudyScores:
        """A copy restricted to some models and/or biases, optionally without the reference models."""
        table = self._table
        model_table = self._models
        if models is not None:
            wanted = list(models)
            unknown = sorted(set(wanted) - set(model_table["model"]))
            if unknown:
                raise ConfigError(f"unknown model(s) {unknown}; the table has {list(model_table['model'])}")
            model_table = model_table[model_table["model"].isin(wanted)]
        if not references:
            model_table = model_table[~model_table["reference"]]
        if biases is not None:
            wanted_biases = list(biases)
            unknown = sorted(set(wanted_biases) - set(self.biases))
            if unknown:
                raise ConfigError(f"unknown bias(es) {unknown}; the table has {self.biases}")
            table = table[table["bias"].isin(wanted_biases)]
        table = table[table["model"].isin(model_table["model"])]
        if table.empty:
            raise ConfigError("the selection leaves no scores")
        capabilities = self._capabilities
        if not capabilities.empty:
            capabilities = capabilities.loc[[m for m in capabilities.index if m in set(model_table["model"])]]
        return StudyScores(table.reset_index(drop=True), model_table.reset_index(drop=True), capabilities)

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        level = "case" if self.has_cases else "scenario" if self.has_scenarios else "bias"
        return (
            f"<StudyScores {plural(len(self._models), 'model')} ({int(self._models['reference'].sum())} reference), "
            f"{plural(len(self.biases), 'bias')}, {level} level, {plural(len(self._table), 'row')}>"
        )
