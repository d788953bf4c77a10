"""Running a `CrossTuning` study: finetune, evaluate, collect and analyse, with resume.

The study folder (``workdir``)::

    study.toml                    the design, with absolute paths (written by every run)
    cells/<cell id>/
        finetune/                 finetune() output: adapter/, checkpoints/, training log, result.json
        decisions.sqlite          every answer, stored batch by batch (reused by a restart or a changed suite)
        decisions.csv             one row per test case and condition (choice, status, score)
        summary.csv               per-bias mean, CI, valid and invalid counts
        diagnostics.csv           how informative the answers are, per bias and overall (biasorigins.diagnostics)
        scores.csv                one row per test case: model, backbone, data, seed, reference, bias,
                                  scenario, case, score
        mmlu.json, mmlu.csv       MMLU accuracy, and every question's prediction (with an [mmlu] section)
        <stage>.done.json         marker of a finished stage, with the fingerprint of its inputs
        .lock                     held while a process works on the cell
    scores.csv                    every cell's scores (written when all cells are done)
    diagnostics.csv               every cell's answer diagnostics, one block of rows per model
    capabilities.csv              model, metric, value (MMLU)
    report.html, report.md, report_figures/

Every file is written to a temporary name and renamed, and a stage's marker is written last, so a crash
(even SIGKILL) loses only the work in flight: finetuning resumes from its last checkpoint, and evaluation
from the cell's decision store, which holds every batch of answers as soon as it is computed. A stage
is *done* when its marker exists and records the fingerprint of the current design's inputs; a marker
with another fingerprint is *stale* (the design changed): evaluation and MMLU are then redone, while a
stale finetuning stops the run with an explanation (training is not thrown away silently).

Concurrency: a process works on a cell only while it holds the cell's lock (``cells/<id>/.lock``,
``flock``), every shared file is replaced atomically, and each cell has its own sqlite store that only
the lock holder opens, so many processes (a SLURM job array, several machines on a shared file system)
can run cells of one study folder at once. One process evaluates all cells of a base model on one loaded
copy of it, with the cells' LoRA adapters attached side by side. Under ``accelerate launch``
every process finetunes together (data parallel) and the main process alone evaluates.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from biasorigins.checks import output_folder
from biasorigins.crosstuning.design import Cell, CrossTuning, Stage
from biasorigins.errors import BiasOriginsError, ConfigError
from biasorigins.finetune._files import write_text_atomic, write_with_atomic
from biasorigins.tables import write_frame

if TYPE_CHECKING:
    from biasorigins.analysis.analyze import StudyAnalysis
    from biasorigins.analysis.scores import StudyScores
    from biasorigins.models.loading import LoadedModel

__all__ = [
    "CAPABILITIES_FILE",
    "DESIGN_FILE",
    "DIAGNOSTICS_FILE",
    "REPORT_FILE",
    "SCORES_FILE",
    "SCORE_COLUMNS",
    "StudyFolder",
    "collect_scores",
    "require_workdir",
    "run_cell",
    "run_study",
    "study_diagnostics",
    "study_scores",
    "study_status",
]

logger = logging.getLogger(__name__)

DESIGN_FILE = "study.toml"
SCORES_FILE = "scores.csv"
CAPABILITIES_FILE = "capabilities.csv"
DIAGNOSTICS_FILE = "diagnostics.csv"
REPORT_FILE = "report.html"
CELLS_DIR = "cells"
SCORE_COLUMNS = ["model", "backbone", "data", "seed", "reference", "bias", "scenario", "case", "score"]
STAGES: tuple[Stage, ...] = ("finetune", "evaluate", "mmlu")


def require_workdir(study: CrossTuning) -> Path:
    """The study folder, or a ConfigError saying how to set it."""
    if study.workdir is None:
        raise ConfigError('the study has no workdir; set workdir = "..." in the study file or CrossTuning(workdir=...)')
    return output_folder(study.workdir, "study workdir")


def _rank_and_world() -> tuple[int, int]:
    """This process's rank and the number of processes (``accelerate launch`` / torchrun set them)."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


class CellBusyError(BiasOriginsError):
    """Another process holds the cell."""


