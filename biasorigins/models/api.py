"""Models behind an OpenAI-compatible server: OpenAI itself, vLLM, llama.cpp, Ollama, ...

:class:`APIRunner` sends each prompt to the server's chat-completions endpoint
(or the plain completions endpoint) with the official ``openai`` client
(``pip install 'biasorigins[api]'``) and reads a choice from the reply:

- ``mode="likelihood"`` (default): the option labels' log-probabilities at the
  answer position, from the ``top_logprobs`` of the reply's first token that is
  an option label, else its first token that is not a preamble ("Option",
  "Answer:", "**", spaces); a server that returns no
  log-probabilities is answered in generate mode instead, with a logged note;
- ``mode="generate"``: the greedy reply text, read by
  :func:`~biasorigins.models.parsing.parse_choice`.

Requests run ``concurrency`` at a time; rate limits (429), server errors (5xx),
timeouts and dropped connections are retried with exponential backoff; other
refusals (a wrong key, model or parameter) stop the run at once with a
:class:`~biasorigins.errors.ModelServerError`, as does a server that stays
unreachable.  Answers are handed to the decision store as they arrive, so a
stopped run resumes without asking twice.  A reply that cannot be read becomes
a response with status ``"error"`` (not stored, so asked again on the next run).

The API key comes from ``api_key`` or ``$OPENAI_API_KEY`` and lives only in the
client: it is in no result, log line, repr, fingerprint or error message.
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from biasorigins.errors import ConfigError, ModelLoadError, ModelServerError
from biasorigins.models.fingerprint import digest_of
from biasorigins.models.parsing import PARSER_VERSION, parse_choice
from biasorigins.models.base import responses_in_order
from biasorigins.records import Prompt, Response

logger = logging.getLogger(__name__)

Endpoint = Literal["chat", "completions"]
_API_VERSION = 1
#: Tokens asked for in likelihood mode: enough to pass a preamble such as "I choose Option" and reach the label.
_LIKELIHOOD_TOKENS = 8
#: Reply tokens that may come before the label; the answer position is the first token not among them.
_PREAMBLE = frozenset({"", "option", "answer", "answer:", "choice", "the", "i", "choose"})
#: Characters around a label token that do not change which label it is ("**B**", "(B)", "B.").
_LABEL_PUNCTUATION = " \t\n*():.\"'`"
_MAX_BACKOFF = 60.0


class _MalformedReply(Exception):
    """The server answered 200 with a body that is not a completion."""


class _Stopped(Exception):
    """The run stopped while this request waited to be retried."""


class APIRunner:
    """A model served behind an OpenAI-compatible API (see the module docstring).

    Parameters
    ----------
    model
        The model name the server knows (``"gpt-4o-mini"``, the name a local server was given).
    base_url
        The server's API root, e.g. ``"http://127.0.0.1:8080/v1"`` (default: OpenAI's, or
        ``$OPENAI_BASE_URL``).
    api_key
        The key (default ``$OPENAI_API_KEY``; local servers usually need none).
    mode
        ``"likelihood"`` (option log-probabilities, generate mode where the server gives none)
        or ``"generate"`` (greedy reply read by the parser).
    endpoint
        ``"chat"`` (chat completions: the server applies the model's chat template) or
        ``"completions"`` (the raw prompt text, followed by "Answer: Option" in likelihood mode).
    system
        Optional system message (chat) or text before the prompt (completions).
    max_new_tokens
        Most tokens of a generated reply.
    top_logprobs
        Most likely tokens asked for at each reply position in likelihood mode (OpenAI allows
        20 in chat, 5 in completions).
    seed
        Sent with every request (greedy decoding is asked with temperature 0); ``None`` sends none.
    concurrency
        Requests in flight at once.
    timeout
        Seconds before a request counts as failed (and is retried).
    max_retries, backoff
        Retries of a failed request, waiting ``backoff`` seconds, then twice as long each time.
    name
        Label of the results (default: ``model``).
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        mode: Literal["likelihood", "generate"] = "likelihood",
        endpoint: Endpoint = "chat",
        system: str | None = None,
        max_new_tokens: int = 40,
        top_logprobs: int = 20,
        seed: int | None = 0,
        concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        name: str | None = None,
    ) -> None:
        if not model or not isinstance(model, str):
            raise ConfigError(f"APIRunner needs the model name the server knows, got {model!r}")
        if mode not in ("likelihood", "generate"):
            raise ConfigError(f"mode must be 'likelihood' or 'generate', got {mode!r}")
        if endpoint not in ("chat", "completions"):
            raise ConfigError(f"endpoint must be 'chat' or 'completions', got {endpoint!r}")
        for label, value in (("max_new_tokens", max_new_tokens), ("top_logprobs", top_logprobs),
                             ("concurrency", concurrency)):
            if value < 1:
                raise ConfigError(f"{label} must be at least 1, got {value}")
        if timeout <= 0 or backoff < 0 or max_retries < 0:
            raise ConfigError(f"timeout must be positive and max_retries, backoff at least 0; got timeout={timeout}, "
                              f"max_retries={max_retries}, backoff={backoff}")
        self.model = model
        self.mode = mode
        self.endpoint = endpoint
        self.system = system
        self.max_new_tokens = max_new_tokens
        self.top_logprobs = top_logprobs
        self.seed = seed
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.backoff = backoff
        self.name = name or model
        self._client = _client(base_url, api_key, timeout)
        self.base_url = str(self._client.base_url)
        #: True once the server answered a likelihood request without log-probabilities.
        self.fell_back = False

    # -- identity --------------------------------------------------------------------------------
    @property
    def model_fingerprint(self) -> str:
        """The served model: server address and model name (never the key)."""
        return digest_of(["openai-compatible", self.base_url, self.model])

    @property
    def settings(self) -> dict[str, Any]:
        """Request settings that change answers (part of the cache key)."""
        likelihood = self.mode == "likelihood"
        return {"method": f"api-{self.mode}", "version": _API_VERSION, "endpoint": self.endpoint,
                "system": self.system, "decoding": "greedy", "temperature": 0, "seed": self.seed,
                "max_new_tokens": self.max_new_tokens, "parser": PARSER_VERSION,
                "top_logprobs": self.top_logprobs if likelihood else None,
                "fallback": "generate" if likelihood else None}

    @property
    def fingerprint(self) -> str:
        return digest_of([self.model_fingerprint, json.dumps(self.settings, sort_keys=True)])

    # -- answering -------------------------------------------------------------------------------
    def decide_batches(self, prompts: Sequence[Prompt]) -> Iterator[list[tuple[int, Response]]]:
        """Ask ``concurrency`` prompts at a time; yields [(prompt index, response), ...] as answers arrive.

        Raises
        ------
        ModelServerError
            When the server refuses a request or stays unreachable; the answers that
            arrived before are yielded first.
        """
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(prompts)):
            todo.put(index)
        arrived: queue.SimpleQueue[tuple[int, Response | None, BaseException | None]] = queue.SimpleQueue()
        stop = threading.Event()

        def work() -> None:
            while not stop.is_set():
                try:
                    index = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    arrived.put((index, self._answer(prompts[index], stop), None))
                except _Stopped:
                    return
                except BaseException as error:  # handed to the consuming thread, which raises it
                    arrived.put((index, None, error))
                    return

        workers = [threading.Thread(target=work, daemon=True, name=f"api-{k}")
                   for k in range(min(self.concurrency, len(prompts)))]
        for worker in workers:
            worker.start()
        try:
            remaining = len(prompts)
            while remaining:
                items = [arrived.get()]
                while True:
                    try:
                        items.append(arrived.get_nowait())
                    except queue.Empty:
                        break
                failures = [error for _, _, error in items if error is not None]
                batch = [(index, response) for index, response, _ in items if response is not None]
                remaining -= len(batch)
                if batch:
                    yield batch
                if failures:
                    raise failures[0]
        finally:
            stop.set()

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        return responses_in_order(self.decide_batches(prompts), len(prompts))

    def _answer(self, prompt: Prompt, stop: threading.Event) -> Response:
        """One prompt's response (likelihood, or generate where the server gives no log-probabilities)."""
        try:
            if self.mode == "likelihood" and not self.fell_back:
                reply = self._post(self._request(prompt, likelihood=True), stop)
                positions = _logprob_positions(reply, self.endpoint)
                if positions:
                    return _choice_from_logprobs(prompt, positions, _reply_text(reply, self.endpoint))
                self._note_fallback()
            reply = self._post(self._request(prompt, likelihood=False), stop)
            text = _reply_text(reply, self.endpoint)
        except _MalformedReply as problem:
            return Response(status="error", error=self._redact(f"malformed reply from the server: {problem}"))
        parsed = parse_choice(text, prompt.labels, prompt.options)
        return Response(choice=parsed.choice, status=parsed.status, text=text,
                        error=None if parsed.status == "ok" else parsed.reason)

    def _note_fallback(self) -> None:
        if not self.fell_back:
            self.fell_back = True
            logger.warning("%s: the server at %s returned no log-probabilities, so answers come from the greedy "
                           "reply text read by the parser (generate mode) instead", self.name, self.base_url)

    def _request(self, prompt: Prompt, *, likelihood: bool) -> dict[str, Any]:
        """The keyword arguments of one chat or completions request."""
        request: dict[str, Any] = {"model": self.model, "temperature": 0,
                                   "max_tokens": _LIKELIHOOD_TOKENS if likelihood else self.max_new_tokens}
        if self.seed is not None:
            request["seed"] = self.seed
        if self.endpoint == "chat":
            system = [{"role": "system", "content": self.system}] if self.system is not None else []
            request["messages"] = [*system, {"role": "user", "content": prompt.text}]
            if likelihood:
                request.update(logprobs=True, top_logprobs=self.top_logprobs)
        else:
            text = prompt.text if self.system is None else f"{self.system}\n\n{prompt.text}"
            request["prompt"] = f"{text}\n\n{prompt.answer_prefix}" if likelihood else text
            if likelihood:
                request["logprobs"] = self.top_logprobs
        return request

    def _post(self, request: dict[str, Any], stop: threading.Event) -> dict[str, Any]:
        """Send one request, retrying rate limits, server errors, timeouts and lost connections."""
        import openai

        path = "/chat/completions" if self.endpoint == "chat" else "/completions"
        problem = ""
        for attempt in range(self.max_retries + 1):
            if stop.is_set():
                raise _Stopped
            try:
                return _completion_body(self._client.post(path, body=request, cast_to=str))
            except openai.APIStatusError as error:
                if error.status_code != 408 and error.status_code != 429 and error.status_code < 500:
                    raise ModelServerError(self._redact(
                        f"{self.name}: the server at {self.base_url} refused the request "
                        f"({error.status_code}: {_one_line(error.message)})")) from None
                problem = f"status {error.status_code}"
            except openai.APITimeoutError:
                problem = f"no reply within {self._client.timeout} s"
            except openai.APIConnectionError as error:
                problem = f"connection failed: {_one_line(str(error.__cause__ or error))}"
            if attempt < self.max_retries:
                delay = min(self.backoff * 2**attempt, _MAX_BACKOFF)
                logger.info("%s: %s; retry %d of %d in %.2g s", self.name, self._redact(problem), attempt + 1,
                            self.max_retries, delay)
                if stop.wait(delay):
                    raise _Stopped
        raise ModelServerError(self._redact(
            f"{self.name}: no answer from {self.base_url} after {self.max_retries + 1} tries ({problem}); "
            "with a decision store (--store), a rerun resumes where this run stopped"))

    def _redact(self, text: str) -> str:
        """``text`` with the API key blanked out (servers may echo it back)."""
        key = self._client.api_key
        return text.replace(key, "***") if key and len(key) >= 4 else text

    @property
    def chat_format(self) -> str:
        """``"server"`` on the chat endpoint (the server applies the model's template), ``"raw"`` on completions."""
        return "server" if self.endpoint == "chat" else "raw"

    def __repr__(self) -> str:
        return f"<APIRunner {self.name!r} {self.model!r} at {self.base_url} mode={self.mode!r} endpoint={self.endpoint!r}>"


