"""Likelihood choice inside inspect: :class:`~biasorigins.models.hf.HFRunner` answers each sample."""

from __future__ import annotations

from inspect_ai.model import ChatMessageAssistant, ModelOutput, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from biasorigins.errors import ConfigError
from biasorigins.exchange import prompt_from_row
from biasorigins.engine import runner_chat_format
from biasorigins.inspect_task.scoring import CHAT_FORMAT, OPTION_SCORES
from biasorigins.models.chat import ChatFormat
from biasorigins.models.hf import HFRunner


def evaluated_model_runner(chat_format: ChatFormat | None) -> HFRunner:
    """An HFRunner on the weights inspect already loaded for ``--model hf/...`` (no second copy)."""
    from biasorigins.models.loading import load_model

    model = get_model()
    weights, tokenizer = getattr(model.api, "model", None), getattr(model.api, "tokenizer", None)
    if weights is None or tokenizer is None or not hasattr(weights, "config"):
        raise ConfigError(f"mode=likelihood reads option probabilities from a local Hugging Face model, but the "
                          f"evaluated model {model} has no weights here; use --model hf/PATH, or give the model "
                          f"to load with -T model=PATH (then --model none loads nothing else)")
    return HFRunner(load_model(weights, tokenizer=tokenizer, name=model.name), chat_format=chat_format,
                    name=str(model))


@solver
def likelihood_choice(model: str | None = None, chat_format: ChatFormat | None = None) -> Solver:
    """Choose the option whose label is most likely after the answer prefix, as ``suite.run(HFRunner(...))``.

    Parameters
    ----------
    model
        What :class:`~biasorigins.models.hf.HFRunner` loads (folder, hub id or name); default: the
        weights of the evaluated ``hf/...`` model.
    chat_format
        ``"raw"``, ``"tulu"`` or ``"model"``; default the model's own template when it has one.

    The option scores go into the sample store (read by the scorer) and the chosen label
    becomes the model output, ``"Option B"``.
    """
    runners: list[HFRunner] = []

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if not runners:
            runners.append(HFRunner(model, chat_format=chat_format) if model is not None
                           else evaluated_model_runner(chat_format))
        runner = runners[0]
        prompt = prompt_from_row(state.metadata)
        response = runner.decide([prompt])[0]
        answer = f"Option {prompt.labels[response.choice]}" if response.choice is not None else ""
        if response.scores is not None:
            state.store.set(OPTION_SCORES, list(response.scores))
        state.store.set(CHAT_FORMAT, runner_chat_format(runner))
        state.output = ModelOutput.from_content(model=runner.name, content=answer)
        state.messages.append(ChatMessageAssistant(content=answer, model=runner.name))
        return state

    return solve
