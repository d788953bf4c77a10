"""The one public model loader: hub ids, local folders, GGUF files or loaded models.

>>> loaded = load_model("path/to/model", adapter="path/to/lora")   # doctest: +SKIP
>>> loaded.kind, loaded.device, loaded.fingerprint[:12]            # doctest: +SKIP
('causal', device(type='cpu'), '3f1c0a9b2d4e')

Rules it follows: safetensors are preferred over pickled weights, remote code
never runs unless ``trust_remote_code=True``, the model is put in eval mode,
and the tokenizer always has a pad token (EOS when it had none).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union

from biasorigins.errors import ConfigError, ModelLoadError, ModelNotFoundError
from biasorigins.models.fingerprint import (
    digest_of,
    file_digest,
    folder_digest,
    state_dict_digest,
    tokenizer_digest,
)
from biasorigins.models.names import (
    cached_snapshot,
    hub_unavailable_reason,
    resolve_model_name,
    where_models_are_looked_for,
)

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

ModelKind = Literal["causal", "seq2seq"]
PathLike = Union[str, "os.PathLike[str]"]
AdapterSpec = Union[PathLike, Sequence[PathLike], Mapping[str, PathLike], None]

_DTYPE_NAMES = {
    "float32": "float32", "fp32": "float32", "float": "float32",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
    "float16": "float16", "fp16": "float16", "half": "float16",
}
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")


@dataclass(frozen=True)
class LoadedModel:
    """A model ready for inference, with everything needed to cache its answers.

    Attributes
    ----------
    model
        The ``transformers`` model (a ``PeftModel`` when adapters were loaded), in eval mode.
    tokenizer
        Its tokenizer; ``pad_token`` is always set.
    kind
        ``"causal"`` (decoder-only) or ``"seq2seq"`` (encoder-decoder such as T5).
    name
        A human label, e.g. the folder name or hub id plus adapter names.
    device, dtype
        Where the weights live and their floating-point type.
    adapters
        Names of the loaded LoRA adapters, in loading order (the first is active).
    fingerprint
        sha256 hex identity of weights + adapters + tokenizer (with chat template) + dtype.
    source
        What was loaded: the folder, GGUF path, hub id or ``"<in-memory ...>"``.
    padding_side
        The tokenizer's padding side.
    identity
        The parts the fingerprint was made of, for run manifests.
    """

    model: Any
    tokenizer: Any
    kind: ModelKind
    name: str
    device: torch.device
    dtype: torch.dtype
    fingerprint: str
    adapters: tuple[str, ...] = ()
    source: str = ""
    padding_side: str = "right"
    identity: Mapping[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Any:
        """The model's configuration."""
        return self.model.config

    def describe(self) -> dict[str, Any]:
        """Return a JSON-ready summary (no tensors) for run manifests."""
        return {
            "name": self.name,
            "source": self.source,
            "kind": self.kind,
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            "adapters": list(self.adapters),
            "padding_side": self.padding_side,
            "fingerprint": self.fingerprint,
            "identity": dict(self.identity),
        }


# ---------------------------------------------------------------- device, dtype


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Return a torch device; ``"auto"`` picks cuda, then mps, then cpu."""
    import torch

    if device != "auto":
        try:
            chosen = torch.device(device)
        except RuntimeError as error:
            raise ConfigError(f"unknown device {device!r}: {error}") from error
        mps = getattr(torch.backends, "mps", None)
        available = {"cuda": torch.cuda.is_available(), "mps": mps is not None and mps.is_available()}
        if not available.get(chosen.type, True):
            raise ConfigError(f"device {str(device)!r} is not available here (torch {torch.__version__} sees no "
                              f"{chosen.type.upper()} device); use device 'cpu' or 'auto'")
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_dtype(dtype: str | torch.dtype = "auto", device: torch.device | None = None) -> torch.dtype:
    """Return a torch dtype; ``"auto"`` is bf16 on cuda when supported, fp16 on other cuda, fp32 elsewhere."""
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        if device is not None and device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    canonical = _DTYPE_NAMES.get(str(dtype).lower().removeprefix("torch."))
    if canonical is None:
        raise ConfigError(f"unknown dtype {dtype!r}; use 'auto', 'float32', 'bfloat16', 'float16' or a torch.dtype")
    return getattr(torch, canonical)


# ---------------------------------------------------------------- sources


@dataclass(frozen=True)
class _Source:
    """Where weights come from: a local folder (maybe with a GGUF file) or a hub id."""

    location: str
    is_local: bool
    gguf_file: str | None = None
    name: str | None = None  # the hub id of a folder in the hub cache

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.gguf_file:
            return Path(self.gguf_file).stem
        return Path(self.location).name if self.is_local else self.location


def _looks_like_path(text: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else with path syntax is meant as a path."""
    return (text.startswith((".", "/", "~")) or text.count("/") > 1 or text.endswith(".gguf")
            or (os.sep != "/" and os.sep in text))


