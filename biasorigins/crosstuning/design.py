"""`CrossTuning`: the design of a cross-tuning study (backbones x instruction datasets x seeds + references).

A study is written as a TOML file (or built in Python) and validated before anything runs::

    name = "paper"
    workdir = "runs/paper"                  # the study folder (relative to this file)
    seeds = [0, 1, 2]

    [backbones.olmo]
    model = "allenai/OLMo-7B-hf"            # hub id, or a local folder written "./folder"
    label = "OLMo"
    finetune = { preset = "olmo-paper" }
    mmlu_shots = 0

    [datasets.flan]
    path = "itay1itzhak/flan_2022_350k"     # a file (JSONL, JSON, Parquet, CSV) or a hub dataset id
    label = "Flan"
    chat_format = "raw"                     # how models trained on it are prompted when evaluated

    [references.olmo-sft]
    model = "allenai/OLMo-7B-SFT-hf"
    name = "OLMo-SFT"
    backbone = "olmo"                       # a backbone key (or any label)
    data = "tulu"                           # a dataset key (or any label)

    [finetune]                              # shared recipe: a preset and settings of FinetuneConfig
    [suite]                                 # the bias suite: biases (or a preset), cases, seed
    [mmlu]                                  # optional: MMLU data and default shots
    [analysis]                              # optional: options of analyze_scores

The finetuning recipe of a backbone is its ``finetune.preset`` (else the study's ``[finetune] preset``,
else the `FinetuneConfig` defaults), then the study's ``[finetune]`` settings, then the backbone's own.
The chat format a finetuned model is evaluated with is its dataset's ``chat_format``, else its backbone's,
else ``"raw"``.

`plan` lists the cells: one per backbone x dataset x seed (id ``"{backbone}-{dataset}-s{seed}"``) and one
per reference model (id ``"ref-{key}"``), which is evaluated only.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from biasorigins.diagnostics import DEFAULT_REVERSAL_PROBE
from biasorigins.errors import BiasOriginsError, ConfigError
from biasorigins.models.base import AnswerMode
from biasorigins.models.chat import ChatFormat
from biasorigins.models.fingerprint import canonical_json

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

if TYPE_CHECKING:
    from biasorigins.analysis.analyze import StudyAnalysis
    from biasorigins.analysis.scores import StudyScores
    from biasorigins.finetune.config import FinetuneConfig

__all__ = [
    "BackboneSpec",
    "Cell",
    "CrossTuning",
    "DatasetSpec",
    "FinetuneRecipe",
    "MMLUSpec",
    "ReferenceSpec",
    "AnalysisSpec",
    "Stage",
    "SuiteSpec",
]

Stage = Literal["finetune", "evaluate", "mmlu"]
DataFormat = Literal["auto", "prompt_completion", "messages"]

#: Where the design being validated comes from (file name and text), for error messages.
_SOURCE: ContextVar[tuple[str, str | None]] = ContextVar("crosstuning_design_source", default=("CrossTuning", None))
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_DATA_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv", ".tsv")
DEFAULT_CHAT_FORMAT: ChatFormat = "raw"


class _Problem(ValueError):
    """A validation problem that knows which key of the design it is about."""

    def __init__(self, where: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.where = tuple(where)


class _Spec(BaseModel):
    """Frozen, strict base of every part of a design."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class FinetuneRecipe(_Spec):
    """A finetuning preset plus `FinetuneConfig` settings (any of its fields, e.g. ``learning_rate``)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    preset: str | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """The settings given besides the preset."""
        return dict(self.model_extra or {})

    @model_validator(mode="after")
    def _check(self) -> FinetuneRecipe:
        from biasorigins.finetune.config import PRESETS, FinetuneConfig

        if self.preset is not None and self.preset not in PRESETS:
            raise _Problem(["preset"], f"unknown finetune preset {self.preset!r}; choose one of {sorted(PRESETS)}")
        known = set(FinetuneConfig.model_fields) - {"seed"}
        for name in self.settings:
            if name == "seed":
                raise _Problem([name], "the seed of each cell comes from the study's seeds; remove it here")
            if name not in known:
                raise _Problem([name], f"unknown finetune setting {name!r}{_did_you_mean(name, known)}")
        return self


class BackboneSpec(_Spec):
    """A pretrained model that is finetuned on every dataset of the study.

    Attributes
    ----------
    model
        Hub id or local folder (in TOML write folders as ``"./folder"``; they are relative to the file).
    label
        The backbone label in scores and figures (default: the key), e.g. ``"OLMo"``.
    chat_format
        Evaluation chat format of its cells when their dataset names none.
    finetune
        Preset and settings for this backbone (applied over the study's ``[finetune]``).
    trust_remote_code
        Allow the model's own code from the hub (needed by some checkpoints).
    mmlu_shots
        MMLU exemplars for this backbone (default: ``[mmlu] shots``); the paper used 0 for OLMo, 5 for T5.
    """

    model: str = Field(min_length=1)
    label: str | None = None
    chat_format: ChatFormat | None = None
    finetune: FinetuneRecipe = FinetuneRecipe()
    trust_remote_code: bool = False
    mmlu_shots: int | None = Field(None, ge=0)


class DatasetSpec(_Spec):
    """Instruction data every backbone is finetuned on.

    Attributes
    ----------
    path
        A file (``.jsonl``, ``.json``, ``.parquet``, ``.csv``; in TOML relative to the file) or a hub dataset id.
    format
        ``"auto"`` (from the records), ``"prompt_completion"`` (Flan style) or ``"messages"`` (Tulu style).
    label
        The data label in scores and figures (default: the key), e.g. ``"Tulu"``.
    chat_format
        How models trained on this data are prompted when evaluated (the paper: Flan ``"raw"``,
        Tulu-2 ``"tulu"``).
    """

    path: str = Field(min_length=1)
    format: DataFormat = "auto"
    label: str | None = None
    chat_format: ChatFormat | None = None


class ReferenceSpec(_Spec):
    """A model that is evaluated only, e.g. the originally released instruction-tuned model.

    Attributes
    ----------
    model
        Hub id or local folder.
    name
        Model name in scores and figures (default: the key), e.g. ``"OLMo-SFT"``.
    backbone, data
        Its backbone and data labels: keys of the study's backbones/datasets (their labels are used) or
        free labels.
    adapter
        Optional LoRA adapter folder applied to ``model``.
    chat_format
        Evaluation chat format (default: the dataset's, else the backbone's, else ``"raw"``).
    trust_remote_code
        Allow the model's own code from the hub.
    mmlu_shots
        MMLU exemplars (default: the backbone's, else ``[mmlu] shots``).
    """

    model: str = Field(min_length=1)
    name: str | None = None
    backbone: str = Field(min_length=1)
    data: str = Field(min_length=1)
    adapter: str | None = None
    chat_format: ChatFormat | None = None
    trust_remote_code: bool = False
    mmlu_shots: int | None = Field(None, ge=0)


class SuiteSpec(_Spec):
    """The bias suite every model answers (see `BiasSuite`).

    Attributes
    ----------
    biases
        ``"all"``, a preset name (e.g. ``"paper32"``), one bias name or a list of bias names.
    cases
        Test cases per bias.
    seed
        Master seed of the test cases.
    mode
        How a model's decision is obtained: ``"likelihood"`` (the option label with the highest
        log-probability), ``"cloze"`` (the option text most likely after the situation, see
        `HFRunner`'s ``scoring``) or ``"generate"`` (a greedy answer of at most ``max_new_tokens``
        tokens, read by `parse_choice`; the paper's protocol without its second-model extractor).
    max_new_tokens
        Answer length in ``"generate"`` mode.
    counterbalance, labels, paper_compatible
        As in `BiasSuite`.
    batch_size
        Prompts per forward pass (speed only; answers do not depend on it).
    reversal_probe
        Cases per bias asked again with the options reversed, for the answer diagnostics (as in
        `BiasSuite`; 0: off).
    """

    biases: str | tuple[str, ...] = "paper32"
    cases: int = Field(20, ge=1)
    seed: int = Field(0, ge=0)
    mode: AnswerMode = "likelihood"
    max_new_tokens: int = Field(40, ge=1)
    counterbalance: Literal["reverse", "none"] = "reverse"
    labels: Literal["letters", "numbers"] = "letters"
    paper_compatible: bool = False
    batch_size: int = Field(16, ge=1)
    reversal_probe: int = Field(DEFAULT_REVERSAL_PROBE, ge=0)

    @field_validator("biases", mode="before")
    @classmethod
    def _list_as_tuple(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        if not isinstance(value, str):
            raise ValueError(f"give 'all', a preset name, a bias name or a list of bias names, not {value!r}")
        return value

    @field_validator("biases")
    @classmethod
    def _known_biases(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        from biasorigins.plugins import get_bias
        from biasorigins.presets import preset_names

        if isinstance(value, str) and (value == "all" or value in preset_names()):
            return value  # a preset's biases are resolved when the suite is built
        names = (value,) if isinstance(value, str) else value
        if not names:
            raise ValueError("select at least one bias, a preset name or 'all'")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"biases listed more than once: {duplicates}")
        for name in names:
            try:
                get_bias(name)
            except BiasOriginsError as error:
                raise ValueError(str(error)) from None
        return value

    def build(self) -> Any:
        """The `BiasSuite` these settings describe."""
        from biasorigins.suite import BiasSuite

        biases = list(self.biases) if isinstance(self.biases, tuple) else self.biases
        return BiasSuite(biases, cases=self.cases, seed=self.seed, counterbalance=self.counterbalance,
                         labels=self.labels, paper_compatible=self.paper_compatible,
                         reversal_probe=self.reversal_probe)

    def identity(self) -> dict[str, Any]:
        """The settings that change answers (everything but the batch size)."""
        unused = {"batch_size"} | ({"max_new_tokens"} if self.mode != "generate" else set())
        return self.model_dump(mode="json", exclude=unused)


class MMLUSpec(_Spec):
    """MMLU accuracy of every model (optional stage).

    Attributes
    ----------
    data
        A folder in the standard MMLU layout (``dev/`` and ``test/`` CSV files) or the hub id ``cais/mmlu``.
    shots
        Default number of exemplars (backbones and references may set their own).
    subjects
        Only these subjects (default: all).
    max_length
        Longest prompt in tokens; exemplars are dropped until a prompt fits (the paper: 2048).
    """

    data: str = Field(min_length=1)
    shots: int = Field(0, ge=0)
    subjects: tuple[str, ...] | None = None
    max_length: int = Field(2048, ge=16)


class AnalysisSpec(_Spec):
    """Options of `analyze_scores`; unset options keep its defaults."""

    seed: int | None = Field(None, ge=0)
    levels: tuple[Literal["bias", "scenario"], ...] | None = None
    n_permutations: int | None = Field(None, ge=1)
    n_bootstrap: int | None = Field(None, ge=1)
    n_restarts: int | None = Field(None, ge=1)
    tau: float | None = Field(None, ge=0)
    scale: bool | None = None
    metric: Literal["euclidean", "cosine"] | None = None
    standardize: bool | None = None

    def options(self) -> dict[str, Any]:
        """The options that were set, as keyword arguments of `analyze_scores`."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.model_dump().items() if v is not None}


class Cell(BaseModel):
    """One model of the study: a finetuned (backbone, dataset, seed) or a reference that is evaluated only.

    Attributes
    ----------
    id
        Stable id, also the folder name: ``"olmo-flan-s0"`` or ``"ref-olmo-sft"``.
    model
        The model's name in scores and figures, e.g. ``"OLMo-Flan-Seed-0"`` or ``"OLMo-SFT"``.
    reference
        True for reference models (evaluated only, not a seed replicate).
    backbone, data
        Labels used by the analyses.
    seed
        Finetuning seed (None for references).
    backbone_key, dataset_key, reference_key
        Keys of the design entries the cell comes from (None where not applicable).
    base_model
        What is loaded: the backbone, or the reference model.
    adapter
        The LoRA adapter folder of a reference (finetuned cells use their own, in the study folder).
    trust_remote_code
        Whether the base model may run its own code from the hub.
    chat_format
        The chat format it is evaluated with.
    mmlu_shots
        MMLU exemplars, or None when the study has no MMLU stage.
    stages
        What has to be done for it, in order.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    model: str
    reference: bool
    backbone: str
    data: str
    seed: int | None
    backbone_key: str | None = None
    dataset_key: str | None = None
    reference_key: str | None = None
    base_model: str
    adapter: str | None = None
    trust_remote_code: bool = False
    chat_format: ChatFormat
    mmlu_shots: int | None = None
    stages: tuple[Stage, ...]


class CrossTuning(_Spec):
    """A cross-tuning study: backbones x instruction datasets x seeds, plus reference models.

    Build one in Python or with `CrossTuning.from_toml`; see the module docstring for the TOML layout.

    Attributes
    ----------
    name
        A title for reports.
    backbones, datasets
        Keyed entries (keys: letters, digits, ``_`` and ``-``; they name the cells).
    seeds
        Finetuning seeds; every backbone x dataset pair is trained once per seed.
    references
        Models evaluated only (e.g. the originally released instruction-tuned models).
    finetune
        The shared finetuning recipe (preset and settings); backbones may add their own.
    suite
        The bias suite.
    mmlu
        MMLU settings, or None for no MMLU stage.
    analysis
        Options of the analyses.
    workdir
        The study folder (adapters, decisions, scores, report); needed by `run` and `status`.
    """

    name: str = "Cross-tuning study"
    backbones: dict[str, BackboneSpec] = Field(min_length=1)
    datasets: dict[str, DatasetSpec] = Field(min_length=1)
    seeds: tuple[int, ...] = Field(min_length=1)
    references: dict[str, ReferenceSpec] = Field(default_factory=dict)
    finetune: FinetuneRecipe = FinetuneRecipe()
    suite: SuiteSpec = SuiteSpec()
    mmlu: MMLUSpec | None = None
    analysis: AnalysisSpec = AnalysisSpec()
    workdir: Path | None = None

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            where, text = _SOURCE.get()
            raise ConfigError(describe_validation_error(error, where, text=text)) from None

    @field_validator("seeds", mode="before")
    @classmethod
    def _seeds_as_tuple(cls, value: Any) -> Any:
        seeds = [value] if not isinstance(value, (list, tuple)) else list(value)
        if any(isinstance(seed, bool) or not isinstance(seed, int) for seed in seeds):
            raise ValueError(f"seeds must be non-negative integers, got {seeds!r}")
        return tuple(seeds)

    @field_validator("seeds")
    @classmethod
    def _check_seeds(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(seed < 0 for seed in value):
            raise ValueError(f"seeds must be non-negative integers, got {list(value)}")
        if len(set(value)) != len(value):
            raise ValueError(f"seeds listed more than once: {sorted({s for s in value if value.count(s) > 1})}")
        return value

    @model_validator(mode="after")
    def _check_design(self) -> CrossTuning:
        from biasorigins.finetune.config import FinetuneConfig

        for section in ("backbones", "datasets", "references"):
            for key in getattr(self, section):
                if not _KEY.match(key):
                    raise _Problem([section, key], f"key {key!r} may hold only letters, digits, '_' and '-', "
                                   "and must start with a letter or digit (it names cells and folders)")
        try:
            recipe = self.finetune
            settings = {**recipe.settings, "seed": 0}
            FinetuneConfig.preset(recipe.preset, **settings) if recipe.preset else FinetuneConfig.build(**settings)
        except ConfigError as error:
            raise _Problem(["finetune"], str(error)) from None
        for key in self.backbones:
            try:
                self.finetune_config(key, next(iter(self.datasets)), seed=0)
            except ConfigError as error:
                raise _Problem(["backbones", key, "finetune"], str(error)) from None
        ids = [cell.id for cell in self.cells()]
        clashes = sorted({i for i in ids if ids.count(i) > 1})
        if clashes:
            raise _Problem([], f"two cells get the same id {clashes}; rename a backbone or dataset key "
                           "(keys joined by '-' must stay distinct)")
        names = [cell.model for cell in self.cells()]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise _Problem(["references"], f"two models share the name {clashes}; give references distinct names")
        return self

    # ------------------------------------------------------------------ labels and recipes
    def backbone_label(self, key: str) -> str:
        """The label of a backbone key (or the text itself when it is not a key)."""
        spec = self.backbones.get(key)
        return (spec.label or key) if spec is not None else key

    def dataset_label(self, key: str) -> str:
        """The label of a dataset key (or the text itself when it is not a key)."""
        spec = self.datasets.get(key)
        return (spec.label or key) if spec is not None else key

    def finetune_config(self, backbone: str, dataset: str, *, seed: int) -> FinetuneConfig:
        """The finetuning recipe of one cell: preset, study settings, backbone settings, data format, seed."""
        from biasorigins.finetune.config import FinetuneConfig

        spec = self.backbones[backbone]
        preset = spec.finetune.preset or self.finetune.preset
        settings = {**self.finetune.settings, **spec.finetune.settings,
                    "data_format": self.datasets[dataset].format, "seed": seed}
        if preset is not None:
            return FinetuneConfig.preset(preset, **settings)
        return FinetuneConfig.build(**settings)

    # ------------------------------------------------------------------ the plan
    def cells(self) -> list[Cell]:
        """Every cell: backbone x dataset x seed in design order, then the references."""
        cells = []
        for b_key, backbone in self.backbones.items():
            for d_key, dataset in self.datasets.items():
                for seed in self.seeds:
                    b_label, d_label = self.backbone_label(b_key), self.dataset_label(d_key)
                    cells.append(Cell(
                        id=f"{b_key}-{d_key}-s{seed}", model=f"{b_label}-{d_label}-Seed-{seed}", reference=False,
                        backbone=b_label, data=d_label, seed=seed, backbone_key=b_key, dataset_key=d_key,
                        base_model=backbone.model, trust_remote_code=backbone.trust_remote_code,
                        chat_format=dataset.chat_format or backbone.chat_format or DEFAULT_CHAT_FORMAT,
                        mmlu_shots=self._shots(backbone.mmlu_shots),
                        stages=("finetune", "evaluate", *(("mmlu",) if self.mmlu else ())),
                    ))
        for r_key, reference in self.references.items():
            backbone = self.backbones.get(reference.backbone)
            dataset = self.datasets.get(reference.data)
            chat_format = (reference.chat_format or (dataset.chat_format if dataset else None)
                           or (backbone.chat_format if backbone else None) or DEFAULT_CHAT_FORMAT)
            shots = reference.mmlu_shots if reference.mmlu_shots is not None else (
                backbone.mmlu_shots if backbone else None)
            cells.append(Cell(
                id=f"ref-{r_key}", model=reference.name or r_key, reference=True,
                backbone=self.backbone_label(reference.backbone), data=self.dataset_label(reference.data), seed=None,
                backbone_key=reference.backbone if backbone else None,
                dataset_key=reference.data if dataset else None, reference_key=r_key,
                base_model=reference.model, adapter=reference.adapter,
                trust_remote_code=reference.trust_remote_code, chat_format=chat_format,
                mmlu_shots=self._shots(shots), stages=("evaluate", *(("mmlu",) if self.mmlu else ())),
            ))
        return cells

    def _shots(self, own: int | None) -> int | None:
        if self.mmlu is None:
            return None
        return own if own is not None else self.mmlu.shots

    def cell(self, cell_id: str | int) -> Cell:
        """A cell by id, or by its position in `plan` (as a SLURM array index)."""
        cells = self.cells()
        if isinstance(cell_id, int) or (isinstance(cell_id, str) and cell_id.isdigit()):
            index = int(cell_id)
            if not 0 <= index < len(cells):
                raise ConfigError(f"cell index {index} is out of range: the study has {len(cells)} cells "
                                  f"(0..{len(cells) - 1})")
            return cells[index]
        for cell in cells:
            if cell.id == cell_id:
                return cell
        raise ConfigError(f"unknown cell {cell_id!r}{_did_you_mean(cell_id, [c.id for c in cells])} "
                          "(the study's plan lists the cell ids)")

    def check_paths(self) -> None:
        """Raise ConfigError naming the first local model, adapter or data path that does not exist."""
        entries = [("backbones", key, "model", spec.model) for key, spec in self.backbones.items()]
        entries += [("references", key, field, getattr(spec, field)) for key, spec in self.references.items()
                    for field in ("model", "adapter") if getattr(spec, field)]
        entries += [("datasets", key, "path", spec.path) for key, spec in self.datasets.items()]
        for section, key, field, value in entries:
            if _is_local(value, Path.cwd(), data=section == "datasets") and not Path(value).expanduser().exists():
                what = {"path": "the instruction data file", "model": "the model", "adapter": "the adapter"}[field]
                raise ConfigError(f"{section}.{key}.{field}: {what} {value} does not exist")

    def plan(self) -> pd.DataFrame:
        """The cells as a table: ``index, cell, model, kind, backbone, data, seed, base_model, chat_format,
        mmlu_shots, stages``."""
        rows = [
            {"index": i, "cell": c.id, "model": c.model, "kind": "reference" if c.reference else "finetuned",
             "backbone": c.backbone, "data": c.data, "seed": c.seed, "base_model": c.base_model,
             "chat_format": c.chat_format, "mmlu_shots": c.mmlu_shots, "stages": " > ".join(c.stages)}
            for i, c in enumerate(self.cells())
        ]
        frame = pd.DataFrame(rows)
        frame["seed"] = frame["seed"].astype("Int64")
        frame["mmlu_shots"] = frame["mmlu_shots"].astype("Int64")
        return frame

    def stage_fingerprint(self, cell: Cell, stage: Stage) -> str:
        """Identity of everything that determines a stage's output (a changed design makes it stale)."""
        return _digest(self._stage_inputs(cell, stage))

    def _stage_inputs(self, cell: Cell, stage: Stage) -> dict[str, Any]:
        if stage == "finetune":
            if cell.reference:
                raise ConfigError(f"reference cell {cell.id} has no finetune stage")
            dataset = self.datasets[cell.dataset_key]  # type: ignore[index]
            config = self.finetune_config(cell.backbone_key, cell.dataset_key, seed=cell.seed)  # type: ignore[arg-type]
            return {"base_model": cell.base_model, "data": dataset.path,
                    "config": config.model_dump(mode="json")}
        upstream = (self._stage_inputs(cell, "finetune") if not cell.reference
                    else {"base_model": cell.base_model, "adapter": cell.adapter})
        if stage == "evaluate":
            return {"model": upstream, "chat_format": cell.chat_format, "suite": self.suite.identity()}
        if self.mmlu is None:
            raise ConfigError("the study has no [mmlu] section")
        return {"model": upstream, "chat_format": cell.chat_format, "shots": cell.mmlu_shots,
                "mmlu": self.mmlu.model_dump(mode="json", exclude={"shots"})}

    # ------------------------------------------------------------------ files
    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> CrossTuning:
        """Read and validate a study file; errors name the file, the line and the key.

        Relative paths in the file (``workdir``, local models written ``"./folder"``, data files) are
        relative to the file's folder. Without ``workdir`` the study folder is ``<file stem>/`` beside it.
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read study file {path}: {error.strerror or error}") from None
        except UnicodeDecodeError as error:
            raise ConfigError(f"study file {path} is not UTF-8 text (byte {error.start}: {error.reason}); "
                              "save it as UTF-8") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        base = path.resolve().parent
        raw = _resolve_paths(raw, base)
        if "workdir" not in raw:
            raw["workdir"] = str(base / path.stem)
        token = _SOURCE.set((str(path), text))
        try:
            return cls(**raw)
        finally:
            _SOURCE.reset(token)

    def to_toml(self, path: str | os.PathLike[str] | None = None) -> str:
        """The design as TOML text (written to ``path`` when given, atomically)."""
        data = self.model_dump(mode="json", exclude_none=True)
        text = _toml_document(data)
        if path is not None:
            from biasorigins.finetune._files import write_text_atomic

            write_text_atomic(Path(path), text)
        return text

    def resolved(self, base: str | os.PathLike[str] | None = None) -> CrossTuning:
        """A copy with local paths made absolute (relative to ``base``, default the working directory)."""
        base_path = Path(base) if base is not None else Path.cwd()
        return type(self)(**_resolve_paths(self.model_dump(mode="json"), base_path))

    @classmethod
    def open(cls, workdir: str | os.PathLike[str]) -> CrossTuning:
        """The design saved in a study folder (``study.toml``, written by `run` and `run_cell`)."""
        from biasorigins.crosstuning.study import DESIGN_FILE

        folder = Path(workdir)
        if not (folder / DESIGN_FILE).is_file():
            raise ConfigError(f"{folder} is not a study folder (it has no {DESIGN_FILE}); run the study first")
        study = cls.from_toml(folder / DESIGN_FILE)
        return study.model_copy(update={"workdir": folder.resolve()})

    # ------------------------------------------------------------------ running (see study.py)
    def status(self) -> pd.DataFrame:
        """Per cell and stage: ``done``, ``todo``, ``started`` (a checkpoint exists), ``running`` (another
        process holds the cell), ``stale`` (done under another design) or empty (not a stage of the cell)."""
        from biasorigins.crosstuning.study import study_status

        return study_status(self)

    def run(self, *, report: bool = True, progress: bool = True, workers: int = 1,
            threads: int | None = None) -> StudyAnalysis | None:
        """Finetune, evaluate and analyse every cell, skipping finished work, and write the report.

        ``workers > 1`` runs the cells in that many local CPU processes of ``threads`` threads each
        (default: the cores shared out); a script that uses it needs ``if __name__ == "__main__":``.
        Returns the analysis (None on the non-main processes of an ``accelerate launch``); see
        `biasorigins.crosstuning.study` for the study folder, resume and concurrency.
        """
        from biasorigins.crosstuning.study import run_study

        self.check_paths()
        return run_study(self, report=report, progress=progress, workers=workers, threads=threads)

    def run_cell(self, cell_id: str | int, *, progress: bool = True) -> Cell:
        """Run the stages of one cell in this process (for job arrays and ``accelerate launch``)."""
        from biasorigins.crosstuning.study import run_cell

        self.check_paths()
        return run_cell(self, cell_id, progress=progress)

    def scores(self) -> StudyScores:
        """The collected scores (and MMLU accuracies) of the finished study."""
        from biasorigins.crosstuning.study import study_scores

        return study_scores(self)

    def diagnostics(self) -> pd.DataFrame:
        """Every evaluated model's answer diagnostics: per bias and overall (see `biasorigins.diagnostics`)."""
        from biasorigins.crosstuning.study import study_diagnostics

        return study_diagnostics(self)

    def analyze(self, **options: Any) -> StudyAnalysis:
        """All analyses on the collected scores; ``options`` override the design's ``[analysis]``."""
        from biasorigins.analysis import analyze_scores

        return analyze_scores(self.scores(), **{**self.analysis.options(), **options})

    def report(self, path: str | os.PathLike[str] | None = None, **options: Any) -> Path:
        """Analyse and write the HTML + Markdown report (default ``<workdir>/report.html``)."""
        from biasorigins.crosstuning.study import REPORT_FILE, require_workdir

        target = Path(path) if path is not None else require_workdir(self) / REPORT_FILE
        return self.analyze(**options).report(target, title=self.name)

    @staticmethod
    def from_scores(
        table: Any, *, labels: Mapping[str, Mapping[str, Any]] | pd.DataFrame | None = None, **options: Any
    ) -> StudyScores:
        """Scores made elsewhere (wide model x bias tables like the paper's, or long tables) for the analyses.

        See `StudyScores.load` for ``labels`` and the other options.
        """
        from biasorigins.analysis.scores import StudyScores

        return StudyScores.load(table, labels=labels, **options)


# ---------------------------------------------------------------------- helpers
def _digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def _did_you_mean(name: str, known: Sequence[str] | set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _is_local(value: str, base: Path, *, data: bool = False) -> bool:
    if value.startswith(("./", "../", "~", "/")) or (os.sep != "/" and value.startswith(("." + os.sep, ".." + os.sep))):
        return True
    if data and value.lower().endswith(_DATA_SUFFIXES):
        return True
    return (base / value).exists()


def _absolute(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _resolve_paths(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make the local paths of a raw design absolute, relative to ``base``; hub ids stay as they are."""
    out = dict(raw)

    def fix(section: str, field: str, *, data: bool = False) -> None:
        entries = out.get(section)
        if not isinstance(entries, dict):
            return
        fixed = {}
        for key, entry in entries.items():
            value = entry.get(field) if isinstance(entry, dict) else None
            if isinstance(value, str) and _is_local(value, base, data=data):
                entry = {**entry, field: _absolute(value, base)}
            fixed[key] = entry
        out[section] = fixed

    fix("backbones", "model")
    fix("references", "model")
    fix("references", "adapter")
    fix("datasets", "path", data=True)
    mmlu = out.get("mmlu")
    if isinstance(mmlu, dict) and isinstance(mmlu.get("data"), str) and _is_local(mmlu["data"], base):
        out["mmlu"] = {**mmlu, "data": _absolute(mmlu["data"], base)}
    if isinstance(out.get("workdir"), str):
        out["workdir"] = _absolute(out["workdir"], base)
    return out


# ---------------------------------------------------------------------- error messages
def describe_validation_error(error: ValidationError, where: str, *, text: str | None = None) -> str:
    """One line per problem: ``file, line N: key.path: what is wrong``."""
    lines = []
    for item in error.errors():
        location: tuple[Any, ...] = tuple(item["loc"])
        message = item["msg"]
        problem = (item.get("ctx") or {}).get("error")
        if isinstance(problem, _Problem):
            location = location + problem.where
            message = str(problem)
        elif message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if item["type"] == "extra_forbidden":
            message = f"unknown key{_did_you_mean(str(location[-1]), _known_keys(location))}"
        elif item["type"] == "missing":
            message = "required key is missing"
        key = ".".join(str(part) for part in location)
        line = _line_of(text, location) if text is not None else None
        prefix = f"{where}, line {line}" if line is not None else where
        lines.append(f"{prefix}: {key or 'study'}: {message}")
    return "invalid study design:\n  " + "\n  ".join(lines) if len(lines) > 1 else "invalid study design: " + lines[0]


def _known_keys(location: tuple[Any, ...]) -> list[str]:
    """Field names of the section a misspelt key was found in."""
    model: Any = CrossTuning
    for part in location[:-1]:
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        if field is None:
            continue
        annotation = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
                break
    return list(getattr(model, "model_fields", {}))


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _split_key(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]


def _line_of(text: str, location: tuple[Any, ...]) -> int | None:
    """The line of the TOML text that best matches a key path (the longest matching prefix)."""
    target = [str(part) for part in location]
    best, best_length = None, 0
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            path = table
        else:
            assignment = _ASSIGNMENT.match(line)
            if not assignment:
                continue
            path = table + _split_key(assignment.group(1))
        length = 0
        for got, wanted in zip(path, target):
            if got != wanted:
                break
            length += 1
        if length == len(path) and length > best_length:
            best, best_length = number, length
    return best


# ---------------------------------------------------------------------- TOML writing
def _toml_document(data: dict[str, Any]) -> str:
    import tomli_w

    header = "# A cross-tuning study (biasorigins). Validate with: biasorigins crosstune THIS_FILE plan\n"
    return header + tomli_w.dumps(data)
