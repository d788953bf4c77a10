"""What the biasorigins lm-eval task configs call (``!function`` looks for it next to them)."""

from biasorigins.lmeval import bias_score, build_docs, ci_high, ci_low, process_results, valid_cases  # noqa: F401
