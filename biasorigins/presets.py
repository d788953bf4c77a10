"""Named selections of biases, e.g. the 32 biases of the cross-tuning paper in its order.

A preset keeps the paper's display names, so result tables line up with published ones.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from biasorigins.errors import ConfigError


class Preset(BaseModel):
    """An ordered list of bias slugs with the display names a paper used for them."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    entries: tuple[tuple[str, str], ...]

    @property
    def slugs(self) -> list[str]:
        return [slug for slug, _ in self.entries]

    @property
    def display_names(self) -> dict[str, str]:
        """Slug -> display name used by the source paper."""
        return dict(self.entries)


_PRESETS: dict[str, Preset] = {}


def _add(preset: Preset) -> None:
    _PRESETS[preset.name] = preset


def preset_names() -> list[str]:
    """Names of the built-in presets."""
    return sorted(_PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name``; unknown names raise ConfigError listing the known ones."""
    try:
        return _PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; known presets: {', '.join(preset_names()) or 'none'}") from None