def _resolve_source(model: PathLike, gguf_file: str | None, revision: str | None) -> _Source:
    text = os.fspath(resolve_model_name(model))
    path = Path(text).expanduser()
    if path.is_file():
        if path.suffix != ".gguf":
            raise ModelLoadError(
                f"{path} is a file but not a .gguf file; pass the model's folder (with config.json) instead"
            )
        if gguf_file is not None and Path(gguf_file).name != path.name:
            raise ConfigError(f"model={path} is a GGUF file but gguf_file={gguf_file!r} names another one")
        return _Source(str(path.parent.resolve()), True, path.name)
    if path.is_dir():
        return _check_folder(path.resolve(), gguf_file)
    if _looks_like_path(text):
        raise ModelLoadError(f"model path {path} does not exist; check the path (hub ids look like 'org/name')")
    return _hub_source(text, gguf_file, revision)


def _hub_source(repo_id: str, gguf_file: str | None, revision: str | None) -> _Source:
    """A hub id: its hub-cache folder when the hub cannot serve it, refused at once when it is not cached."""
    reason = hub_unavailable_reason()
    if reason is None:
        return _Source(repo_id, False, gguf_file)
    snapshot = cached_snapshot(repo_id, gguf_file or "config.json", revision)
    if snapshot is not None:
        logger.info("the hub cannot serve files (%s); loading %s from the hub cache %s", reason, repo_id, snapshot)
        return _Source(str(snapshot), True, gguf_file, name=repo_id)
    raise ModelNotFoundError(
        f"model {repo_id!r} is not local and the hub cannot serve it ({reason}); "
        f"{where_models_are_looked_for(repo_id)}. Give a local folder or .gguf file, or download the model "
        "where the hub is reachable"
    )


def _check_folder(folder: Path, gguf_file: str | None) -> _Source:
    if gguf_file is not None:
        if not (folder / gguf_file).is_file():
            raise ModelLoadError(f"gguf_file {gguf_file!r} is not in the folder {folder}")
        return _Source(str(folder), True, gguf_file)
    if (folder / "config.json").is_file():
        return _Source(str(folder), True)
    if (folder / "adapter_config.json").is_file():
        raise ModelLoadError(
            f"{folder} holds a LoRA adapter, not a model; load it with load_model(<base model>, adapter='{folder}')"
        )
    ggufs = sorted(p.name for p in folder.glob("*.gguf"))
    if len(ggufs) == 1:
        return _Source(str(folder), True, ggufs[0])
    hint = f"; it has several .gguf files ({', '.join(ggufs)}): pass gguf_file=" if ggufs else ""
    raise ModelLoadError(f"model folder {folder} has no config.json{hint}")


def _require_gguf_package(source: _Source) -> None:
    if importlib.util.find_spec("gguf") is None:
        raise ModelLoadError(
            f"loading {Path(source.location) / str(source.gguf_file)} needs the 'gguf' package: "
            "pip install gguf (or pip install 'biasorigins[gguf]')"
        )


# ---------------------------------------------------------------- loading steps


