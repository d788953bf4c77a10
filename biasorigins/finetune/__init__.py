"""LoRA instruction tuning of decoder-only and encoder-decoder models, with explicit seeds.

>>> result = finetune("path/to/model", "data.jsonl", output_dir="runs/a", seed=0)   # doctest: +SKIP
>>> result.adapter_dir, result.final_loss                                          # doctest: +SKIP
"""

import sys
import types

from biasorigins.finetune.config import PRESETS, FinetuneConfig
from biasorigins.finetune.data import Conversation, InstructionData, Message, PromptCompletion, read_instruction_data
from biasorigins.finetune.formats import EncodedExample, encode_dataset, supervision
from biasorigins.finetune.result import FinetuneResult
from biasorigins.finetune.shipped import INSTRUCTION_SETS, instruction_set_path, load_instruction_set
from biasorigins.finetune.train import finetune

__all__ = [
    "finetune",
    "FinetuneConfig",
    "FinetuneResult",
    "PRESETS",
    "InstructionData",
    "PromptCompletion",
    "Conversation",
    "Message",
    "read_instruction_data",
    "INSTRUCTION_SETS",
    "instruction_set_path",
    "load_instruction_set",
    "EncodedExample",
    "encode_dataset",
    "supervision",
]


class _CallablePackage(types.ModuleType):
    """``biasorigins.finetune`` names both this package and the function: calling the package runs it."""

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204 - forwards to finetune()
        return finetune(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
__wrapped__ = finetune  # inspect.signature(biasorigins.finetune) shows finetune()'s signature
