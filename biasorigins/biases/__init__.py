"""The built-in bias tests, registered through the same hook as third-party plugins.

Every public module in this package defines ``BIASES``, a tuple of Bias instances;
modules are discovered (and imported) only when the plugin manager asks.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from biasorigins.bias import Bias
from biasorigins.hookspecs import hookimpl


def builtin_modules() -> list[str]:
    """Names of the modules that hold built-in biases."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


@hookimpl
def biasorigins_register_biases(register: Callable[[Bias], None]) -> None:
    """Register every built-in bias."""
    for name in builtin_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        for bias in module.BIASES:
            register(bias)