def _load_config(source: _Source, *, trust_remote_code: bool, revision: str | None) -> Any:
    from transformers import AutoConfig

    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code, "revision": revision}
    try:
        return AutoConfig.from_pretrained(source.location, **kwargs)
    except (OSError, ValueError, KeyError) as error:
        raise ModelLoadError(_explain_failure(source, "configuration", error, trust_remote_code)) from error


def _explain_failure(source: _Source, what: str, error: Exception, trust_remote_code: bool) -> str:
    where = source.location if not source.gguf_file else str(Path(source.location) / source.gguf_file)
    message = f"could not load the {what} of {where}: {_first_line(error)}"
    if not trust_remote_code and ("trust_remote_code" in str(error) or "model_type" in str(error)):
        message += (" -- this model may need its own code; review it, then pass trust_remote_code=True")
    if not source.is_local:
        message += " -- hub ids need network access or a local hub cache (HF_HUB_OFFLINE is honoured)"
    return message


def detect_kind(config: Any) -> ModelKind:
    """Return ``"seq2seq"`` for encoder-decoder configs (T5, BART, ...), else ``"causal"``."""
    return "seq2seq" if getattr(config, "is_encoder_decoder", False) else "causal"


def _prefers_safetensors(source: _Source) -> bool | None:
    """True for local folders holding safetensors; None (transformers' own preference) otherwise."""
    if source.is_local and any(Path(source.location).glob("*.safetensors")):
        return True
    return None


def _load_weights(source: _Source, config: Any, kind: ModelKind, *, dtype: torch.dtype,
                  device: torch.device, trust_remote_code: bool, revision: str | None) -> Any:
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    auto_class = AutoModelForSeq2SeqLM if kind == "seq2seq" else AutoModelForCausalLM
    kwargs: dict[str, Any] = {"config": config, "trust_remote_code": trust_remote_code, "revision": revision,
                              "dtype": dtype, **_device_map(device)}
    use_safetensors = _prefers_safetensors(source)
    if use_safetensors is not None:
        kwargs["use_safetensors"] = use_safetensors
    from pickle import UnpicklingError

    from safetensors import SafetensorError

    try:
        model = auto_class.from_pretrained(source.location, **kwargs)
    except SafetensorError as error:
        files = ", ".join(sorted(p.name for p in Path(source.location).glob("*.safetensors"))) or "safetensors file"
        raise ModelLoadError(f"the weights of {source.location} are damaged ({files}: empty, truncated or not "
                             f"safetensors; {_first_line(error)})") from error
    except UnpicklingError as error:
        files = ", ".join(sorted(p.name for p in Path(source.location).glob("*.bin"))) or "a pickle file"
        raise ModelLoadError(f"refused to load {source.location} ({files}): the pickle holds more than tensors and "
                             "could run code; only plain tensor pickles or safetensors are loaded") from error
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ModelLoadError(_explain_failure(source, "weights", error, trust_remote_code)) from error
    return model.to(device=device, dtype=dtype)


