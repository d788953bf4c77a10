"""benchmarks/gpu_scale.py --tiny runs end to end on CPU and reports every arm with sane numbers."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARMS = {"hf-likelihood", "vllm-likelihood", "hf-generate", "vllm-generate", "finetune-ours", "finetune-trl"}


def test_gpu_scale_tiny_reports_every_arm(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_scale.py"), "--tiny", "--out", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_scale.json").read_text())
    table = (tmp_path / "gpu_scale.md").read_text()
    assert set(report["models"]) == {"llama2-7b", "t5-11b"}
    for model, entry in report["models"].items():
        assert set(entry["arms"]) == ARMS
        assert 0 < entry["non_embedding_parameters"] < entry["parameters"]
        for arm, found in entry["arms"].items():
            assert "failed" not in found, (model, arm, found)
            assert f"| {model} | {arm} |" in table
            if "skipped" in found:
                assert found["skipped"]
                continue
            assert found["peak_memory_mb"] > 50
            if arm.startswith("finetune"):
                assert 0 < found["supervised_tokens_per_second"] <= found["tokens_per_second"]
                assert found["lora_parameters"] > 0 and found["mfu_6n"] is None  # no peak FLOP/s on CPU
            else:
                assert found["prompts"] > 0 and found["prompts_per_second"] > 0 and "choices" not in found
                expected = found["seconds"] / found["prompts"] * found["prompts_per_case"] * 32000 / 60
                assert math.isclose(found["paper32_minutes_extrapolated"], expected)
    llama, t5 = report["models"]["llama2-7b"]["arms"], report["models"]["t5-11b"]["arms"]
    # what runs on CPU here: both HF suite arms on both models, our finetuning on the decoder
    for arms in (llama, t5):
        assert "skipped" not in arms["hf-likelihood"] and "skipped" not in arms["hf-generate"]
    assert "skipped" not in llama["finetune-ours"]
    assert t5["vllm-likelihood"]["skipped"] == "vLLM runs decoder-only models"
