"""The bias suite as an inspect-ai task: ``inspect eval biasorigins/bias_suite --model ...``.

Needs the optional extra ``inspect`` (``pip install "biasorigins[inspect]"``). The task is
registered through inspect's own entry-point group (``inspect_ai`` in pyproject.toml), so
inspect finds it by name once biasorigins is installed.

- :func:`suite_dataset`: one sample per rendered prompt, its exported row as metadata;
- :func:`~biasorigins.inspect_task.solver.likelihood_choice`: likelihood choice with
  :class:`~biasorigins.models.hf.HFRunner` (local Hugging Face models);
- :func:`~biasorigins.inspect_task.scoring.bias_choice` and
  :func:`~biasorigins.inspect_task.scoring.bias_scores`: each answer parsed with
  :func:`~biasorigins.models.parsing.parse_choice`, and the per-bias scores from
  :func:`~biasorigins.exchange.score_answers`;
- :func:`result_from_log`: a finished inspect log as a :class:`~biasorigins.suite.SuiteResult`.
"""

from biasorigins.inspect_task.dataset import suite_dataset
from biasorigins.inspect_task.scoring import bias_choice, bias_scores, result_from_log, suite_result
from biasorigins.inspect_task.solver import likelihood_choice
from biasorigins.inspect_task.task import bias_suite

__all__ = ["bias_choice", "bias_scores", "bias_suite", "likelihood_choice", "result_from_log", "suite_dataset",
           "suite_result"]
