"""Fingerprints are the same in every process, so stored answers of adapters are reused on resume."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from enum import Enum
from pathlib import Path, PurePosixPath

import pytest
import torch
from peft import LoraConfig, TaskType, get_peft_model
from transformers import AutoModelForCausalLM

from biasorigins.models.fingerprint import canonical, canonical_json

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class Colour(str, Enum):
    RED = "red"


def test_canonical_sorts_sets_normalises_paths_and_keeps_floats_exact():
    value = {"targets": {"b", "a", "c"}, "path": Path("x/./y/../z"), "nested": ({"k"}, Colour.RED),
             "x": 0.1 + 0.2, 2: None}
    assert canonical(value) == {"targets": ["a", "b", "c"], "path": "x/z", "nested": [["k"], "red"],
                                "x": 0.30000000000000004, "2": None}
    assert canonical_json({"a": frozenset({3, 1, 2})}) == canonical_json({"a": [1, 2, 3]})
    assert canonical(PurePosixPath("a//b/")) == "a/b"
    assert json.loads(canonical_json({"f": 1e-17}))["f"] == 1e-17  # exact round trip
    assert canonical_json({"f": 0.1}) != canonical_json({"f": 0.1000000000000001})


_HASHER = textwrap.dedent(
    """
    import json, sys
    from biasorigins.crosstuning.design import _digest
    from biasorigins.models.hf import HFRunner
    from biasorigins.models.generation import GenerationRunner
    from biasorigins.store import RunnerKey

    base, adapter = sys.argv[1], sys.argv[2]
    runner = HFRunner(base, adapter=adapter)
    generator = GenerationRunner(runner.loaded, stop=["\\n\\n", "Question:"])
    print(json.dumps({
        "model": runner.model_fingerprint, "runner": runner.fingerprint,
        "key": RunnerKey.of(runner).settings_key, "generation": generator.fingerprint,
        "design": _digest({"targets": set(sys.argv[3].split(",")), "path": sys.argv[1]}),
    }))
    """
)


@pytest.fixture(scope="module")
def adapter_dir(tiny_causal_dir, tmp_path_factory) -> Path:
    """A LoRA adapter with several target modules: peft keeps them as a set."""
    torch.manual_seed(3)
    model = AutoModelForCausalLM.from_pretrained(tiny_causal_dir)
    config = LoraConfig(r=2, lora_alpha=4, target_modules=TARGETS, task_type=TaskType.CAUSAL_LM,
                        init_lora_weights=False)
    peft = get_peft_model(model, config)
    assert isinstance(peft.peft_config["default"].target_modules, set)
    folder = tmp_path_factory.mktemp("adapter") / "tuned"
    peft.save_pretrained(folder)
    return folder


def test_adapter_model_and_runner_fingerprints_agree_across_processes(tiny_causal_dir, adapter_dir, tmp_path):
    script = tmp_path / "hash.py"
    script.write_text(_HASHER)
    digests = []
    for hash_seed in ("1", "2"):
        done = subprocess.run([sys.executable, str(script), str(tiny_causal_dir), str(adapter_dir), ",".join(TARGETS)],
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": hash_seed, "OMP_NUM_THREADS": "1"})
        assert done.returncode == 0, done.stderr[-2000:]
        digests.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert digests[0] == digests[1]


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]


@pytest.mark.slow
def test_evaluate_with_an_adapter_resumes_from_the_store_in_a_new_process(tiny_causal_dir, adapter_dir, tmp_path):
    store = tmp_path / "answers.sqlite"
    command = [sys.executable, "-m", "biasorigins", "evaluate", str(tiny_causal_dir), "--adapter", str(adapter_dir),
               "--biases", "anchoring", "--cases", "2", "--reversal-probe", "0", "--store", str(store), "--no-progress"]
    counts = []
    for hash_seed in ("11", "12"):
        done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": hash_seed, "OMP_NUM_THREADS": "1"})
        assert done.returncode == 0, done.stderr[-2000:]
        counts.append(_rows(store))
    assert counts[0] == 2 * 2  # two cases, two conditions each
    assert counts[1] == counts[0]  # the second process answered nothing anew