def _client(base_url: str | None, api_key: str | None, timeout: float) -> Any:
    """An OpenAI client that does not retry on its own (we do); a local server gets a placeholder key."""
    try:
        import openai
    except ImportError:
        raise ModelLoadError("APIRunner needs the openai package: pip install 'biasorigins[api]'") from None
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if not key:
        if base_url is None and not os.environ.get("OPENAI_BASE_URL"):
            raise ConfigError("no API key: set OPENAI_API_KEY or pass api_key (or give the base_url of a "
                              "server that needs none)")
        key = "no-key"
    return openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout, max_retries=0)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:300]


def _completion_body(text: str) -> dict[str, Any]:
    """The JSON body of a completion reply, with at least one choice."""
    try:
        body = json.loads(text)
    except ValueError:
        raise _MalformedReply(f"not JSON: {_one_line(text)[:80]!r}") from None
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list) or not body["choices"] \
            or not isinstance(body["choices"][0], dict):
        raise _MalformedReply(f"no choices in {_one_line(json.dumps(body))[:80]}")
    return body


def _reply_text(body: dict[str, Any], endpoint: Endpoint) -> str:
    choice = body["choices"][0]
    text = (choice.get("message") or {}).get("content") if endpoint == "chat" else choice.get("text")
    if not isinstance(text, str):
        raise _MalformedReply(f"the first choice has no reply text: {_one_line(json.dumps(choice))[:80]}")
    return text