class StudyFolder:
    """Paths, stage markers and locks of a study folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def cell_dir(self, cell: Cell) -> Path:
        return self.root / CELLS_DIR / cell.id

    def finetune_dir(self, cell: Cell) -> Path:
        return self.cell_dir(cell) / "finetune"

    def adapter_dir(self, cell: Cell) -> Path | None:
        """The LoRA adapter the cell is evaluated with: its own, a reference's given one, or None."""
        if cell.reference:
            return Path(cell.adapter) if cell.adapter else None
        return self.finetune_dir(cell) / "adapter"

    def store(self, cell: Cell) -> Path:
        """The cell's decision store: every answer, written batch by batch (one writer: the lock holder)."""
        return self.cell_dir(cell) / "decisions.sqlite"

    def marker(self, cell: Cell, stage: Stage) -> Path:
        return self.cell_dir(cell) / f"{stage}.done.json"

    def read_marker(self, cell: Cell, stage: Stage) -> dict[str, Any] | None:
        path = self.marker(cell, stage)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError) as error:
            raise BiasOriginsError(
                f"cannot read the stage marker {path}: {error}; delete it to redo the stage") from None

    def write_marker(self, cell: Cell, stage: Stage, fingerprint: str, seconds: float, **details: Any) -> None:
        record = {
            "cell": cell.id, "stage": stage, "fingerprint": fingerprint, "seconds": round(seconds, 3),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"), "host": socket.gethostname(),
            **details,
        }
        write_text_atomic(self.marker(cell, stage), json.dumps(record, indent=2, default=str) + "\n")

    def write_csv(self, path: Path, frame: pd.DataFrame) -> None:
        write_with_atomic(path, lambda tmp: write_frame(frame, tmp))

    def _lock(self, cell: Cell) -> Any:
        from filelock import FileLock

        self.cell_dir(cell).mkdir(parents=True, exist_ok=True)
        return FileLock(self.cell_dir(cell) / ".lock", timeout=0)

    @contextmanager
    def hold(self, cell: Cell) -> Iterator[None]:
        """Hold the cell's lock; raise CellBusyError when another process holds it."""
        from filelock import Timeout

        lock = self._lock(cell)
        try:
            lock.acquire()
        except Timeout:
            raise CellBusyError(f"cell {cell.id} is being run by another process ({lock.lock_file})") from None
        try:
            yield
        finally:
            lock.release()

    def is_busy(self, cell: Cell) -> bool:
        """Whether another process holds the cell's lock now."""
        if not (self.cell_dir(cell) / ".lock").exists():
            return False
        try:
            with self.hold(cell):
                return False
        except CellBusyError:
            return True


# ---------------------------------------------------------------------- state
def stage_state(study: CrossTuning, folder: StudyFolder, cell: Cell, stage: Stage) -> str:
    """``done``, ``stale``, ``started``, ``todo`` for a stage of the cell, or ``""`` when it has no such stage."""
    if stage not in cell.stages:
        return ""
    marker = folder.read_marker(cell, stage)
    if marker is not None:
        return "done" if marker.get("fingerprint") == study.stage_fingerprint(cell, stage) else "stale"
    if stage == "finetune" and (folder.finetune_dir(cell) / "run.json").is_file():
        return "started"
    return "todo"


def study_status(study: CrossTuning) -> pd.DataFrame:
    """One row per cell: ``cell, model, kind, finetune, evaluate, mmlu`` (see `CrossTuning.status`)."""
    folder = StudyFolder(require_workdir(study))
    rows = []
    for cell in study.cells():
        row: dict[str, Any] = {"cell": cell.id, "model": cell.model,
                               "kind": "reference" if cell.reference else "finetuned"}
        for stage in STAGES:
            row[stage] = stage_state(study, folder, cell, stage)
        busy = folder.is_busy(cell)
        if busy:
            for stage in STAGES:
                if row[stage] in ("todo", "started", "stale"):
                    row[stage] = "running"
                    break
        rows.append(row)
    return pd.DataFrame(rows, columns=["cell", "model", "kind", *STAGES])


def _needs(study: CrossTuning, folder: StudyFolder, cell: Cell, stage: Stage) -> bool:
    state = stage_state(study, folder, cell, stage)
    if state == "stale" and stage == "finetune":
        raise ConfigError(
            f"cell {cell.id} was finetuned with another recipe, data or base model than the study now asks for; "
            f"delete {folder.cell_dir(cell)} to train it again, or use another workdir"
        )
    if state == "stale":
        logger.info("cell %s: the design changed since its %s stage; redoing it", cell.id, stage)
    return state not in ("done", "")


