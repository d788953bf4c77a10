"""CrossTuning: design validation, TOML files, plan and status, the study runner, kill-and-restart, the command."""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from biasorigins.crosstuning.command import add_crosstune_parser
from biasorigins.crosstuning.design import CrossTuning
from biasorigins.analysis.scores import StudyScores
from biasorigins.crosstuning.study import SCORE_COLUMNS, StudyFolder
from biasorigins.diagnostics import DIAGNOSTIC_COLUMNS, diagnostics_html, positional_summary
from biasorigins.errors import BiasOriginsError, ConfigError

REPO = Path(__file__).resolve().parents[1]
INSTRUCTIONS = REPO / "biasorigins" / "data" / "instructions"
PAPER_STUDY = REPO / "examples" / "paper_study.toml"
BIASES = ["anchoring", "framing-effect", "loss-aversion"]
CASES = 4
STEPS = 4


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, tiny_causal_dir: Path, tiny_t5_dir: Path) -> dict[str, Path]:
    from biasorigins.testing.tiny_models import build_tiny_causal_lm

    folder = tmp_path_factory.mktemp("study-models")
    return {
        "llama": tiny_causal_dir,
        "olmo": build_tiny_causal_lm(folder / "olmo", arch="olmo", seed=1),
        "mistral": build_tiny_causal_lm(folder / "mistral", arch="mistral", seed=2),
        "t5": tiny_t5_dir,
    }