def _first_line(error: BaseException) -> str:
    """The first line of an error's message (library messages can run over many lines)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _load_gguf_weights(source: _Source, *, dtype: torch.dtype, device: torch.device, revision: str | None) -> Any:
    """Load and de-quantize a GGUF model: as a decoder, or as an encoder-decoder if it is one (T5)."""
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    kwargs: dict[str, Any] = {"gguf_file": source.gguf_file, "revision": revision, "dtype": dtype,
                              **_device_map(device)}
    try:
        try:
            model = AutoModelForCausalLM.from_pretrained(source.location, **kwargs)
        except ValueError as causal_error:
            if "Unrecognized configuration class" not in str(causal_error):
                raise
            model = AutoModelForSeq2SeqLM.from_pretrained(source.location, **kwargs)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ModelLoadError(_explain_failure(source, "weights", error, trust_remote_code=False)) from error
    return dequantized_copy(model).to(device=device, dtype=dtype)


def _device_map(device: torch.device) -> dict[str, str]:
    """Load straight onto accelerators; on CPU the default placement is already right."""
    return {} if device.type == "cpu" else {"device_map": str(device)}


def dequantized_copy(model: Any) -> Any:
    """Return a plain copy of a GGUF-loaded model, without its ``quantization_config``.

    transformers marks GGUF-loaded models as quantized, which blocks
    ``save_pretrained`` and some PEFT paths even though the weights are already
    de-quantized; a fresh model built from the cleaned config and loaded with
    the same state dict has none of those limits and identical outputs.
    """
    config = model.config
    if getattr(config, "quantization_config", None) is None:
        return model
    config_dict = config.to_dict()
    config_dict.pop("quantization_config", None)
    clean_config = type(config).from_dict(config_dict)
    fresh = type(model)(clean_config)
    fresh.load_state_dict(model.state_dict(), strict=True)
    fresh.generation_config = model.generation_config
    return fresh


def _load_tokenizer(tokenizer: Any, source: _Source | None, *, trust_remote_code: bool,
                    revision: str | None) -> tuple[Any, str]:
    """Return (tokenizer, how it was identified) from an object, a path, or the model's own source."""
    from transformers import AutoTokenizer

    if tokenizer is not None and not isinstance(tokenizer, (str, os.PathLike)):
        return tokenizer, "object"
    if tokenizer is not None:
        location, gguf_file = os.fspath(resolve_model_name(tokenizer)), None
        if Path(location).expanduser().is_file() and location.endswith(".gguf"):
            location, gguf_file = str(Path(location).expanduser().parent), Path(location).name
        if Path(location).expanduser().exists():
            where = _Source(location, True, gguf_file)
        else:
            where = _hub_source(location, gguf_file, revision)
    elif source is not None:
        where = source
    else:
        raise ConfigError("load_model(<model object>) needs tokenizer=: the tokenizer that goes with the model")
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code, "revision": revision}
    if where.gguf_file:
        kwargs["gguf_file"] = where.gguf_file
    try:
        loaded = AutoTokenizer.from_pretrained(where.location, **kwargs)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelLoadError(_explain_failure(where, "tokenizer", error, trust_remote_code)) from error
    return loaded, where.location


def _ensure_pad_token(tokenizer: Any, model: Any) -> None:
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ModelLoadError(
                f"tokenizer {getattr(tokenizer, 'name_or_path', '')!r} has neither a pad nor an EOS token; "
                "set tokenizer.pad_token before loading"
            )
        tokenizer.pad_token = tokenizer.eos_token
        logger.info("tokenizer had no pad token; using its EOS token %r", tokenizer.eos_token)
    generation_config = getattr(model, "generation_config", None)
    if generation_config is not None and generation_config.pad_token_id is None:
        generation_config.pad_token_id = tokenizer.pad_token_id


# ---------------------------------------------------------------- adapters


def _adapter_entries(adapter: AdapterSpec) -> list[tuple[str, Path]]:
    """Normalise the ``adapter`` argument into (name, folder) pairs with unique, PEFT-safe names."""
    if adapter is None:
        return []
    if isinstance(adapter, Mapping):
        pairs = [(str(name), Path(os.fspath(path)).expanduser()) for name, path in adapter.items()]
    elif isinstance(adapter, (str, os.PathLike)):
        pairs = [(Path(os.fspath(adapter)).name, Path(os.fspath(adapter)).expanduser())]
    else:
        pairs = [(Path(os.fspath(path)).name, Path(os.fspath(path)).expanduser()) for path in adapter]
    named: list[tuple[str, Path]] = []
    seen: set[str] = set()
    for raw_name, path in pairs:
        if not (path / "adapter_config.json").is_file():
            raise ModelLoadError(f"adapter folder {path} has no adapter_config.json; pass a PEFT adapter folder")
        name = re.sub(r"[^A-Za-z0-9_-]", "_", raw_name) or "adapter"
        if name in seen:
            if isinstance(adapter, Mapping):
                raise ConfigError(f"adapter names must be distinct after cleaning; {raw_name!r} clashes")
            name = f"{name}_{len(named)}"
        seen.add(name)
        named.append((name, path))
    return named


