"""Plugin discovery: built-in and third-party biases through one pluggy hook.

Built-in biases are registered by the module :mod:`biasorigins.biases` exactly as a
third-party package registers its own (entry-point group ``biasorigins``).
Nothing is loaded at import time; the plugin manager is built on first use and
cached (:func:`reset_plugins` forgets it, e.g. after installing a plugin).

Environment variables:

- ``BIASORIGINS_LOAD_PLUGINS``: comma-separated entry-point names to load
  (empty string: built-ins only). Unset: load all.
- ``BIASORIGINS_DISABLE_PLUGINS``: comma-separated entry-point names to skip.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import logging
import os
import re
from dataclasses import dataclass

import pluggy

from biasorigins import hookspecs
from biasorigins.bias import Bias, BiasInfo
from biasorigins.errors import PluginError, UnknownBiasError

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "biasorigins"
BUILTIN_PLUGIN = "biasorigins.biases"


@dataclass(frozen=True)
class RegisteredBias:
    """A bias together with the plugin that registered it."""

    bias: Bias
    plugin: str
    distribution: str


def _env_names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    allowed = _env_names("BIASORIGINS_LOAD_PLUGINS")
    blocked = _env_names("BIASORIGINS_DISABLE_PLUGINS") or set()
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if (allowed is not None and entry_point.name not in allowed) or entry_point.name in blocked:
            continue
        if pm.get_plugin(entry_point.name) is not None or pm.is_blocked(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # one broken plugin must not break the host
            logger.warning("could not load bias plugin %r (%s): %s", entry_point.name, entry_point.value, exc)
            continue
        pm.register(plugin, name=entry_point.name)
        if entry_point.dist is not None:
            _DISTRIBUTIONS[entry_point.name] = f"{entry_point.dist.name} {entry_point.dist.version}"


_DISTRIBUTIONS: dict[str, str] = {}


@functools.lru_cache(maxsize=1)
def get_plugin_manager() -> pluggy.PluginManager:
    """The cached plugin manager: hook specs, built-in biases, then entry points."""
    from biasorigins import biases as builtin_biases

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(builtin_biases, name=BUILTIN_PLUGIN)
    _load_entry_points(pm)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            f"plugin {pm.get_name(exc.plugin)!r} implements a hook that biasorigins does not define ({exc}); "
            "the only hook is biasorigins_register_biases(register)"
        ) from exc
    return pm


def _distribution(plugin: str) -> str:
    if plugin == BUILTIN_PLUGIN:
        from biasorigins import __version__

        return f"biasorigins {__version__}"
    return _DISTRIBUTIONS.get(plugin, "not packaged")


def collect_biases(pm: pluggy.PluginManager | None = None) -> dict[str, RegisteredBias]:
    """Call every plugin's hook and return the biases by slug; duplicates raise PluginError.

    A third-party hook that raises (or registers something that is not a Bias) disables
    that plugin with a warning naming it; the other plugins still load.
    """
    pm = pm or get_plugin_manager()
    found: dict[str, RegisteredBias] = {}
    for impl in pm.hook.biasorigins_register_biases.get_hookimpls():  # registration order
        plugin = impl.plugin_name
        entries: list[RegisteredBias] = []

        def register(bias: Bias, _plugin: str = plugin, _entries: list[RegisteredBias] = entries) -> None:
            if not isinstance(bias, Bias):
                raise PluginError(f"plugin {_plugin!r} registered {bias!r}, which is not a biasorigins.Bias")
            _entries.append(RegisteredBias(bias, _plugin, _distribution(_plugin)))

        try:
            impl.function(**{name: register for name in impl.argnames})
        except Exception as exc:
            if plugin == BUILTIN_PLUGIN:
                raise
            logger.warning("bias plugin %r is disabled: its biasorigins_register_biases hook raised %s: %s",
                           plugin, type(exc).__name__, exc)
            continue
        for entry in entries:
            _add(found, entry)
    return found


def plugin_of(bias: Bias) -> str:
    """The name of the plugin that registered ``bias`` (by slug), or the module of an inline bias."""
    entry = _registry().get(bias.info.slug)
    if entry is not None and type(entry.bias) is type(bias):
        return entry.plugin
    return f"{type(bias).__module__}.{type(bias).__qualname__} (inline)"


def _add(found: dict[str, RegisteredBias], entry: RegisteredBias) -> None:
    slug = entry.bias.info.slug
    if slug in found:
        first = found[slug]
        raise PluginError(
            f"bias {slug!r} is registered twice: by plugin {first.plugin!r} ({first.distribution}) "
            f"and by plugin {entry.plugin!r} ({entry.distribution}); rename one of them or disable a "
            "plugin with BIASORIGINS_DISABLE_PLUGINS"
        )
    found[slug] = entry


@functools.lru_cache(maxsize=1)
def _registry() -> dict[str, RegisteredBias]:
    return collect_biases()


def reset_plugins() -> None:
    """Forget the cached plugin manager and registry (e.g. after installing a plugin)."""
    _registry.cache_clear()
    get_plugin_manager.cache_clear()
    _DISTRIBUTIONS.clear()


def normalize_name(name: str) -> str:
    """Case- and spacing-insensitive key: 'Loss Aversion', 'loss-aversion', 'LossAversion' match."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def registered_biases() -> dict[str, RegisteredBias]:
    """All registered biases by slug, with the plugin that registered each."""
    return dict(_registry())


def list_biases() -> list[BiasInfo]:
    """Metadata of every registered bias, sorted by slug."""
    return [entry.bias.info for _, entry in sorted(_registry().items())]


def get_bias(name: str | Bias, *, pool: dict[str, Bias] | None = None) -> Bias:
    """Look a bias up by slug, title or alias (case/spacing-insensitive).

    ``pool`` restricts the search (default: every registered bias). Unknown names
    raise :class:`UnknownBiasError` with close matches.
    """
    if isinstance(name, Bias):
        return name
    biases = pool if pool is not None else {slug: entry.bias for slug, entry in _registry().items()}
    index: dict[str, Bias] = {}
    for bias in biases.values():
        for key in (bias.info.slug, bias.info.title, *bias.info.aliases):
            index.setdefault(normalize_name(key), bias)
    found = index.get(normalize_name(name))
    if found is not None:
        return found
    slug_of = {normalize_name(key): bias.info.slug for key, bias in index.items()}
    wanted = normalize_name(name)
    close = difflib.get_close_matches(wanted, list(slug_of), n=5, cutoff=0.6)
    close += [key for key in slug_of if wanted and (wanted in key or key in wanted)]
    suggestions = list(dict.fromkeys(slug_of[key] for key in close))[:3]
    hint = f" Did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    raise UnknownBiasError(
        f"unknown bias {name!r}.{hint} Run `biasorigins list` to see all {len(biases)} registered biases."
    )
