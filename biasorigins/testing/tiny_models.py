"""Tiny random models and a tiny BPE tokenizer, built offline in a second.

They exist so that tests (ours and plugin authors') exercise the real loading,
scoring and finetuning code paths without any download::

    folder = build_tiny_causal_lm(tmp_path / "llama", arch="llama", seed=0)
    loaded = load_model(folder)

Each builder is deterministic: the same arguments give identical weights and
token ids.  Use *distinct* seeds for fixtures that must differ.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from biasorigins.errors import ConfigError
from biasorigins.models.chat import TULU_CHAT_TEMPLATE

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

TinyArch = Literal["llama", "olmo", "mistral"]
TINY_ARCHS: tuple[str, ...] = ("llama", "olmo", "mistral")

PAD_TOKEN, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN = "<pad>", "<unk>", "<s>", "</s>"
SPECIAL_TOKENS = (PAD_TOKEN, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN)

#: Sizes shared by the tiny models (about 20-30k parameters each).
TINY_HIDDEN_SIZE = 32
TINY_INTERMEDIATE_SIZE = 64
TINY_LAYERS = 2
TINY_HEADS = 4
TINY_KV_HEADS = 2
#: Rotary models accept any length; this only bounds what configs advertise.
TINY_MAX_POSITIONS = 4096
#: Larger than the usual 0.02 so random models have clearly non-uniform next-token distributions.
TINY_INIT_RANGE = 0.2

_SENTENCES = (
    "Situation: you manage a small team and must choose between two plans.",
    "Option 1: keep the current supplier. Option 2: switch to a new supplier.",
    "Which option do you choose? Answer with the option number only.",
    "Answer: Option 1", "Answer: Option 2", "Answer: Option A", "Answer: Option B",
    "A program will save 200 of 600 people for sure.",
    "There is a 1/3 probability that all 600 people will be saved and a 2/3 probability that no one is saved.",
    "You win $3,000 for sure, or an 80% chance to win $4,000.",
    "Is the following argument logically valid? All birds can fly. Penguins are birds.",
    "Rate how likely this is on a scale from 0 to 10.",
    "Estimate the number of countries in Africa. Is it more or less than 65?",
    "The first offer was high; what price would you pay for the used car?",
    "Please reply with Yes or No. Yes. No.",
    "Linda is 31 years old, single, outspoken and very bright.",
    "Treatment and control prompts differ only in the framing of the same decision.",
    "The doctor says the operation has a 90% survival rate after five years.",
    "Her team lost 10% of its budget, and the rest was spent on training.",
    "I choose option B because it is the safer choice.",
    "The correct answer is (C). Let me explain my reasoning step by step.",
    "<|system|>\nYou are a careful assistant.\n",
    "<|user|>\nWhich option would you pick?\n<|assistant|>\nOption 2",
    "<|user|>\nSummarise the text in one sentence.\n<|assistant|>\nThe text is about a choice.",
    "Question: What is 12 + 30? Answer: 42",
    "Decide now: accept the deal or keep looking for a better one.",
    "Most people in your position picked the first option last year.",
    "The new product costs $25 and the premium version costs $40 per month.",
)


def _default_corpus() -> Iterator[str]:
    """Yield our own short sentences plus the labels and numbers that decision prompts use."""
    yield from _SENTENCES
    letters = "ABCDEFGHIJK"
    for letter in letters:
        yield f"Option {letter}: {letter}. ({letter}) Answer: {letter}"
    for number in range(0, 13):
        yield f"Option {number}: {number} Answer: Option {number}"
    for percent in range(0, 101, 5):
        yield f"{percent}% {percent / 100:.2f} ${percent * 10}"
    for first, second in itertools.combinations(letters[:5], 2):
        yield f"Option {first} or Option {second}?"
    for _ in range(20):  # frequent enough that the chat tags get their own merges
        yield "<|system|>\n<|user|>\n<|assistant|>\n</s>\n"


def build_tiny_tokenizer(
    corpus: Iterable[str] | None = None,
    *,
    vocab_size: int = 400,
    seq2seq: bool = False,
) -> PreTrainedTokenizerBase:
    """Train a tiny byte-level BPE tokenizer and wrap it as a transformers fast tokenizer.

    Parameters
    ----------
    corpus
        Training sentences; defaults to a built-in corpus of decision-prompt vocabulary.
    vocab_size
        Upper bound on the vocabulary (fewer if the corpus runs out of merges).
    seq2seq
        If True, every encoding ends with ``</s>``, as T5's does.

    Returns
    -------
    A tokenizer with special tokens ``<pad> <unk> <s> </s>`` (ids 0-3) and a
    Tulu chat template.  Byte-level BPE never needs ``<unk>``: any text encodes.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ConfigError(f"vocab_size={vocab_size} is too small for byte-level BPE; use at least 260")
    backend = Tokenizer(models.BPE(unk_token=UNK_TOKEN))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(list(corpus if corpus is not None else _default_corpus()), trainer=trainer)
    if seq2seq:
        backend.post_processor = processors.TemplateProcessing(
            single=f"$A {EOS_TOKEN}",
            pair=f"$A {EOS_TOKEN} $B {EOS_TOKEN}",
            special_tokens=[(EOS_TOKEN, backend.token_to_id(EOS_TOKEN))],
        )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token=PAD_TOKEN,
        unk_token=UNK_TOKEN,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
    )
    tokenizer.chat_template = TULU_CHAT_TEMPLATE
    return tokenizer


