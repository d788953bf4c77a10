"""Nothing lost, nothing twice, with adapters: failed finetuning starts leave a reusable folder, and a
study cell killed while evaluating its adapter resumes from its stored answers in a new process."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest

from biasorigins.errors import ConfigError
from biasorigins.finetune import FinetuneConfig, finetune, read_instruction_data
from biasorigins.finetune.checkpoint import latest_checkpoint
from biasorigins.finetune.train import RUN_FILE

TINY = FinetuneConfig.preset("tiny")
FLAN = Path(str(resources.files("biasorigins") / "data" / "instructions" / "flan_style.jsonl"))


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [{"prompt": r.prompt, "completion": r.completion} for r in read_instruction_data(FLAN).records[:24]]


def test_a_failed_start_leaves_no_run_record_and_the_folder_is_reused(tiny_causal_dir, records, tmp_path) -> None:
    folder = tmp_path / "run"
    with pytest.raises(ConfigError, match="target_modules"):
        finetune(tiny_causal_dir, records, output_dir=folder, seed=0, config=TINY, progress=False,
                 target_modules=["no_such_proj"])
    assert not (folder / RUN_FILE).exists()
    with pytest.raises(ConfigError, match="seed"):
        finetune(tiny_causal_dir, records, output_dir=folder, seed=-1, config=TINY, progress=False)
    result = finetune(tiny_causal_dir, records, output_dir=folder, seed=0, config=TINY, progress=False)
    assert result.steps == TINY.max_steps


def test_a_run_stopped_before_its_first_checkpoint_can_be_restarted_with_other_settings(
    tiny_causal_dir, records, tmp_path
) -> None:
    def stop(row: dict) -> None:
        raise KeyboardInterrupt  # after step 1, before the first checkpoint (save_steps=3)

    folder = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny_causal_dir, records, output_dir=folder, seed=0, config=TINY, progress=False, callback=stop)
    assert (folder / RUN_FILE).is_file() and latest_checkpoint(folder) is None
    result = finetune(tiny_causal_dir, records, output_dir=folder, seed=0, config=TINY, progress=False,
                      learning_rate=1e-3)
    assert result.config.learning_rate == 1e-3
    assert json.loads((folder / RUN_FILE).read_text())["config"]["learning_rate"] == 1e-3
    assert [row["step"] for row in result.training_log().to_dict("records")] == list(range(1, TINY.max_steps + 1))


_CELL = """
import sys, time
from biasorigins.crosstuning.design import CrossTuning
from biasorigins.models.hf import HFRunner

study, slow = CrossTuning.from_toml(sys.argv[1]), sys.argv[2] == "slow"
scored = []
answer = HFRunner.score_batch

def counted(self, requests):
    if slow:
        time.sleep(0.3)
    scored.append(len(requests))
    return answer(self, requests)

HFRunner.score_batch = counted
study.run_cell(0, progress=False)
print(sum(scored))
"""


def _rows(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_a_cell_killed_while_evaluating_resumes_without_answering_again(tiny_causal_dir, tmp_path) -> None:
    study = tmp_path / "study.toml"
    study.write_text(f'workdir = "{tmp_path / "run"}"\nseeds = [0]\n[backbones.llama]\nmodel = "{tiny_causal_dir}"\n'
                     f'[datasets.flan]\npath = "{FLAN}"\nchat_format = "raw"\n[finetune]\npreset = "tiny"\n'
                     '[suite]\nbiases = ["anchoring", "loss-aversion"]\ncases = 4\nbatch_size = 1\nreversal_probe = 0\n')
    script = tmp_path / "cell.py"
    script.write_text(_CELL)
    store = tmp_path / "run" / "cells" / "llama-flan-s0" / "decisions.sqlite"
    total = 2 * 4 * 2
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "101"}
    child = subprocess.Popen([sys.executable, str(script), str(study), "slow"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while _rows(store) < 3 and child.poll() is None:
        assert time.monotonic() < deadline, "the cell made no progress"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, stderr.decode()[-2000:]
    before = _rows(store)
    assert 3 <= before < total

    resumed = subprocess.run([sys.executable, str(script), str(study), "fast"], capture_output=True, text=True,
                             timeout=300, env={**env, "PYTHONHASHSEED": "202"})
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert int(resumed.stdout.split()[-1]) == total - before  # only the unanswered prompts were asked
    assert _rows(store) == total  # and no orphan rows under another key
