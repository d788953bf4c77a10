"""Option log-likelihoods from one batched pass per prompt, reusing the prompt's states.

A :class:`ChoiceRequest` holds token ids: the context, one continuation per
option and, for encoder-decoder models, the encoder input.  The scorers return
the summed log-probability of each continuation given the context, equal (up
to float rounding) to one full forward per option, but much cheaper:

Decoder models (:func:`score_causal`)
    1. the token prefix shared by every row of the batch runs once (batch 1,
       once per adapter) and its key/value cache is copied to every row;
    2. within a group of rows (the control and treatment prompts of one test
       case), the further prefix they share runs once per group, when that saves work;
    3. the rest of each context runs in one left-padded pass (the padding sits
       between the shared part and the rest, masked, with explicit position
       ids) and the last position gives every option's first-token log-prob:
       single-token labels (A, B, ...) are done here;
    4. longer labels continue from each row's cache, copied once per option,
       instead of re-running the prompt.

Encoder-decoder models (:func:`score_seq2seq`)
    the encoder runs once per prompt; its output is repeated for the options
    and only the short decoder ("Answer: Option" + label) runs per option.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

#: The adapter name that means "no adapter" in a batch of mixed adapters (PEFT's convention).
BASE_ADAPTER = "__base__"
#: Shared prefixes shorter than this are not worth a separate pass.
MIN_SHARED_PREFIX = 8


@dataclass(frozen=True)
class ChoiceRequest:
    """Token ids of one choice question.

    Attributes
    ----------
    context
        Decoder-only: the prompt's ids up to the option label.  Encoder-decoder:
        the decoder prefix, starting with the decoder start token.
    options
        The continuation ids of each option (e.g. ``" A"``), in displayed order.
    encoder
        Encoder-decoder only: the encoder input ids.
    adapter
        PEFT adapter to use for this row (``"__base__"`` for none); None keeps the active one.
    group
        Requests of one group in a batch (e.g. the conditions of one test case) also
        share the part of their prompts they have in common; None: no group.
    """

    context: tuple[int, ...]
    options: tuple[tuple[int, ...], ...]
    encoder: tuple[int, ...] | None = None
    adapter: str | None = None
    group: Hashable | None = None

    @property
    def length(self) -> int:
        """Tokens the request reads (for sorting batches by length)."""
        return len(self.context) + len(self.encoder or ()) + max(len(o) for o in self.options)

    @property
    def single_token(self) -> bool:
        return all(len(option) == 1 for option in self.options)


class ModelCaller:
    """Calls a transformers (or PEFT) model with version-tolerant keyword names.

    transformers 5 renamed ``past_key_values`` to ``cache`` (input and output);
    some models lack ``position_ids`` or ``logits_to_keep``; PEFT models take
    ``adapter_names`` for per-row adapters.  This class hides those differences.
    """

    def __init__(self, model: Any, device: torch.device) -> None:
        self.model = model
        self.device = device
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        params = inspect.signature(base.forward).parameters
        self.cache_kwarg = "cache" if "cache" in params else "past_key_values"
        self.takes_positions = "position_ids" in params
        self.takes_logits_to_keep = "logits_to_keep" in params
        self.is_peft = hasattr(model, "peft_config")

    def __call__(self, adapters: Sequence[str | None] | None = None, cache: Any = None, **kwargs: Any) -> Any:
        if cache is not None:
            kwargs[self.cache_kwarg] = cache
        if not self.takes_positions:
            kwargs.pop("position_ids", None)
        keep = kwargs.pop("logits_to_keep", None)
        if keep is not None and self.takes_logits_to_keep:
            kwargs["logits_to_keep"] = keep
        names = _adapter_names(adapters) if self.is_peft else None
        if names is None:
            return self.model(**kwargs)
        if set(names) == {BASE_ADAPTER}:
            with self.model.disable_adapter():
                return self.model(**kwargs)
        # PEFT's per-row path copies every row group in every layer; when all rows use the one active
        # adapter the plain path does the same arithmetic without them (a sixth of a LoRA evaluation on CPU)
        if set(names) != set(self.model.active_adapters) or len(self.model.active_adapters) != 1:
            kwargs["adapter_names"] = names
        return self.model(**kwargs)

    @staticmethod
    def output_cache(output: Any) -> Any:
        cache = getattr(output, "cache", None)
        return cache if cache is not None else getattr(output, "past_key_values", None)


def _adapter_names(adapters: Sequence[str | None] | None) -> list[str] | None:
    """PEFT ``adapter_names``, or None when every row uses the active adapter(s)."""
    if adapters is None or all(name is None for name in adapters):
        return None
    if any(name is None for name in adapters):
        raise ValueError("a batch mixes rows with and without an explicit adapter; name every row's adapter")
    return list(adapters)  # type: ignore[arg-type]


def select_cache(cache: Any, indices: torch.Tensor) -> Any:
    """A new cache holding rows ``indices`` of ``cache`` (rows may repeat); ``cache`` is untouched."""
    layers = getattr(cache, "layers", None)
    if layers is None:  # older cache classes: copy everything
        selected = copy.deepcopy(cache)
    else:
        selected = copy.copy(cache)
        selected.layers = [copy.copy(layer) for layer in layers]
    selected.batch_select_indices(indices)
    return selected


def _pad(rows: Sequence[Sequence[int]], pad_id: int, *, left: bool, width: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, mask) tensors with rows padded to ``width`` (default: the longest row)."""
    width = max(len(r) for r in rows) if width is None else width
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if not row:
            continue
        span = slice(width - len(row), width) if left else slice(0, len(row))
        ids[i, span] = torch.tensor(row, dtype=torch.long)
        mask[i, span] = 1
    return ids, mask


