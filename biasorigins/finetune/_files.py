"""Atomic file and folder writes: a reader never sees half a file, a crash never leaves one."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["write_text_atomic", "write_with_atomic", "atomic_folder"]


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    write_with_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_with_atomic(path: Path, writer: Callable[[Path], object]) -> None:
    """Call ``writer(tmp_path)`` then rename the temporary file onto ``path``.

    The temporary file ends in ``path``'s own suffix, so writers that go by the suffix work.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; on success it replaces ``path``.

    An existing ``path`` is moved aside first and removed only once the new
    folder is in place, so at every moment either the old or the new folder
    is complete.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
