"""An example biasorigins plugin: bias tests about hiring decisions.

biasorigins finds this module through the entry point in ``pyproject.toml`` and calls the
hook below once; the hook registers each bias object. Nothing else is needed.
"""

from __future__ import annotations

from collections.abc import Callable

from biasorigins import Bias, hookimpl

from hiring_biases.sunk_cost import SunkCostInHiring

__all__ = ["SunkCostInHiring", "biasorigins_register_biases"]
__version__ = "0.1.0"


@hookimpl
def biasorigins_register_biases(register: Callable[[Bias], None]) -> None:
    """Register the biases of this package."""
    register(SunkCostInHiring())