@pytest.fixture(scope="module")
def mmlu_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A miniature MMLU folder (standard layout, our own questions): two subjects, 2 dev + 3 test each."""
    folder = tmp_path_factory.mktemp("mmlu")
    questions = {
        "office_arithmetic": [("What is 3 + 4?", "6", "7", "8", "9", "B"),
                              ("What is 10 - 6?", "4", "3", "5", "16", "A"),
                              ("What is 2 x 5?", "7", "25", "10", "12", "C"),
                              ("What is 9 + 9?", "18", "99", "0", "19", "A"),
                              ("What is 8 / 2?", "2", "16", "6", "4", "D")],
        "workplace_facts": [("How many days are in a week?", "5", "7", "10", "12", "B"),
                            ("Which is a writing tool?", "Pen", "Cup", "Chair", "Lamp", "A"),
                            ("How many hours are in a day?", "12", "20", "24", "30", "C"),
                            ("Which month follows May?", "April", "July", "March", "June", "D"),
                            ("Which colour is a clear sky at noon?", "Blue", "Red", "Black", "Brown", "A")],
    }
    for split, rows in (("dev", slice(0, 2)), ("test", slice(2, 5))):
        (folder / split).mkdir()
        for subject, items in questions.items():
            lines = [",".join(item) for item in items[rows]]
            (folder / split / f"{subject}_{split}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def study_toml(models: dict[str, Path], *, workdir: str, backbones: tuple[str, ...] = ("llama", "olmo"),
               seeds: str = "[0, 1]", mmlu: Path | None = None) -> str:
    """A tiny study: backbones x {flan, tulu} x seeds, a Mistral reference, few steps and cases."""
    labels = {"llama": "Llama", "olmo": "OLMo", "t5": "T5"}
    parts = [f'name = "Tiny study"\nworkdir = "{workdir}"\nseeds = {seeds}\n']
    for key in backbones:
        parts.append(f'[backbones.{key}]\nmodel = "{models[key]}"\nlabel = "{labels[key]}"\n')
    parts.append(
        f'[datasets.flan]\npath = "{INSTRUCTIONS / "flan_style.jsonl"}"\nlabel = "Flan"\nchat_format = "raw"\n\n'
        f'[datasets.tulu]\npath = "{INSTRUCTIONS / "chat_style.jsonl"}"\nlabel = "Tulu"\nchat_format = "tulu"\n\n'
        f'[references.mistral]\nmodel = "{models["mistral"]}"\nname = "Mistral-Tulu"\nbackbone = "mistral"\n'
        f'data = "tulu"\n\n'
        f'[finetune]\npreset = "tiny"\nmax_steps = {STEPS}\nsave_steps = 2\n\n'
        f'[suite]\nbiases = {json.dumps(BIASES)}\ncases = {CASES}\nbatch_size = 8\nreversal_probe = 2\n\n'
        '[analysis]\nn_permutations = 49\nn_bootstrap = 30\nn_restarts = 5\n'
    )
    if mmlu is not None:
        parts.append(f'[mmlu]\ndata = "{mmlu}"\nshots = 1\n')
    return "\n".join(parts)


def write_study(folder: Path, text: str, name: str = "study.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory, models: dict[str, Path], mmlu_dir: Path
             ) -> tuple[CrossTuning, object, float]:
    """The tiny study (with MMLU) run start to end without interruption: (design, analysis, seconds)."""
    folder = tmp_path_factory.mktemp("finished")
    study = CrossTuning.from_toml(write_study(folder, study_toml(models, workdir="run", mmlu=mmlu_dir)))
    started = time.perf_counter()
    analysis = study.run(progress=False)
    return study, analysis, time.perf_counter() - started


def crosstune(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="biasorigins")
    add_crosstune_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["crosstune", *argv])
    return args.func(args)


def design(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "backbones": {"olmo": {"model": "org/olmo", "label": "OLMo", "finetune": {"preset": "olmo-paper"}},
                      "t5": {"model": "org/t5", "label": "T5", "mmlu_shots": 5, "chat_format": "tulu",
                             "finetune": {"preset": "t5-paper", "learning_rate": 3e-4}}},
        "datasets": {"flan": {"path": "org/flan", "label": "Flan", "chat_format": "raw"},
                     "tulu": {"path": "org/tulu", "label": "Tulu"}},
        "seeds": [0, 1],
        "references": {"olmo-sft": {"model": "org/olmo-sft", "name": "OLMo-SFT", "backbone": "olmo",
                                    "data": "tulu", "chat_format": "model"}},
        "finetune": {"max_steps": 7},
        "suite": {"biases": BIASES, "cases": 3},
        "mmlu": {"data": "cais/mmlu", "shots": 0},
    }
    base.update(changes)
    return base


# ---------------------------------------------------------------------- design
def test_design_plans_cells_with_labels_formats_and_recipes() -> None:
    study = CrossTuning(**design())
    plan = study.plan()
    assert plan["cell"].tolist() == [
        "olmo-flan-s0", "olmo-flan-s1", "olmo-tulu-s0", "olmo-tulu-s1",
        "t5-flan-s0", "t5-flan-s1", "t5-tulu-s0", "t5-tulu-s1", "ref-olmo-sft",
    ]
    assert plan["model"].tolist()[:2] == ["OLMo-Flan-Seed-0", "OLMo-Flan-Seed-1"]
    assert plan["model"].iloc[-1] == "OLMo-SFT"
    assert plan["kind"].tolist() == ["finetuned"] * 8 + ["reference"]
    # chat format: the dataset's, else the backbone's, else raw; the reference's own
    formats = dict(zip(plan["cell"], plan["chat_format"]))
    assert formats["olmo-flan-s0"] == "raw" and formats["olmo-tulu-s0"] == "raw"
    assert formats["t5-flan-s0"] == "raw" and formats["t5-tulu-s0"] == "tulu"
    assert formats["ref-olmo-sft"] == "model"
    shots = dict(zip(plan["cell"], plan["mmlu_shots"]))
    assert shots["olmo-flan-s0"] == 0 and shots["t5-tulu-s1"] == 5 and shots["ref-olmo-sft"] == 0
    assert plan["stages"].iloc[0] == "finetune > evaluate > mmlu"
    assert plan["stages"].iloc[-1] == "evaluate > mmlu"
    # recipe: backbone preset, then study settings, then backbone settings; data format; cell seed
    t5 = study.finetune_config("t5", "tulu", seed=1)
    assert (t5.learning_rate, t5.batch_size, t5.max_steps, t5.seed) == (3e-4, 64, 7, 1)
    olmo = study.finetune_config("olmo", "flan", seed=0)
    assert (olmo.learning_rate, olmo.batch_size, olmo.max_steps) == (2e-5, 128, 7)
    assert study.cell(8).id == "ref-olmo-sft" and study.cell("3").id == "olmo-tulu-s1"
    with pytest.raises(ConfigError, match="unknown cell 'olmo-flan-0'; did you mean 'olmo-flan-s0'"):
        study.cell("olmo-flan-0")
    with pytest.raises(ConfigError, match="out of range"):
        study.cell(9)


def test_stage_fingerprints_follow_the_inputs() -> None:
    study = CrossTuning(**design())
    cell = study.cell("t5-flan-s0")
    more_cases = CrossTuning(**design(suite={"biases": BIASES, "cases": 4}))
    assert study.stage_fingerprint(cell, "finetune") == more_cases.stage_fingerprint(cell, "finetune")
    assert study.stage_fingerprint(cell, "evaluate") != more_cases.stage_fingerprint(cell, "evaluate")
    faster = CrossTuning(**design(suite={"biases": BIASES, "cases": 3, "batch_size": 64}))
    assert study.stage_fingerprint(cell, "evaluate") == faster.stage_fingerprint(cell, "evaluate")
    longer = CrossTuning(**design(finetune={"max_steps": 8}))
    assert study.stage_fingerprint(cell, "finetune") != longer.stage_fingerprint(cell, "finetune")
    assert study.stage_fingerprint(cell, "mmlu") != longer.stage_fingerprint(cell, "mmlu")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seeds": [0, 0]}, r"seeds: seeds listed more than once: \[0\]"),
        ({"seeds": [-1]}, "seeds: seeds must be non-negative"),
        ({"backbones": {}}, "backbones: "),
        ({"suite": {"biases": ["anchorin"]}}, "suite.biases: unknown bias 'anchorin'.*anchoring"),
        ({"suite": {"biases": 3}}, "suite.biases: give 'all', a preset name"),
        ({"suite": {"cases": 0}}, "suite.cases: Input should be greater than or equal to 1"),
        ({"suite": {"sead": 1}}, "suite.sead: unknown key; did you mean 'seed'"),
        ({"sedes": [1]}, "sedes: unknown key; did you mean 'seeds'"),
        ({"backbones": {"a b": {"model": "m"}}}, "backbones.a b: key 'a b' may hold only"),
        ({"backbones": {"a": {"modl": "m"}}}, "backbones.a.model: required key is missing"),
        ({"backbones": {"a": {"model": "m", "finetune": {"lerning_rate": 1}}}},
         "backbones.a.finetune.lerning_rate: unknown finetune setting.*did you mean 'learning_rate'"),
        ({"backbones": {"a": {"model": "m", "finetune": {"learning_rate": -1}}}},
         "backbones.a.finetune: invalid finetune config: learning_rate"),
        ({"backbones": {"a": {"model": "m", "finetune": {"seed": 3}}}}, "backbones.a.finetune.seed: the seed of each"),
        ({"finetune": {"preset": "olmo"}}, "finetune.preset: unknown finetune preset 'olmo'"),
        ({"finetune": {"batch_size": 10, "micro_batch_size": 4}}, "finetune: invalid finetune config: .*multiple"),
        ({"datasets": {"flan": {"path": "x", "format": "chat"}}}, "datasets.flan.format: Input should be"),
        ({"references": {"x": {"model": "m", "backbone": "olmo"}}}, "references.x.data: required key is missing"),
        ({"references": {"x": {"model": "m", "name": "OLMo-Flan-Seed-0", "backbone": "b", "data": "d"}}},
         r"two models share the name \['OLMo-Flan-Seed-0'\]"),
        ({"backbones": {"a-b": {"model": "m"}, "a": {"model": "m"}},
          "datasets": {"c": {"path": "x"}, "b-c": {"path": "y"}}}, "two cells get the same id"),
    ],
)
def test_design_errors_name_the_key(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CrossTuning(**design(**changes))


def test_toml_errors_name_file_line_and_key(tmp_path: Path, models: dict[str, Path]) -> None:
    typo = "finetune = { lerning_rate = 0.1 }"
    text = study_toml(models, workdir="w").replace('label = "OLMo"', f'label = "OLMo"\n{typo}')
    path = write_study(tmp_path, text, "typo.toml")
    line = 1 + text.splitlines().index(typo)
    with pytest.raises(ConfigError) as error:
        CrossTuning.from_toml(path)
    assert f"typo.toml, line {line}: backbones.olmo.finetune.lerning_rate" in str(error.value)
    assert "did you mean 'learning_rate'" in str(error.value)

    write_study(tmp_path, "seeds = [0, 1]\nname = \n", "broken.toml")
    with pytest.raises(ConfigError, match=r"broken.toml: not valid TOML: .*line 2"):
        CrossTuning.from_toml(tmp_path / "broken.toml")
    with pytest.raises(ConfigError, match="cannot read study file"):
        CrossTuning.from_toml(tmp_path / "missing.toml")


def test_toml_paths_are_relative_to_the_file_and_round_trip(tmp_path: Path, models: dict[str, Path]) -> None:
    shutil.copytree(models["llama"], tmp_path / "models" / "llama")
    shutil.copy(INSTRUCTIONS / "flan_style.jsonl", tmp_path / "flan.jsonl")
    text = ('seeds = [3]\n[backbones.llama]\nmodel = "./models/llama"\n'
            '[backbones.hub]\nmodel = "org/model"\n[datasets.flan]\npath = "flan.jsonl"\n'
            '[suite]\nbiases = "paper32"\n')
    study = CrossTuning.from_toml(write_study(tmp_path / "conf", text, "mine.toml").rename(tmp_path / "mine.toml"))
    assert study.backbones["llama"].model == str(tmp_path / "models" / "llama")
    assert study.backbones["hub"].model == "org/model"
    assert study.datasets["flan"].path == str(tmp_path / "flan.jsonl")
    assert study.workdir == tmp_path / "mine"
    study.to_toml(tmp_path / "copy.toml")
    assert CrossTuning.from_toml(tmp_path / "copy.toml") == study


def test_paper_study_validates_and_plans_offline(capsys: pytest.CaptureFixture[str]) -> None:
    study = CrossTuning.from_toml(PAPER_STUDY)
    plan = study.plan()
    assert len(plan) == 14 and (plan["kind"] == "reference").sum() == 2
    assert set(plan.loc[plan["kind"] == "finetuned", "model"]) == {
        f"{b}-{d}-Seed-{s}" for b in ("OLMo", "T5") for d in ("Flan", "Tulu") for s in range(3)
    }
    assert set(plan.loc[plan["kind"] == "reference", "model"]) == {"OLMo-SFT", "Flan-T5"}
    models = study.cells()
    refs = {c.model: (c.backbone, c.data, c.chat_format, c.mmlu_shots) for c in models if c.reference}
    assert refs == {"OLMo-SFT": ("OLMo", "Tulu", "model", 0), "Flan-T5": ("T5", "Flan", "raw", 5)}
    shots = {(c.backbone, c.data): (c.mmlu_shots, c.chat_format) for c in models if not c.reference}
    assert shots == {("OLMo", "Flan"): (0, "raw"), ("OLMo", "Tulu"): (0, "tulu"),
                     ("T5", "Flan"): (5, "raw"), ("T5", "Tulu"): (5, "tulu")}
    olmo = study.finetune_config("olmo", "tulu", seed=2)
    t5 = study.finetune_config("t5", "flan", seed=0)
    assert (olmo.lora_r, olmo.lora_alpha, olmo.learning_rate, olmo.batch_size, olmo.epochs) == (128, 256, 2e-5, 128, 3)
    assert (t5.learning_rate, t5.batch_size, t5.max_source_length, t5.max_target_length) == (1e-4, 64, 1024, 256)
    assert study.suite.biases == "paper32"
    assert crosstune(str(PAPER_STUDY), "plan") == 0
    out = capsys.readouterr().out
    assert "olmo-flan-s0" in out and "ref-flan-t5" in out and "--array=0-13" in out
    code = ("import sys; from biasorigins.crosstuning.design import CrossTuning; "
            "CrossTuning.from_toml(sys.argv[1]).plan(); print(sorted({'torch', 'transformers'} & set(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code, str(PAPER_STUDY)], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", "planning a study must not import torch or transformers"


# ---------------------------------------------------------------------- running
def test_end_to_end_run_writes_scores_and_report(finished: tuple[CrossTuning, object, float]) -> None:
    study, analysis, seconds = finished
    workdir = Path(study.workdir)
    status = study.status()
    assert (status[["finetune", "evaluate", "mmlu"]].iloc[:8] == "done").all().all()
    assert status["evaluate"].iloc[8] == "done" and status["mmlu"].iloc[8] == "done"
    assert status["finetune"].iloc[8] == ""
    capabilities = pd.read_csv(workdir / "capabilities.csv")
    assert len(capabilities) == 9 and set(capabilities["metric"]) == {"MMLU"}
    assert capabilities["value"].between(0, 1).all()
    mmlu = pd.read_csv(workdir / "cells" / "olmo-tulu-s1" / "mmlu.csv")
    assert len(mmlu) == 6 and (mmlu["shots"] == 1).all()
    scores = pd.read_csv(workdir / "scores.csv")
    assert list(scores.columns) == SCORE_COLUMNS
    assert len(scores) == 9 * len(BIASES) * CASES
    assert not scores.duplicated(["model", "bias", "case"]).any()
    assert scores["score"].notna().all()
    assert set(scores["backbone"]) == {"Llama", "OLMo", "mistral"} and set(scores["data"]) == {"Flan", "Tulu"}
    assert scores.loc[scores["reference"], "seed"].isna().all()
    assert (workdir / "report.html").stat().st_size > 10_000 and (workdir / "report.md").is_file()
    assert len(list((workdir / "report_figures").glob("*.png"))) >= 3
    assert "clustering (bias level)" in analysis.results() and analysis.randomness is not None
    assert analysis.attribution is not None
    assert (workdir / "study.toml").is_file() and CrossTuning.open(workdir).cells() == study.cells()
    for cell in study.cells()[:8]:
        log = (workdir / "cells" / cell.id / "finetune" / "training_log.jsonl").read_text().splitlines()
        assert [json.loads(line)["step"] for line in log] == list(range(1, STEPS + 1))
    # option scores are stored as JSON lists, one number per option, as SuiteResult.write stores them
    decisions = pd.read_csv(workdir / "cells" / study.cells()[0].id / "decisions.csv")
    options = decisions["option_scores"].map(json.loads)
    assert all(isinstance(v, list) and len(v) >= 2 and all(isinstance(x, float) for x in v) for v in options)
    # a StudyScores of the finished study feeds every analysis
    table = study.scores()
    assert isinstance(table, StudyScores) and len(table.models) == 9 and table.has_cases
    assert table.capabilities["MMLU"].to_dict() == capabilities.set_index("model")["value"].to_dict()
    assert "MMLU_seed_mean" in analysis.randomness.groups.columns
    # every model's answer diagnostics, per cell and for the study
    diagnostics = study.diagnostics()
    assert list(diagnostics.columns) == DIAGNOSTIC_COLUMNS and set(diagnostics["model"]) == set(scores["model"])
    assert len(diagnostics) == 9 * (len(BIASES) + 1)
    pd.testing.assert_frame_equal(pd.read_csv(workdir / "diagnostics.csv", keep_default_na=False,
                                              na_values={c: [""] for c in DIAGNOSTIC_COLUMNS}), diagnostics,
                                  check_dtype=False)
    assert "answer-diagnostics" in diagnostics_html(diagnostics)
    sentence = positional_summary(diagnostics)  # tiny random models answer by position
    assert sentence is not None and html.escape(sentence) in (workdir / "report.html").read_text()
    assert "Answer diagnostics per model" in (workdir / "report.md").read_text()  # the appendix table
    # about 60 s on a quiet 2-core machine; the bound leaves room for a loaded CI runner
    assert seconds < 240, f"the tiny study took {seconds:.0f} s"


def test_rerun_skips_finished_work(finished: tuple[CrossTuning, object, float],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    study, analysis, _ = finished
    workdir = Path(study.workdir)
    markers = {p: p.stat().st_mtime_ns for p in workdir.glob("cells/*/*.done.json")}
    assert len(markers) == 8 * 3 + 2
    started = time.perf_counter()
    again = study.run(report=False, progress=False)
    assert time.perf_counter() - started < 15
    assert {p: p.stat().st_mtime_ns for p in workdir.glob("cells/*/*.done.json")} == markers
    assert again.summaries() == analysis.summaries()
    assert crosstune(str(workdir), "run", "--no-report", "--no-progress") == 0
    out = capsys.readouterr().out
    assert analysis.summaries()["attribution"] in out and f"scores: {workdir / 'scores.csv'}" in out
    sentence = positional_summary(study.diagnostics())  # tiny random models answer by position
    assert sentence is not None and f"warning: {sentence}" in out
    assert {p: p.stat().st_mtime_ns for p in workdir.glob("cells/*/*.done.json")} == markers


def test_a_changed_design_redoes_evaluation_and_refuses_to_retrain(
    finished: tuple[CrossTuning, object, float], tmp_path: Path
) -> None:
    study, _, _ = finished
    copy = tmp_path / "copy"
    shutil.copytree(study.workdir, copy)
    suite = study.suite.model_copy(update={"cases": CASES + 1})
    more_cases = study.model_copy(update={"workdir": copy, "suite": suite})
    status = more_cases.status()
    assert (status["finetune"].iloc[:8] == "done").all() and (status["evaluate"] == "stale").all()
    assert (status["mmlu"] == "done").all()
    retrained = study.model_copy(update={"workdir": copy, "seeds": (0, 1),
                                         "finetune": study.finetune.model_copy(update={"max_steps": STEPS + 1})})
    assert (retrained.status()["finetune"].iloc[:8] == "stale").all()
    with pytest.raises(ConfigError, match="was finetuned with another recipe.*delete"):
        retrained.run(progress=False)


def test_generate_mode_answers_by_generating_text(finished: tuple[CrossTuning, object, float], tmp_path: Path) -> None:
    """Switching the suite to generate-and-parse re-evaluates on the same adapters, keeping the texts."""
    study, _, _ = finished
    copy = tmp_path / "copy"
    shutil.copytree(study.workdir, copy)
    suite = study.suite.model_copy(update={"mode": "generate", "max_new_tokens": 4})
    generating = study.model_copy(update={"workdir": copy, "suite": suite})
    cell = generating.cells()[0]
    assert generating.status().set_index("cell").loc[cell.id, "evaluate"] == "stale"
    generating.run_cell(cell.id, progress=False)
    decisions = pd.read_csv(copy / "cells" / cell.id / "decisions.csv")
    assert len(decisions) == len(BIASES) * CASES * 2
    assert decisions["text"].notna().all() and decisions["option_scores"].isna().all()
    marker = json.loads((copy / "cells" / cell.id / "evaluate.done.json").read_text())
    assert marker["prompts"] == len(decisions)


def run_until_killed(path: Path, marker: str, count: int) -> None:
    """Run the study in a subprocess and SIGKILL it once ``count`` stage markers named ``marker`` exist."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    code = ("import sys; from biasorigins.crosstuning.design import CrossTuning; "
            "CrossTuning.from_toml(sys.argv[1]).run(progress=False)")
    process = subprocess.Popen([sys.executable, "-c", code, str(path)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cells = path.parent / "run" / "cells"
    deadline = time.monotonic() + 180
    while len(list(cells.glob(f"*/{marker}"))) < count and process.poll() is None:
        assert time.monotonic() < deadline, "the study subprocess made no progress"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, stderr.decode()[-2000:]


def test_kill_and_restart_gives_identical_results(
    finished: tuple[CrossTuning, object, float], models: dict[str, Path], mmlu_dir: Path, tmp_path: Path
) -> None:
    from biasorigins.store import DecisionStore

    reference, reference_analysis, _ = finished
    path = write_study(tmp_path, study_toml(models, workdir="run", mmlu=mmlu_dir))
    study = CrossTuning.from_toml(path)
    run_until_killed(path, "finetune.done.json", 3)  # killed while finetuning
    status = study.status()
    assert 3 <= (status["finetune"] == "done").sum() < 8 and (status["evaluate"] == "todo").all()
    run_until_killed(path, "evaluate.done.json", 1)  # killed while evaluating
    status = study.status()
    assert (status["finetune"].iloc[:8] == "done").all() and 1 <= (status["evaluate"] == "done").sum() < 9

    analysis = study.run(report=False, progress=False)
    assert (study.status()[["evaluate", "mmlu"]] == "done").all().all()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "run" / "scores.csv"),
                                  pd.read_csv(Path(reference.workdir) / "scores.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "run" / "capabilities.csv"),
                                  pd.read_csv(Path(reference.workdir) / "capabilities.csv"))
    assert analysis.summaries() == reference_analysis.summaries()
    cells = tmp_path / "run" / "cells"
    suite = study.suite.build()
    probes = sum(len(suite.probe_prompts(bias)) for bias in suite.biases)  # the display-reversed twins
    for cell in study.cells():  # nothing twice: training steps, stored answers, stage markers
        if not cell.reference:
            log = (cells / cell.id / "finetune" / "training_log.jsonl").read_text().splitlines()
            assert [json.loads(line)["step"] for line in log] == list(range(1, STEPS + 1))
        with DecisionStore(cells / cell.id / "decisions.sqlite") as store:
            assert store.integrity_ok()
            assert store.count() == len(pd.read_csv(cells / cell.id / "decisions.csv")) + probes
        assert len(list((cells / cell.id).glob("*.done.json"))) == len(cell.stages)


def test_one_cell_per_process_and_busy_cells(
    tmp_path: Path, models: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_study(tmp_path, study_toml(models, workdir="run", backbones=("t5",), seeds="[5]"))
    study = CrossTuning.from_toml(path)
    assert study.plan()["cell"].tolist() == ["t5-flan-s5", "t5-tulu-s5", "ref-mistral"]
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "1")
    assert crosstune(str(path), "cell", "--no-progress") == 0
    assert "cell t5-tulu-s5 (T5-Tulu-Seed-5) finished" in capsys.readouterr().out
    status = study.status().set_index("cell")
    assert status.loc["t5-tulu-s5", "finetune"] == "done" and status.loc["t5-tulu-s5", "evaluate"] == "done"
    assert status.loc["t5-flan-s5", "finetune"] == "todo" and status.loc["ref-mistral", "evaluate"] == "todo"
    scores = pd.read_csv(tmp_path / "run" / "cells" / "t5-tulu-s5" / "scores.csv")
    assert len(scores) == len(BIASES) * CASES and set(scores["model"]) == {"T5-Tulu-Seed-5"}

    folder = StudyFolder(tmp_path / "run")
    with folder.hold(study.cell("ref-mistral")):
        assert study.status().set_index("cell").loc["ref-mistral", "evaluate"] == "running"
        with pytest.raises(BiasOriginsError, match="being run by another process"):
            study.run_cell("ref-mistral", progress=False)
    with pytest.raises(ConfigError, match="cells .* are not evaluated yet"):
        study.scores()
    assert crosstune(str(tmp_path / "run"), "status") == 0
    assert "1 of 3 cells finished" in capsys.readouterr().out


@pytest.mark.slow
def test_workers_give_the_sequential_results_and_leave_held_cells(
    finished: tuple[CrossTuning, object, float], models: dict[str, Path], mmlu_dir: Path, tmp_path: Path
) -> None:
    reference, reference_analysis, _ = finished
    path = write_study(tmp_path, study_toml(models, workdir="run", mmlu=mmlu_dir))
    study = CrossTuning.from_toml(path)
    with StudyFolder(tmp_path / "run").hold(study.cell("ref-mistral")):
        with pytest.raises(BiasOriginsError, match=r"1 cell\(s\) are not finished: \['ref-mistral'\]"):
            crosstune(str(path), "run", "--workers", "2", "--threads", "1", "--no-progress", "--no-report")
    status = study.status().set_index("cell")
    assert status.drop(index="ref-mistral")[["finetune", "evaluate", "mmlu"]].isin(["done", ""]).all().all()
    assert status.loc["ref-mistral", "evaluate"] == "todo"
    analysis = study.run(report=False, progress=False, workers=2)
    for name in ("scores.csv", "capabilities.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "run" / name),
                                      pd.read_csv(Path(reference.workdir) / name))
    assert analysis.summaries() == reference_analysis.summaries()


def test_an_error_in_a_worker_reaches_the_caller(tmp_path: Path, models: dict[str, Path]) -> None:
    from biasorigins.errors import DataFormatError

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prompt": "Say hi.", "completion": "hi"}\n{"prompt": 3}\n', encoding="utf-8")
    text = study_toml(models, workdir="run", seeds="[0]").replace(str(INSTRUCTIONS / "flan_style.jsonl"), str(broken))
    study = CrossTuning.from_toml(write_study(tmp_path, text))
    with pytest.raises(DataFormatError, match="broken.jsonl"):
        study.run(progress=False, workers=2)
    with pytest.raises(ConfigError, match="workers must be a positive integer"):
        study.run(progress=False, workers=0)
    with pytest.raises(ConfigError, match="threads sets the CPU threads of worker processes"):
        study.run(progress=False, threads=2)
    with pytest.raises(ConfigError, match="taken by the 'run' action only"):
        crosstune(str(tmp_path / "study.toml"), "status", "--workers", "2")


def test_command_errors(tmp_path: Path, models: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_study(tmp_path, study_toml(models, workdir="run"))
    monkeypatch.delenv("SLURM_ARRAY_TASK_ID", raising=False)
    with pytest.raises(ConfigError, match="needs a cell id or plan index"):
        crosstune(str(path), "cell")
    with pytest.raises(ConfigError, match="only taken by the 'cell' action"):
        crosstune(str(path), "status", "llama-flan-s0")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="not a study folder"):
        crosstune(str(tmp_path / "empty"), "status")
    text = study_toml(models, workdir="run2").replace("flan_style.jsonl", "nope.jsonl")
    missing = write_study(tmp_path, text, "m.toml")
    with pytest.raises(ConfigError, match="datasets.flan.path: the instruction data file .*nope.jsonl does not exist"):
        CrossTuning.from_toml(missing).run(progress=False)


def test_from_scores_reads_tables_made_elsewhere() -> None:
    wide = pd.DataFrame({"bias": ["Anchoring", "Framing"], "OLMo-Flan-Seed-0": [0.1, 0.2],
                         "OLMo-Flan-Seed-1": [0.0, 0.3], "OLMo-SFT": [0.2, 0.1]})
    scores = CrossTuning.from_scores(wide)
    assert isinstance(scores, StudyScores)
    assert scores.models.set_index("model").loc["OLMo-SFT", "reference"]
    assert scores.biases == ["Anchoring", "Framing"]


@pytest.mark.slow
def test_a_cell_under_a_two_process_launch(tmp_path: Path, models: dict[str, Path]) -> None:
    """Both processes finetune together (data parallel); the main one alone evaluates."""
    path = write_study(tmp_path, study_toml(models, workdir="run", backbones=("llama",), seeds="[0]"))
    code = ("import sys; from biasorigins.crosstuning.design import CrossTuning; "
            "CrossTuning.from_toml(sys.argv[1]).run_cell(sys.argv[2], progress=False)")
    script = tmp_path / "cell.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               str(script), str(path), "llama-tulu-s0"]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    cell = tmp_path / "run" / "cells" / "llama-tulu-s0"
    assert json.loads((cell / "finetune" / "run.json").read_text())["processes"] == 2
    status = CrossTuning.from_toml(path).status().set_index("cell")
    assert status.loc["llama-tulu-s0", "finetune"] == "done" and status.loc["llama-tulu-s0", "evaluate"] == "done"
    assert len(pd.read_csv(cell / "scores.csv")) == len(BIASES) * CASES