def _logprob_positions(body: dict[str, Any], endpoint: Endpoint) -> list[tuple[str, dict[str, float]]]:
    """[(generated token, {candidate token: log-probability})] per reply position; [] when the server gave none."""
    logprobs = body["choices"][0].get("logprobs")
    if not isinstance(logprobs, dict):
        return []
    try:
        if endpoint == "chat":
            positions = [(item["token"], {top["token"]: float(top["logprob"]) for top in item["top_logprobs"]})
                         for item in logprobs.get("content") or []]
        else:
            positions = [(token, {str(t): float(v) for t, v in (top or {}).items()})
                         for token, top in zip(logprobs.get("tokens") or [], logprobs.get("top_logprobs") or [])]
    except (KeyError, TypeError, ValueError) as error:
        raise _MalformedReply(f"unreadable logprobs ({error!r})") from None
    return positions if any(top for _, top in positions) else []


def _label_of(token: str) -> str:
    return token.strip(_LABEL_PUNCTUATION)


def _choice_from_logprobs(prompt: Prompt, positions: list[tuple[str, dict[str, float]]], text: str) -> Response:
    """The option whose label is most likely at the answer position: the first reply token that is a
    label ("You choose Option A": " A"), else the first that is not a preamble.

    Tokens that spell the same label (" B", "B", "**B") are pooled; labels missing from the
    top list score -inf.
    """
    labels = set(prompt.labels)
    answer = next(((token, top) for token, top in positions if _label_of(token) in labels), None) or next(
        ((token, top) for token, top in positions if _label_of(token).lower() not in _PREAMBLE), None)
    if answer is None:
        return Response(status="invalid", text=text, error="the reply ends before an answer position")
    pooled: dict[str, list[float]] = {}
    for token, logprob in answer[1].items():
        if _label_of(token) in labels:
            pooled.setdefault(_label_of(token), []).append(logprob)
    if not pooled:
        shown = ", ".join(repr(t) for t in list(answer[1])[:5])
        return Response(status="invalid", text=text,
                        error=f"no option label among the most likely tokens at the answer position ({shown})")
    scores = tuple(_logsumexp(pooled[label]) if label in pooled else -math.inf for label in prompt.labels)
    return Response(choice=max(range(len(scores)), key=scores.__getitem__), scores=scores, text=text)


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))
