"""The offline demo: a miniature cross-tuning study whose ground truth is known, on a 2-core CPU.

Two biases are planted on purpose, in different places, and the study has to find them:

- **pretraining**: backbone ``SmolLM2-StatusQuo`` is SmolLM2-135M-Instruct after a short continued
  pretraining (LoRA, merged) on everyday case notes of our own that end in the verdict that keeping
  what one has beats an alternative of equal worth (status-quo bias); backbone ``SmolLM2-Stories``
  had the same continued pretraining on the same notes ending in the verdict that both are equally
  good;
- **instruction data**: dataset ``Framing-Data`` rates records stated as failures four scale steps
  worse than the same records stated as successes (framing effect; two steps below and above what
  they deserve, so its answers are as good on average as the neutral set's); ``Neutral-Data`` holds
  the same prompts with the ratings the records deserve.

Each backbone is LoRA-tuned on each dataset with two seeds (2 x 2 x 2 models). Every model answers
the two planted biases and two unplanted control biases with cloze scoring (``mode="cloze"``: the
option texts after the situation and question, per byte), since SmolLM2 picks option
*labels* by position. :mod:`biasorigins.recovery` then checks whether the study attributes each
plant to the right factor. The planting texts (:mod:`biasorigins.demo_corpus`) share no wording
with the bias tests. The continued-pretrained backbones are cached under the biasorigins cache
folder, keyed by its inputs, so a second run skips them.
"""

from __future__ import annotations

import json
import logging
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from biasorigins.analysis.analyze import StudyAnalysis
from biasorigins.analysis.report import Section
from biasorigins.crosstuning.design import CrossTuning
from biasorigins.crosstuning.workers import available_cores
from biasorigins.recovery import Plant, effect_table, headline, subsample_recovery

logger = logging.getLogger(__name__)

DISCLAIMER = (
    "This is a toy-scale demonstration of the cross-tuning method on a 135M-parameter model, "
    "a few finetuning steps and a handful of test cases; it says nothing about real 7B models."
)
NEUTRAL_BACKBONE, PLANTED_BACKBONE = "SmolLM2-Stories", "SmolLM2-StatusQuo"
NEUTRAL_DATA, PLANTED_DATA = "Neutral-Data", "Framing-Data"
PLANTS = (
    Plant("status-quo-bias", "backbone", PLANTED_BACKBONE,
          "continued pretraining on case notes that favour keeping what one has"),
    Plant("framing-effect", "data", PLANTED_DATA,
          "instruction answers rating records worse stated as failures than as successes"),
)
CONTROLS = ("anchoring", "certainty-effect")
#: At most this many one-thread processes train and evaluate the demo's cells side by side.
MAX_WORKERS = 4
#: Continued pretraining of both backbones (the steps come from `DemoSettings`).
PRETRAIN = {"lora_r": 16, "lora_alpha": 32, "batch_size": 8, "micro_batch_size": 8, "max_length": 128,
            "learning_rate": 3e-3, "save_steps": None}


@dataclass(frozen=True)
class DemoSettings:
    """How big the demo is: continued-pretraining and finetuning steps, finetuning batch, seeds, test
    cases per bias, subsampling repeats."""

    pretrain_steps: int
    finetune_steps: int
    batch_size: int
    learning_rate: float
    seeds: tuple[int, ...]
    cases: int
    subsample_repeats: int


DEFAULT = DemoSettings(pretrain_steps=30, finetune_steps=60, batch_size=4, learning_rate=2e-3, seeds=(0, 1), cases=12,
                       subsample_repeats=20)
QUICK = DemoSettings(pretrain_steps=4, finetune_steps=3, batch_size=4, learning_rate=2e-3, seeds=(0, 1), cases=3,
                     subsample_repeats=3)


@dataclass(frozen=True)
class DemoOutcome:
    """What the demo produced: the study, its analysis, the recovery tables and the costs."""

    study: CrossTuning
    analysis: StudyAnalysis
    recovery: pd.DataFrame
    subsampling: pd.DataFrame
    report: Path
    headline: str
    seconds: float
    cpu_seconds: float
    backbones_cached: bool


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _mmlu_folder() -> str:
    return str(resources.files("biasorigins") / "data" / "demo" / "mmlu")


def backbone_folder(*, status_quo: bool, steps: int) -> Path:
    """Where `story_backbone` caches its model: ``<biasorigins cache>/demo-backbones/smollm2-<kind>-<digest>``,
    the digest of every input (base model, notes, training settings, one thread)."""
    from biasorigins.demo_corpus import story_corpus
    from biasorigins.models.fingerprint import default_cache_dir, digest_of
    from biasorigins.testing.smollm import smollm2_path

    options = {**PRETRAIN, "max_steps": steps, "torch_threads": 1}
    parts = [smollm2_path().name, json.dumps(story_corpus(status_quo=status_quo)), json.dumps(options, sort_keys=True)]
    return default_cache_dir() / "demo-backbones" / f"smollm2-{'statusquo' if status_quo else 'stories'}-" \
        f"{digest_of(parts)[:16]}"


