"""The pluggy hook specification of biasorigins and the markers plugins use.

A plugin module (or object) implements the hook and registers its biases::

    from biasorigins import hookimpl

    @hookimpl
    def biasorigins_register_biases(register):
        register(MyBias())

and is exposed through an entry point in the group ``biasorigins``.
Hooks only *find* biases; behaviour lives on the :class:`~biasorigins.Bias` objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from biasorigins.bias import Bias

PROJECT = "biasorigins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def biasorigins_register_biases(register: Callable[[Bias], None]) -> None:
    """Register bias tests by calling ``register(bias)`` once per :class:`~biasorigins.Bias` instance."""
