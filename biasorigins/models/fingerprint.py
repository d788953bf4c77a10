"""Stable identities of models, tokenizers and adapters, used as cache keys.

A fingerprint is a sha256 hex digest.  It changes whenever something that can
change a model's answers changes (weights, adapter weights, tokenizer, chat
template, dtype) and stays the same otherwise, across processes and machines.

Large weight files are hashed once: their digest is remembered in
``<cache dir>/file_hashes.json`` keyed by (absolute path, size, mtime_ns).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Set
from enum import Enum
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Files below this size are hashed directly, without the on-disk digest cache.
_SMALL_FILE_BYTES = 1 << 20
_CHUNK_BYTES = 1 << 22
_HASH_CACHE_NAME = "file_hashes.json"

#: Suffixes of the files in a model folder that define its behaviour.
_MODEL_FILE_SUFFIXES = (
    ".json", ".safetensors", ".bin", ".pt", ".pth", ".gguf", ".model", ".txt", ".jinja", ".tiktoken", ".py",
)
#: Files with a matching suffix that never change a model's outputs.
_IGNORED_FILE_NAMES = frozenset({"trainer_state.json", "training_args.bin", "all_results.json",
                                 "train_results.json", "eval_results.json", "optimizer.pt", "scheduler.pt",
                                 "rng_state.pth"})


def default_cache_dir() -> Path:
    """Return the biasorigins cache folder: ``$BIASORIGINS_CACHE`` or ``~/.cache/biasorigins``."""
    configured = os.environ.get("BIASORIGINS_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "biasorigins"


def digest_of(parts: Iterable[str]) -> str:
    """Return the sha256 hex digest of text parts, each length-prefixed so no two lists collide."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data that is the same in every process.

    Sets become sorted lists, tuples lists, paths normalised POSIX strings, enums
    their values and numpy scalars Python numbers; floats keep their exact
    (round-trip) value. Anything else becomes its ``str``.
    """
    if isinstance(value, Enum):
        return canonical(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(canonical(key)): canonical(item) for key, item in value.items()}
    if isinstance(value, Set):
        items = [canonical(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    if isinstance(value, os.PathLike):
        return os.path.normpath(os.fspath(value)).replace(os.sep, "/")
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        return canonical(value.item())  # a numpy / torch scalar
    return str(value)


def canonical_json(value: Any) -> str:
    """JSON text of :func:`canonical` ``(value)`` with sorted keys: a stable thing to hash."""
    return json.dumps(canonical(value), sort_keys=True)


def _hash_file_contents(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            hasher.update(chunk)
    return hasher.hexdigest()


def _read_hash_cache(cache_file: Path) -> dict[str, str]:
    try:
        loaded = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _write_hash_cache(cache_file: Path, entries: Mapping[str, str]) -> None:
    """Write the digest cache atomically; a failure only costs a re-hash later."""
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=cache_file.parent, prefix=".file_hashes.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(dict(entries), handle, indent=0, sort_keys=True)
        os.replace(temp_name, cache_file)
    except OSError as error:
        logger.debug("could not write the file-hash cache %s: %s", cache_file, error)


def file_digest(path: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Return the sha256 of a file's contents, remembering large files' digests on disk.

    Parameters
    ----------
    path
        The file to hash.
    cache_dir
        Folder of the digest cache; defaults to :func:`default_cache_dir`.
    """
    resolved = Path(path).resolve()
    stat = resolved.stat()
    if stat.st_size < _SMALL_FILE_BYTES:
        return _hash_file_contents(resolved)
    cache_file = Path(cache_dir or default_cache_dir()) / _HASH_CACHE_NAME
    key = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}"
    entries = _read_hash_cache(cache_file)
    if key in entries:
        return entries[key]
    logger.info("hashing %s (%.0f MB) once for the model fingerprint", resolved, stat.st_size / 1e6)
    digest = _hash_file_contents(resolved)
    entries = _read_hash_cache(cache_file)  # another process may have added entries meanwhile
    entries = {k: v for k, v in entries.items() if not k.startswith(f"{resolved}|")}
    entries[key] = digest
    _write_hash_cache(cache_file, entries)
    return digest


def _is_model_file(path: Path) -> bool:
    return path.is_file() and path.suffix in _MODEL_FILE_SUFFIXES and path.name not in _IGNORED_FILE_NAMES


def folder_digest(folder: str | os.PathLike[str], *, only: Iterable[str] | None = None,
                  cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Return a digest of the model files directly inside ``folder`` (names and contents).

    Config, tokenizer, chat-template, weight and code files count; READMEs,
    training logs and optimizer states do not; sub-folders (checkpoints) are
    not visited.

    Parameters
    ----------
    folder
        The model or adapter folder.
    only
        If given, hash just these file names (those missing are skipped).
    cache_dir
        Folder of the digest cache for large files.
    """
    root = Path(folder)
    if only is None:
        files = sorted(p for p in root.iterdir() if _is_model_file(p))
    else:
        files = sorted(root / name for name in set(only) if (root / name).is_file())
    parts: list[str] = []
    for file in files:
        parts += [file.name, file_digest(file, cache_dir=cache_dir)]
    return digest_of(parts)


def state_dict_digest(module: Any) -> str:
    """Return a digest of a torch module's state dict (names, dtypes, shapes, raw bytes).

    Reads every tensor once: about a second per GB on CPU, so fine for small
    and medium models; prefer loading from a folder for large ones, whose
    digest is cached.
    """
    import torch

    hasher = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        hasher.update(f"{name}|{flat.dtype}|{tuple(tensor.shape)}|".encode())
        hasher.update(flat.view(torch.uint8).numpy())  # buffer protocol: no copy
    return hasher.hexdigest()


def _backend_definition(backend: Any) -> str:
    """Return a fast tokenizer's JSON without its padding/truncation state, which batched calls change."""
    padding, truncation = backend.padding, backend.truncation
    backend.no_padding()
    backend.no_truncation()
    try:
        return backend.to_str()
    finally:
        if padding is not None:
            backend.enable_padding(**padding)
        if truncation is not None:
            backend.enable_truncation(**truncation)


def tokenizer_digest(tokenizer: Any) -> str:
    """Return a digest of everything in a tokenizer that changes token ids or prompts.

    Covers the vocabulary and merges (the fast backend's JSON, or the slow
    tokenizer's vocabulary), special tokens, added tokens and chat template.
    The padding side is left out: it is a batching setting, not an identity.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        vocabulary = _backend_definition(backend)
    else:
        vocabulary = json.dumps(sorted(tokenizer.get_vocab().items()))
    special = {key: str(value) for key, value in sorted(tokenizer.special_tokens_map.items())}
    added = sorted((int(index), str(token)) for index, token in tokenizer.added_tokens_decoder.items())
    return digest_of([
        vocabulary,
        json.dumps(special, sort_keys=True),
        json.dumps(added),
        str(getattr(tokenizer, "chat_template", None)),
    ])
