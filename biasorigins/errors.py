"""The exception hierarchy of biasorigins: every error we raise is a BiasOriginsError."""

from __future__ import annotations


class BiasOriginsError(Exception):
    """Base class of every error raised by biasorigins."""


class ConfigError(BiasOriginsError, ValueError):
    """A configuration, argument or input file is invalid."""


class PluginError(BiasOriginsError):
    """A bias plugin is broken, duplicated or unknown."""


class UnknownBiasError(PluginError, KeyError):
    """A bias name matches no registered bias."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataFormatError(ConfigError):
    """A data record is malformed; the message names the file, line and field."""


class ModelLoadError(BiasOriginsError):
    """A model or tokenizer could not be loaded."""


class ModelNotFoundError(ModelLoadError):
    """A model name is not local, and the hub cannot serve it (offline, or unreachable)."""


class ModelServerError(BiasOriginsError):
    """A model server refused a request, or gave no answer after every retry."""


class PlotDependencyError(BiasOriginsError, ImportError):
    """A plot was asked for but matplotlib is not installed (``pip install biasorigins[plots]``)."""
