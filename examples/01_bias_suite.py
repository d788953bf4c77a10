"""Walk-through 1: the bias suite (BiasSuite, test cases, runners, results).

Run it as a script (``python examples/01_bias_suite.py``) or cell by cell in an editor that
understands ``# %%`` cells. It works offline on a CPU in a few seconds: the model is a tiny random
transformer built on the spot, so its "biases" are noise; swap in a real model path to measure one.
"""

# %% [markdown]
# ## 1. Choose biases
# `"all"`, a preset (`"paper32"`: the 32 biases of the cross-tuning paper), one name, or a list of
# names and `Bias` objects. Names are case- and spacing-insensitive.

# %%
import tempfile
from pathlib import Path

import biasorigins as bo

print(len(bo.list_biases()), "registered biases;", "presets:", bo.preset_names())
print([info.title for info in bo.list_biases()][:5], "...")

suite = bo.BiasSuite(["Framing Effect", "anchoring", "loss aversion"], cases=6, seed=0)
print(suite)

# %% [markdown]
# ## 2. Look at a test case
# A case holds named conditions (situation, question, answer scale) and every value the bias
# sampled. The same seed always gives byte-identical cases.

# %%
case = suite.cases()[0]
print(case.id, "variant:", case.variant, "values:", case.values)
print("conditions:", list(case.conditions))
print("display order of the treatment (reversed in half of the cases):", case.condition("treatment").shown_order)
assert bo.BiasSuite(["framing-effect"], cases=6, seed=0).cases() == suite.cases()[:6]

# %% [markdown]
# ## 3. The prompts a model reads

# %%
prompts = suite.prompts([case])
print(prompts[1].text)
print("labels:", prompts[1].labels)

# %% [markdown]
# ## 4. Runners
# A runner turns prompts into responses. Synthetic responders need no model and are how bias
# plugins are tested: a responder that always picks the first displayed option scores ~0 thanks to
# counterbalancing; one that reads each prompt as a person with the biases would scores > 0.

# %%
from biasorigins.testing.responders import FirstOptionResponder, TextResponder

print(suite.run(FirstOptionResponder()))
print(suite.run(TextResponder(suite.biases)))

# %% [markdown]
# ## 5. A real transformers model: choice by likelihood
# `HFRunner` accepts a local folder, a hub id, a `.gguf` file or a `LoadedModel`. Here: a tiny random
# Llama saved to a temporary folder (use `"smollm2"` on the command line, or
# `biasorigins.testing.smollm.smollm2_path()`, for the real offline SmolLM2-135M-Instruct).

# %%
from biasorigins.testing.tiny_models import build_tiny_causal_lm

with tempfile.TemporaryDirectory() as tmp:
    folder = build_tiny_causal_lm(Path(tmp) / "tiny-llama", arch="llama", seed=0)
    runner = bo.HFRunner(folder, chat_format="raw", device="cpu")
    result = suite.run(runner, model="tiny-llama")

# %% [markdown]
# ## 6. Results
# `result.summary`: one row per bias (mean score, bootstrap CI, valid/invalid counts).
# `result.table`: one row per case and condition (chosen option, validity, score).
# `result.scores`: one row per case, the input of the cross-tuning analyses.

# %%
print(result)
print(result.table[["bias", "case_id", "condition", "chosen_option", "reversed", "score"]].head(6).to_string(index=False))
assert len(result.scores) == len(suite.cases())

with tempfile.TemporaryDirectory() as out:
    result.table.to_csv(Path(out) / "decisions.csv", index=False)
    result.summary.to_csv(Path(out) / "summary.csv", index=False)

# %% [markdown]
# ## 7. Decisions made elsewhere
# Answers obtained outside the suite are scored with `suite.score(decisions)`; here the decisions
# are rebuilt from the table above.

# %%
decisions = [
    bo.Decision(case_id=row.case_id, condition=row.condition, choice=int(row.choice),
                displayed_choice=int(row.displayed_choice), status="ok")
    for row in result.table.itertuples()
]
again = suite.score(decisions, model="tiny-llama (rescored)")
assert again.summary["mean"].round(12).equals(result.summary["mean"].round(12))
print("rescored from the table: same summary")
