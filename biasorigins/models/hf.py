"""Hugging Face runner: choose an answer option by likelihood, fast.

For each prompt the runner formats the chat, prefills the answer prefix
("Answer: Option") and scores each option label (" A", " B", ... or " 10")
as the continuation.  The choice is the option with the highest summed
log-probability.  How it is made fast (see :mod:`biasorigins.models.likelihood`):

- prompts are batched by test case (control and treatment together), longest
  cases first, so batches carry little padding;
- the token prefix shared by a batch runs once, and so does the further part
  that the conditions of one case share; single-token labels are read from
  one forward pass; longer labels reuse the prompt's key/value cache
  (decoder) or encoder output (T5) instead of re-running the prompt;
- several LoRA adapters loaded on one base are scored in mixed batches
  (:meth:`HFRunner.variants`), never reloading the base;
- a batch that runs out of memory is split and retried.

The result equals one full forward per option (checked in the tests).

``scoring="cloze"`` reads the option *texts* instead of their labels: each option text is scored
as the continuation of the situation and question (without the labelled option list) after
"Answer:", and its summed log-probability is divided by its length in UTF-8 bytes (lm-eval's
``acc_norm``). Option order and labels play no part, so a model that answers labels by position
still answers by content. (Calibrating by the question alone, as domain-conditional PMI would,
cancels any leaning the question itself draws out, and a status-quo leaning is exactly that:
measured on the demo's backbones, it hid a planted status-quo bias that this scoring shows.)
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from biasorigins.errors import ConfigError
from biasorigins.models.batching import plan_batches, run_with_oom_retry
from biasorigins.models.chat import RAW_ANSWER_SPACER, ChatFormat, default_chat_format, format_chat
from biasorigins.models.fingerprint import canonical_json, digest_of
from biasorigins.models.likelihood import BASE_ADAPTER, ChoiceRequest, ModelCaller, score_causal, score_seq2seq
from biasorigins.models.loading import LoadedModel, load_model
from biasorigins.models.base import responses_in_order
from biasorigins.records import Prompt, Response
from biasorigins.rendering import CLOZE_ANSWER_PREFIX, cloze_text

logger = logging.getLogger(__name__)

_SCORING_VERSION = 2
#: How HFRunner reads a choice: the option labels after the prompt, or the option texts (cloze).
Scoring = Literal["labels", "cloze"]


def adapter_digest(model: Any, adapter: str) -> str:
    """Identity of one loaded LoRA adapter: its configuration and weights (not its name)."""
    import torch

    config = model.peft_config[adapter].to_dict()
    for incidental in ("base_model_name_or_path", "revision", "inference_mode", "peft_version"):
        config.pop(incidental, None)
    hasher = hashlib.sha256(canonical_json(config).encode())
    marker = f".{adapter}."
    for name, tensor in sorted(model.state_dict().items()):
        if marker in name:
            flat = tensor.detach().to("cpu").contiguous().reshape(-1)
            hasher.update(f"{name.replace(marker, '.')}|{flat.dtype}|{tuple(tensor.shape)}|".encode())
            hasher.update(flat.view(torch.uint8).numpy().tobytes())
    return hasher.hexdigest()


class HFModelBase:
    """What the likelihood and generation runners share: the loaded model, its adapters,
    its identity, and the exact text and token ids it reads.
    """

    loaded: LoadedModel
    chat_format: ChatFormat
    system: str | None
    adapter: str | None
    name: str

    def _setup_model(self, model: Any, *, chat_format: ChatFormat | None, system: str | None,
                     adapter: str | None, name: str | None, load_options: dict[str, Any]) -> None:
        if not isinstance(model, LoadedModel) and adapter is not None:
            load_options["adapter"], adapter = adapter, None
        if isinstance(model, LoadedModel) and load_options:
            raise ConfigError(f"load options {sorted(load_options)} cannot apply to an already loaded model")
        self.loaded = model if isinstance(model, LoadedModel) else load_model(model, **load_options)
        self.chat_format = chat_format or default_chat_format(self.loaded.tokenizer)
        self.system = system
        self._adapter_digests: dict[str, str] = {}
        self.adapter = self._check_adapter(adapter)
        self.name = name or self._default_name()

    # -- identity -------------------------------------------------------------------------
    def _check_adapter(self, adapter: str | None) -> str | None:
        model = self.loaded.model
        if not hasattr(model, "peft_config"):
            if adapter not in (None, BASE_ADAPTER):
                raise ConfigError(f"adapter={adapter!r} given, but {self.loaded.name} has no LoRA adapters loaded")
            return None
        if adapter is None:
            active = model.active_adapters
            return active[0] if isinstance(active, list) else active
        if adapter != BASE_ADAPTER and adapter not in model.peft_config:
            raise ConfigError(f"adapter {adapter!r} is not loaded; loaded: {sorted(model.peft_config)}")
        return adapter

    def _base_label(self) -> str:
        name, adapters = self.loaded.name, self.loaded.adapters
        suffix = "+" + "+".join(adapters)
        return name[: -len(suffix)] if adapters and name.endswith(suffix) else name

    def _default_name(self) -> str:
        if self.adapter is None:
            return self.loaded.name
        if self.adapter == BASE_ADAPTER:
            return self._base_label()
        if self.loaded.adapters == (self.adapter,):
            return self.loaded.name
        return f"{self._base_label()}+{self.adapter}"

    @property
    def model_fingerprint(self) -> str:
        """Identity of the weights that answer: base weights, tokenizer, dtype and the adapter in use."""
        identity = self.loaded.identity
        parts = [f"{key}={identity.get(key, '')}" for key in ("weights", "tokenizer", "dtype")]
        if self.adapter is not None and self.adapter != BASE_ADAPTER:
            if self.adapter not in self._adapter_digests:
                self._adapter_digests[self.adapter] = adapter_digest(self.loaded.model, self.adapter)
            parts.append(f"adapter={self._adapter_digests[self.adapter]}")
        return digest_of(parts)

    def with_adapter(self, adapter: str, *, name: str | None = None) -> Any:
        """A runner on the same loaded model that uses another adapter (``"__base__"``: none)."""
        view = copy.copy(self)
        view.adapter = self._check_adapter(adapter)
        view.name = name or view._default_name()
        return view

    # -- text and tokens ----------------------------------------------------------------------
    @property
    def is_seq2seq(self) -> bool:
        return self.loaded.kind == "seq2seq"

    def _encode(self, texts: list[str], *, special: bool) -> list[list[int]]:
        return self.loaded.tokenizer(texts, add_special_tokens=special)["input_ids"]

    @property
    def _context_specials(self) -> bool:
        """Whether to add the tokenizer's special tokens (the model's own chat template brings its own)."""
        return self.chat_format != "model"

    def user_turn(self, prompt: Prompt, *, answer_prefix: str = "") -> str:
        """The prompt wrapped in the chat format, optionally followed by an answer prefix."""
        return format_chat(prompt.text, chat_format=self.chat_format, tokenizer=self.loaded.tokenizer,
                           system=self.system, answer_prefix=answer_prefix)

    def context(self, prompt: Prompt) -> str:
        """The exact text the model reads before the option label (decoder) or in the encoder (T5)."""
        if self.is_seq2seq:
            return self.user_turn(prompt)
        return choice_context(prompt, chat_format=self.chat_format, tokenizer=self.loaded.tokenizer,
                              system=self.system)


def choice_context(prompt: Prompt, *, chat_format: ChatFormat, tokenizer: Any, system: str | None) -> str:
    """The exact text a decoder model reads before the option label: the chat-wrapped prompt and its
    answer prefix ("Answer: Option")."""
    spacer = RAW_ANSWER_SPACER if chat_format == "raw" else ""
    return format_chat(prompt.text, chat_format=chat_format, tokenizer=tokenizer, system=system,
                       answer_prefix=spacer + prompt.answer_prefix)


def causal_requests(tokenizer: Any, prompts: Sequence[Prompt], *, chat_format: ChatFormat, system: str | None,
                    adapter: str | None = None, continuations: Literal["labels", "options"] = "labels",
                    ) -> list[ChoiceRequest]:
    """The token ids a decoder model scores for each prompt: the context and each option label's (or,
    with ``continuations="options"``, option text's) continuation, tokenized in bulk (shared by
    :class:`HFRunner` and the vLLM runner)."""
    def encode(texts: list[str], *, special: bool) -> list[list[int]]:
        return tokenizer(texts, add_special_tokens=special)["input_ids"]

    contexts = [(choice_context(p, chat_format=chat_format, tokenizer=tokenizer, system=system),
                 getattr(p, continuations)) for p in prompts]
    # the model's own chat template brings its special tokens; raw and tulu text gets the tokenizer's
    split = split_continuations(encode, contexts, special=chat_format != "model")
    return [ChoiceRequest(context=tuple(context), options=tuple(options), adapter=adapter, group=prompt.case_id)
            for prompt, (context, options) in zip(prompts, split)]


_TOKENIZE_CHUNK = 4096


def split_continuations(
    encode: Any, items: Sequence[tuple[str, Sequence[str]]], *, special: bool
) -> list[tuple[list[int], list[tuple[int, ...]]]]:
    """Context ids and each label's continuation ids, tokenized together as the model reads them.

    ``items`` are (context, labels) pairs; all texts go to the tokenizer in a few large calls.
    As in lm-eval, trailing whitespace of the context moves into the continuation, and
    context + continuation is encoded as one text and split; if the split point does
    not fall on a token boundary the continuation is encoded alone.
    """
    texts: list[str] = []
    plans = []
    for context, labels in items:
        stripped = context.rstrip()
        space = context[len(stripped):] or " "
        continuations = [space + label for label in labels]
        plans.append((len(texts), continuations))
        texts += [stripped, *(stripped + c for c in continuations)]
    encoded: list[list[int]] = []
    for start in range(0, len(texts), _TOKENIZE_CHUNK):
        encoded += encode(texts[start : start + _TOKENIZE_CHUNK], special=special)
    out = []
    for first, continuations in plans:
        context_ids = encoded[first]
        options = []
        for whole, continuation in zip(encoded[first + 1 : first + 1 + len(continuations)], continuations):
            if whole[: len(context_ids)] == context_ids and len(whole) > len(context_ids):
                options.append(tuple(whole[len(context_ids):]))
            else:
                options.append(tuple(encode([continuation], special=False)[0]))
        out.append((context_ids, options))
    return out


class HFRunner(HFModelBase):
    """Likelihood choice with a causal or seq2seq transformers model.

    Parameters
    ----------
    model
        Anything :func:`~biasorigins.models.loading.load_model` accepts, or a LoadedModel.
    chat_format
        ``"raw"``, ``"tulu"`` or ``"model"`` (the tokenizer's own template); default:
        the model's template when it has one, else raw.
    system
        Optional system text.
    batch_size
        Most prompts per forward pass.
    max_batch_tokens
        Optional bound on prompts x longest prompt per batch (memory on GPU).
    share_prefix
        Run the token prefix shared by a batch, and the part shared by the prompts of
        one test case, once (decoder models).
    adapter
        With a :class:`LoadedModel`: the name of the loaded LoRA adapter to use, or
        ``"__base__"`` for the bare base model (default: the active adapter).  With a path
        or hub id: the adapter folder(s) to load, as in ``load_model(..., adapter=...)``.
    name
        Label of the results; default the model's name.
    scoring
        ``"labels"`` (default): the displayed option labels after the whole prompt.
        ``"cloze"``: the option texts after the situation and question, per byte of option
        text (see the module docstring); the option list, its order and the labels are not
        shown to the model.
    **load_options
        Passed to ``load_model`` (adapter, dtype, device, trust_remote_code, ...): device
        ``"auto"`` picks cuda / mps / cpu; dtype ``"auto"`` is bf16 (fp16 without bf16)
        on GPU and fp32 on CPU.
    """

    method = "likelihood"

    def __init__(
        self,
        model: Any,
        *,
        chat_format: ChatFormat | None = None,
        system: str | None = None,
        batch_size: int = 16,
        max_batch_tokens: int | None = None,
        share_prefix: bool = True,
        adapter: str | None = None,
        name: str | None = None,
        scoring: Scoring = "labels",
        **load_options: Any,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        if scoring not in ("labels", "cloze"):
            raise ConfigError(f"scoring must be 'labels' or 'cloze', got {scoring!r}")
        self.scoring = scoring
        self._setup_model(model, chat_format=chat_format, system=system, adapter=adapter, name=name,
                          load_options=load_options)
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.share_prefix = share_prefix
        self._caller = ModelCaller(self.loaded.model, self.loaded.device)
        self._row_limit = batch_size

    @property
    def settings(self) -> dict[str, Any]:
        """Decoding settings that change answers (part of the cache key)."""
        settings = {"method": self.method, "version": _SCORING_VERSION, "chat_format": self.chat_format,
                    "system": self.system, "normalisation": "sum"}
        if self.scoring == "cloze":
            settings.update(scoring="cloze", normalisation="per-byte")
        return settings

    @property
    def fingerprint(self) -> str:
        return digest_of([self.model_fingerprint, canonical_json(self.settings)])

    @property
    def joint_key(self) -> tuple[int, str]:
        """Runners with equal keys share one model and settings, so they can be batched together."""
        return (id(self.loaded.model), canonical_json(self.settings))

    # -- adapters --------------------------------------------------------------------------
    def variants(self, adapters: Sequence[str] | None = None, *, include_base: bool = True) -> list[HFRunner]:
        """One runner per loaded adapter (and the bare base first), all sharing this model.

        Pass them together to :meth:`BiasSuite.run_many` to score every variant in
        the same batches without reloading the base.
        """
        model = self.loaded.model
        if not hasattr(model, "peft_config"):
            raise ConfigError(f"{self.loaded.name} has no LoRA adapters loaded; load_model(..., adapter=...)")
        names = list(adapters) if adapters is not None else list(model.peft_config)
        if include_base and BASE_ADAPTER not in names:
            names.insert(0, BASE_ADAPTER)
        return [self.with_adapter(name) for name in names]

    # -- requests --------------------------------------------------------------------------
    def request(self, prompt: Prompt) -> ChoiceRequest:
        """Token ids of one prompt: context, each option's continuation and, for T5, the encoder input."""
        return self.requests([prompt])[0]

    def requests(self, prompts: Sequence[Prompt]) -> list[ChoiceRequest]:
        """:meth:`request` for many prompts, tokenized in bulk (with ``scoring="cloze"``: the
        option texts after the situation and question)."""
        if self.scoring == "cloze":
            return self._requests([_cloze_prompt(p) for p in prompts], continuations="options")
        return self._requests(prompts, continuations="labels")

    def _requests(self, prompts: Sequence[Prompt], *, continuations: Literal["labels", "options"]
                  ) -> list[ChoiceRequest]:
        """Requests whose continuations are each prompt's ``labels`` or ``options``."""
        if not self.is_seq2seq:
            return causal_requests(self.loaded.tokenizer, prompts, chat_format=self.chat_format, system=self.system,
                                   adapter=self.adapter, continuations=continuations)
        start = self.loaded.model.config.decoder_start_token_id
        if start is None:
            raise ConfigError(f"{self.loaded.name} has no decoder_start_token_id in its config")
        encoders: list[list[int]] = []
        texts = [self.context(p) for p in prompts]
        for first in range(0, len(texts), _TOKENIZE_CHUNK):
            encoders += self._encode(texts[first : first + _TOKENIZE_CHUNK], special=True)
        keys = [(p.answer_prefix, getattr(p, continuations)) for p in prompts]
        decoder_sides = {key: split_continuations(self._encode, [key], special=False)[0] for key in dict.fromkeys(keys)}
        out = []
        for key, encoder in zip(keys, encoders):
            prefix, options = decoder_sides[key]
            out.append(ChoiceRequest(context=(start, *prefix), options=tuple(options), encoder=tuple(encoder),
                                     adapter=self.adapter))
        return out

    # -- scoring -----------------------------------------------------------------------------
    def score_batch(self, requests: Sequence[ChoiceRequest]) -> list[list[float]]:
        """Option log-probabilities of one batch (one model pass, or a few for long labels).

        This is the single place where the model runs; subclasses may wrap it
        (e.g. to log or to inject faults in tests).
        """
        pad = self.loaded.tokenizer.pad_token_id
        if self.is_seq2seq:
            return score_seq2seq(self._caller, requests, pad_id=pad, max_rows=self.batch_size * 4)
        return score_causal(self._caller, requests, pad_id=pad, share_prefix=self.share_prefix,
                            max_rows=self.batch_size * 4)

    def _shrink(self, fitted: int) -> None:
        self._row_limit = max(1, min(self._row_limit, fitted))

    def score_requests(self, requests: Sequence[ChoiceRequest], units: Sequence[Any] | None = None
                       ) -> Iterator[list[tuple[int, list[float]]]]:
        """Score requests batch by batch; yields [(request index, option log-probs), ...] per batch."""
        units = list(range(len(requests))) if units is None else list(units)
        lengths = [r.length for r in requests]
        for planned in plan_batches(lengths, units, batch_size=self.batch_size,
                                    max_batch_tokens=self.max_batch_tokens):
            for start in range(0, len(planned), self._row_limit):
                piece = planned[start : start + self._row_limit]
                for done, scores in run_with_oom_retry(
                    piece, lambda rows: self.score_batch([requests[i] for i in rows]), on_split=self._shrink
                ):
                    yield list(zip(done, scores))

    def decide_batches(self, prompts: Sequence[Prompt], *, runners: Sequence[HFRunner] | None = None
                       ) -> Iterator[list[tuple[int, Response]]]:
        """Answer prompts batch by batch; yields [(prompt index, response), ...] as each batch ends.

        ``runners`` optionally gives each prompt its own variant of this runner (same
        model and settings, another adapter); prompts of one test case share a batch.
        """
        variants = list(runners) if runners is not None else [self] * len(prompts)
        if len(variants) != len(prompts):
            raise ConfigError(f"runners has {len(variants)} entries for {len(prompts)} prompts")
        if any(v.joint_key != self.joint_key for v in variants):
            raise ConfigError("runners batched together must share this runner's model and settings")
        for batch in self._option_scores(prompts, variants):
            yield [(i, _choose(scores)) for i, scores in batch]

    def _option_scores(self, prompts: Sequence[Prompt], variants: Sequence[HFRunner]
                       ) -> Iterator[list[tuple[int, list[float]]]]:
        """Each prompt's option scores, batch by batch, as its requests finish; requests that read the
        same up to option order (e.g. cloze prompts of display-reversed twins) are scored once."""
        requests = [self._for_adapter(r, v.adapter) for r, v in zip(self.requests(prompts), variants)]
        copies: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            copies.setdefault((r.context, tuple(sorted(r.options)), r.encoder, r.adapter), []).append(i)
        groups = list(copies.values())
        units = [(prompts[same[0]].case_id, variants[same[0]].adapter) for same in groups]
        for batch in self.score_requests([requests[same[0]] for same in groups], units):
            done = []
            for k, scores in batch:
                by_option = dict(zip(requests[groups[k][0]].options, scores))
                done += [(i, self._normalised(prompts[i], [by_option[o] for o in requests[i].options]))
                         for i in groups[k]]
            yield done

    def _normalised(self, prompt: Prompt, scores: list[float]) -> list[float]:
        """Label scores as they are; cloze scores per UTF-8 byte of each option text."""
        if self.scoring != "cloze":
            return scores
        return [score / len(text.encode()) for score, text in zip(scores, prompt.options)]

    @staticmethod
    def _for_adapter(request: ChoiceRequest, adapter: str | None) -> ChoiceRequest:
        if request.adapter == adapter:
            return request
        return ChoiceRequest(context=request.context, options=request.options, encoder=request.encoder,
                             adapter=adapter, group=request.group)

    def option_logprobs(self, prompts: Sequence[Prompt]) -> list[list[float]]:
        """Summed log-probability of each displayed option label, per prompt (``scoring="cloze"``:
        of each option text after the situation and question, per byte)."""
        out: list[list[float]] = [[] for _ in prompts]
        for batch in self._option_scores(prompts, [self] * len(prompts)):
            for i, scores in batch:
                out[i] = scores
        return out

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        return responses_in_order(self.decide_batches(prompts), len(prompts))

    def __repr__(self) -> str:
        adapter = f" adapter={self.adapter!r}" if self.adapter else ""
        scoring = " scoring='cloze'" if self.scoring == "cloze" else ""
        return f"<HFRunner {self.name!r} {self.loaded.kind}{adapter} chat_format={self.chat_format!r}{scoring}>"


def _cloze_prompt(prompt: Prompt) -> Prompt:
    """The prompt cloze scoring reads: the situation with the question, then "Answer:"."""
    try:
        text = cloze_text(prompt.text)
    except ValueError as error:
        raise ConfigError(f"scoring='cloze' needs prompts rendered by biasorigins ({prompt.key}): {error}") from None
    return prompt.model_copy(update={"text": text, "answer_prefix": CLOZE_ANSWER_PREFIX})


def _choose(scores: Sequence[float]) -> Response:
    best = max(range(len(scores)), key=scores.__getitem__)
    return Response(choice=best, scores=tuple(scores))
