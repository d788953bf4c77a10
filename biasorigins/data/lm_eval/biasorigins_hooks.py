"""What the biasorigins lm-eval task configs call (``!function`` looks for it next to them)."""

from biasorigins.lmeval import build_docs, process_results, bias_score, ci_low, ci_high, valid_cases  # noqa: F401
