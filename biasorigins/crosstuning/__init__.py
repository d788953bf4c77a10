"""Cross-tuning studies: the design (backbones x instruction data x seeds, TOML), its cells and running them.

The analyses of the scores a study produces live in `biasorigins.analysis`.
"""

from biasorigins.crosstuning.design import CrossTuning

__all__ = ["CrossTuning"]
