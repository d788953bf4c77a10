"""Hugging Face runner: choose an answer option by likelihood.

For each prompt the runner formats the chat, prefills the answer prefix
("Answer: Option") and reads the log-probability of each option label as the
next token(s). Decoder models use one forward pass per prompt (batched, sorted
by length, left-padded); T5-style models run the encoder on the prompt and one
decoder step after the answer prefix.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import torch

from biasorigins.models.chat import ChatFormat, default_chat_format, format_chat
from biasorigins.models.loading import LoadedModel, load_model
from biasorigins.records import Prompt, Response

logger = logging.getLogger(__name__)


class HFRunner:
    """Likelihood choice with a causal or seq2seq transformers model.

    Parameters
    ----------
    model
        Anything :func:`~biasorigins.models.loading.load_model` accepts, or a LoadedModel.
    chat_format
        ``"raw"``, ``"tulu"`` or ``"model"`` (the tokenizer's own template); default:
        the model's template when it has one, else raw.
    batch_size
        Prompts per forward pass.
    **load_options
        Passed to ``load_model`` (adapter, dtype, device, trust_remote_code, ...).
    """

    method = "likelihood"

    def __init__(
        self,
        model: Any,
        *,
        chat_format: ChatFormat | None = None,
        batch_size: int = 8,
        system: str | None = None,
        name: str | None = None,
        **load_options: Any,
    ) -> None:
        self.loaded = model if isinstance(model, LoadedModel) else load_model(model, **load_options)
        self.chat_format: ChatFormat = chat_format or default_chat_format(self.loaded.tokenizer)
        self.batch_size = batch_size
        self.system = system
        self.name = name or self.loaded.name

    @property
    def fingerprint(self) -> str:
        settings = f"{self.loaded.fingerprint}|{self.method}|{self.chat_format}|{self.system!r}"
        return hashlib.sha256(settings.encode()).hexdigest()

    # -- prompt text ----------------------------------------------------------------------
    def context(self, prompt: Prompt) -> str:
        """The exact text the model reads before the option label."""
        if self.loaded.kind == "seq2seq":
            return format_chat(prompt.text, chat_format=self.chat_format, tokenizer=self.loaded.tokenizer, system=self.system)
        prefix = ("\n\n" if self.chat_format == "raw" else "") + prompt.answer_prefix
        return format_chat(
            prompt.text, chat_format=self.chat_format, tokenizer=self.loaded.tokenizer, system=self.system,
            answer_prefix=prefix,
        )

    def _label_ids(self, labels: Sequence[str]) -> list[list[int]]:
        tok = self.loaded.tokenizer
        return [tok.encode(" " + label, add_special_tokens=False) for label in labels]

    # -- deciding ---------------------------------------------------------------------------
    @torch.inference_mode()
    def option_logprobs(self, prompts: Sequence[Prompt]) -> list[list[float]]:
        """Log-probability of each displayed option label, per prompt."""
        results: list[list[float] | None] = [None] * len(prompts)
        contexts = [self.context(p) for p in prompts]
        lengths = [len(self.loaded.tokenizer.encode(c)) for c in contexts]
        order = sorted(range(len(prompts)), key=lambda i: -lengths[i])
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            scored = self._score_batch([contexts[i] for i in batch], [prompts[i] for i in batch])
            for i, scores in zip(batch, scored):
                results[i] = scores
        return [r for r in results if r is not None]

    def decide(self, prompts: Sequence[Prompt]) -> list[Response]:
        out = []
        for scores in self.option_logprobs(prompts):
            best = max(range(len(scores)), key=scores.__getitem__)
            out.append(Response(choice=best, scores=tuple(scores)))
        return out

    def _score_batch(self, contexts: list[str], prompts: list[Prompt]) -> list[list[float]]:
        label_ids = [self._label_ids(p.labels) for p in prompts]
        if all(len(ids) == 1 for labels in label_ids for ids in labels):
            logprobs = self._next_token_logprobs(contexts, prompts)
            return [[float(lp[ids[0]]) for ids in labels] for lp, labels in zip(logprobs, label_ids)]
        return [self._sequence_logprobs(c, labels) for c, labels in zip(contexts, label_ids)]

    def _next_token_logprobs(self, contexts: list[str], prompts: list[Prompt]) -> torch.Tensor:
        tok, model, device = self.loaded.tokenizer, self.loaded.model, self.loaded.device
        if self.loaded.kind == "seq2seq":
            enc = tok(contexts, return_tensors="pt", padding=True).to(device)
            prefix = tok.encode(prompts[0].answer_prefix, add_special_tokens=False)
            start = model.config.decoder_start_token_id
            dec = torch.tensor([[start, *prefix]] * len(contexts), device=device)
            logits = model(**enc, decoder_input_ids=dec).logits[:, -1, :]
        else:
            tok.padding_side = "left"
            enc = tok(contexts, return_tensors="pt", padding=True).to(device)
            logits = model(**enc).logits[:, -1, :]
        return torch.log_softmax(logits.float(), dim=-1).cpu()

    def _sequence_logprobs(self, context: str, labels: list[list[int]]) -> list[float]:
        """Sum of label-token log-probs, one full forward per option (for multi-token labels)."""
        tok, model, device = self.loaded.tokenizer, self.loaded.model, self.loaded.device
        out = []
        for ids in labels:
            if self.loaded.kind == "seq2seq":
                enc = tok([context], return_tensors="pt").to(device)
                prefix = tok.encode(" Answer: Option", add_special_tokens=False)
                dec = [model.config.decoder_start_token_id, *prefix, *ids]
                logits = model(**enc, decoder_input_ids=torch.tensor([dec], device=device)).logits[0]
                first = len(dec) - len(ids) - 1
            else:
                ctx = tok.encode(context)
                logits = model(input_ids=torch.tensor([ctx + ids], device=device)).logits[0]
                first = len(ctx) - 1
            lp = torch.log_softmax(logits.float(), dim=-1)
            out.append(float(sum(lp[first + j, t] for j, t in enumerate(ids))))
        return out

    def __repr__(self) -> str:
        return f"<HFRunner {self.name!r} {self.loaded.kind} chat_format={self.chat_format!r}>"
