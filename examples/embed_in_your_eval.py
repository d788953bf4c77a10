"""Walk-through: run the bias suite inside your own evaluation code.

Two ways in, both offline and in a few seconds here:

A. Pass your model call as a function: ``CallableRunner`` turns "prompts -> answers" (text) or
   "prompts -> option scores" into a runner the suite can drive, with caching and resume.
B. Export the rendered prompts (JSONL / pandas) with everything needed to score them, let your
   harness answer them however it likes, and hand the answers back to be scored.

Run it as a script (``python examples/embed_in_your_eval.py``) or cell by cell (``# %%``).
"""

# %% [markdown]
# ## Your harness's model call
# Here a stand-in that answers like a cautious person in free text; replace it with your API client
# or your own inference code. It receives plain prompt texts and returns one answer per prompt.

# %%
import json
import re
import tempfile
from pathlib import Path

from biasorigins.exchange import export_prompts, score_answers
from biasorigins.models.callable import CallableRunner
from biasorigins.store import DecisionStore
from biasorigins.suite import BiasSuite


def my_model(texts: list[str]) -> list[str]:
    """Answer with the middle option, in a sentence, and decline when a prompt risks a loss."""
    answers = []
    for text in texts:
        labels = re.findall(r"^Option (\w+):", text, flags=re.MULTILINE)
        if " loses " in text:
            answers.append("I cannot choose between these without more information.")
        else:
            answers.append(f"After weighing it up, I choose Option {labels[len(labels) // 2]}.")
    return answers


suite = BiasSuite(["framing-effect", "anchoring", "loss-aversion"], cases=6, seed=0)
workdir = Path(tempfile.mkdtemp(prefix="biasorigins-embed-"))

# %% [markdown]
# ## A. A function as a runner
# Answers are parsed (explicit "Option B" first, option texts, negations; ambiguous answers are
# invalid, refusals are counted). The `fingerprint` names the model behind the function: the store
# reuses answers only for the same fingerprint and prompt, so a rerun costs nothing and a killed
# run resumes where it stopped.

# %%
runner = CallableRunner(my_model, name="my-model", fingerprint="my-model v1 (greedy)", batch_size=16)
store = DecisionStore(workdir / "decisions.sqlite")
result = suite.run(runner, store=store, progress=False)
print(result.to_string())
print(result.answer_counts)
again = suite.run(runner, store=store, progress=False)  # every answer comes from the store
assert again.table.equals(result.table)
print("stored answers:", store.count())  # 36 scored, 24 display-reversed probes (result.diagnostics)

# %% [markdown]
# Functions that score options instead of writing text return one number per displayed option
# (or a `{label: score}` dict); with `input="prompt"` they receive `Prompt` objects carrying the
# labels, options and the answer prefix ("Answer: Option") to score the labels after.

# %%
def prefers_last_label(prompts):
    return [{label: float(position) for position, label in enumerate(p.labels)} for p in prompts]


scored = suite.run(CallableRunner(prefers_last_label, input="prompt", name="last-label"), progress=False)
print(scored.summary[["title", "mean", "n_valid"]])

# %% [markdown]
# ## B. Export the prompts, answer them elsewhere, score the answers
# Each row carries the prompt text, its labels and options, the display order (counterbalancing)
# and the test case itself, so scoring needs nothing but the two files.

# %%
prompts_file = workdir / "prompts.jsonl"
frame = export_prompts(suite, prompts_file)
print(frame[["prompt_id", "bias", "condition", "labels"]].head(3))

answers_file = workdir / "answers.jsonl"
with open(prompts_file, encoding="utf-8") as source, open(answers_file, "w", encoding="utf-8") as sink:
    rows = [json.loads(line) for line in source]
    for row, answer in zip(rows, my_model([r["text"] for r in rows])):
        sink.write(json.dumps({"prompt_id": row["prompt_id"], "answer": answer}) + "\n")

handed_back = score_answers(answers_file, prompts=prompts_file, model="my-model")
print(handed_back.summary[["title", "mean", "n_valid", "refused_answers"]])
assert handed_back.summary["mean"].equals(result.summary["mean"])
print("files in", workdir)
store.close()