def _attach_adapters(model: Any, entries: list[tuple[str, Path]], device: torch.device) -> Any:
    from peft import PeftModel

    first_name, first_path = entries[0]
    try:
        peft_model = PeftModel.from_pretrained(model, str(first_path), adapter_name=first_name, is_trainable=False)
        for name, path in entries[1:]:
            peft_model.load_adapter(str(path), adapter_name=name, is_trainable=False)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ModelLoadError(f"could not load the LoRA adapter(s) {[str(p) for _, p in entries]}: {error}") from error
    peft_model.set_adapter(first_name)
    return peft_model.to(device)


# ---------------------------------------------------------------- public entry


def load_model(
    model: Any,
    *,
    tokenizer: Any = None,
    adapter: AdapterSpec = None,
    dtype: str | torch.dtype = "auto",
    device: str | torch.device = "auto",
    trust_remote_code: bool = False,
    gguf_file: str | None = None,
    revision: str | None = None,
    name: str | None = None,
    padding_side: Literal["left", "right"] | None = None,
) -> LoadedModel:
    """Load a causal or seq2seq language model, its tokenizer and optional LoRA adapters.

    Parameters
    ----------
    model
        A hub id (``"org/name"``), a local folder with ``config.json``, a path to a
        ``.gguf`` file (or a folder holding exactly one), a short offline name
        (``"smollm2"``, see :data:`biasorigins.models.names.OFFLINE_MODELS`), or an
        already loaded ``PreTrainedModel`` (then ``tokenizer`` is required).  When the
        hub is offline (``HF_HUB_OFFLINE``) or does not answer, a hub id loads from the
        local hub cache alone.
    tokenizer
        A tokenizer object, or a folder / hub id to load it from; defaults to the model's own.
    adapter
        A PEFT LoRA adapter folder, a list of them, or a ``{name: folder}`` mapping.  All are
        loaded into one ``PeftModel``; list entries are named after their folder.  The first
        one is active; others are selected with ``model.set_adapter(name)`` or per row with
        ``adapter_names=`` in a forward / generate call.
    dtype
        ``"auto"`` (bf16 on cuda when supported, else fp16 on cuda, fp32 on cpu/mps),
        ``"float32"``, ``"bfloat16"``, ``"float16"`` or a ``torch.dtype``.  For an
        in-memory model, ``"auto"`` keeps its dtype.
    device
        ``"auto"`` (cuda, then mps, then cpu) or any torch device.  For an in-memory
        model, ``"auto"`` keeps its device.
    trust_remote_code
        Allow running code shipped with the model (``auto_map``).  Off by default.
    gguf_file
        Name of a GGUF file inside the folder ``model``; needs the ``gguf`` package.
    revision
        Hub revision (branch, tag or commit).
    name
        Human label; defaults to the folder name / hub id plus adapter names.
    padding_side
        Force ``"left"`` or ``"right"``; None keeps the tokenizer's.

    Returns
    -------
    LoadedModel

    Raises
    ------
    ModelNotFoundError
        At once, when a hub id is not cached and the hub cannot serve it (the message says
        where local models are looked for).
    ModelLoadError
        When a path, file, package or weight is missing or unreadable (the message says which).
    ConfigError
        When an argument is invalid.
    """
    import torch

    in_memory = isinstance(model, torch.nn.Module)
    if in_memory:
        if tokenizer is None:
            raise ConfigError("load_model(<model object>) needs tokenizer=: the tokenizer that goes with the model")
        if not hasattr(model, "config"):
            raise ConfigError(f"{type(model).__name__} has no .config; pass a transformers PreTrainedModel")
        source = None
        config = model.config
        target_device = _current_device(model) if device == "auto" else resolve_device(device)
        target_dtype = _current_dtype(model) if dtype == "auto" else resolve_dtype(dtype, target_device)
        kind = detect_kind(config)
        loaded_model = model.to(device=target_device, dtype=target_dtype)
        label = name or Path(str(getattr(config, "_name_or_path", "") or type(model).__name__)).name
    else:
        if not isinstance(model, (str, os.PathLike)):
            raise ConfigError(f"model must be a path, hub id or loaded model, not {type(model).__name__}")
        source = _resolve_source(model, gguf_file, revision)
        if source.gguf_file:
            _require_gguf_package(source)
        target_device = resolve_device(device)
        target_dtype = resolve_dtype(dtype, target_device)
        if source.gguf_file:  # parsing a GGUF file is slow: let the weights load bring the config
            loaded_model = _load_gguf_weights(source, dtype=target_dtype, device=target_device, revision=revision)
        else:
            config = _load_config(source, trust_remote_code=trust_remote_code, revision=revision)
            loaded_model = _load_weights(source, config, detect_kind(config), dtype=target_dtype,
                                         device=target_device, trust_remote_code=trust_remote_code,
                                         revision=revision)
        kind = detect_kind(loaded_model.config)
        label = name or source.label

    loaded_tokenizer, tokenizer_origin = _load_tokenizer(tokenizer, source, trust_remote_code=trust_remote_code,
                                                         revision=revision)
    if padding_side is not None:
        loaded_tokenizer.padding_side = padding_side
    _ensure_pad_token(loaded_tokenizer, loaded_model)

    identity = {
        "weights": _weights_identity(source, loaded_model, revision) if not in_memory
        else "state_dict:" + state_dict_digest(loaded_model),
        "tokenizer": tokenizer_digest(loaded_tokenizer),
        "dtype": str(target_dtype).removeprefix("torch."),
    }
    entries = _adapter_entries(adapter)
    if entries:
        loaded_model = _attach_adapters(loaded_model, entries, target_device)
        identity["adapters"] = digest_of(part for name_, path in entries for part in (name_, folder_digest(path)))
        if not name:
            label = f"{label}+{'+'.join(n for n, _ in entries)}"
    loaded_model.eval()
    fingerprint = digest_of(f"{key}={value}" for key, value in sorted(identity.items()))
    logger.info("loaded %s (%s, %s, %s) from %s", label, kind, target_device, target_dtype,
                source.location if source else "memory")
    return LoadedModel(
        model=loaded_model,
        tokenizer=loaded_tokenizer,
        kind=kind,
        name=label,
        device=target_device,
        dtype=target_dtype,
        fingerprint=fingerprint,
        adapters=tuple(n for n, _ in entries),
        source=(source.location if not source.gguf_file else str(Path(source.location) / source.gguf_file))
        if source else f"<in-memory {type(model).__name__}>",
        padding_side=str(loaded_tokenizer.padding_side),
        identity={**identity, "tokenizer_origin": tokenizer_origin},
    )


def _current_device(model: Any) -> torch.device:
    import torch

    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _current_dtype(model: Any) -> torch.dtype:
    import torch

    first = next((p for p in model.parameters() if p.is_floating_point()), None)
    return first.dtype if first is not None else torch.float32


def _weights_identity(source: _Source, model: Any, revision: str | None) -> str:
    """Identity of the weights: file digests for local sources, id + revision (+ commit) for hub ids."""
    if not source.is_local:
        commit = getattr(model.config, "_commit_hash", None)
        return "hub:" + digest_of([source.location, str(revision), str(commit), str(source.gguf_file)])
    folder = Path(source.location)
    if source.gguf_file:
        return "gguf:" + digest_of([source.gguf_file, file_digest(folder / source.gguf_file)])
    weight_files = [p.name for p in folder.iterdir() if _defines_weights(p.name)]
    return "folder:" + folder_digest(folder, only=weight_files)


def _defines_weights(file_name: str) -> bool:
    """True for files that define a model's weights or architecture (not its tokenizer)."""
    return (file_name.endswith(_WEIGHT_SUFFIXES) or file_name.endswith((".index.json", ".py"))
            or file_name in {"config.json", "generation_config.json"})