# ---------------------------------------------------------------------- preparation
def _prepare(study: CrossTuning) -> tuple[CrossTuning, StudyFolder]:
    """Absolute paths, the study folder with its design file, and local data files that exist."""
    study = study.resolved()
    folder = StudyFolder(require_workdir(study))
    rank, _ = _rank_and_world()
    if rank == 0:
        (folder.root / CELLS_DIR).mkdir(parents=True, exist_ok=True)
        study.to_toml(folder.root / DESIGN_FILE)
    return study, folder


def _check_data(study: CrossTuning, cells: Sequence[Cell]) -> None:
    for key in dict.fromkeys(c.dataset_key for c in cells if c.dataset_key):
        path = study.datasets[key].path
        if Path(path).is_absolute() and not Path(path).exists():
            raise ConfigError(f"datasets.{key}.path: the instruction data file {path} does not exist")


# ---------------------------------------------------------------------- stages
def _finetune(study: CrossTuning, folder: StudyFolder, cell: Cell, *, progress: bool) -> None:
    from biasorigins.finetune import finetune

    assert cell.backbone_key is not None and cell.dataset_key is not None and cell.seed is not None
    config = study.finetune_config(cell.backbone_key, cell.dataset_key, seed=cell.seed)
    model: Any = cell.base_model
    if cell.trust_remote_code:  # finetune() loads without remote code: load here, on the CPU, in the recipe's dtype
        from biasorigins.models.loading import load_model

        dtype = {"bf16": "bfloat16", "fp16": "float16"}.get(config.precision, "float32")
        model = load_model(cell.base_model, trust_remote_code=True, dtype=dtype, device="cpu")
    logger.info("cell %s: finetuning %s on %s (seed %d)", cell.id, cell.base_model, cell.dataset_key, cell.seed)
    started = time.perf_counter()
    result = finetune(model, study.datasets[cell.dataset_key].path, output_dir=folder.finetune_dir(cell),
                      seed=cell.seed, config=config, progress=progress)
    if _rank_and_world()[0] == 0:
        folder.write_marker(
            cell, "finetune", study.stage_fingerprint(cell, "finetune"), time.perf_counter() - started,
            steps=result.steps, final_loss=result.final_loss, training_seconds=result.seconds,
            resumed_from=result.resumed_from, examples=result.num_examples,
        )


def _cell_scores(cell: Cell, scores: pd.DataFrame) -> pd.DataFrame:
    """A suite's per-case scores as rows of the study's tidy score table."""
    frame = pd.DataFrame({
        "model": cell.model, "backbone": cell.backbone, "data": cell.data,
        "seed": pd.array([cell.seed] * len(scores), dtype="Int64"), "reference": cell.reference,
        "bias": scores["bias"].to_numpy(), "scenario": scores["scenario_id"].to_numpy(),
        "case": scores["case_id"].to_numpy(), "score": scores["score"].to_numpy(dtype=float),
    })
    return frame[SCORE_COLUMNS]


def _evaluate(study: CrossTuning, folder: StudyFolder, cell: Cell, loaded: LoadedModel, suite: Any,
              *, progress: bool) -> None:
    from biasorigins.models.base import mode_runner
    from biasorigins.models.hf import BASE_ADAPTER

    started = time.perf_counter()
    adapter = cell.id if cell.id in loaded.adapters else (BASE_ADAPTER if loaded.adapters else None)
    if cell.id in loaded.adapters:
        loaded.model.set_adapter(cell.id)  # one active adapter: scoring skips PEFT's per-row path
    runner = mode_runner(study.suite.mode, loaded, max_new_tokens=study.suite.max_new_tokens, adapter=adapter,
                         chat_format=cell.chat_format, name=cell.model, batch_size=study.suite.batch_size)
    logger.info("cell %s: evaluating %d biases x %d cases", cell.id, len(suite.biases), suite.n_cases)
    result = suite.run(runner, model=cell.model, store=folder.store(cell), progress=progress)
    directory = folder.cell_dir(cell)
    folder.write_csv(directory / "decisions.csv", result.table)
    folder.write_csv(directory / "summary.csv", result.summary)
    folder.write_csv(directory / DIAGNOSTICS_FILE, result.diagnostics)
    folder.write_csv(directory / "scores.csv", _cell_scores(cell, result.scores))
    invalid = int((~result.table["valid"]).sum())
    if (warning := result.answer_quality.warning) is not None:
        logger.warning("cell %s: %s", cell.id, warning)
    if result.errors:
        logger.warning("cell %s: %d bias(es) failed: %s", cell.id, len(result.errors),
                       "; ".join(f"{e.bias} ({e.stage}): {e.message}" for e in result.errors))
    folder.write_marker(
        cell, "evaluate", study.stage_fingerprint(cell, "evaluate"), time.perf_counter() - started,
        model_fingerprint=runner.fingerprint, prompts=len(result.table), invalid_answers=invalid,
        failed_biases=[{"bias": e.bias, "stage": e.stage, "message": e.message} for e in result.errors],
    )


