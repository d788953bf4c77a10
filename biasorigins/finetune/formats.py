"""Turn instruction records into token ids and labels, with loss only on what the model should learn.

Decoder-only models (paper_spec 2.5, without the paper's BOS off-by-one):

- prompt/completion: ``[BOS] prompt␠completion EOS``; a space joins the two
  only when neither side already has whitespace at the join; the joining
  space, the completion and EOS are supervised, the prompt is not.
- messages (Tulu): ``<|system|>\\n{c}\\n``, ``<|user|>\\n{c}\\n``,
  ``<|assistant|>\\n{c}EOS\\n`` concatenated, without the final newline;
  every assistant content and its EOS is supervised, nothing else (tags
  included).

Labels are aligned with ``input_ids`` (the model shifts them): ``labels[i]``
is ``input_ids[i]`` when token ``i`` is supervised, else -100. A token is
supervised when its characters overlap supervised text, found through the
fast tokenizer's offsets on the *whole* text, so the tokenization is the
natural one (no per-segment tokenization artefacts) and masks cannot be off
by one.

Encoder-decoder models (T5): the encoder reads the prompt (or the Tulu text
of the turns before an assistant turn, followed by ``\\n<|assistant|>\\n``),
the decoder target is the completion (or that assistant turn) ending in EOS,
and every target token is supervised.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from biasorigins.errors import ConfigError
from biasorigins.models.chat import TULU_ASSISTANT_TAG, TULU_SYSTEM_TAG, TULU_USER_TAG
from biasorigins.finetune.data import Conversation, InstructionData, Message, PromptCompletion

__all__ = [
    "IGNORE_INDEX",
    "TULU_TAGS",
    "EncodedExample",
    "EncodedDataset",
    "tulu_text",
    "resolve_bos_id",
    "encode_causal",
    "encode_seq2seq",
    "encode_dataset",
    "supervision",
]

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100
TULU_TAGS = {"system": TULU_SYSTEM_TAG, "user": TULU_USER_TAG, "assistant": TULU_ASSISTANT_TAG}

# A piece of an example: text (tokenized together with neighbouring text) or a single
# special token id; each flagged as supervised or not.
_Piece = tuple[str | int, bool]


@dataclass(frozen=True)
class EncodedExample:
    """One training example as token ids.

    Attributes
    ----------
    input_ids
        Decoder-only: the whole sequence. Encoder-decoder: the encoder input.
    labels
        Decoder-only: aligned with ``input_ids``, -100 where not supervised.
        Encoder-decoder: the decoder target ids (all supervised).
    record
        Index of the record it came from.
    seq2seq
        Whether ``labels`` is a separate decoder target.
    """

    input_ids: np.ndarray
    labels: np.ndarray
    record: int
    seq2seq: bool = False

    @property
    def num_supervised(self) -> int:
        return int((self.labels != IGNORE_INDEX).sum())

    @property
    def length(self) -> int:
        """Tokens the example costs in a batch (encoder + decoder for seq2seq)."""
        return len(self.input_ids) + len(self.labels) if self.seq2seq else len(self.input_ids)


@dataclass
class EncodedDataset:
    """Encoded examples plus what encoding had to do to them."""

    kind: Literal["causal", "seq2seq"]
    examples: list[EncodedExample]
    truncated: int = 0
    dropped: int = 0
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.examples)


# ------------------------------------------------------------------- text
def tulu_text(messages: Sequence[Message]) -> str:
    """The Tulu chat text of some turns, without EOS tokens, stripped (the encoder side of T5)."""
    return "".join(TULU_TAGS[m.role] + m.content + "\n" for m in messages).strip()


def _join(prompt: str, completion: str) -> str:
    """The separator between prompt and completion: a space unless one side has whitespace."""
    if prompt and completion and not prompt[-1].isspace() and not completion[0].isspace():
        return " "
    return ""


def resolve_bos_id(tokenizer: Any, mode: str) -> int | None:
    """The token id put before decoder-only examples under a ``bos`` setting."""
    if mode == "none":
        return None
    if mode == "eos":
        return _eos_id(tokenizer)
    bos = getattr(tokenizer, "bos_token_id", None)
    if mode == "bos":
        if bos is None:
            raise ConfigError("bos='bos' but the tokenizer has no BOS token; use bos='auto', 'none' or 'eos'")
        return bos
    if bos is None:
        return None
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    return bos if ids and ids[0] == bos else None


def _eos_id(tokenizer: Any) -> int:
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        raise ConfigError("the tokenizer has no EOS token; set tokenizer.eos_token before finetuning")
    return int(eos)


# ----------------------------------------------------------------- causal
def _causal_pieces(record: PromptCompletion | Conversation, eos: int) -> list[_Piece]:
    if isinstance(record, PromptCompletion):
        separator = _join(record.prompt, record.completion)
        return [(record.prompt, False), (separator + record.completion, True), (eos, True)]
    pieces: list[_Piece] = []
    last = len(record.messages) - 1
    for index, message in enumerate(record.messages):
        if message.role == "assistant":
            pieces += [(TULU_TAGS["assistant"], False), (message.content, True), (eos, True)]
            if index != last:
                pieces.append(("\n", False))
        else:
            text = TULU_TAGS[message.role] + message.content
            pieces.append((text if index == last else text + "\n", False))
    return pieces


#: Prefix tokenization: first guess of characters per token, and tokens read past the ones needed
#: (so that the cut at the end of the prefix cannot change them).
_CHARS_PER_TOKEN = 8
_SLACK_TOKENS = 32


def _encode_prefix(tokenizer: Any, text: str, needed: int, **options: Any) -> tuple[list[int], list[tuple[int, int]]]:
    """The first ``needed`` token ids (and character offsets) of ``text``, tokenizing only a prefix of it.

    The prefix grows fourfold until it yields ``needed`` tokens plus a slack that keeps
    its cut far from them, so a multi-megabyte record costs what ``needed`` tokens cost.
    """
    size = (needed + _SLACK_TOKENS) * _CHARS_PER_TOKEN
    while True:
        whole = size >= len(text)
        encoding = tokenizer(text if whole else text[:size], return_offsets_mapping=True, **options)
        ids, offsets = encoding["input_ids"], encoding["offset_mapping"]
        if whole or len(ids) >= needed + _SLACK_TOKENS:
            return list(ids[:needed]), list(offsets[:needed])
        size *= 4


def _tokenize_pieces(tokenizer: Any, pieces: list[_Piece], limit: int) -> tuple[list[int], list[bool]]:
    """Token ids and per-token supervision of a list of pieces, up to ``limit`` tokens."""
    ids: list[int] = []
    supervised: list[bool] = []
    run: list[tuple[str, bool]] = []

    def flush() -> None:
        if not run:
            return
        text = "".join(part for part, _ in run)
        spans, start = [], 0
        for part, flag in run:
            if flag and part:
                spans.append((start, start + len(part)))
            start += len(part)
        run.clear()
        if not text or len(ids) >= limit:
            return
        tokens, offsets = _encode_prefix(tokenizer, text, limit - len(ids), add_special_tokens=False)
        for token, (begin, end) in zip(tokens, offsets):
            ids.append(int(token))
            supervised.append(_overlaps(begin, end, spans))

    for part, flag in pieces:
        if isinstance(part, str):
            run.append((part, flag))
        else:
            flush()
            ids.append(int(part))
            supervised.append(flag)
    flush()
    return ids[:limit], supervised[:limit]


def _overlaps(begin: int, end: int, spans: list[tuple[int, int]]) -> bool:
    if end <= begin:  # zero-width token: supervised if it sits inside a span
        return any(low <= begin < high for low, high in spans)
    return any(begin < high and end > low for low, high in spans)


def encode_causal(
    record: PromptCompletion | Conversation,
    tokenizer: Any,
    *,
    max_length: int,
    bos_id: int | None,
    index: int = 0,
) -> tuple[EncodedExample | None, bool]:
    """Encode one record for a decoder-only model.

    Returns
    -------
    (example, truncated)
        ``example`` is None when nothing supervised survives truncation
        (such examples are dropped, as in the paper).
    """
    pieces = _causal_pieces(record, _eos_id(tokenizer))
    if bos_id is not None:
        pieces.insert(0, (bos_id, False))
    ids, supervised = _tokenize_pieces(tokenizer, pieces, limit=max_length + 1)
    truncated = len(ids) > max_length
    ids, supervised = ids[:max_length], supervised[:max_length]
    if not any(supervised):
        return None, truncated
    input_ids = np.asarray(ids, dtype=np.int64)
    labels = np.where(np.asarray(supervised), input_ids, IGNORE_INDEX)
    return EncodedExample(input_ids=input_ids, labels=labels, record=index), truncated


# ---------------------------------------------------------------- seq2seq
def _seq2seq_pairs(record: PromptCompletion | Conversation, turns: str) -> list[tuple[str, str]]:
    if isinstance(record, PromptCompletion):
        return [(record.prompt, record.completion)]
    positions = [i for i, message in enumerate(record.messages) if message.role == "assistant"]
    if turns == "last":
        positions = positions[-1:]
    return [
        ((tulu_text(record.messages[:i]) + "\n" + TULU_TAGS["assistant"]), record.messages[i].content)
        for i in positions
    ]


def _ids_ending_in_eos(tokenizer: Any, text: str, limit: int) -> tuple[list[int], bool]:
    """Token ids of ``text`` ending in EOS, right-truncated to ``limit`` (EOS kept, as T5's tokenizer does)."""
    ids, _ = _encode_prefix(tokenizer, text, limit + 1, add_special_tokens=True)
    eos = _eos_id(tokenizer)
    if not ids or ids[-1] != eos:
        ids.append(eos)
    if len(ids) <= limit:
        return ids, False
    return ids[: limit - 1] + [eos], True


def encode_seq2seq(
    record: PromptCompletion | Conversation,
    tokenizer: Any,
    *,
    max_source_length: int,
    max_target_length: int,
    turns: str = "last",
    index: int = 0,
) -> tuple[list[EncodedExample], bool]:
    """Encode one record for an encoder-decoder model: (examples, whether any part was cut)."""
    examples, truncated = [], False
    for source, target in _seq2seq_pairs(record, turns):
        source_ids, source_cut = _ids_ending_in_eos(tokenizer, source, max_source_length)
        target_ids, target_cut = _ids_ending_in_eos(tokenizer, target, max_target_length)
        truncated |= source_cut or target_cut
        examples.append(
            EncodedExample(
                input_ids=np.asarray(source_ids, dtype=np.int64),
                labels=np.asarray(target_ids, dtype=np.int64),
                record=index,
                seq2seq=True,
            )
        )
    return examples, truncated


# ---------------------------------------------------------------- dataset
def encode_dataset(
    data: InstructionData,
    tokenizer: Any,
    *,
    kind: Literal["causal", "seq2seq"],
    max_length: int = 1024,
    max_source_length: int = 1024,
    max_target_length: int = 256,
    bos: str = "auto",
    seq2seq_turns: str = "last",
    progress: bool = True,
) -> EncodedDataset:
    """Encode every record of ``data`` for a model of ``kind``."""
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(
            "finetuning needs a fast (Rust) tokenizer for exact loss masks; load the tokenizer "
            "with use_fast=True or convert it"
        )
    encoded = EncodedDataset(kind=kind, examples=[])
    bos_id = resolve_bos_id(tokenizer, bos) if kind == "causal" else None
    records = tqdm(data.records, desc="encoding", unit="record", disable=not progress, leave=False)
    for index, record in enumerate(records):
        if kind == "causal":
            example, truncated = encode_causal(record, tokenizer, max_length=max_length, bos_id=bos_id, index=index)
            if example is None:
                encoded.dropped += 1
            else:
                encoded.examples.append(example)
        else:
            examples, truncated = encode_seq2seq(
                record, tokenizer, max_source_length=max_source_length,
                max_target_length=max_target_length, turns=seq2seq_turns, index=index,
            )
            encoded.examples.extend(examples)
        encoded.truncated += bool(truncated)
    if encoded.truncated:
        encoded.notes.append(f"{encoded.truncated} record(s) were longer than the maximum length and were cut")
    if encoded.dropped:
        encoded.notes.append(f"{encoded.dropped} record(s) had no supervised token left after cutting and were dropped")
    for note in encoded.notes:
        logger.warning(note)
    if not encoded.examples:
        raise ConfigError("no training example is left after encoding; raise max_length or check the data")
    return encoded


def supervision(example: EncodedExample, tokenizer: Any) -> list[tuple[str, bool]]:
    """(token text, supervised) for each token of a decoder-only example; for inspecting masks."""
    tokens = tokenizer.convert_ids_to_tokens(example.input_ids.tolist())
    return [(token, bool(label != IGNORE_INDEX)) for token, label in zip(tokens, example.labels)]
