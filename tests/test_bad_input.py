"""Bad input, one row each: the exit code or error type, the words of the one-line message, nothing left behind.

Command rows run ``biasorigins.cli.main`` in this process; call rows call the public API. Every row
names a path that must not exist afterwards (a run folder, an output table...), so a regression that
does the work first and fails late shows at once.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from biasorigins import plugins
from biasorigins.biases.anchoring import Anchoring
from biasorigins.cli import main
from biasorigins.crosstuning.design import CrossTuning
from biasorigins.errors import BiasOriginsError, ConfigError, DataFormatError, ModelLoadError
from biasorigins.finetune import FinetuneConfig, read_instruction_data
from biasorigins.models.loading import load_model
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import FirstOptionResponder

REPO = Path(__file__).resolve().parents[1]
FLAN = REPO / "biasorigins" / "data" / "instructions" / "flan_style.jsonl"


class _Evil:
    """Unpickling this would run a command: the loader must refuse it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory, tiny_causal_dir: Path) -> dict[str, Path]:
    """Damaged model folders and data files, all made from the tiny model and our own data."""
    root = tmp_path_factory.mktemp("bad-input")
    weights = (tiny_causal_dir / "model.safetensors").read_bytes()
    damaged = {"truncated": weights[: len(weights) // 2], "garbage": os.urandom(4096), "empty": b""}
    paths: dict[str, Path] = {"root": root, "model": tiny_causal_dir}
    for name, content in damaged.items():
        shutil.copytree(tiny_causal_dir, root / name)
        (root / name / "model.safetensors").write_bytes(content)
        paths[name] = root / name
    shutil.copytree(tiny_causal_dir, root / "pickled", ignore=shutil.ignore_patterns("*.safetensors"))
    paths["marker"] = root / "PICKLE-RAN"
    (root / "pickled" / "pytorch_model.bin").write_bytes(pickle.dumps(_Evil(paths["marker"])))
    paths["pickled"] = root / "pickled"
    paths["latin1"] = root / "latin1.jsonl"
    paths["latin1"].write_bytes('{"prompt": "Caf\xe9 order?", "completion": "Two."}\n'.encode("latin-1"))
    paths["file"] = root / "a-file.txt"
    paths["file"].write_text("keep me")
    paths["folder"] = root / "a-folder"
    paths["folder"].mkdir()
    study = (f'workdir = "{paths["file"]}"\nseeds = [0]\n[backbones.llama]\nmodel = "{tiny_causal_dir}"\n'
             f'[datasets.flan]\npath = "{FLAN}"\n[finetune]\npreset = "tiny"\n')
    paths["study_workdir_file"] = root / "workdir-file.toml"
    paths["study_workdir_file"].write_text(study)
    paths["study_latin1"] = root / "latin1.toml"
    paths["study_latin1"].write_bytes('name = "Caf\xe9 study"\n'.encode("latin-1"))
    paths["study_missing_model"] = root / "missing-model.toml"
    paths["study_missing_model"].write_text(study.replace(str(tiny_causal_dir), str(root / "no-such-model"))
                                            .replace(str(paths["file"]), str(root / "run")))
    paths["study_bool_seed"] = root / "bool-seed.toml"
    paths["study_bool_seed"].write_text(study.replace("seeds = [0]", "seeds = [true]"))
    return paths


@dataclass(frozen=True)
class Row:
    """One bad input: argv (with ``{name}`` fields filled from the ``bad`` fixture), expected exit
    code, words of the message and a path (template) that must not exist afterwards."""

    argv: str
    words: tuple[str, ...]
    absent: str | None = None
    code: int = 1


COMMAND_ROWS = {
    "truncated safetensors": Row("evaluate {truncated} --out {root}/r1", ("damaged", "model.safetensors", "truncated"),
                                 "{root}/r1"),
    "garbage safetensors": Row("evaluate {garbage} --out {root}/r2", ("damaged", "model.safetensors"), "{root}/r2"),
    "empty safetensors": Row("evaluate {empty} --out {root}/r3", ("damaged", "model.safetensors", "empty"),
                             "{root}/r3"),
    "malicious .bin": Row("evaluate {pickled}", ("refused", "pytorch_model.bin", "could run code"), "{marker}"),
    "--out is a file": Row("evaluate {root}/no-model --out {file}", ("--out", "is a file")),
    "--out under a file": Row("evaluate {root}/no-model --out {file}/sub", ("--out", "a-file.txt is a file")),
    "--store is a folder": Row("evaluate {root}/no-model --store {folder}", ("--store", "is a folder")),
    "finetune --out is a file": Row("finetune {root}/no-model {latin1} --out {file}", ("output_dir", "is a file")),
    "non-UTF-8 data": Row("finetune {model} {latin1} --out {root}/f1", ("latin1.jsonl", "not UTF-8", "0xe9"),
                          "{root}/f1"),
    "data is a folder": Row("finetune {model} {folder} --out {root}/f2", ("is a folder",), "{root}/f2"),
    "negative seed": Row("finetune {model} " + str(FLAN) + " --out {root}/f3 --seed -1",
                         ("seed", "greater than or equal to 0"), "{root}/f3"),
    "lora_r 0": Row("finetune {model} " + str(FLAN) + " --out {root}/f4 --set lora_r=0", ("lora_r", "greater than 0"),
                    "{root}/f4"),
    "study TOML not UTF-8": Row("crosstune {study_latin1} plan", ("latin1.toml", "not UTF-8")),
    "study workdir is a file": Row("crosstune {study_workdir_file} status", ("workdir", "is a file")),
    "missing backbone path": Row("crosstune {study_missing_model} plan", ("backbones.llama.model", "does not exist"),
                                 "{root}/run"),
    "seeds = [true]": Row("crosstune {study_bool_seed} plan", ("seeds", "integers", "True")),
}
if not torch.cuda.is_available():
    COMMAND_ROWS["--device cuda without CUDA"] = Row("evaluate {model} --device cuda --out {root}/r4",
                                                     ("device 'cuda'", "not available"), "{root}/r4")


@pytest.mark.parametrize("row", COMMAND_ROWS.values(), ids=COMMAND_ROWS.keys())
def test_bad_command_line_input(row: Row, bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    argv = [part.format(**bad) for part in row.argv.split()]
    if argv[0] == "evaluate":
        argv += ["--biases", "anchoring", "--cases", "1", "--no-progress"]
    assert main(argv) == row.code
    err = capsys.readouterr().err
    message = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(message) == 1 and "Traceback" not in err, err
    for word in row.words:
        assert word in message[0], message[0]
    if row.absent:
        assert not Path(row.absent.format(**bad)).exists()
    assert bad["file"].read_text() == "keep me"


def test_verbose_shows_the_traceback(bad: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-v", "evaluate", str(bad["truncated"]), "--biases", "anchoring", "--cases", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ModelLoadError" in err and "error: the weights of" in err


def _crosstuning(**changes: object) -> CrossTuning:
    design = {"backbones": {"a": {"model": "org/a"}}, "datasets": {"d": {"path": "org/d"}}, "seeds": [0]}
    return CrossTuning(**{**design, **changes})


CALL_ROWS: dict[str, tuple[Callable[[dict[str, Path]], object], type[BiasOriginsError], tuple[str, ...]]] = {
    "cases=2.5": (lambda _: BiasSuite("anchoring", cases=2.5), ConfigError, ("cases", "integer", "2.5")),
    "seed=1.5": (lambda _: BiasSuite("anchoring", seed=1.5), ConfigError, ("seed", "integer", "1.5")),
    "cases='5'": (lambda _: BiasSuite("anchoring", cases="5"), ConfigError, ("cases", "'5'")),
    "cases=True": (lambda _: BiasSuite("anchoring", cases=True), ConfigError, ("cases", "True")),
    "seed=-1": (lambda _: BiasSuite("anchoring", seed=-1), ConfigError, ("seed", "at least 0")),
    "labels='roman'": (lambda _: BiasSuite("anchoring", labels="roman"), ConfigError, ("labels", "roman")),
    "FinetuneConfig(lora_r=0)": (lambda _: FinetuneConfig(lora_r=0), ConfigError, ("lora_r", "greater than 0")),
    "FinetuneConfig(seed=-1)": (lambda _: FinetuneConfig(seed=-1), ConfigError, ("seed",)),
    "FinetuneConfig(seed=True)": (lambda _: FinetuneConfig(seed=True), ConfigError, ("seed", "True")),
    "FinetuneConfig(epochs=1.5)": (lambda _: FinetuneConfig(epochs=1.5), ConfigError, ("epochs", "1.5")),
    "FinetuneConfig(lora_rr=4)": (lambda _: FinetuneConfig(lora_rr=4), ConfigError, ("lora_rr", "lora_r")),
    "seeds=[True]": (lambda _: _crosstuning(seeds=[True]), ConfigError, ("seeds", "True")),
    "seeds=[0.5]": (lambda _: _crosstuning(seeds=[0.5]), ConfigError, ("seeds", "0.5")),
    "data is a folder": (lambda b: read_instruction_data(b["folder"]), DataFormatError, ("a-folder", "is a folder")),
    "data not UTF-8": (lambda b: read_instruction_data(b["latin1"]), DataFormatError, ("latin1.jsonl", "UTF-8")),
    "empty safetensors": (lambda b: load_model(b["empty"]), ModelLoadError, ("empty", "model.safetensors")),
    "pickle": (lambda b: load_model(b["pickled"]), ModelLoadError, ("refused", "pytorch_model.bin")),
    "workdir is a file": (lambda b: _crosstuning(workdir=b["file"]).status(), ConfigError, ("workdir", "is a file")),
}


@pytest.mark.parametrize("row", CALL_ROWS.values(), ids=CALL_ROWS.keys())
def test_bad_call(row, bad: dict[str, Path]) -> None:
    call, error, words = row
    with pytest.raises(error) as info:
        call(bad)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    assert not bad["marker"].exists()


# ---------------------------------------------------------------------- plugin output at the boundary
class BadScore(Anchoring):
    """Anchoring's cases with a broken scorer that returns ``value``."""

    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value
        self.info = Anchoring.info.model_copy(update={"slug": "bad-score", "title": "Bad Score"})

    def score(self, case, answers):
        return self.value


@pytest.mark.parametrize("value", [7.5, "0.5", np.array([0.1, 0.2]), math.inf, -1.0001, True])
def test_a_bad_score_fails_that_bias_only_and_the_rest_is_written(value: object, tmp_path: Path) -> None:
    suite = BiasSuite([BadScore(value), "framing-effect"], cases=4, seed=1)
    result = suite.run(FirstOptionResponder(), progress=False)
    [error] = result.errors
    assert error.bias == "bad-score" and error.stage == "score"
    assert "BadScore (inline)" in error.message and repr(value) in error.message
    assert list(result.summary["bias"]) == ["framing-effect"]
    written = result.write(tmp_path / "out")
    assert set(pd.read_csv(written["decisions"])["bias"]) == {"bad-score", "framing-effect"}


@pytest.mark.parametrize("value", [None, math.nan, np.float32(0.5), 1, -1])
def test_good_scores_pass_the_boundary(value: object) -> None:
    result = BiasSuite([BadScore(value)], cases=2).run(FirstOptionResponder(), progress=False)
    assert not result.errors


def test_a_raising_plugin_hook_is_disabled_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], caplog) -> None:
    root = tmp_path / "raising"
    (root / "raising_plugin-0.1.0.dist-info").mkdir(parents=True)
    (root / "raising_plugin-0.1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: raising-plugin\n"
                                                                      "Version: 0.1.0\n")
    (root / "raising_plugin-0.1.0.dist-info" / "entry_points.txt").write_text("[biasorigins]\nraising_plugin = "
                                                                              "raising_plugin\n")
    (root / "raising_plugin.py").write_text("from biasorigins import hookimpl\n\n@hookimpl\n"
                                            "def biasorigins_register_biases(register):\n"
                                            "    raise RuntimeError('database unreachable')\n")
    monkeypatch.syspath_prepend(str(root))
    plugins.reset_plugins()
    try:
        with caplog.at_level(logging.WARNING, logger="biasorigins.plugins"):
            assert main(["list"]) == 0
        assert "anchoring" in capsys.readouterr().out
        assert "'raising_plugin' is disabled" in caplog.text and "database unreachable" in caplog.text
    finally:
        plugins.reset_plugins()


# ---------------------------------------------------------------------- outputs are whole or absent
class _Unwritable:
    """Stands in for a table whose writing fails half-way through a set."""

    def copy(self):
        raise OSError("disk full")


def test_a_failed_table_set_leaves_the_previous_files_or_nothing(tmp_path: Path) -> None:
    from biasorigins.tables import write_table_set

    good = pd.DataFrame({"bias": ["anchoring"], "mean": [0.25]})
    fresh = tmp_path / "fresh"
    with pytest.raises(OSError, match="disk full"):
        write_table_set({"summary": good, "decisions": _Unwritable()}, fresh)
    assert not fresh.exists() and list(tmp_path.iterdir()) == []

    kept = tmp_path / "kept"
    first = write_table_set({"summary": good, "decisions": good}, kept)
    before = {path.name: path.read_bytes() for path in kept.iterdir()}
    with pytest.raises(OSError, match="disk full"):
        write_table_set({"summary": good.assign(mean=0.5), "decisions": _Unwritable()}, kept)
    assert {path.name: path.read_bytes() for path in kept.iterdir()} == before
    assert sorted(first) == ["decisions", "summary"]
