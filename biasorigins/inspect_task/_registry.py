"""What inspect loads through the ``inspect_ai`` entry point: the task, solver and scorer it finds by name."""

from biasorigins.inspect_task.scoring import bias_choice, bias_scores
from biasorigins.inspect_task.solver import likelihood_choice
from biasorigins.inspect_task.task import bias_suite

__all__ = ["bias_choice", "bias_scores", "bias_suite", "likelihood_choice"]
