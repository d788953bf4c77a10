"""vLLM runner for GPUs: the likelihood choice and generate mode of the HF runners, in vLLM's offline engine.

:class:`VLLMRunner` (``pip install 'biasorigins[vllm]'``, a CUDA GPU) reads the same
token ids as :class:`~biasorigins.models.hf.HFRunner`: the chat-wrapped prompt and
its answer prefix ("Answer: Option"), tokenized by the model's HF tokenizer with
:func:`~biasorigins.models.hf.causal_requests`, and sent to vLLM as token prompts.

- ``mode="likelihood"``: one greedy step per prompt with ``logprobs=top_logprobs``;
  each single-token label found among the returned log-probabilities is scored from
  them; a label outside that list, or one of several tokens, is scored exactly by one
  more pass over context + label with ``prompt_logprobs``.  Scores are summed label
  log-probabilities, as in ``HFRunner``, so choices agree up to numerical ties.
- ``mode="generate"``: greedy, seeded decoding of the prompt (and optional prefill),
  read by :func:`~biasorigins.models.parsing.parse_choice`.

Automatic prefix caching is on, so the shared instruction text of a suite's prompts
is computed once; LoRA adapters are served on one base (``adapters={name: folder}``,
:meth:`VLLMRunner.variants`), so :meth:`BiasSuite.run_many` over several adapters
loads the base once; ``tensor_parallel_size`` splits a model over GPUs.

Everything that does not need vLLM (requests, reading log-probabilities, identity)
is in plain functions here, tested on CPU; vLLM itself is imported only when a
runner is built.
"""

from __future__ import annotations

import copy
import json
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from biasorigins.errors import ConfigError, ModelLoadError
from biasorigins.models.base import responses_in_order
from biasorigins.models.chat import ChatFormat, default_chat_format, format_chat
from biasorigins.models.fingerprint import canonical_json, digest_of, folder_digest
from biasorigins.models.hf import BASE_ADAPTER, causal_requests
from biasorigins.models.likelihood import ChoiceRequest
from biasorigins.models.parsing import PARSER_VERSION, parse_choice
from biasorigins.records import Prompt, Response

logger = logging.getLogger(__name__)

_VLLM_VERSION = 1
INSTALL_HINT = "pip install 'biasorigins[vllm]'"

#: {token id: log-probability} at one position.
TokenLogprobs = dict[int, float]


# ------------------------------------------------------------------ plain functions (no vLLM needed)
def plain_logprobs(position: Mapping[int, Any] | None) -> TokenLogprobs:
    """vLLM's ``{token id: Logprob}`` (or ``{token id: float}``) at one position as ``{token id: float}``."""
    if not position:
        return {}
    return {int(token): float(getattr(value, "logprob", value)) for token, value in position.items()}


def scores_from_top(request: ChoiceRequest, top: TokenLogprobs) -> list[float | None]:
    """Each option's log-probability where the top list at the answer position gives it: single-token
    labels found there; None for a label outside the list or one of several tokens."""
    return [top.get(option[0]) if len(option) == 1 else None for option in request.options]


def continuation_logprob(positions: Sequence[TokenLogprobs], context_length: int, option: Sequence[int]) -> float:
    """Summed log-probability of ``option`` read from the prompt log-probabilities of context + option.

    ``positions[t]`` holds the log-probability of prompt token t (vLLM always includes the
    prompt's own token); the option's tokens sit at ``context_length`` onwards.
    """
    total = 0.0
    for offset, token in enumerate(option):
        position = positions[context_length + offset]
        if token not in position:
            raise ConfigError(f"vLLM returned no log-probability for prompt token {token} at position "
                              f"{context_length + offset}")
        total += position[token]
    return total


def completion_prompts(request: ChoiceRequest, partial: Sequence[float | None]) -> list[tuple[int, list[int]]]:
    """(option index, context + option ids) for every option the top list left unscored."""
    return [(j, [*request.context, *request.options[j]]) for j, score in enumerate(partial) if score is None]


def choose(scores: Sequence[float]) -> Response:
    """The response of summed option scores: the highest wins (the first of equal ones, as in HFRunner)."""
    best = max(range(len(scores)), key=scores.__getitem__)
    return Response(choice=best, scores=tuple(scores))


