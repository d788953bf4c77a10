"""biasorigins: where do a language model's cognitive biases come from?

The public API is imported lazily, so ``import biasorigins`` is fast and has no
side effects (no torch import, no plugin loading) until a name is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0.dev0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AnswerScale": "biasorigins.records",
    "Bias": "biasorigins.bias",
    "BiasInfo": "biasorigins.bias",
    "BiasOriginsError": "biasorigins.errors",
    "BiasSuite": "biasorigins.suite",
    "CaseContent": "biasorigins.bias",
    "Condition": "biasorigins.records",
    "ConfigError": "biasorigins.errors",
    "DataFormatError": "biasorigins.errors",
    "Decision": "biasorigins.records",
    "HFRunner": "biasorigins.models.hf",
    "LoadedModel": "biasorigins.models.loading",
    "ModelLoadError": "biasorigins.errors",
    "PluginError": "biasorigins.errors",
    "Preset": "biasorigins.presets",
    "Prompt": "biasorigins.records",
    "Response": "biasorigins.records",
    "Runner": "biasorigins.models.base",
    "Scenario": "biasorigins.scenarios",
    "ScoreSummary": "biasorigins.metrics",
    "SuiteResult": "biasorigins.suite",
    "TestCase": "biasorigins.records",
    "UnknownBiasError": "biasorigins.errors",
    "difference_of_proportions": "biasorigins.metrics",
    "get_bias": "biasorigins.plugins",
    "get_preset": "biasorigins.presets",
    "get_scenario": "biasorigins.scenarios",
    "hookimpl": "biasorigins.hookspecs",
    "list_biases": "biasorigins.plugins",
    "load_model": "biasorigins.models.loading",
    "load_scenarios": "biasorigins.scenarios",
    "preset_names": "biasorigins.presets",
    "ratio_scale_score": "biasorigins.metrics",
    "reset_plugins": "biasorigins.plugins",
    "summarize": "biasorigins.metrics",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'biasorigins' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
