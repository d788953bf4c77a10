"""Argument and output-location checks run before any work starts; each failure is a ConfigError."""

from __future__ import annotations

import numbers
import os
from pathlib import Path

from biasorigins.errors import ConfigError


def integer(value: object, name: str, *, minimum: int | None = None) -> int:
    """``value`` as an int; ConfigError for floats, strings, booleans or values below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _existing_ancestor(path: Path, what: str) -> Path:
    """The nearest existing folder above ``path``; ConfigError if a file stands in the way."""
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"{what} {path} cannot be created: {parent} is a file, not a folder")
            return parent
    return Path(path.absolute().anchor)


def _require_writable(folder: Path, path: Path, what: str) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {path} cannot be written: no write permission in {folder}")


def output_folder(path: str | os.PathLike[str], what: str) -> Path:
    """Check that ``path`` is, or can become, a writable folder (nothing is created)."""
    path = Path(path).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{what} {path} is a file; give a folder")
        _require_writable(path, path, what)
    else:
        _require_writable(_existing_ancestor(path, what), path, what)
    return path


def output_file(path: str | os.PathLike[str], what: str) -> Path:
    """Check that ``path`` is, or can become, a writable file (nothing is created)."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise ConfigError(f"{what} {path} is a folder; give a file name")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ConfigError(f"{what} {path} cannot be written: no write permission")
        _require_writable(path.parent, path, what)
    else:
        _require_writable(_existing_ancestor(path, what), path, what)
    return path
