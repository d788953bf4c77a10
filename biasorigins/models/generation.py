"""Generate-and-parse runner: the cross-tuning paper's protocol, and the way to ask API-like models.

The model answers each prompt in free text (greedy decoding, left-padded
batches, ``max_new_tokens`` and optional stop strings).  The answer is then

- parsed with :func:`~biasorigins.models.parsing.parse_choice` (explicit
  "Option B" first, option texts, negations; ambiguity is invalid), or
- handed to an *extractor*, any runner, as the paper did with a second model:
  the extractor sees the options and the answer and picks the option the
  answer chose, or "no single option".  A likelihood extractor
  (:class:`~biasorigins.models.hf.HFRunner`) costs one forward pass; a
  :class:`GenerationRunner` extractor reproduces the paper's second generation.

Invalid and refused answers keep their raw text and the reason, so they are
counted per bias and model and can be audited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import torch

from biasorigins.errors import ConfigError
from biasorigins.models.batching import plan_batches, run_with_oom_retry
from biasorigins.models.chat import ChatFormat
from biasorigins.models.fingerprint import canonical_json, digest_of
from biasorigins.models.hf import BASE_ADAPTER, HFModelBase
from biasorigins.models.parsing import PARSER_VERSION, parse_choice
from biasorigins.models.base import responses_in_order
from biasorigins.records import Prompt, Response

logger = logging.getLogger(__name__)

ExtractMode = Literal["always", "when_unparsed"]
_GENERATION_VERSION = 2

#: The extraction prompt's wording (ours).
EXTRACTION_INTRO = "Here are the answer options of a decision task, and a reply that someone wrote to it."
EXTRACTION_QUESTION = 'Which option does the reply choose? Answer with its label only, for example "Option B".'
NO_SINGLE_OPTION = "none of the above, or more than one (the reply does not pick exactly one option)"


def _next_label(labels: Sequence[str]) -> str:
    """A label for one more option, in the same style ("D" after "C", "4" after "3")."""
    last = labels[-1]
    if last.isdigit():
        return str(int(last) + 1)
    if len(last) == 1 and last.isalpha() and last.upper() != "Z":
        return chr(ord(last) + 1)
    raise ConfigError(f"cannot extend option labels {list(labels)} with a 'no single option' choice")


def extraction_prompt(prompt: Prompt, answer: str) -> Prompt:
    """The prompt an extractor answers: the options, the reply, and 'which option does it choose?'.

    The extra last option means "no single option"; choosing it makes the answer invalid.
    """
    labels = (*prompt.labels, _next_label(prompt.labels))
    options = (*prompt.options, NO_SINGLE_OPTION)
    lines = [EXTRACTION_INTRO, "", "Answer options:"]
    lines += [f"Option {label}: {text}" for label, text in zip(labels, options)]
    lines += ["", "Reply:", answer.strip() or "(empty)", "", EXTRACTION_QUESTION]
    return Prompt(case_id=prompt.case_id, condition=f"{prompt.condition}#extraction", text="\n".join(lines),
                  labels=labels, options=options, display_order=tuple(range(len(options))),
                  answer_prefix=prompt.answer_prefix)


def clean_answer(text: str, stop: Sequence[str]) -> str:
    """Cut the generated text at the first stop string and strip surrounding whitespace."""
    cut = len(text)
    for marker in stop:
        position = text.find(marker)
        if position != -1:
            cut = min(cut, position)
    return text[:cut].strip()


class GenerationRunner(HFModelBase):
    """Greedy generation, then parsing or an extractor, with a transformers model.

    Parameters
    ----------
    model
        Anything :func:`~biasorigins.models.loading.load_model` accepts, or a LoadedModel.
    max_new_tokens
        Most tokens generated per answer (the paper used 40 to 100).
    stop
        Strings that end an answer (generation stops there; the text is cut there).
    prefill
        Text placed at the start of the answer (e.g. ``"Answer: Option"``); parsed
        together with the continuation.  Default none, as in the paper.
    extractor
        Optional runner that reads each answer and names the option it chose.
    extract
        ``"always"`` (the paper) or ``"when_unparsed"`` (only answers the parser
        cannot decide go to the extractor).
    chat_format, system, adapter, name, **load_options
        As for :class:`~biasorigins.models.hf.HFRunner`.
    batch_size, max_batch_tokens
        Prompts per generation call and optional bound on prompts x prompt length.
    """

    method = "generate"

    def __init__(
        self,
        model: Any,
        *,
        max_new_tokens: int = 40,
        stop: Sequence[str] = (),
        prefill: str = "",
        extractor: Any = None,
        extract: ExtractMode = "always",
        chat_format: ChatFormat | None = None,
        system: str | None = None,
        batch_size: int = 8,
        max_batch_tokens: int | None = None,
        adapter: str | None = None,
        name: str | None = None,
        **load_options: Any,
    ) -> None:
        if max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        if extract not in ("always", "when_unparsed"):
            raise ConfigError(f"extract must be 'always' or 'when_unparsed', got {extract!r}")
        if extractor is not None and not hasattr(extractor, "decide"):
            raise ConfigError(f"extractor {extractor!r} is not a runner: it has no decide(prompts) method")
        self._setup_model(model, chat_format=chat_format, system=system, adapter=adapter, name=name,
                          load_options=load_options)
        self.max_new_tokens = max_new_tokens
        self.stop = tuple(stop)
        self.prefill = prefill
        self.extractor = extractor
        self.extract = extract
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self._row_limit = batch_size

    @property
    def settings(self) -> dict[str, Any]:
        """Decoding settings that change answers (part of the cache key)."""
        extractor = None
        if self.extractor is not None:
            extractor = {"fingerprint": getattr(self.extractor, "fingerprint", repr(self.extractor)),
                         "mode": self.extract}
        return {"method": self.method, "version": _GENERATION_VERSION, "decoding": "greedy",
                "parser": PARSER_VERSION,
                "max_new_tokens": self.max_new_tokens, "stop": list(self.stop), "prefill": self.prefill,
                "chat_format": self.chat_format, "system": self.system, "extractor": extractor}

    @property
    def fingerprint(self) -> str:
        return digest_of([self.model_fingerprint, canonical_json(self.settings)])

    # -- generation ---------------------------------------------------------------------------
    def model_input(self, prompt: Prompt) -> str:
        """The exact text the model continues (decoder) or reads in its encoder (T5)."""
        if self.is_seq2seq:
            return self.user_turn(prompt)
        return self.user_turn(prompt, answer_prefix=self.prefill)

    def _adapter_kwargs(self, rows: int) -> dict[str, Any]:
        if self.adapter is None:
            return {}
        return {"adapter_names": [self.adapter] * rows}

    def generate_batch(self, texts: Sequence[str]) -> list[str]:
        """Greedy answers to ``texts``, decoded (one model call).

        This is the single place where answers are produced; subclasses may wrap it
        (e.g. to log, or to script answers in tests).
        """
        return self.loaded.tokenizer.batch_decode(self.generate_tokens(texts), skip_special_tokens=True)

    @torch.inference_mode()
    def generate_tokens(self, texts: Sequence[str]) -> list[list[int]]:
        """Greedy continuations of ``texts`` as new token ids (left padding for decoder models)."""
        tok, model = self.loaded.tokenizer, self.loaded.model
        side = tok.padding_side
        tok.padding_side = "right" if self.is_seq2seq else "left"
        try:
            encoded = tok(list(texts), return_tensors="pt", padding=True,
                          add_special_tokens=self.is_seq2seq or self._context_specials)
        finally:
            tok.padding_side = side
        encoded = {k: v.to(self.loaded.device) for k, v in encoded.items()}
        config = _greedy_config(model, max_new_tokens=self.max_new_tokens, pad_token_id=tok.pad_token_id,
                                stop_strings=list(self.stop) or None)
        kwargs: dict[str, Any] = dict(self._adapter_kwargs(len(texts)))
        if self.stop:
            kwargs["tokenizer"] = tok
        skip = encoded["input_ids"].shape[1]
        if self.is_seq2seq:
            decoder = [model.config.decoder_start_token_id]
            if self.prefill:
                decoder += tok(self.prefill, add_special_tokens=False)["input_ids"]
            kwargs["decoder_input_ids"] = torch.tensor([decoder] * len(texts), device=self.loaded.device)
            skip = len(decoder)
        output = model.generate(**encoded, generation_config=config, **kwargs)
        pad, eos = tok.pad_token_id, tok.eos_token_id
        rows = []
        for row in output[:, skip:].tolist():
            while row and row[-1] == pad and pad != eos:
                row.pop()
            rows.append(row)
        return rows

    def _interpret(self, prompts: Sequence[Prompt], answers: Sequence[str]) -> list[Response]:
        parsed = [parse_choice(self.prefill + answer if self.prefill else answer, p.labels, p.options)
                  for p, answer in zip(prompts, answers)]
        responses = [
            Response(choice=pc.choice, status=pc.status, text=answer, error=None if pc.status == "ok" else pc.reason)
            for pc, answer in zip(parsed, answers)
        ]
        if self.extractor is None:
            return responses
        ask = [i for i, pc in enumerate(parsed) if self.extract == "always" or pc.status != "ok"]
        if not ask:
            return responses
        extracted = self.extractor.decide([extraction_prompt(prompts[i], answers[i]) for i in ask])
        if len(extracted) != len(ask):
            raise ConfigError(f"extractor {self.extractor!r} returned {len(extracted)} answers for {len(ask)}")
        for i, verdict in zip(ask, extracted):
            responses[i] = _from_extraction(prompts[i], answers[i], parsed[i].status, verdict)
        return responses

    def _shrink(self, fitted: int) -> None:
        self._row_limit = max(1, min(self._row_limit, fitted))

    def decide_batches(self, prompts: Sequence[Prompt]) -> Iterator[list[tuple[int, Response]]]:
        """Answer prompts batch by batch (longest first); yields [(prompt index, response), ...]."""
        texts = [self.model_input(p) for p in prompts]
        lengths = [len(ids) for ids in self._encode(texts, special=self.is_seq2seq or self._context_specials)]
        units = [p.case_id for p in prompts]
        for planned in plan_batches(lengths, units, batch_size=self.batch_size, max_batch_tokens=self.max_batch_tokens):
            for start in range(0, len(planned), self._row_limit):
                piece = planned[start : start + self._row_limit]
                for done, answers in run_with_oom_retry(
                    piece, lambda rows: self.generate_batch([texts[i] for i in rows]), on_split=self._shrink
                ):
                    cleaned = [clean_answer(a, self.stop) for a in answers]
                    yield list(zip(done, self._interpret([prompts[i] for i in done], cleaned)))

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        return responses_in_order(self.decide_batches(prompts), len(prompts))

    def __repr__(self) -> str:
        adapter = f" adapter={self.adapter!r}" if self.adapter and self.adapter != BASE_ADAPTER else ""
        return (f"<GenerationRunner {self.name!r} {self.loaded.kind}{adapter} max_new_tokens={self.max_new_tokens}"
                f" extractor={'yes' if self.extractor is not None else 'no'}>")


def _greedy_config(model: Any, **settings: Any) -> Any:
    """A copy of the model's generation config set to greedy decoding (no sampling settings left over)."""
    from transformers import GenerationConfig

    base = getattr(model, "generation_config", None)
    config = GenerationConfig.from_dict(base.to_dict()) if base is not None else GenerationConfig()
    config.update(do_sample=False, num_beams=1, temperature=None, top_p=None, top_k=None, **settings)
    return config


def _from_extraction(prompt: Prompt, answer: str, parsed_status: str, verdict: Response) -> Response:
    """The response implied by an extractor's verdict on one answer."""
    n = len(prompt.options)
    if verdict.status == "ok" and verdict.choice is not None and verdict.choice < n:
        return Response(choice=verdict.choice, status="ok", text=answer)
    status = "refused" if parsed_status == "refused" else "invalid"
    if verdict.status == "ok":
        reason = "extractor: the answer picks no single option"
    else:
        reason = f"extractor gave no option ({verdict.status}: {verdict.error or verdict.text or ''})".strip()
    return Response(status=status, text=answer, error=reason)