def _mmlu(study: CrossTuning, folder: StudyFolder, cell: Cell, loaded: LoadedModel, *, progress: bool) -> None:
    from biasorigins.mmlu import evaluate_mmlu

    assert study.mmlu is not None and cell.mmlu_shots is not None
    started = time.perf_counter()
    peft = loaded.model
    if cell.id in loaded.adapters:
        peft.set_adapter(cell.id)
    context = peft.disable_adapter() if loaded.adapters and cell.id not in loaded.adapters else nullcontext()
    logger.info("cell %s: MMLU with %d shots", cell.id, cell.mmlu_shots)
    with context:
        result = evaluate_mmlu(loaded, study.mmlu.data, shots=cell.mmlu_shots, chat_format=cell.chat_format,
                               subjects=study.mmlu.subjects, max_length=study.mmlu.max_length,
                               batch_size=study.suite.batch_size, progress=progress)
    directory = folder.cell_dir(cell)
    folder.write_csv(directory / "mmlu.csv", result.to_frame())
    summary = {"model": cell.model, "accuracy": result.accuracy, "macro_accuracy": result.macro_accuracy,
               "questions": result.num_questions, "shots": cell.mmlu_shots, "chat_format": cell.chat_format}
    write_text_atomic(directory / "mmlu.json", json.dumps(summary, indent=2) + "\n")
    folder.write_marker(cell, "mmlu", study.stage_fingerprint(cell, "mmlu"), time.perf_counter() - started,
                        accuracy=result.accuracy, questions=result.num_questions)


def _load_group(cells: Sequence[Cell], folder: StudyFolder) -> LoadedModel:
    """The base model of ``cells`` loaded once, with the adapter of every cell that has one."""
    from biasorigins.models.loading import load_model

    adapters = {cell.id: path for cell in cells if (path := folder.adapter_dir(cell)) is not None}
    first = cells[0]
    return load_model(first.base_model, adapter=adapters or None, trust_remote_code=first.trust_remote_code)


def _release(loaded: LoadedModel | None) -> None:
    del loaded
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def _evaluation_groups(cells: Sequence[Cell]) -> list[list[Cell]]:
    """Cells that share a base model (and its loading options), in plan order."""
    groups: dict[tuple[str, bool], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.base_model, cell.trust_remote_code), []).append(cell)
    return list(groups.values())


def _evaluate_group(study: CrossTuning, folder: StudyFolder, cells: Sequence[Cell], suite: Any,
                    *, skip_busy: bool, progress: bool) -> list[Cell]:
    """Evaluate (and MMLU) the cells that need it on one loaded base; returns the cells left to others."""
    with ExitStack() as locks:
        mine, busy = [], []
        for cell in cells:
            try:
                locks.enter_context(folder.hold(cell))
            except CellBusyError:
                if not skip_busy:
                    raise
                busy.append(cell)
                continue
            if any(_needs(study, folder, cell, stage) for stage in ("evaluate", "mmlu") if stage in cell.stages):
                mine.append(cell)
        if not mine:
            return busy
        loaded = _load_group(mine, folder)
        try:
            for cell in mine:
                if _needs(study, folder, cell, "evaluate"):
                    _evaluate(study, folder, cell, loaded, suite, progress=progress)
                if "mmlu" in cell.stages and _needs(study, folder, cell, "mmlu"):
                    _mmlu(study, folder, cell, loaded, progress=progress)
        finally:
            _release(loaded)
    return busy