def shared_prefix_length(rows: Sequence[Sequence[int]], *, minimum: int = MIN_SHARED_PREFIX) -> int:
    """Length of the prefix common to all rows, leaving each row at least one own token (0 if short)."""
    limit = min(len(r) for r in rows) - 1
    first = rows[0]
    n = 0
    while n < limit and all(r[n] == first[n] for r in rows):
        n += 1
    return n if n >= minimum else 0


def _group_prefixes(contexts: Sequence[Sequence[int]], keys: Sequence[Hashable | None], start: int,
                    minimum: int) -> tuple[list[Hashable], list[int], list[int]] | None:
    """Groups of rows, each group's extra shared prefix beyond ``start``, and each row's group index.

    None when no group shares enough to pay for the extra pass (its padded width times the
    number of groups must be less than the tokens it saves).
    """
    members: dict[Hashable, list[int]] = {}
    for index, key in enumerate(keys):
        members.setdefault(key if key is not None else ("row", index), []).append(index)
    groups = list(members)
    extras = []
    for key in groups:
        rows = [contexts[i][start:] for i in members[key]]
        extra = shared_prefix_length(rows, minimum=minimum) if len(rows) > 1 else 0
        extras.append(extra)
    saved = sum(extras[g] * len(members[key]) for g, key in enumerate(groups))
    if not saved or len(groups) * max(extras) >= saved:
        return None
    row_group = [0] * len(contexts)
    for g, key in enumerate(groups):
        for i in members[key]:
            row_group[i] = g
    return groups, extras, row_group


def _option_rows(requests: Sequence[ChoiceRequest], rows_needed: Sequence[int]) -> list[tuple[int, int]]:
    """(request index, option index) of every option whose label has more than one token."""
    return [(i, j) for i in rows_needed for j, option in enumerate(requests[i].options) if len(option) > 1]


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[k : k + size] for k in range(0, len(items), max(size, 1))]


