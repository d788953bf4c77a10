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


# The 30 biases of Malberg et al. (2024) with the display names of the cross-tuning
# paper's published table (rows of cross_tuning_full_scores.csv), in its order.
MALBERG_30: tuple[tuple[str, str], ...] = (
    ("anchoring", "Anchoring"),
    ("anthropomorphism", "Anthropomorphism"),
    ("availability-heuristic", "Availability Heuristic"),
    ("bandwagon-effect", "Bandwagon Effect"),
    ("confirmation-bias", "Confirmation Bias"),
    ("conservatism", "Conservatism"),
    ("disposition-effect", "Disposition Effect"),
    ("endowment-effect", "Endowment Effect"),
    ("escalation-of-commitment", "Escalation of Commitment"),
    ("framing-effect", "Framing Effect"),
    ("fundamental-attribution-error", "Fundamental Attribution Error"),
    ("halo-effect", "Halo Effect"),
    ("hindsight-bias", "Hindsight Bias"),
    ("hyperbolic-discounting", "Hyperbolic Discounting"),
    ("illusion-of-control", "Illusion of Control"),
    ("in-group-bias", "In-Group Bias"),
    ("information-bias", "Information Bias"),
    ("loss-aversion", "Loss Aversion"),
    ("mental-accounting", "Mental Accounting"),
    ("negativity-bias", "Negativity Bias"),
    ("not-invented-here", "Not Invented Here"),
    ("optimism-bias", "Optimism Bias"),
    ("planning-fallacy", "Planning Fallacy"),
    ("reactance", "Reactance"),
    ("risk-compensation", "Risk Compensation"),
    ("self-serving-bias", "Self-Serving Bias"),
    ("social-desirability-bias", "Social Desirability Bias"),
    ("status-quo-bias", "Status-Quo Bias"),
    ("stereotyping", "Stereotyping"),
    ("survivorship-bias", "Survivorship Bias"),
)

# The two tests of Itzhak et al. (2024) that complete the cross-tuning paper's 32.
ITZHAK_2: tuple[tuple[str, str], ...] = (
    ("certainty-effect", "Certainty"),
    ("belief-bias-valid", "Belief Valid"),
)

# All five tests of Itzhak et al. (2024), "Instructed to Bias".
ITZHAK_5: tuple[tuple[str, str], ...] = ITZHAK_2 + (
    ("belief-bias-invalid", "Belief Invalid"),
    ("decoy-expensive", "Decoy Expensive"),
    ("decoy-cheaper", "Decoy Cheaper"),
)

_add(Preset(
    name="malberg30",
    description="The 30 decision-making biases of Malberg et al. (2024), in the cross-tuning paper's order.",
    entries=MALBERG_30,
))
_add(Preset(
    name="paper32",
    description="The 32 biases of Itzhak, Belinkov & Stanovsky (2025): the Malberg 30 plus certainty effect "
    "and belief bias (valid syllogisms), with the paper's display names and order.",
    entries=MALBERG_30 + ITZHAK_2,
))
_add(Preset(
    name="itzhak5",
    description="The certainty, belief-bias and decoy tests of Itzhak et al. (2024).",
    entries=ITZHAK_5,
))
_add(Preset(
    name="builtin",
    description="Every built-in bias: the Malberg 30 followed by the five tests of Itzhak et al. (2024).",
    entries=MALBERG_30 + ITZHAK_5,
))
