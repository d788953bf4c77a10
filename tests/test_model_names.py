"""One name, one model: short names work in every loader; a name the hub cannot serve fails at once."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from biasorigins.testing.smollm import SMOLLM2_INSTALL, smollm2_available

needs_smollm2 = pytest.mark.skipif(not smollm2_available(), reason=f"SmolLM2 not installed: {SMOLLM2_INSTALL}")
ROOT = Path(__file__).resolve().parents[1]

# Loads one uncached and one cached hub id; prints what happened to each as JSON.
PROBE = """
import json, sys, time
import huggingface_hub, torch, transformers  # imported before the clock starts: only the failure is timed
from biasorigins.errors import ModelNotFoundError
from biasorigins.models.loading import load_model

out = {}
started = time.perf_counter()
try:
    load_model("no-such-org/no-such-model")
    out["uncached"] = "loaded"
except ModelNotFoundError as error:
    out["uncached"] = str(error)
out["uncached_seconds"] = time.perf_counter() - started
out["cached"] = load_model("tiny-org/tiny-llama").name
print(json.dumps(out))
"""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _hub_cache_with(model_dir: Path, cache: Path, repo_id: str) -> None:
    """Lay ``model_dir`` out as the hub cache holds a downloaded repo (refs/main -> snapshot)."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    commit = "0" * 40
    shutil.copytree(model_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)


@pytest.mark.parametrize("hub", ["offline", "unreachable"])
def test_a_name_the_hub_cannot_serve_fails_at_once_and_cached_ones_load(hub: str, tiny_causal_dir: Path,
                                                                         tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    _hub_cache_with(tiny_causal_dir, cache, "tiny-org/tiny-llama")
    env = {key: value for key, value in os.environ.items() if key not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(PYTHONPATH=str(ROOT), HF_HUB_CACHE=str(cache), OMP_NUM_THREADS="1")
    if hub == "offline":
        env["HF_HUB_OFFLINE"] = "1"
    else:  # nothing listens there: every request is refused, as when the hub is unreachable
        env["HF_ENDPOINT"] = f"http://127.0.0.1:{_closed_port()}"
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    message = out["uncached"]
    assert "no-such-org/no-such-model" in message
    assert ("HF_HUB_OFFLINE is set" if hub == "offline" else "does not answer") in message
    assert str(cache) in message and "'smollm2'" in message and str(tmp_path / "no-such-org") in message
    assert out["uncached_seconds"] < 8, out  # huggingface_hub's own retry loop alone waits 23 s
    assert "Retrying" not in done.stderr
    assert out["cached"] == "tiny-org/tiny-llama"


@needs_smollm2
def test_the_command_line_short_name_works_in_every_loader(tmp_path: Path) -> None:
    from biasorigins import HFRunner, load_model
    from biasorigins.finetune import finetune
    from biasorigins.testing.smollm import smollm2_path

    folder = str(smollm2_path())
    assert load_model("smollm2").source == folder
    assert load_model("SmolLM2-135M-Instruct").source == folder
    assert HFRunner("smollm2").loaded.source == folder
    data = [{"prompt": "Say yes.", "completion": "Yes."}] * 2
    result = finetune("smollm2", data, output_dir=tmp_path / "run", seed=0, max_steps=1, batch_size=2,
                      micro_batch_size=2, progress=False)
    assert result.base_model == folder


def test_a_local_folder_wins_over_a_short_name(tiny_causal_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from biasorigins.models.loading import load_model

    shutil.copytree(tiny_causal_dir, tmp_path / "smollm2")
    monkeypatch.chdir(tmp_path)
    assert load_model("smollm2").source == str(tmp_path / "smollm2")
