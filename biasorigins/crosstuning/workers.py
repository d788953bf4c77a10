"""Running a study's cells in local worker processes (``CrossTuning.run(workers=N)``).

Each worker is a fresh Python process (``spawn``) with its own share of the CPU threads. Workers
finetune cells and evaluate base-model groups; a group's evaluation starts as soon as its cells are
trained. On a 2-core CPU, two one-thread workers finetune a small model about 1.8 times as fast as
one two-thread process, because one small training step uses two threads poorly.

The workers use the same stages, locks and markers as a sequential run, so a crash or Ctrl-C loses
only the cells in flight, and a later run (with or without workers) resumes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from biasorigins.crosstuning.design import Cell, CrossTuning
from biasorigins.crosstuning.study import (
    CellBusyError,
    StudyFolder,
    _check_data,
    _evaluate_group,
    _evaluation_groups,
    _finetune,
    _needs,
    _prepare,
)
from biasorigins.errors import ConfigError

logger = logging.getLogger(__name__)


def available_cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS and Windows
        return os.cpu_count() or 1


def check_workers(workers: int, threads: int | None) -> int:
    """Threads per worker for ``workers`` processes (default: the cores shared out); errors for bad values."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ConfigError(f"workers must be a positive integer, not {workers!r}")
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise ConfigError(f"threads must be a positive integer or None, not {threads!r}")
    if threads is not None and workers == 1:
        raise ConfigError("threads sets the CPU threads of worker processes (workers > 1); for this process "
                          "use torch.set_num_threads")
    if workers > 1:
        import torch

        if torch.cuda.is_available():
            raise ConfigError(
                "workers > 1 runs cells in CPU processes; on GPUs run one 'crosstune STUDY cell ID' per GPU "
                "(CUDA_VISIBLE_DEVICES) or finetune data-parallel under 'accelerate launch'"
            )
    return threads if threads is not None else max(1, available_cores() // workers)


def _quiet_settings() -> tuple[list[Any], dict[str, int], bool]:
    """What this process hides, for workers to hide too: warning filters, the levels set on
    biasorigins loggers, and whether transformers shows its progress bars."""
    from transformers.utils import logging as transformers_logging

    levels = {name: logger.level for name, logger in logging.Logger.manager.loggerDict.items()
              if name.startswith("biasorigins") and isinstance(logger, logging.Logger) and logger.level}
    return list(warnings.filters), levels, transformers_logging.is_progress_bar_enabled()


def _start_worker(threads: int, level: int, quiet: tuple[list[Any], dict[str, int], bool]) -> None:
    import torch
    from transformers.utils import logging as transformers_logging

    torch.set_num_threads(threads)
    filters, levels, progress_bars = quiet
    warnings.resetwarnings()
    for action, message, category, module, line in reversed(filters):
        warnings.filterwarnings(action, getattr(message, "pattern", message) or "", category,
                                getattr(module, "pattern", module) or "", line)
    for name, logger_level in levels.items():
        logging.getLogger(name).setLevel(logger_level)
    if not progress_bars:
        transformers_logging.disable_progress_bar()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(f"[worker {os.getpid()}] %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("biasorigins")
    root.addHandler(handler)
    if "biasorigins" not in levels:
        root.setLevel(level)


def worker_pool(workers: int, threads: int) -> ProcessPoolExecutor:
    """``workers`` fresh processes of ``threads`` torch threads each, logging and hiding warnings and
    progress bars as this process does."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker,
                               initargs=(threads, logging.getLogger("biasorigins").getEffectiveLevel(),
                                         _quiet_settings()))


def _finetune_cell(study: CrossTuning, cell_id: str) -> bool:
    """Finetune one cell; False when another process holds it."""
    study, folder = _prepare(study)
    cell = study.cell(cell_id)
    try:
        with folder.hold(cell):
            if _needs(study, folder, cell, "finetune"):
                _finetune(study, folder, cell, progress=False)
    except CellBusyError:
        return False
    return True


def _evaluate_cells(study: CrossTuning, cell_ids: Sequence[str]) -> None:
    """Evaluate cells of one base model on one loaded copy (cells other processes hold are left)."""
    study, folder = _prepare(study)
    cells = [study.cell(cell_id) for cell_id in cell_ids]
    _evaluate_group(study, folder, cells, study.suite.build(), skip_busy=True, progress=False)


class _Schedule:
    """Which cells still train, and which base-model groups may be evaluated."""

    def __init__(self, study: CrossTuning, folder: StudyFolder, cells: Sequence[Cell], training: Sequence[Cell]):
        self.study, self.folder = study, folder
        self.training = {cell.id for cell in training}
        self.groups = _evaluation_groups(list(cells))
        self.busy: list[Cell] = []

    def trained(self, cell: Cell, held: bool) -> None:
        self.training.discard(cell.id)
        if not held:
            self.busy.append(cell)

    def ready_groups(self) -> list[list[Cell]]:
        """Groups whose cells are all trained (or held elsewhere), with the cells that need evaluating."""
        ready, waiting = [], []
        for group in self.groups:
            if any(cell.id in self.training for cell in group):
                waiting.append(group)
                continue
            pending = [cell for cell in group if cell not in self.busy and any(
                _needs(self.study, self.folder, cell, stage) for stage in cell.stages if stage != "finetune")]
            if pending:
                ready.append(pending)
        self.groups = waiting
        return ready


def run_in_workers(study: CrossTuning, folder: StudyFolder, cells: Sequence[Cell], *, workers: int,
                   threads: int, progress: bool) -> None:
    """Finetune and evaluate ``cells`` in ``workers`` processes; cells other processes hold are left."""
    from tqdm.auto import tqdm

    training = [c for c in cells if "finetune" in c.stages and _needs(study, folder, c, "finetune")]
    _check_data(study, training)
    schedule = _Schedule(study, folder, cells, training)
    pool = worker_pool(workers, threads)
    jobs: dict[Future[Any], tuple[str, Any]] = {}
    bar = tqdm(total=len(training), desc=f"cells in {workers} workers", unit="task", disable=not progress)
    try:
        for cell in training:
            jobs[pool.submit(_finetune_cell, study, cell.id)] = ("finetune", cell)
        while True:
            for group in schedule.ready_groups():
                bar.total += 1
                jobs[pool.submit(_evaluate_cells, study, [cell.id for cell in group])] = ("evaluate", group)
            if not jobs:
                break
            finished, _ = wait(jobs, return_when=FIRST_COMPLETED)
            for job in finished:
                stage, subject = jobs.pop(job)
                outcome = job.result()  # a worker's error is raised here
                if stage == "finetune":
                    schedule.trained(subject, held=outcome)
                bar.update(1)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        bar.close()
    pool.shutdown()
