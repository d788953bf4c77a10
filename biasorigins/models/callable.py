"""Any function as a runner: prompts in, answers (text) or option scores out.

This is how the suite runs inside other evaluation code, or against an API::

    def ask(texts: list[str]) -> list[str]:
        return [my_client.complete(t) for t in texts]

    result = suite.run(CallableRunner(ask, name="my-api-model", fingerprint="my-api-model@2025-01"))

The function gets a batch of prompt texts (or :class:`~biasorigins.records.Prompt`
objects with ``input="prompt"``) and returns one item per prompt:

- a string: the model's answer, parsed with
  :func:`~biasorigins.models.parsing.parse_choice` (invalid or refused answers
  keep their text and the reason);
- a sequence of numbers, one per displayed option (e.g. log-probabilities):
  the highest wins;
- a mapping {label: score} (e.g. ``{"A": -0.3, "B": -1.2}``), the same by label;
- a :class:`~biasorigins.records.Response`, used as it is;
- ``None``: no answer (invalid).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

from biasorigins.errors import ConfigError
from biasorigins.models.parsing import PARSER_VERSION, parse_choice
from biasorigins.records import Prompt, Response

InputKind = Literal["text", "prompt"]
OutputKind = Literal["auto", "text", "scores"]


def response_from_answer(prompt: Prompt, answer: Any, *, output: OutputKind = "auto") -> Response:
    """Turn one returned item (text, scores, {label: score}, Response or None) into a Response.

    Raises
    ------
    ConfigError
        If the item has a shape that cannot be an answer (the message says what came back).
    """
    if isinstance(answer, Response):
        return answer
    if answer is None:
        return Response(status="invalid", error="no answer returned")
    if isinstance(answer, str) and output in ("auto", "text"):
        parsed = parse_choice(answer, prompt.labels, prompt.options)
        return Response(choice=parsed.choice, status=parsed.status, text=answer,
                        error=None if parsed.status == "ok" else parsed.reason)
    if output == "text":
        raise ConfigError(f"expected an answer text for prompt {prompt.key}, got {type(answer).__name__}")
    if isinstance(answer, Mapping):
        unknown = set(map(str, answer)) - set(prompt.labels)
        if unknown:
            raise ConfigError(f"scores for prompt {prompt.key} name unknown labels {sorted(unknown)}; "
                              f"its labels are {list(prompt.labels)}")
        by_label = {str(k): v for k, v in answer.items()}
        answer = [by_label.get(label, -math.inf) for label in prompt.labels]
    if isinstance(answer, Sequence) and not isinstance(answer, (str, bytes)):
        try:
            scores = tuple(float(v) for v in answer)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"option scores for prompt {prompt.key} must be numbers: {error}") from error
        if len(scores) != len(prompt.options):
            raise ConfigError(f"got {len(scores)} option scores for prompt {prompt.key}, "
                              f"which has {len(prompt.options)} options")
        if any(math.isnan(s) for s in scores) or all(s == -math.inf for s in scores):
            return Response(status="invalid", scores=scores, error="option scores are NaN or all -inf")
        best = max(range(len(scores)), key=scores.__getitem__)
        return Response(choice=best, scores=scores)
    raise ConfigError(
        f"cannot read {type(answer).__name__} as an answer to prompt {prompt.key}; return text, "
        "one score per option, a {label: score} mapping, a Response or None"
    )


class CallableRunner:
    """A runner around a function that answers a batch of prompts.

    Parameters
    ----------
    function
        ``function(batch) -> answers``: one answer per prompt (see the module docstring).
    name
        Label of the results (default: the function's name).
    fingerprint
        Identity of the model behind the function, used by the decision store.  Give a
        string that changes whenever the answers would (model version, temperature...);
        the default is the function's qualified name.
    input
        ``"text"`` (the prompt texts, default) or ``"prompt"`` (Prompt objects, with labels,
        options and answer prefix).
    output
        ``"auto"`` (by type), ``"text"`` or ``"scores"``.
    batch_size
        Prompts per call.
    settings
        Optional decoding settings to record with stored answers.
    """

    def __init__(
        self,
        function: Callable[[list[Any]], Sequence[Any]],
        *,
        name: str | None = None,
        fingerprint: str | None = None,
        input: InputKind = "text",
        output: OutputKind = "auto",
        batch_size: int = 32,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        if not callable(function):
            raise ConfigError(f"CallableRunner needs a function, got {type(function).__name__}")
        if input not in ("text", "prompt"):
            raise ConfigError(f"input must be 'text' or 'prompt', got {input!r}")
        if output not in ("auto", "text", "scores"):
            raise ConfigError(f"output must be 'auto', 'text' or 'scores', got {output!r}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        self.function = function
        qualified = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', type(function).__name__)}"
        self.name = name or getattr(function, "__name__", type(function).__name__)
        self.fingerprint = fingerprint or f"callable:{qualified}"
        self.input = input
        self.output = output
        self.batch_size = batch_size
        self.settings = {"method": "callable", "input": input, "output": output,
                         "parser": PARSER_VERSION, **dict(settings or {})}

    def decide_batches(self, prompts: Sequence[Prompt]) -> Iterator[list[tuple[int, Response]]]:
        """Call the function on batches of ``batch_size`` prompts; yields [(index, response), ...]."""
        for start in range(0, len(prompts), self.batch_size):
            batch = list(prompts[start : start + self.batch_size])
            answers = self.function([p.text for p in batch] if self.input == "text" else batch)
            answers = list(answers)
            if len(answers) != len(batch):
                raise ConfigError(f"{self.name}: the function returned {len(answers)} answers for {len(batch)} prompts")
            yield [(start + k, response_from_answer(p, a, output=self.output))
                   for k, (p, a) in enumerate(zip(batch, answers))]

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        return [response for batch in self.decide_batches(prompts) for _, response in batch]

    def __repr__(self) -> str:
        return f"<CallableRunner {self.name!r} input={self.input!r} output={self.output!r}>"
