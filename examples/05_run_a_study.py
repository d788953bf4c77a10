"""Walk-through 5: a whole cross-tuning study with the CrossTuning API.

Two tiny random backbones (a Llama-like and an OLMo-like model) x the two instruction sets shipped
with biasorigins x two seeds: design, plan, run (finetune, evaluate, collect, analyse, report),
status and resume. Offline, CPU, under a minute. The same design as a TOML file runs on a cluster
with ``biasorigins crosstune study.toml cell $SLURM_ARRAY_TASK_ID`` (docs/cluster.md); the
paper's real setting is ``examples/paper_study.toml``.
"""

# %% [markdown]
# ## 1. The design
# Backbones and datasets are keyed specs; every backbone is tuned on every dataset with every seed.
# The design is validated when it is built: an unknown key, bias or preset is an error that names
# the key. Models are local folders or hub ids; data files are JSONL, JSON, Parquet or CSV.

# %%
import tempfile
from pathlib import Path

from biasorigins import CrossTuning
from biasorigins.finetune import instruction_set_path
from biasorigins.testing.tiny_models import build_tiny_causal_lm

work = Path(tempfile.mkdtemp(prefix="biasorigins-study-"))
study = CrossTuning(
    name="Tiny study",
    workdir=work / "run",
    backbones={
        "llama": {"model": str(build_tiny_causal_lm(work / "llama", arch="llama", seed=0)), "label": "Llama"},
        "olmo": {"model": str(build_tiny_causal_lm(work / "olmo", arch="olmo", seed=1)), "label": "OLMo"},
    },
    datasets={
        "flan": {"path": str(instruction_set_path("flan_style")), "label": "Flan", "chat_format": "raw"},
        "tulu": {"path": str(instruction_set_path("chat_style")), "label": "Tulu", "chat_format": "tulu"},
    },
    seeds=[0, 1],
    finetune={"preset": "tiny", "max_steps": 4, "max_length": 256},
    suite={"biases": ["anchoring", "framing-effect", "loss-aversion", "status-quo-bias"], "cases": 6},
    analysis={"n_permutations": 99, "n_bootstrap": 100, "n_restarts": 10},
)
print(study.to_toml())     # the same design as a study file

# %% [markdown]
# ## 2. The plan
# One cell per backbone x dataset x seed (and one per reference model, if any). A cell's model is
# named `<Backbone>-<Data>-Seed-<n>`, the names the analyses read the factors from.

# %%
print(study.plan()[["cell", "model", "chat_format"]].to_string(index=False))

# %% [markdown]
# ## 3. Run it
# Each cell is finetuned (adapter and checkpoints in `cells/<id>/finetune/`), then evaluated (answers
# in a decision store, written batch by batch), then the scores are collected and analysed and the
# report is written. A stage marker is written when a stage ends, so a stopped run restarts where it
# stopped, and a run of a finished study does nothing but the analysis.

# %%
analysis = study.run(progress=False)
for name, sentence in analysis.summaries().items():
    print(f"{name}: {sentence}\n")
print(study.status()[["cell", "finetune", "evaluate"]].to_string(index=False))

# %% [markdown]
# ## 4. The outputs
# `scores.csv` has one row per model and test case; `report.html` (and `report.md`) has every table
# and figure. A changed design marks the affected stages stale: more cases re-evaluate on the same
# adapters, while another finetuning recipe asks you to delete the old runs first.

# %%
scores = study.scores()
print(scores.matrix().round(3) + 0.0)     # + 0.0 prints -0.0 as 0.0
print("report:", study.workdir / "report.html")
more_cases = study.model_copy(update={"suite": study.suite.model_copy(update={"cases": 8})})
print(more_cases.status()["evaluate"].value_counts().to_dict())   # every cell's evaluation is stale
