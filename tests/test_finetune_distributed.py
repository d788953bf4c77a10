"""finetune() under a 2-process data-parallel launch gives the single-process result (CPU, gloo)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from biasorigins.finetune import FinetuneConfig, FinetuneResult, finetune

SETTINGS = dict(batching="random", lora_dropout=0.0, max_steps=3, micro_batch_size=2)
DATA = [{"prompt": f"What is {i} plus {i}?", "completion": str(2 * i)} for i in range(40)]

SCRIPT = textwrap.dedent(
    """
    import sys
    from biasorigins.finetune import FinetuneConfig, finetune
    DATA = [{"prompt": f"What is {i} plus {i}?", "completion": str(2 * i)} for i in range(40)]
    finetune(sys.argv[1], DATA, output_dir=sys.argv[2], seed=0, config=FinetuneConfig.preset("tiny"),
             progress=False, **SETTINGS)
    """
)


@pytest.mark.slow
def test_two_processes_train_like_one(tiny_causal_dir, tmp_path) -> None:
    script = tmp_path / "train.py"
    script.write_text(f"SETTINGS = {SETTINGS!r}\n" + SCRIPT)
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}  # CPU processes talk through gloo
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               str(script), str(tiny_causal_dir), str(tmp_path / "two")]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]

    two = FinetuneResult.from_dir(tmp_path / "two")
    one = finetune(tiny_causal_dir, DATA, output_dir=tmp_path / "one", seed=0, config=FinetuneConfig.preset("tiny"),
                   progress=False, **SETTINGS)
    assert '"processes": 2' in (tmp_path / "two" / "run.json").read_text()
    assert two.losses == pytest.approx(one.losses, rel=1e-6)
    assert two.supervised_tokens == one.supervised_tokens
    a = load_file(str(one.adapter_dir / "adapter_model.safetensors"))
    b = load_file(str(two.adapter_dir / "adapter_model.safetensors"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