# ---------------------------------------------------------------------- drivers
def run_cell(study: CrossTuning, cell_id: str | int, *, progress: bool = True) -> Cell:
    """Run every stage of one cell in this process, skipping finished ones.

    ``cell_id`` is a cell id or its index in the plan (e.g. ``$SLURM_ARRAY_TASK_ID``). Under
    ``accelerate launch`` all processes finetune together and the main process evaluates.

    Raises
    ------
    ConfigError
        Unknown cell, missing data, or a finetuning done under another design.
    BiasOriginsError
        Another process is running this cell.
    """
    study, folder = _prepare(study)
    cell = study.cell(cell_id)
    rank, _ = _rank_and_world()
    with ExitStack() as stack:
        if rank == 0:
            stack.enter_context(folder.hold(cell))
        if "finetune" in cell.stages and _needs(study, folder, cell, "finetune"):
            _check_data(study, [cell])
            _finetune(study, folder, cell, progress=progress)
    if rank == 0:
        _evaluate_group(study, folder, [cell], study.suite.build(), skip_busy=False, progress=progress)
    return cell


def _run_here(study: CrossTuning, folder: StudyFolder, cells: Sequence[Cell], *, progress: bool) -> None:
    """Finetune and evaluate ``cells`` in this process (all ranks train); cells others hold are left."""
    from tqdm.auto import tqdm

    rank, world = _rank_and_world()
    training = [c for c in cells if "finetune" in c.stages and _needs(study, folder, c, "finetune")]
    _check_data(study, training)
    busy: list[Cell] = []
    for cell in tqdm(training, desc="finetuning cells", unit="cell", disable=not progress or rank != 0):
        with ExitStack() as stack:
            if rank == 0:
                try:
                    stack.enter_context(folder.hold(cell))
                except CellBusyError:
                    if world > 1:
                        raise
                    busy.append(cell)
                    continue
                if not _needs(study, folder, cell, "finetune"):  # finished by another process meanwhile
                    continue
            _finetune(study, folder, cell, progress=progress)
    if rank != 0:
        return
    ready = [c for c in cells if c not in busy
             and ("finetune" not in c.stages or stage_state(study, folder, c, "finetune") == "done")]
    pending = [c for c in ready if any(_needs(study, folder, c, s) for s in c.stages if s != "finetune")]
    if pending:
        suite = study.suite.build()
        for group in tqdm(_evaluation_groups(pending), desc="evaluating base models", unit="model",
                          disable=not progress):
            _evaluate_group(study, folder, group, suite, skip_busy=True, progress=progress)


def run_study(study: CrossTuning, *, report: bool = True, progress: bool = True, workers: int = 1,
              threads: int | None = None) -> StudyAnalysis | None:
    """Run the whole study: finetune, evaluate, collect, analyse and report.

    Finished stages are skipped and cells held by other processes are left to them. With
    ``workers > 1`` the cells run in that many local processes of ``threads`` CPU threads each
    (default: the cores shared out; see `biasorigins.crosstuning.workers`). Returns the analysis,
    or None on the non-main processes of an ``accelerate launch``.

    Raises
    ------
    ConfigError
        Bad ``workers`` or ``threads``, or workers under ``accelerate launch`` or with a GPU.
    BiasOriginsError
        When cells are still being run by other processes at the end (run again when they finish).
    """
    from biasorigins.crosstuning.workers import check_workers, run_in_workers

    per_worker = check_workers(workers, threads)
    rank, world = _rank_and_world()
    if workers > 1 and world > 1:
        raise ConfigError("workers > 1 cannot be combined with accelerate launch; use one or the other")
    study, folder = _prepare(study)
    cells = study.cells()
    if workers > 1:
        run_in_workers(study, folder, cells, workers=workers, threads=per_worker, progress=progress)
    else:
        _run_here(study, folder, cells, progress=progress)
    if rank != 0:
        return None
    unfinished = [c.id for c in cells if any(stage_state(study, folder, c, s) != "done" for s in c.stages)]
    if unfinished:
        raise BiasOriginsError(
            f"{len(unfinished)} cell(s) are not finished: {unfinished}; other processes are running them. "
            "Run the study again when they are done (finished cells are skipped)."
        )
    scores, capabilities = collect_scores(study)
    folder.write_csv(folder.root / SCORES_FILE, scores)
    folder.write_csv(folder.root / CAPABILITIES_FILE, capabilities)
    diagnostics = study_diagnostics(study)
    folder.write_csv(folder.root / DIAGNOSTICS_FILE, diagnostics)
    analysis = study.analyze()
    if report:
        analysis.report(folder.root / REPORT_FILE, title=study.name, note=_positional_note(diagnostics),
                        appendix=_diagnostics_appendix(diagnostics))
    for name, sentence in analysis.summaries().items():
        logger.info("%s: %s", name, sentence)
    return analysis