@torch.inference_mode()
def score_causal(
    call: ModelCaller,
    requests: Sequence[ChoiceRequest],
    *,
    pad_id: int,
    share_prefix: bool = True,
    max_rows: int = 64,
) -> list[list[float]]:
    """Summed log-probability of every option of every request (decoder-only model).

    Parameters
    ----------
    call
        The model wrapper.
    requests
        The batch; contexts may differ in length and adapter.
    pad_id
        Token id used for padding (always masked).
    share_prefix
        Run the token prefix common to the whole batch once.
    max_rows
        At most this many option rows per continuation pass (bounds memory for long labels).
    """
    device = call.device
    contexts = [list(r.context) for r in requests]
    adapters = [r.adapter for r in requests]
    # without explicit position ids the padding between prefix and rest would shift positions
    shared = shared_prefix_length(contexts) if share_prefix and call.takes_positions and len(requests) > 1 else 0

    prefix_cache = None
    if shared:
        distinct = list(dict.fromkeys(adapters))
        prefix_ids = torch.tensor([contexts[0][:shared]] * len(distinct), device=device)
        out = call(
            adapters=distinct, input_ids=prefix_ids, attention_mask=torch.ones_like(prefix_ids),
            position_ids=torch.arange(shared, device=device).expand(len(distinct), -1), use_cache=True,
            logits_to_keep=1,
        )
        prefix_cache = select_cache(
            call.output_cache(out), torch.tensor([distinct.index(a) for a in adapters], device=device)
        )

    lengths = torch.tensor([len(c) for c in contexts])
    consumed = [shared] * len(requests)
    prefix_mask = torch.ones(len(requests), shared, dtype=torch.long)
    grouping = (_group_prefixes(contexts, [(r.group, r.adapter) if r.group is not None else None
                                           for r in requests], shared, MIN_SHARED_PREFIX)
                if share_prefix and call.takes_positions else None)
    if grouping is not None:
        groups, extras, row_group = grouping
        first_row = {g: row_group.index(g) for g in range(len(groups))}
        parts = [contexts[first_row[g]][shared : shared + extras[g]] for g in range(len(groups))]
        part_ids, part_mask = _pad(parts, pad_id, left=True)
        part_width = part_ids.shape[1]
        ends = torch.tensor([shared + e for e in extras])
        part_pos = (ends.unsqueeze(1) - part_width + torch.arange(part_width).unsqueeze(0)).clamp(min=0)
        group_adapters = [adapters[first_row[g]] for g in range(len(groups))]
        group_cache = None
        if prefix_cache is not None:
            first_of_group = torch.tensor([first_row[g] for g in range(len(groups))], device=device)
            group_cache = select_cache(prefix_cache, first_of_group)
        out = call(
            adapters=group_adapters, input_ids=part_ids.to(device),
            attention_mask=torch.cat([torch.ones(len(groups), shared, dtype=torch.long), part_mask], 1).to(device),
            position_ids=part_pos.to(device), cache=group_cache, use_cache=True, logits_to_keep=1,
        )
        prefix_cache = select_cache(call.output_cache(out), torch.tensor(row_group, device=device))
        prefix_mask = torch.cat([prefix_mask, part_mask[row_group]], dim=1)
        consumed = [shared + extras[g] for g in row_group]

    rests = [c[k:] for c, k in zip(contexts, consumed)]
    rest_ids, rest_mask = _pad(rests, pad_id, left=True)
    width = rest_ids.shape[1]
    # real tokens of row i end at position len(context_i) - 1, right-aligned in the padded block
    positions = (lengths.unsqueeze(1) - width + torch.arange(width).unsqueeze(0)).clamp(min=0)
    attention = torch.cat([prefix_mask, rest_mask], dim=1)
    need_cache = not all(r.single_token for r in requests)
    out = call(
        adapters=adapters, input_ids=rest_ids.to(device), attention_mask=attention.to(device),
        position_ids=positions.to(device), cache=prefix_cache, use_cache=need_cache, logits_to_keep=1,
    )
    first = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1).cpu()
    scores = [[float(first[i, option[0]]) for option in r.options] for i, r in enumerate(requests)]
    if not need_cache:
        return scores

    context_cache = call.output_cache(out)
    pending = _option_rows(requests, [i for i, r in enumerate(requests) if not r.single_token])
    for chunk in _chunks(pending, max_rows):
        rows = [i for i, _ in chunk]
        tails = [list(requests[i].options[j][:-1]) for i, j in chunk]
        tail_ids, tail_mask = _pad(tails, pad_id, left=False)
        starts = lengths[rows].unsqueeze(1)
        tail_pos = starts + torch.arange(tail_ids.shape[1]).unsqueeze(0)
        mask = torch.cat([attention[rows], tail_mask], dim=1)
        cache = select_cache(context_cache, torch.tensor(rows, device=device))
        tail_out = call(
            adapters=[adapters[i] for i in rows], input_ids=tail_ids.to(device), attention_mask=mask.to(device),
            position_ids=tail_pos.to(device), cache=cache, use_cache=True,
        )
        logprobs = torch.log_softmax(tail_out.logits.float(), dim=-1).cpu()
        for k, (i, j) in enumerate(chunk):
            option = requests[i].options[j]
            scores[i][j] += float(sum(logprobs[k, t, option[t + 1]] for t in range(len(option) - 1)))
    return scores


@torch.inference_mode()
def score_seq2seq(
    call: ModelCaller,
    requests: Sequence[ChoiceRequest],
    *,
    pad_id: int,
    max_rows: int = 64,
) -> list[list[float]]:
    """Summed log-probability of every option of every request (encoder-decoder model).

    The encoder runs once per request; its output is repeated for the options
    whose label has several tokens, so only the decoder runs per option.
    """
    device = call.device
    adapters = [r.adapter for r in requests]
    enc_ids, enc_mask = _pad([list(r.encoder or ()) for r in requests], pad_id, left=False)
    dec_ids, _ = _pad([list(r.context) for r in requests], pad_id, left=False)
    last = torch.tensor([len(r.context) - 1 for r in requests])
    out = call(
        adapters=adapters, input_ids=enc_ids.to(device), attention_mask=enc_mask.to(device),
        decoder_input_ids=dec_ids.to(device), use_cache=False,
    )
    first = torch.log_softmax(out.logits[torch.arange(len(requests)), last.to(out.logits.device)].float(), dim=-1).cpu()
    scores = [[float(first[i, option[0]]) for option in r.options] for i, r in enumerate(requests)]
    pending = _option_rows(requests, [i for i, r in enumerate(requests) if not r.single_token])
    if not pending:
        return scores

    from transformers.modeling_outputs import BaseModelOutput

    encoded = out.encoder_last_hidden_state
    for chunk in _chunks(pending, max_rows):
        rows = torch.tensor([i for i, _ in chunk])
        decoder_rows = [list(requests[i].context) + list(requests[i].options[j][:-1]) for i, j in chunk]
        ids, _ = _pad(decoder_rows, pad_id, left=False)
        tail_out = call(
            adapters=[adapters[i] for i, _ in chunk],
            encoder_outputs=BaseModelOutput(last_hidden_state=encoded[rows.to(encoded.device)]),
            attention_mask=enc_mask[rows].to(device), decoder_input_ids=ids.to(device), use_cache=False,
        )
        logprobs = torch.log_softmax(tail_out.logits.float(), dim=-1).cpu()
        for k, (i, j) in enumerate(chunk):
            option = requests[i].options[j]
            start = len(requests[i].context)
            scores[i][j] += float(sum(logprobs[k, start + t - 1, option[t]] for t in range(1, len(option))))
    return scores
