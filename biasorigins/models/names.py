"""What a model name means: a short offline name, a local path, or a hub id (and whether the hub can serve it).

Every loader (``load_model``, ``HFRunner``, ``finetune``, the command line) reads names through
:func:`resolve_model_name`, so ``"smollm2"`` means the same model everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

_HUB_PROBE_SECONDS = 5.0
_TRUE = {"1", "true", "yes", "on"}


def _smollm2() -> Path:
    from biasorigins.testing.smollm import smollm2_path

    return smollm2_path()


#: Short names every loader accepts, each with the function that returns its local folder.
OFFLINE_MODELS: dict[str, Callable[[], Path]] = {"smollm2": _smollm2, "smollm2-135m-instruct": _smollm2}


def resolve_model_name(name: str | os.PathLike[str]) -> str | Path:
    """Return the local folder of a short offline name (``"smollm2"``), else ``name`` unchanged.

    A folder of that name in the working directory wins over the short name.
    """
    text = os.fspath(name)
    if text.lower() in OFFLINE_MODELS and not Path(text).exists():
        return OFFLINE_MODELS[text.lower()]()
    return text


def hub_unavailable_reason() -> str | None:
    """Why the Hugging Face hub cannot serve files now (offline mode, or no answer), or None if it can.

    One request with a short timeout and no retries, so an unreachable hub is known at once.
    """
    from huggingface_hub import constants

    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(variable, "").strip().lower() in _TRUE:
            return f"{variable} is set"
    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    from huggingface_hub.utils import get_session

    try:
        get_session().head(constants.ENDPOINT, timeout=_HUB_PROBE_SECONDS)
    except Exception as error:  # noqa: BLE001 - any failure to get an answer (DNS, refused, proxy, TLS, timeout)
        return f"the hub at {constants.ENDPOINT} does not answer ({type(error).__name__}: {error})"
    return None


def cached_snapshot(repo_id: str, filename: str, revision: str | None) -> Path | None:
    """The hub-cache folder holding ``filename`` of ``repo_id`` at ``revision``, or None when it is not cached."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, filename, revision=revision)
    except ValueError:  # not a valid repo id
        return None
    return Path(found).parent if isinstance(found, str) else None


def where_models_are_looked_for(name: str) -> str:
    """A sentence naming every place a model name that is not local was looked for."""
    from huggingface_hub import constants

    short = ", ".join(repr(alias) for alias in OFFLINE_MODELS)
    return (f"looked for a folder or .gguf file {Path(name).expanduser().absolute()}, the short offline names "
            f"({short}) and the hub cache {constants.HF_HUB_CACHE} (set HF_HOME or HF_HUB_CACHE to use another)")
