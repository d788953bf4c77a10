"""The ``biasorigins crosstune`` subcommand: plan, run and inspect a cross-tuning study.

::

    biasorigins crosstune STUDY.toml plan            # validate the design and list its cells (no model loaded)
    biasorigins crosstune STUDY.toml status          # what is finished, running or left to do
    biasorigins crosstune STUDY.toml run             # everything, skipping finished work; writes the report
    biasorigins crosstune STUDY.toml cell ID         # one cell (id or plan index) in this process
    biasorigins crosstune STUDY.toml cell            # the cell of $SLURM_ARRAY_TASK_ID
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from biasorigins.errors import ConfigError

__all__ = ["ACTIONS", "add_crosstune_parser", "cmd_crosstune"]

ACTIONS = ("run", "plan", "status", "cell")
ARRAY_INDEX_VARIABLE = "SLURM_ARRAY_TASK_ID"


def add_crosstune_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``crosstune`` subcommand to ``subparsers`` (from ``ArgumentParser.add_subparsers``)."""
    parser = subparsers.add_parser(
        "crosstune",
        help="plan, run or inspect a cross-tuning study (backbones x datasets x seeds)",
        description="Run a cross-tuning study described by a TOML file: finetune every backbone on every "
        "instruction dataset with every seed, evaluate the bias suite (and MMLU), then analyse where the "
        "biases come from. Finished work is never redone; many processes may share one study folder.",
        epilog="examples: 'crosstune study.toml plan'; 'crosstune study.toml cell olmo-flan-s0'; "
        "in a SLURM job array: 'crosstune study.toml cell' (uses $SLURM_ARRAY_TASK_ID), then "
        "'crosstune study.toml run' to collect, analyse and report.",
    )
    parser.add_argument("study", help="the study file (TOML), or a study folder that holds study.toml")
    parser.add_argument("action", nargs="?", default="run", choices=ACTIONS,
                        help="plan: list the cells; status: show progress; run: the whole study (default); "
                        "cell: one cell")
    parser.add_argument("cell", nargs="?", metavar="ID",
                        help="with 'cell': a cell id or its index in the plan (default: $SLURM_ARRAY_TASK_ID)")
    parser.add_argument("--workdir", help="the study folder (overrides the file's workdir)")
    parser.add_argument("--no-report", action="store_true", help="with 'run': skip the HTML/Markdown report")
    parser.add_argument("--workers", type=int, default=1,
                        help="with 'run': run cells in this many local CPU processes (default 1)")
    parser.add_argument("--threads", type=int,
                        help="with 'run --workers N': CPU threads per worker (default: the cores shared out)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--json", action="store_true", help="with 'plan' and 'status': print JSON records")
    parser.set_defaults(func=cmd_crosstune)
    return parser


def _load(args: argparse.Namespace) -> Any:
    from biasorigins.crosstuning.design import CrossTuning

    source = Path(args.study)
    study = CrossTuning.open(source) if source.is_dir() else CrossTuning.from_toml(source)
    if args.workdir:
        study = study.model_copy(update={"workdir": Path(args.workdir).resolve()})
    return study


def _print_table(frame: Any, as_json: bool) -> None:
    if as_json:
        print(frame.to_json(orient="records", indent=2))
    else:
        print(frame.to_string(index=False))


def _cell_argument(args: argparse.Namespace) -> str:
    if args.cell is not None:
        return args.cell
    index = os.environ.get(ARRAY_INDEX_VARIABLE)
    if index is None:
        raise ConfigError(f"'cell' needs a cell id or plan index, or ${ARRAY_INDEX_VARIABLE} in a SLURM job array; "
                          "see the ids with 'crosstune STUDY.toml plan'")
    return index


def cmd_crosstune(args: argparse.Namespace) -> int:
    """Handle ``biasorigins crosstune``; returns the exit code."""
    study = _load(args)
    if args.cell is not None and args.action != "cell":
        raise ConfigError(f"a cell id is only taken by the 'cell' action, not by {args.action!r}")
    if (args.workers != 1 or args.threads is not None) and args.action != "run":
        raise ConfigError(f"--workers and --threads are taken by the 'run' action only, not by {args.action!r}")
    progress = not args.no_progress
    if args.action == "plan":
        study.check_paths()
        plan = study.plan()
        _print_table(plan.drop(columns=["base_model"]) if not args.json else plan, args.json)
        if not args.json:
            print(f"\n{len(plan)} cells ({int((plan['kind'] == 'reference').sum())} reference models); "
                  f"study folder: {study.workdir}")
            print(f"for a SLURM job array: sbatch --array=0-{len(plan) - 1} ... "
                  f"biasorigins crosstune {args.study} cell")
        return 0
    if args.action == "status":
        status = study.status()
        _print_table(status, args.json)
        if not args.json:
            stages = status[["finetune", "evaluate", "mmlu"]]
            finished = int(stages.apply(lambda row: all(v in ("done", "") for v in row), axis=1).sum())
            print(f"\n{finished} of {len(status)} cells finished")
        return 0
    if args.action == "cell":
        cell = study.run_cell(_cell_argument(args), progress=progress)
        print(f"cell {cell.id} ({cell.model}) finished")
        return 0
    analysis = study.run(report=not args.no_report, progress=progress, workers=args.workers, threads=args.threads)
    if analysis is None:  # a non-main process of an accelerate launch
        return 0
    for name, sentence in analysis.summaries().items():
        print(f"{name}: {sentence}")
    for name, reason in analysis.skipped.items():
        print(f"{name}: skipped ({reason})")
    from biasorigins.crosstuning.study import DIAGNOSTICS_FILE, REPORT_FILE, SCORES_FILE
    from biasorigins.diagnostics import positional_summary

    if (sentence := positional_summary(study.diagnostics())) is not None:
        print(f"warning: {sentence} (see {DIAGNOSTICS_FILE})")

    workdir = Path(study.workdir)
    print(f"\nscores: {workdir / SCORES_FILE}")
    if not args.no_report:
        print(f"report: {workdir / REPORT_FILE}")
    return 0
