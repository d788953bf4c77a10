"""LoRA instruction tuning of decoder-only and encoder-decoder models, with explicit seeds.

>>> result = finetune("path/to/model", "data.jsonl", output_dir="runs/a", seed=0)   # doctest: +SKIP
>>> result.adapter_dir, result.final_loss                                          # doctest: +SKIP
"""

from biasorigins.finetune.config import PRESETS, FinetuneConfig
from biasorigins.finetune.data import Conversation, InstructionData, Message, PromptCompletion, read_instruction_data
from biasorigins.finetune.formats import EncodedExample, encode_dataset, supervision
from biasorigins.finetune.result import FinetuneResult
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
    "EncodedExample",
    "encode_dataset",
    "supervision",
]
