"""Walk-through 3: LoRA instruction tuning with finetune(), seeds, and evaluating the result.

Finetunes a tiny random model on the two small instruction sets shipped with biasorigins (a
Flan-style prompt/completion set and a Tulu-style chat set), with two seeds, then evaluates the
adapters with the bias suite. Offline, CPU, well under a minute. For real models use the paper's
recipes: ``FinetuneConfig.preset("olmo-paper")`` or ``"t5-paper"`` (see docs/finetuning.md).
"""

# %% [markdown]
# ## 1. Instruction data
# Records are prompt/completion pairs or chat `messages`; every record is validated (file, line
# and field in the error) before any model is loaded. Files can be JSONL, JSON, Parquet or CSV.

# %%
import tempfile
from pathlib import Path

import biasorigins as bo
from biasorigins.finetune import FinetuneConfig, finetune, load_instruction_set
from biasorigins.testing.tiny_models import build_tiny_causal_lm

flan = load_instruction_set("flan_style")  # the file itself: instruction_set_path("flan_style")
tulu = load_instruction_set("chat_style")
print(len(flan), "prompt/completion records;", len(tulu), "chat records")
print(flan.records[0])

# %% [markdown]
# ## 2. A recipe
# `FinetuneConfig` holds every setting (frozen, validated, saved next to the adapter). Presets:
# `"olmo-paper"`, `"t5-paper"` (the paper's recipes) and `"tiny"` (seconds on CPU).

# %%
config = FinetuneConfig.preset("tiny", max_steps=8, learning_rate=2e-2, max_length=256)
print(config.lora_r, config.learning_rate, config.batch_size, config.max_steps)
print(FinetuneConfig.preset("olmo-paper").model_dump(include={"lora_r", "lora_alpha", "learning_rate", "batch_size", "epochs", "bos"}))

# %% [markdown]
# ## 3. Finetune one backbone on both datasets with two seeds
# The seed fixes the LoRA initialisation, the dropout masks and the data order: the same seed gives
# the same adapter, another seed another one. A run folder holds `adapter/`, the config, a JSONL
# training log and `result.json`; an interrupted run resumes from its last checkpoint.

# %%
work = Path(tempfile.mkdtemp(prefix="biasorigins-finetune-"))
backbone = build_tiny_causal_lm(work / "backbone", arch="olmo", seed=0)

results = {}
for data_name, records in (("flan", flan), ("tulu", tulu)):
    for seed in (0, 1):
        result = finetune(backbone, records, output_dir=work / f"{data_name}-s{seed}", seed=seed,
                          config=config, progress=False)
        results[data_name, seed] = result
        print(f"{data_name} seed {seed}: {result.steps} steps, loss {result.losses[0]:.2f} -> {result.final_loss:.2f}")

again = finetune(backbone, flan, output_dir=work / "flan-s0", seed=0, config=config, progress=False)
assert again.final_loss == results["flan", 0].final_loss     # a finished run is returned, not redone

# %% [markdown]
# ## 4. Evaluate the adapters
# `HFRunner(backbone, adapter=folder)` loads the base model with the LoRA adapter; a model trained on
# Tulu-style chats is prompted in the Tulu format, a Flan-style one with the raw prompt.

# %%
from biasorigins.models.loading import load_model

suite = bo.BiasSuite(["framing-effect", "anchoring"], cases=4, seed=0)
rows = []
for (data_name, seed), result in results.items():
    loaded = load_model(backbone, adapter=result.adapter_dir, device="cpu")
    runner = bo.HFRunner(loaded, chat_format="tulu" if data_name == "tulu" else "raw",
                         name=f"Tiny-{data_name.title()}-Seed-{seed}")
    rows.append(suite.run(runner).scores)

import pandas as pd

scores = pd.concat(rows)
print(scores.groupby(["model", "bias"])["score"].mean().unstack().round(3))
# This long table (model, bias, scenario, score) is what the cross-tuning analyses take:
# see examples/04_crosstuning_from_scores.py.

# %%
import shutil

shutil.rmtree(work)   # the run folders were temporary
