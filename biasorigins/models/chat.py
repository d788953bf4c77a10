"""Chat formats: how a user prompt is wrapped before it reaches a model.

Three formats exist:

``"raw"``
    The text itself, unchanged (for base models).  With a system text the
    result is ``system + "\\n\\n" + text``.
``"tulu"``
    The Tulu / open-instruct format used by the cross-tuning paper's
    finetuning, whitespace exactly::

        <|system|>\\n{system}\\n        (only when a system text is given)
        <|user|>\\n{text}\\n
        <|assistant|>\\n

    A finished assistant turn is its content followed by the EOS token and
    ``"\\n"`` (see :data:`TULU_CHAT_TEMPLATE`).
``"model"``
    The tokenizer's own chat template, rendered with
    ``add_generation_prompt=True``.

In every format ``answer_prefix`` is appended verbatim at the very end (after
the assistant tag), so a prompt can prefill the start of the answer, e.g.
``"Answer: Option"``.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from biasorigins.errors import ConfigError

#: Text between a raw prompt and its answer prefix in likelihood choice (``"...\n\nAnswer: Option"``).
RAW_ANSWER_SPACER = "\n\n"

ChatFormat = Literal["raw", "tulu", "model"]
CHAT_FORMATS: tuple[str, ...] = get_args(ChatFormat)

TULU_USER_TAG = "<|user|>\n"
TULU_ASSISTANT_TAG = "<|assistant|>\n"
TULU_SYSTEM_TAG = "<|system|>\n"

#: A Jinja chat template rendering the Tulu format above; assistant turns end with EOS then a newline.
TULU_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ '<|system|>\n' + message['content'] + '\n' }}"
    "{% elif message['role'] == 'user' %}{{ '<|user|>\n' + message['content'] + '\n' }}"
    "{% elif message['role'] == 'assistant' %}"
    "{{ '<|assistant|>\n' + message['content'] + eos_token + '\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)


def has_chat_template(tokenizer: Any) -> bool:
    """Return True if ``tokenizer`` carries a chat template."""
    return bool(getattr(tokenizer, "chat_template", None))


def default_chat_format(tokenizer: Any) -> ChatFormat:
    """Return ``"model"`` if the tokenizer has a chat template, else ``"raw"``."""
    return "model" if has_chat_template(tokenizer) else "raw"


def format_chat(
    user_text: str,
    *,
    chat_format: ChatFormat,
    tokenizer: Any = None,
    system: str | None = None,
    answer_prefix: str = "",
) -> str:
    """Wrap a user prompt in a chat format (see the module docstring for the exact strings).

    Parameters
    ----------
    user_text
        The prompt, as the user would type it.
    chat_format
        ``"raw"``, ``"tulu"`` or ``"model"``.
    tokenizer
        Needed for ``"model"``: its chat template is rendered.
    system
        Optional system text.
    answer_prefix
        Text appended after the assistant tag, prefilling the answer.

    Raises
    ------
    ConfigError
        If the format is unknown, or ``"model"`` is asked of a tokenizer without a chat template.
    """
    if chat_format == "raw":
        body = user_text if system is None else f"{system}\n\n{user_text}"
    elif chat_format == "tulu":
        system_turn = "" if system is None else f"{TULU_SYSTEM_TAG}{system}\n"
        body = f"{system_turn}{TULU_USER_TAG}{user_text}\n{TULU_ASSISTANT_TAG}"
    elif chat_format == "model":
        body = _render_model_template(user_text, tokenizer=tokenizer, system=system)
    else:
        raise ConfigError(f"unknown chat_format {chat_format!r}; choose one of {', '.join(CHAT_FORMATS)}")
    return body + answer_prefix


def _render_model_template(user_text: str, *, tokenizer: Any, system: str | None) -> str:
    if tokenizer is None:
        raise ConfigError("chat_format='model' needs the tokenizer whose chat template to use; pass tokenizer=")
    if not has_chat_template(tokenizer):
        name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
        raise ConfigError(
            f"tokenizer {name!r} has no chat template, so chat_format='model' cannot be used; "
            "use chat_format='tulu' or 'raw', or set tokenizer.chat_template"
        )
    messages = [{"role": "user", "content": user_text}]
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    rendered = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    if not isinstance(rendered, str):  # some versions return a list for batched input
        rendered = rendered[0]
    return rendered
