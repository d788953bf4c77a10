"""Shared fixtures: offline guards, tiny models saved to folders, the real SmolLM2 model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Any accidental hub access fails fast instead of hanging. Set at import time of this file,
# before huggingface_hub is imported (it reads these variables once).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")



@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The folder of the paper's published 14-model table, shipped with the package (biasorigins/data/reference)."""
    from biasorigins.analysis import paper_table_path

    return paper_table_path("full").parent


@pytest.fixture(scope="session")
def llama2_mistral_table() -> Path:
    """The paper's scenario-level table (not shipped: keyed by CC BY-SA scenario sentences), read from the
    workspace's ../shared/reference beside the checkout; skips when it is absent."""
    path = Path(__file__).resolve().parents[2] / "shared" / "reference" / "llama2_mistral_scenario_scores.csv"
    if not path.is_file():
        pytest.skip(f"the paper's Llama2/Mistral table is not shipped; expected it at {path}")
    return path


@pytest.fixture(scope="session")
def tiny_causal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from biasorigins.testing.tiny_models import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-llama"), arch="llama", seed=0)


@pytest.fixture(scope="session")
def tiny_t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from biasorigins.testing.tiny_models import build_tiny_t5

    return build_tiny_t5(tmp_path_factory.mktemp("tiny-t5"), seed=0)


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """SmolLM2-135M-Instruct converted to a safetensors folder (cached across runs)."""
    from biasorigins.testing.smollm import smollm2_path

    return smollm2_path()
