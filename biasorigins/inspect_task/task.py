"""The ``biasorigins/bias_suite`` task: the suite's prompts, answered by any inspect model, scored by biasorigins."""

from __future__ import annotations

from collections.abc import Sequence

from inspect_ai import Task, task
from inspect_ai.solver import generate

from biasorigins.errors import ConfigError
from biasorigins.inspect_task.dataset import suite_dataset
from biasorigins.inspect_task.scoring import bias_choice
from biasorigins.inspect_task.solver import likelihood_choice
from biasorigins.models.chat import ChatFormat
from biasorigins.rendering import LabelStyle
from biasorigins.suite import BiasSuite

MODES = ("generate", "likelihood")


def bias_selection(biases: str | Sequence[str]) -> str | list[str]:
    """``-T biases=`` as the suite takes it: a preset or bias name, or several names separated by commas."""
    if isinstance(biases, str):
        names = [name.strip() for name in biases.split(",") if name.strip()]
        return names[0] if len(names) == 1 else names
    return [str(name) for name in biases]


@task
def bias_suite(
    biases: str | Sequence[str] = "paper32",
    cases: int = 20,
    seed: int = 0,
    mode: str = "generate",
    labels: LabelStyle = "letters",
    paper_compatible: bool = False,
    model: str | None = None,
    chat_format: ChatFormat | None = None,
) -> Task:
    """The bias suite as an inspect task (``inspect eval biasorigins/bias_suite -T ...``).

    Parameters
    ----------
    biases
        ``"all"``, a preset (``"paper32"``), a bias name, or names separated by commas.
    cases, seed, labels, paper_compatible
        As in :class:`~biasorigins.suite.BiasSuite`: cases per bias, master seed, option labels, scoring.
    mode
        ``"generate"``: the evaluated model answers in words (any inspect provider), parsed by
        biasorigins; ``"likelihood"``: the most likely option label, read from a local Hugging
        Face model (see :func:`~biasorigins.inspect_task.solver.likelihood_choice`).
    model, chat_format
        For ``mode="likelihood"`` only: the model to load instead of the evaluated ``hf/`` one,
        and the chat format.
    """
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "generate" and (model is not None or chat_format is not None):
        raise ConfigError("model= and chat_format= apply to mode=likelihood; in mode=generate the evaluated "
                          "model (--model) answers in its own chat format")
    suite = BiasSuite(bias_selection(biases), cases=cases, seed=seed, labels=labels,
                      paper_compatible=paper_compatible, reversal_probe=0)
    solver = generate() if mode == "generate" else likelihood_choice(model=model, chat_format=chat_format)
    return Task(
        dataset=suite_dataset(suite, name=f"biasorigins-{biases if isinstance(biases, str) else 'biases'}"),
        solver=solver,
        scorer=bias_choice(),
        metadata={"biases": suite.bias_slugs, "cases": cases, "seed": seed, "mode": mode, "labels": labels,
                  "paper_compatible": paper_compatible},
    )