def generation_input(prompt: Prompt, *, tokenizer: Any, chat_format: ChatFormat, system: str | None,
                     prefill: str) -> list[int]:
    """Token ids a decoder model continues in generate mode (as :class:`GenerationRunner` reads them)."""
    text = format_chat(prompt.text, chat_format=chat_format, tokenizer=tokenizer, system=system,
                       answer_prefix=prefill)
    return tokenizer(text, add_special_tokens=chat_format != "model")["input_ids"]


def model_identity(model: str | Path) -> str:
    """Identity of the weights: a digest of the folder's model files, or the hub id."""
    path = Path(model)
    return folder_digest(path) if path.is_dir() else f"hub:{model}"


def adapter_rank(folder: str | Path) -> int:
    """The LoRA rank ``r`` in an adapter folder's ``adapter_config.json``."""
    config = Path(folder) / "adapter_config.json"
    try:
        return int(json.loads(config.read_text(encoding="utf-8"))["r"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{config}: not a LoRA adapter config with a rank 'r' ({error})") from None


def check_vllm() -> Any:
    """The ``vllm`` module, or a typed error when vLLM or a CUDA GPU is missing."""
    try:
        import vllm
    except ImportError:
        raise ModelLoadError(f"VLLMRunner needs vLLM and a CUDA GPU: {INSTALL_HINT} (vLLM is not installed)") from None
    import torch

    if not torch.cuda.is_available():
        raise ModelLoadError(f"VLLMRunner needs vLLM and a CUDA GPU ({INSTALL_HINT}); no CUDA GPU is visible")
    return vllm


# ------------------------------------------------------------------ the runner
class VLLMRunner:
    """A decoder model run by vLLM's offline engine on GPUs (see the module docstring).

    Parameters
    ----------
    model
        A model folder (or hub id) vLLM can load; its HF tokenizer builds the requests.
    mode
        ``"likelihood"`` (option label log-probabilities) or ``"generate"`` (greedy reply, parsed).
    chat_format, system
        As for :class:`~biasorigins.models.hf.HFRunner` (default: the model's template, else raw).
    adapters
        ``{name: LoRA adapter folder}`` served on the base model.
    adapter
        The adapter this runner uses (default none: the base model).
    max_new_tokens, prefill, stop
        Generate mode: most new tokens, text placed at the start of the answer, stop strings.
    top_logprobs
        Log-probabilities returned at the answer position; labels outside them cost one more pass.
    seed
        vLLM's seed (decoding is greedy, so it only pins the engine).
    tensor_parallel_size
        GPUs one model is split over.
    dtype
        Passed to vLLM (``"auto"``: the config's, bf16 for most).
    name
        Label of the results (default: the folder name, + adapter).
    **engine_options
        Passed to ``vllm.LLM`` (e.g. ``gpu_memory_utilization``, ``max_model_len``).
    """

    def __init__(
        self,
        model: str | Path,
        *,
        mode: Literal["likelihood", "generate"] = "likelihood",
        chat_format: ChatFormat | None = None,
        system: str | None = None,
        adapters: Mapping[str, str | Path] | None = None,
        adapter: str | None = None,
        max_new_tokens: int = 40,
        prefill: str = "",
        stop: Sequence[str] = (),
        top_logprobs: int = 20,
        seed: int = 0,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        name: str | None = None,
        **engine_options: Any,
    ) -> None:
        if mode not in ("likelihood", "generate"):
            raise ConfigError(f"mode must be 'likelihood' or 'generate', got {mode!r}")
        for label, value in (("max_new_tokens", max_new_tokens), ("top_logprobs", top_logprobs),
                             ("tensor_parallel_size", tensor_parallel_size)):
            if value < 1:
                raise ConfigError(f"{label} must be at least 1, got {value}")
        self.adapters = {str(k): Path(v) for k, v in (adapters or {}).items()}
        if adapter not in (None, BASE_ADAPTER) and adapter not in self.adapters:
            raise ConfigError(f"adapter {adapter!r} is not among the adapters given: {sorted(self.adapters)}")
        ranks = {name_: adapter_rank(folder) for name_, folder in self.adapters.items()}
        vllm = check_vllm()
        from transformers import AutoConfig, AutoTokenizer

        if getattr(AutoConfig.from_pretrained(str(model)), "is_encoder_decoder", False):
            raise ConfigError(f"{model}: VLLMRunner runs decoder-only models; use HFRunner for encoder-decoder (T5)")
        self.model = str(model)
        self.mode = mode
        self.tokenizer = AutoTokenizer.from_pretrained(self.model)
        self.chat_format = chat_format or default_chat_format(self.tokenizer)
        self.system = system
        self.adapter = None if adapter == BASE_ADAPTER else adapter
        self.max_new_tokens = max_new_tokens
        self.prefill = prefill
        self.stop = tuple(stop)
        self.top_logprobs = top_logprobs
        self.seed = seed
        self._weights = model_identity(model)
        self._adapter_ids = {name_: digest_of([folder_digest(folder)]) for name_, folder in self.adapters.items()}
        lora = {"enable_lora": True, "max_loras": len(ranks), "max_lora_rank": max(ranks.values())} if ranks else {}
        self._vllm = vllm
        self.engine = vllm.LLM(model=self.model, tokenizer=self.model, dtype=dtype, seed=seed,
                               tensor_parallel_size=tensor_parallel_size, enable_prefix_caching=True,
                               max_logprobs=max(top_logprobs, 20), **lora, **engine_options)
        self.name = name or self._default_name()

    # -- identity ------------------------------------------------------------------------------
    def _default_name(self) -> str:
        base = Path(self.model).name or self.model
        return f"{base}+{self.adapter}" if self.adapter else base

    @property
    def model_fingerprint(self) -> str:
        """The weights that answer: the base model's files and the adapter's."""
        parts = [f"weights={self._weights}"]
        if self.adapter:
            parts.append(f"adapter={self._adapter_ids[self.adapter]}")
        return digest_of(parts)

    @property
    def settings(self) -> dict[str, Any]:
        """Decoding settings that change answers (part of the cache key)."""
        return vllm_settings(mode=self.mode, chat_format=self.chat_format, system=self.system,
                             max_new_tokens=self.max_new_tokens, prefill=self.prefill, stop=self.stop)

    @property
    def fingerprint(self) -> str:
        return digest_of([self.model_fingerprint, canonical_json(self.settings)])

    @property
    def joint_key(self) -> tuple[int, str]:
        """Variants on one engine with equal settings answer in shared batches."""
        return (id(self.engine), canonical_json(self.settings))

    def variants(self, adapters: Sequence[str] | None = None, *, include_base: bool = True) -> list[VLLMRunner]:
        """One runner per adapter (and the bare base first), all on this engine: pass them to ``run_many``."""
        names = list(adapters) if adapters is not None else list(self.adapters)
        if include_base and BASE_ADAPTER not in names:
            names.insert(0, BASE_ADAPTER)
        return [self.with_adapter(name_) for name_ in names]

    def with_adapter(self, adapter: str, *, name: str | None = None) -> VLLMRunner:
        """A runner on the same engine that uses another adapter (``"__base__"``: none)."""
        if adapter != BASE_ADAPTER and adapter not in self.adapters:
            raise ConfigError(f"adapter {adapter!r} is not among the adapters given: {sorted(self.adapters)}")
        view = copy.copy(self)
        view.adapter = None if adapter == BASE_ADAPTER else adapter
        view.name = name or view._default_name()
        return view

    def _lora(self, adapter: str | None) -> Any:
        if adapter is None:
            return None
        from vllm.lora.request import LoRARequest

        return LoRARequest(adapter, sorted(self.adapters).index(adapter) + 1, str(self.adapters[adapter]))

    # -- answering -----------------------------------------------------------------------------
    def _run(self, token_prompts: Sequence[Sequence[int]], params: Any, adapters: Sequence[str | None], *,
             uncached: bool = False) -> list[Any]:
        """One engine call; ``uncached`` gives each prompt its own cache salt, so no prefix-cache hit can put
        stale values into its prompt log-probabilities (vLLM issue 42019)."""
        inputs: list[dict[str, Any]] = [{"prompt_token_ids": list(ids)} for ids in token_prompts]
        if uncached:
            for k, item in enumerate(inputs):
                item["cache_salt"] = f"biasorigins-exact-{k}"
        loras = [self._lora(a) for a in adapters] if any(adapters) else None
        return self.engine.generate(inputs, params, lora_request=loras, use_tqdm=False)

    def _likelihood(self, prompts: Sequence[Prompt], adapters: Sequence[str | None]) -> list[Response]:
        SamplingParams = self._vllm.SamplingParams
        requests = causal_requests(self.tokenizer, prompts, chat_format=self.chat_format, system=self.system)
        step = SamplingParams(max_tokens=1, temperature=0.0, logprobs=self.top_logprobs, seed=self.seed)
        outputs = self._run([r.context for r in requests], step, adapters)
        partial = [scores_from_top(r, plain_logprobs(out.outputs[0].logprobs[0])) for r, out in zip(requests, outputs)]
        pending = [(i, j, ids) for i, r in enumerate(requests) for j, ids in completion_prompts(r, partial[i])]
        if pending:
            exact = SamplingParams(max_tokens=1, temperature=0.0, prompt_logprobs=0, seed=self.seed)
            extra = self._run([ids for _, _, ids in pending], exact, [adapters[i] for i, _, _ in pending],
                              uncached=True)
            for (i, j, _), out in zip(pending, extra):
                positions = [plain_logprobs(p) for p in out.prompt_logprobs]
                partial[i][j] = continuation_logprob(positions, len(requests[i].context), requests[i].options[j])
        return [choose([s if s is not None else -math.inf for s in scores]) for scores in partial]

    def _generate(self, prompts: Sequence[Prompt], adapters: Sequence[str | None]) -> list[Response]:
        params = self._vllm.SamplingParams(max_tokens=self.max_new_tokens, temperature=0.0, seed=self.seed,
                                           stop=list(self.stop) or None)
        inputs = [generation_input(p, tokenizer=self.tokenizer, chat_format=self.chat_format, system=self.system,
                                   prefill=self.prefill) for p in prompts]
        responses = []
        for prompt, out in zip(prompts, self._run(inputs, params, adapters)):
            text = out.outputs[0].text.strip()
            parsed = parse_choice(self.prefill + text if self.prefill else text, prompt.labels, prompt.options)
            responses.append(Response(choice=parsed.choice, status=parsed.status, text=text,
                                      error=None if parsed.status == "ok" else parsed.reason))
        return responses

    def decide_batches(self, prompts: Sequence[Prompt], *, runners: Sequence[VLLMRunner] | None = None
                       ) -> Iterator[list[tuple[int, Response]]]:
        """All prompts in one engine call (vLLM schedules its own batches); ``runners`` gives each prompt
        its own variant (adapter) of this runner."""
        variants = list(runners) if runners is not None else [self] * len(prompts)
        if len(variants) != len(prompts):
            raise ConfigError(f"runners has {len(variants)} entries for {len(prompts)} prompts")
        if any(v.joint_key != self.joint_key for v in variants):
            raise ConfigError("runners batched together must share this runner's engine and settings")
        if not prompts:
            return
        adapters = [v.adapter for v in variants]
        answer = self._likelihood if self.mode == "likelihood" else self._generate
        yield list(enumerate(answer(prompts, adapters)))

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        return responses_in_order(self.decide_batches(prompts), len(prompts))

    def __repr__(self) -> str:
        adapter = f" adapter={self.adapter!r}" if self.adapter else ""
        return f"<VLLMRunner {self.name!r}{adapter} mode={self.mode!r} chat_format={self.chat_format!r}>"


def vllm_settings(*, mode: str, chat_format: str, system: str | None, max_new_tokens: int, prefill: str,
                  stop: Sequence[str]) -> dict[str, Any]:
    """The settings that change a VLLMRunner's answers (its cache key besides the weights)."""
    settings: dict[str, Any] = {"method": f"vllm-{mode}", "version": _VLLM_VERSION, "chat_format": chat_format,
                                "system": system}
    if mode == "likelihood":
        settings["normalisation"] = "sum"
    else:
        settings.update(decoding="greedy", parser=PARSER_VERSION, max_new_tokens=max_new_tokens, prefill=prefill,
                        stop=list(stop))
    return settings