# ---------------------------------------------------------------------- results
def collect_scores(study: CrossTuning) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every cell's scores (tidy table, `SCORE_COLUMNS`) and capabilities (``model, metric, value``).

    Raises
    ------
    ConfigError
        When a cell's evaluation is not done (or stale).
    """
    folder = StudyFolder(require_workdir(study))
    frames, capabilities = [], []
    missing = []
    for cell in study.cells():
        if stage_state(study, folder, cell, "evaluate") != "done":
            missing.append(cell.id)
            continue
        frames.append(pd.read_csv(folder.cell_dir(cell) / "scores.csv", dtype={"scenario": str, "case": str},
                                  keep_default_na=False, na_values={"score": [""], "seed": [""]}))
        if "mmlu" in cell.stages and stage_state(study, folder, cell, "mmlu") == "done":
            record = json.loads((folder.cell_dir(cell) / "mmlu.json").read_text(encoding="utf-8"))
            capabilities.append({"model": cell.model, "metric": "MMLU", "value": record["accuracy"]})
    if missing:
        raise ConfigError(f"cells {missing} are not evaluated yet; run the study (or these cells) first")
    scores = pd.concat(frames, ignore_index=True)
    scores["seed"] = scores["seed"].astype("Int64")
    return scores[SCORE_COLUMNS], pd.DataFrame(capabilities, columns=["model", "metric", "value"])


def study_diagnostics(study: CrossTuning) -> pd.DataFrame:
    """Every evaluated cell's answer diagnostics (`biasorigins.diagnostics`), one block of rows per model.

    Cells not evaluated yet, or evaluated before diagnostics were written, are left out. Use
    `biasorigins.diagnostics.model_warnings` or `diagnostics_html` on the result for the per-model warnings.
    """
    from biasorigins.diagnostics import DIAGNOSTIC_COLUMNS

    folder = StudyFolder(require_workdir(study))
    frames = [pd.read_csv(path, keep_default_na=False, na_values={c: [""] for c in DIAGNOSTIC_COLUMNS})
              for cell in study.cells()
              if stage_state(study, folder, cell, "evaluate") == "done"
              and (path := folder.cell_dir(cell) / DIAGNOSTICS_FILE).is_file()]
    if not frames:
        return pd.DataFrame(columns=DIAGNOSTIC_COLUMNS)
    return pd.concat(frames, ignore_index=True)[DIAGNOSTIC_COLUMNS]


def _positional_note(diagnostics: pd.DataFrame) -> str | None:
    """The report's caveat when some models answer by option position (see `biasorigins.diagnostics`)."""
    from biasorigins.diagnostics import positional_summary

    sentence = positional_summary(diagnostics)
    return None if sentence is None else f"Answer diagnostics: {sentence} ({DIAGNOSTICS_FILE})."


def _diagnostics_appendix(diagnostics: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The report's table of every model's overall answer diagnostics (none when there are none)."""
    from biasorigins.diagnostics import OVERALL

    overall = diagnostics[diagnostics["bias"] == OVERALL].drop(columns=["bias"])
    return {} if overall.empty else {f"Answer diagnostics per model ({DIAGNOSTICS_FILE})": overall}


def study_scores(study: CrossTuning) -> StudyScores:
    """The study's `StudyScores`: bias scores per test case plus MMLU as a capability."""
    from biasorigins.analysis.scores import StudyScores

    scores, capabilities = collect_scores(study)
    table = scores.astype({"seed": object})
    table["seed"] = table["seed"].map(lambda s: None if pd.isna(s) else str(s))
    if not capabilities.empty:
        extra = pd.DataFrame({
            "model": capabilities["model"], "bias": capabilities["metric"], "score": capabilities["value"],
            "scenario": None, "case": None,
        })
        for column in ("backbone", "data", "seed", "reference"):
            extra[column] = extra["model"].map(table.drop_duplicates("model").set_index("model")[column])
        table = pd.concat([table, extra[SCORE_COLUMNS]], ignore_index=True)
    return StudyScores.load(table)