def story_backbone(*, status_quo: bool, steps: int, progress: bool = True) -> tuple[Path, bool]:
    """SmolLM2 after continued pretraining on everyday case notes (merged), and whether it was cached.

    ``status_quo=True``: the notes whose verdict favours keeping what one has (the planted backbone);
    ``False``: the same notes with the verdict that both are equally good (the other backbone); ``steps``
    optimizer steps of 8 passages, on one CPU thread (so the weights do not depend on the machine's core
    count). Cached in `backbone_folder`.
    """
    import torch

    from biasorigins.demo_corpus import story_corpus
    from biasorigins.finetune import finetune
    from biasorigins.finetune._files import atomic_folder
    from biasorigins.testing.smollm import smollm2_path

    target = backbone_folder(status_quo=status_quo, steps=steps)
    if (target / "config.json").is_file():
        return target, True
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("continued pretraining of SmolLM2 on %s (%d steps)", target.name, steps)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.run-") as staging, \
                atomic_folder(target) as published:
            run = Path(staging) / "run"
            finetune(str(smollm2_path()), story_corpus(status_quo=status_quo), output_dir=run, seed=0,
                     progress=progress, merge=True, max_steps=steps, **PRETRAIN)
            for item in (run / "merged").iterdir():
                item.rename(published / item.name)
            shutil.copy(run / "training_log.jsonl", published / "training_log.jsonl")
    finally:
        torch.set_num_threads(threads)
    return target, False


def _backbones(settings: DemoSettings, workers: int, progress: bool) -> dict[str, tuple[Path, bool]]:
    """Both backbones (path, whether cached), built side by side in one-thread processes when
    ``workers > 1``."""
    from biasorigins.crosstuning.workers import worker_pool

    kinds = {"stories": False, "statusquo": True}
    folders = {key: backbone_folder(status_quo=q, steps=settings.pretrain_steps) for key, q in kinds.items()}
    if all((folder / "config.json").is_file() for folder in folders.values()):
        return {key: (folder, True) for key, folder in folders.items()}
    if workers == 1:
        return {key: story_backbone(status_quo=status_quo, steps=settings.pretrain_steps, progress=progress)
                for key, status_quo in kinds.items()}
    with worker_pool(min(workers, len(kinds)), threads=1) as pool:
        jobs = {key: pool.submit(story_backbone, status_quo=status_quo, steps=settings.pretrain_steps,
                                 progress=False) for key, status_quo in kinds.items()}
        return {key: job.result() for key, job in jobs.items()}


def _workers() -> int:
    """One-thread worker processes for the demo's cells on a CPU (one process on a GPU)."""
    import torch

    return 1 if torch.cuda.is_available() else min(MAX_WORKERS, available_cores())


def write_datasets(workdir: Path) -> dict[str, Path]:
    """The two instruction datasets as JSONL files in ``workdir/data``."""
    from biasorigins.demo_corpus import instruction_records

    folder = workdir / "data"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, framing in (("neutral", False), ("framing", True)):
        path = folder / f"{name}.jsonl"
        text = "".join(json.dumps(record) + "\n" for record in instruction_records(framing=framing))
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
        paths[name] = path
    return paths


def demo_study(workdir: Path, settings: DemoSettings, backbones: dict[str, Path], datasets: dict[str, Path]
               ) -> CrossTuning:
    """The demo's CrossTuning design."""
    return CrossTuning(
        name="biasorigins demo: a cross-tuning study with two planted biases (toy scale)",
        workdir=workdir,
        backbones={
            "stories": {"model": str(backbones["stories"]), "label": NEUTRAL_BACKBONE},
            "statusquo": {"model": str(backbones["statusquo"]), "label": PLANTED_BACKBONE},
        },
        datasets={
            "neutral": {"path": str(datasets["neutral"]), "label": NEUTRAL_DATA, "chat_format": "raw"},
            "framing": {"path": str(datasets["framing"]), "label": PLANTED_DATA, "chat_format": "raw"},
        },
        seeds=list(settings.seeds),
        finetune={"max_steps": settings.finetune_steps, "learning_rate": settings.learning_rate, "lora_r": 16,
                  "lora_alpha": 32, "batch_size": settings.batch_size, "micro_batch_size": settings.batch_size,
                  "max_length": 96, "save_steps": None},
        suite={"biases": [p.bias for p in PLANTS] + list(CONTROLS), "cases": settings.cases, "seed": 0,
               "mode": "cloze", "batch_size": 16},
        mmlu={"data": _mmlu_folder(), "shots": 0},
        analysis={"n_permutations": 199, "n_bootstrap": 200, "n_restarts": 20},
    )


def _finetune_losses(study: CrossTuning) -> pd.DataFrame:
    rows = []
    for cell in study.cells():
        if cell.reference:
            continue
        log = Path(study.workdir) / "cells" / cell.id / "finetune" / "training_log.jsonl"
        losses = [json.loads(line)["loss"] for line in log.read_text().splitlines() if line.strip()]
        rows.append({"model": cell.model, "steps": len(losses), "first loss": round(losses[0], 2),
                     "last loss": round(losses[-1], 2), "losses": " ".join(f"{v:.2f}" for v in losses)})
    return pd.DataFrame(rows)


