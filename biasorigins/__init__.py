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
    "analyze_scores": "biasorigins.analysis",
    "answers_complete": "biasorigins.bias",
    "APIRunner": "biasorigins.models.api",
    "AnswerScale": "biasorigins.records",
    "Bias": "biasorigins.bias",
    "BiasInfo": "biasorigins.bias",
    "BiasOriginsError": "biasorigins.errors",
    "BiasSuite": "biasorigins.suite",
    "CallableRunner": "biasorigins.models.callable",
    "combine_results": "biasorigins.suite",
    "CaseContent": "biasorigins.bias",
    "Condition": "biasorigins.records",
    "ConfigError": "biasorigins.errors",
    "CrossTuning": "biasorigins.crosstuning.design",
    "DataFormatError": "biasorigins.errors",
    "Decision": "biasorigins.records",
    "DecisionStore": "biasorigins.store",
    "difference_of_proportions": "biasorigins.metrics",
    "evaluate_mmlu": "biasorigins.mmlu",
    "export_prompts": "biasorigins.exchange",
    "finetune": "biasorigins.finetune",
    "FinetuneConfig": "biasorigins.finetune",
    "FinetuneResult": "biasorigins.finetune",
    "format_chat": "biasorigins.models.chat",
    "GenerationRunner": "biasorigins.models.generation",
    "get_bias": "biasorigins.plugins",
    "get_preset": "biasorigins.presets",
    "get_scenario": "biasorigins.scenarios",
    "HFRunner": "biasorigins.models.hf",
    "hookimpl": "biasorigins.hookspecs",
    "InstructionData": "biasorigins.finetune",
    "list_biases": "biasorigins.plugins",
    "load_mmlu": "biasorigins.mmlu",
    "load_model": "biasorigins.models.loading",
    "load_scenarios": "biasorigins.scenarios",
    "LoadedModel": "biasorigins.models.loading",
    "MMLUResult": "biasorigins.mmlu",
    "ModelLoadError": "biasorigins.errors",
    "ModelNotFoundError": "biasorigins.errors",
    "ModelServerError": "biasorigins.errors",
    "parse_choice": "biasorigins.models.parsing",
    "ParsedChoice": "biasorigins.models.parsing",
    "pick": "biasorigins.bias",
    "plot_results": "biasorigins.plotting",
    "PluginError": "biasorigins.errors",
    "Preset": "biasorigins.presets",
    "preset_names": "biasorigins.presets",
    "Prompt": "biasorigins.records",
    "ratio_scale_score": "biasorigins.metrics",
    "RatioScaleBias": "biasorigins.bias",
    "read_instruction_data": "biasorigins.finetune",
    "reset_plugins": "biasorigins.plugins",
    "Response": "biasorigins.records",
    "rotate": "biasorigins.bias",
    "Runner": "biasorigins.models.base",
    "Scenario": "biasorigins.scenarios",
    "score_answers": "biasorigins.exchange",
    "ScoreSummary": "biasorigins.metrics",
    "simulate_scores": "biasorigins.analysis",
    "StudyAnalysis": "biasorigins.analysis",
    "StudyScores": "biasorigins.analysis",
    "SuiteResult": "biasorigins.suite",
    "summarize": "biasorigins.metrics",
    "TestCase": "biasorigins.records",
    "UnknownBiasError": "biasorigins.errors",
    "VLLMRunner": "biasorigins.models.vllm",
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