def _special_token_ids(tokenizer: Any) -> dict[str, int]:
    return {
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }


def _causal_config(arch: str, tokenizer: Any) -> Any:
    from transformers import LlamaConfig, MistralConfig, OlmoConfig

    shared = dict(
        vocab_size=len(tokenizer),
        hidden_size=TINY_HIDDEN_SIZE,
        intermediate_size=TINY_INTERMEDIATE_SIZE,
        num_hidden_layers=TINY_LAYERS,
        num_attention_heads=TINY_HEADS,
        num_key_value_heads=TINY_KV_HEADS,
        max_position_embeddings=TINY_MAX_POSITIONS,
        initializer_range=TINY_INIT_RANGE,
        tie_word_embeddings=False,
        **_special_token_ids(tokenizer),
    )
    if arch == "llama":
        return LlamaConfig(**shared)
    if arch == "mistral":
        return MistralConfig(sliding_window=None, **shared)
    if arch == "olmo":
        return OlmoConfig(**shared)
    raise ConfigError(f"unknown tiny architecture {arch!r}; choose one of {', '.join(TINY_ARCHS)}")


def _seeded_model(model_class: Any, config: Any, seed: int) -> Any:
    """Instantiate a model with weights drawn from ``seed`` without touching the caller's RNG."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_class(config)
    return model.eval()


def _save(model: Any, tokenizer: Any, folder: str | os.PathLike[str]) -> Path:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target


def build_tiny_causal_lm(
    folder: str | os.PathLike[str],
    *,
    arch: TinyArch = "llama",
    seed: int = 0,
    tokenizer: Any = None,
) -> Path:
    """Build a random tiny decoder (Llama, OLMo or Mistral) and save it with its tokenizer.

    Parameters
    ----------
    folder
        Where to ``save_pretrained`` the model (safetensors) and tokenizer; created if needed.
    arch
        ``"llama"``, ``"olmo"`` or ``"mistral"``.
    seed
        Seed of the random weights: the same seed gives identical weights.
    tokenizer
        Tokenizer to pair with the model; defaults to :func:`build_tiny_tokenizer`.

    Returns
    -------
    The folder, ready for ``load_model(folder)``.
    """
    from transformers import LlamaForCausalLM, MistralForCausalLM, OlmoForCausalLM

    tokenizer = tokenizer if tokenizer is not None else build_tiny_tokenizer()
    config = _causal_config(arch, tokenizer)
    model_class = {"llama": LlamaForCausalLM, "mistral": MistralForCausalLM, "olmo": OlmoForCausalLM}[arch]
    model = _seeded_model(model_class, config, seed)
    return _save(model, tokenizer, folder)


def build_tiny_t5(folder: str | os.PathLike[str], *, seed: int = 0, tokenizer: Any = None) -> Path:
    """Build a random tiny T5 (encoder-decoder) and save it with a T5-style tokenizer.

    Parameters
    ----------
    folder
        Where to ``save_pretrained`` the model (safetensors) and tokenizer; created if needed.
    seed
        Seed of the random weights: the same seed gives identical weights.
    tokenizer
        Tokenizer to pair with the model; defaults to ``build_tiny_tokenizer(seq2seq=True)``.

    Returns
    -------
    The folder, ready for ``load_model(folder)``.
    """
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = tokenizer if tokenizer is not None else build_tiny_tokenizer(seq2seq=True)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=TINY_HIDDEN_SIZE,
        d_kv=TINY_HIDDEN_SIZE // TINY_HEADS,
        d_ff=TINY_INTERMEDIATE_SIZE,
        num_layers=TINY_LAYERS,
        num_decoder_layers=TINY_LAYERS,
        num_heads=TINY_HEADS,
        relative_attention_num_buckets=8,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    model = _seeded_model(T5ForConditionalGeneration, config, seed)
    return _save(model, tokenizer, folder)