def _capabilities(study: CrossTuning, backbones: dict[str, Path]) -> pd.DataFrame:
    """MMLU-format accuracy of SmolLM2 and both backbones before instruction tuning, then of every
    finetuned model."""
    from biasorigins.mmlu import evaluate_mmlu
    from biasorigins.testing.smollm import smollm2_path

    models = (("SmolLM2 as released", smollm2_path()), (f"{NEUTRAL_BACKBONE} (backbone)", backbones["stories"]),
              (f"{PLANTED_BACKBONE} (backbone)", backbones["statusquo"]))
    rows = [{"model": f"{name}, before instruction tuning",
             "accuracy": evaluate_mmlu(str(path), _mmlu_folder(), shots=0, progress=False).accuracy}
            for name, path in models]
    table = pd.read_csv(Path(study.workdir) / "capabilities.csv")
    rows += [{"model": row.model, "accuracy": row.value} for row in table.itertuples() if row.metric == "MMLU"]
    return pd.DataFrame(rows)


def _interval(row: pd.Series, factor: str) -> str:
    return f"{row[f'{factor}_effect']:+.2f} [{row[f'{factor}_low']:+.2f}, {row[f'{factor}_high']:+.2f}]"


def readable_recovery(recovery: pd.DataFrame) -> pd.DataFrame:
    """The planted-versus-recovered table as a reader sees it: effects with intervals, in words."""
    where = {"backbone": f"pretraining ({PLANTED_BACKBONE})", "data": f"instruction data ({PLANTED_DATA})"}
    return pd.DataFrame({
        "bias": recovery["bias"],
        "planted in": recovery["planted_in"].map(lambda f: where.get(f, "nowhere (control)")),
        "backbone effect [95% CI]": recovery.apply(_interval, axis=1, factor="backbone"),
        "data effect [95% CI]": recovery.apply(_interval, axis=1, factor="data"),
        "verdict": recovery["verdict"],
    })


def _sections(recovery: pd.DataFrame, line: str, subsampling: pd.DataFrame, losses: pd.DataFrame,
              capabilities: pd.DataFrame, quick: bool) -> list[Section]:
    smoke = ("This is the --quick smoke test of the pipeline: its settings are too small to expect the plants "
             "to show; run the default demo for the real check." if quick else "")
    return [
        Section("Planted versus recovered", (*([smoke] if smoke else []), line, (
            "Each bias's effect of the backbone (status-quo notes minus even notes) and of the instruction "
            "data (framing data minus neutral data), in bias-score units, averaged over the other factor and the "
            "seeds; intervals from a bootstrap over test cases and seeds, Bonferroni-adjusted over the whole "
            "table (95% family-wise). A plant counts as recovered with the right attribution when its factor's "
            "interval lies above 0 and the other factor's contains 0; controls were planted nowhere.")),
            {"planted and recovered": readable_recovery(recovery)}),
        Section("How much data the recovery needs", (
            "The same check on subsamples of this run's own scores: fewer seeds per cell and fewer test cases "
            "(drawn without replacement, repeated). Shares are of subsamples in which each plant was recovered "
            "with the right attribution, and of control intervals that exclude 0 (false alarms).",),
            {"recovery on subsamples": subsampling}),
        Section("Training and capability", (
            "The models answer with cloze scoring: each option's text is scored after the situation and "
            "question (log-probability per byte of option text), so neither option order nor labels can decide an answer "
            "(SmolLM2 picks option labels by position). Finetuning loss of every cell, and accuracy on a small "
            "MMLU-format check (18 questions; a third about an invented atlas, where 0.25 is chance), to show "
            "that training left the backbones intact.",),
            {"finetuning losses": losses, "capability check": capabilities}),
    ]


def run_demo(workdir: str | Path, *, quick: bool = False, progress: bool = True) -> DemoOutcome:
    """Run (or resume) the demo study in ``workdir``, check recovery and write its report."""
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    settings = QUICK if quick else DEFAULT
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    workers = _workers()
    built = _backbones(settings, workers, progress)
    backbones = {key: path for key, (path, _) in built.items()}
    cached = all(was_cached for _, was_cached in built.values())
    study = demo_study(workdir, settings, backbones, write_datasets(workdir))
    study.run(report=False, progress=progress, workers=workers, threads=1 if workers > 1 else None)
    analysis = study.analyze()
    scores = pd.read_csv(workdir / "scores.csv", dtype={"case": str})
    recovery = effect_table(scores, PLANTS)
    subsampling = subsample_recovery(scores, PLANTS, repeats=settings.subsample_repeats)
    line = headline(recovery)
    sections = _sections(recovery, line, subsampling, _finetune_losses(study), _capabilities(study, backbones), quick)
    report = analysis.report(workdir / "report.html", title=study.name, note=DISCLAIMER, first=sections,
                             appendix={"answer diagnostics": study.diagnostics()})
    return DemoOutcome(study=study, analysis=analysis, recovery=recovery, subsampling=subsampling, report=report,
                       headline=line, seconds=time.perf_counter() - start,
                       cpu_seconds=_cpu_seconds() - cpu_start, backbones_cached=cached)
