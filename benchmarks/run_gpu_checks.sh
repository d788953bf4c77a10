#!/usr/bin/env bash
# One command for a session that is lent a GPU (H100/H200): the VLLMRunner GPU tests, then the 7B/11B-scale
# benchmark. About 10 minutes in all; results land in ${OUT:-gpu-results}/ (gpu_scale.json, gpu_scale.md,
# pytest.txt). Needs a Python with CUDA torch and this package; vLLM and TRL are installed if pip can reach an
# index, else their arms are reported as skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
export PYTHONPATH=$PWD

"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU'; print(torch.cuda.get_device_name())" || exit 1
"$PY" -m pip install -q -e ".[test]" 2>/dev/null || echo "pip: could not install the test extra; using what is here"
timeout 240 "$PY" -m pip install -q "vllm>=0.10" trl 2>/dev/null || echo "pip: vllm/trl not installed; their arms are skipped"
"$PY" -c "import vllm; print('vllm', vllm.__version__)" 2>/dev/null || true

# GPU agreement of VLLMRunner with HFRunner (skips with the reason when vLLM is absent)
timeout 150 "$PY" -m pytest -q -rs tests/test_vllm_runner.py 2>&1 | tee "$OUT/pytest.txt" | tail -5

# Llama-2-7B and T5-11B shapes, bf16, random weights, SmolLM2 tokenizer
timeout 420 "$PY" benchmarks/gpu_scale.py --out "$OUT" --models llama2-7b,t5-11b
status=$?
cat "$OUT/gpu_scale.md" 2>/dev/null
exit $status
