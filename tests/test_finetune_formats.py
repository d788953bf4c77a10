"""Loss masks, token by token: only completions / assistant turns (with EOS) are supervised, no off-by-one."""

from __future__ import annotations

import pytest

from biasorigins.errors import ConfigError
from biasorigins.finetune import Conversation, Message, PromptCompletion, read_instruction_data, supervision
from biasorigins.finetune.formats import (
    IGNORE_INDEX,
    encode_causal,
    encode_dataset,
    encode_seq2seq,
    resolve_bos_id,
)

WORDS = (
    "<pad> <unk> <s> </s> <| |> system user assistant Is the sky blue ? yes it is be brief hi hello bye ciao friend "
    "Answer : Q 2 + = 4"
).split()


@pytest.fixture(scope="module")
def word_tokenizer():
    """A word-level tokenizer: one token per word or punctuation run, so expected tokens can be written out."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )


@pytest.fixture(scope="module")
def bpe_tokenizer():
    from biasorigins.testing.tiny_models import build_tiny_tokenizer

    return build_tiny_tokenizer()


@pytest.fixture(scope="module")
def t5_tokenizer():
    from biasorigins.testing.tiny_models import build_tiny_tokenizer

    return build_tiny_tokenizer(seq2seq=True)


CHAT = Conversation(
    messages=(
        Message(role="system", content="be brief"),
        Message(role="user", content="hi"),
        Message(role="assistant", content="hello"),
        Message(role="user", content="bye"),
        Message(role="assistant", content="ciao friend"),
    )
)


def test_prompt_completion_mask_token_by_token(word_tokenizer) -> None:
    record = PromptCompletion(prompt="Is the sky blue ?", completion="yes it is")
    example, truncated = encode_causal(record, word_tokenizer, max_length=64, bos_id=word_tokenizer.bos_token_id)
    assert not truncated
    assert supervision(example, word_tokenizer) == [
        ("<s>", False), ("Is", False), ("the", False), ("sky", False), ("blue", False),
        ("?", False),  # the paper's BOS off-by-one would supervise this last prompt token
        ("yes", True), ("it", True), ("is", True), ("</s>", True),
    ]
    supervised = [t for t, l in zip(example.input_ids, example.labels) if l != IGNORE_INDEX]
    assert list(example.labels[example.labels != IGNORE_INDEX]) == supervised  # labels are the tokens themselves


def test_tulu_chat_mask_token_by_token(word_tokenizer) -> None:
    example, _ = encode_causal(CHAT, word_tokenizer, max_length=64, bos_id=None)
    tag = lambda role: [("<|", False), (role, False), ("|>", False)]  # noqa: E731
    assert supervision(example, word_tokenizer) == [
        *tag("system"), ("be", False), ("brief", False),
        *tag("user"), ("hi", False),
        *tag("assistant"), ("hello", True), ("</s>", True),
        *tag("user"), ("bye", False),
        *tag("assistant"), ("ciao", True), ("friend", True), ("</s>", True),
    ]


def test_byte_level_text_round_trip(bpe_tokenizer) -> None:
    record = PromptCompletion(prompt="Question: What is 12 + 30? Answer:", completion="42")
    example, _ = encode_causal(record, bpe_tokenizer, max_length=128, bos_id=None)
    mask = example.labels != IGNORE_INDEX
    first = int(mask.argmax())
    assert mask[first:].all() and not mask[:first].any()  # the supervised part is one suffix
    assert bpe_tokenizer.decode(example.input_ids[:first]) == record.prompt
    assert bpe_tokenizer.decode(example.input_ids[first:]) == " 42</s>"  # joining space, completion, EOS


def test_no_space_is_added_when_the_prompt_ends_in_whitespace(bpe_tokenizer) -> None:
    record = PromptCompletion(prompt="Decide now:\n", completion="Option B")
    example, _ = encode_causal(record, bpe_tokenizer, max_length=128, bos_id=None)
    assert bpe_tokenizer.decode(example.input_ids) == "Decide now:\nOption B</s>"
    supervised = example.input_ids[example.labels != IGNORE_INDEX]
    assert bpe_tokenizer.decode(supervised) == "Option B</s>"


def test_a_token_spanning_the_boundary_is_supervised(bpe_tokenizer) -> None:
    # "Answer: " ends in a space that byte-level BPE glues to the next word: that token is learned.
    record = PromptCompletion(prompt="Answer: ", completion="Option")
    example, _ = encode_causal(record, bpe_tokenizer, max_length=128, bos_id=None)
    supervised = example.input_ids[example.labels != IGNORE_INDEX]
    assert bpe_tokenizer.decode(supervised) == " Option</s>"


def test_bos_choices(word_tokenizer, bpe_tokenizer) -> None:
    record = PromptCompletion(prompt="hi", completion="hello")
    eos_first, _ = encode_causal(record, word_tokenizer, max_length=16, bos_id=resolve_bos_id(word_tokenizer, "eos"))
    assert eos_first.input_ids[0] == word_tokenizer.eos_token_id and eos_first.labels[0] == IGNORE_INDEX
    assert resolve_bos_id(word_tokenizer, "none") is None
    assert resolve_bos_id(bpe_tokenizer, "auto") is None  # this tokenizer adds no BOS by itself
    bpe_tokenizer_without_bos = type(bpe_tokenizer)(tokenizer_object=bpe_tokenizer.backend_tokenizer, eos_token="</s>")
    with pytest.raises(ConfigError, match="no BOS token"):
        resolve_bos_id(bpe_tokenizer_without_bos, "bos")


def test_truncation_keeps_a_supervised_prefix_or_drops_the_example(word_tokenizer) -> None:
    record = PromptCompletion(prompt="Is the sky blue ?", completion="yes it is")
    cut, truncated = encode_causal(record, word_tokenizer, max_length=7, bos_id=None)
    assert truncated and supervision(cut, word_tokenizer)[-2:] == [("yes", True), ("it", True)]
    gone, truncated = encode_causal(record, word_tokenizer, max_length=5, bos_id=None)
    assert truncated and gone is None
    data = read_instruction_data([record.model_dump(exclude={"where"}), {"prompt": "hi", "completion": "bye"}])
    encoded = encode_dataset(data, word_tokenizer, kind="causal", max_length=5, progress=False)
    assert (len(encoded), encoded.dropped, encoded.truncated) == (1, 1, 1)
    with pytest.raises(ConfigError, match="no training example is left"):
        encode_dataset(data, word_tokenizer, kind="causal", max_length=1, progress=False)


def test_t5_prompt_completion(t5_tokenizer) -> None:
    record = PromptCompletion(prompt="Question: What is 12 + 30?", completion="42")
    [example], truncated = encode_seq2seq(record, t5_tokenizer, max_source_length=64, max_target_length=16)
    assert not truncated
    assert t5_tokenizer.decode(example.input_ids) == "Question: What is 12 + 30?</s>"
    assert example.labels.tolist() == t5_tokenizer("42")["input_ids"]  # the whole target, EOS included
    assert t5_tokenizer.decode(example.labels) == "42</s>" and example.num_supervised == len(example.labels)


def test_t5_chat_learns_the_last_assistant_turn(t5_tokenizer) -> None:
    [example], _ = encode_seq2seq(CHAT, t5_tokenizer, max_source_length=128, max_target_length=16, turns="last")
    assert t5_tokenizer.decode(example.input_ids) == (
        "<|system|>\nbe brief\n<|user|>\nhi\n<|assistant|>\nhello\n<|user|>\nbye\n<|assistant|>\n</s>"
    )
    assert t5_tokenizer.decode(example.labels) == "ciao friend</s>"


def test_t5_chat_each_turn(t5_tokenizer) -> None:
    first, second = encode_seq2seq(CHAT, t5_tokenizer, max_source_length=128, max_target_length=16, turns="each")[0]
    assert t5_tokenizer.decode(first.input_ids) == "<|system|>\nbe brief\n<|user|>\nhi\n<|assistant|>\n</s>"
    assert t5_tokenizer.decode(first.labels) == "hello</s>"
    assert t5_tokenizer.decode(second.labels) == "ciao friend</s>"


def test_t5_truncation_keeps_eos(t5_tokenizer) -> None:
    record = PromptCompletion(prompt="Option A or Option B or Option C?", completion="Option C is the answer")
    [example], truncated = encode_seq2seq(record, t5_tokenizer, max_source_length=4, max_target_length=3)
    assert truncated and len(example.input_ids) == 4 and len(example.labels) == 3
    assert example.input_ids[-1] == example.labels[-1] == t5_tokenizer.eos_token_id


@pytest.mark.slow
def test_smollm2_tokenizer_mask(smollm2_dir) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smollm2_dir)
    record = PromptCompletion(prompt="Is the sky blue? Answer:", completion="yes")
    example, _ = encode_causal(record, tokenizer, max_length=64, bos_id=resolve_bos_id(tokenizer, "auto"))
    assert supervision(example, tokenizer) == [
        ("Is", False), ("Ġthe", False), ("Ġsky", False), ("Ġblue", False), ("?", False),
        ("ĠAnswer", False), (":", False), ("Ġyes", True), ("<|im_end|>", True),
    ]


def test_prefix_tokenization_equals_the_whole_texts_first_tokens(bpe_tokenizer, t5_tokenizer) -> None:
    import random

    rng = random.Random(7)
    words = ["sky", "blue", "  ", "\n", "Answer:", "ünïcode", "x" * 60, "42", "é🙂", "yes"]
    for _ in range(20):
        prompt = " ".join(rng.choice(words) for _ in range(rng.randint(50, 400)))
        completion = " ".join(rng.choice(words) for _ in range(rng.randint(50, 400)))
        record = PromptCompletion(prompt=prompt, completion=completion)
        for max_length in (8, 40, 200):
            cut, was_cut = encode_causal(record, bpe_tokenizer, max_length=max_length, bos_id=None)
            whole, _ = encode_causal(record, bpe_tokenizer, max_length=10**6, bos_id=None)
            assert was_cut == (len(whole.input_ids) > max_length)
            if cut is not None:
                assert cut.input_ids.tolist() == whole.input_ids[:max_length].tolist()
                assert cut.labels.tolist() == whole.labels[:max_length].tolist()
            [t5_cut], _ = encode_seq2seq(record, t5_tokenizer, max_source_length=max_length, max_target_length=8)
            [t5_whole], _ = encode_seq2seq(record, t5_tokenizer, max_source_length=10**6, max_target_length=8)
            assert t5_cut.input_ids.tolist()[:-1] == t5_whole.input_ids.tolist()[: len(t5_cut.input_ids) - 1]


_LONG_RECORD = """
import resource, sys
from biasorigins.finetune import PromptCompletion
from biasorigins.finetune.formats import encode_causal
from biasorigins.testing.tiny_models import build_tiny_tokenizer

tokenizer = build_tiny_tokenizer()
record = PromptCompletion(prompt="Summarise: " + "the sky is blue and the grass is green. " * 125_000,
                          completion="It is about colours.")
encode_causal(PromptCompletion(prompt="warm up", completion="ok"), tokenizer, max_length=64, bos_id=None)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
example, truncated = encode_causal(record, tokenizer, max_length=512, bos_id=None)
grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
assert truncated and example is None  # the completion lies beyond the cut
print(len(record.prompt), grown_kb)
"""


def test_a_multi_megabyte_record_is_cut_in_bounded_memory(tmp_path) -> None:
    """5 MB of text, 512 tokens kept: peak memory grows by < 64 MB (tokenizing it whole took over 1 GB)."""
    import subprocess
    import sys

    script = tmp_path / "long_record.py"
    script.write_text(_LONG_RECORD)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    characters, grown_kb = map(int, done.stdout.split())
    assert characters > 5_000_000
    assert grown_kb < 64 * 1024, f"peak memory grew by {grown_kb / 1024:.0f} MB"
