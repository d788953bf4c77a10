"""Walk-through 4: the cross-tuning analyses on a score table made elsewhere.

With the paper's published table (shipped with the package, or a path given as the first argument) it
reproduces the paper's analyses; given a path that does not exist, it analyses a simulated study with a
planted backbone effect instead. Offline, CPU, under a minute.
What each analysis computes and how to read it: docs/concepts.md and docs/analyses.md.
"""

# %% [markdown]
# ## 1. A score table
# Wide (one row per bias, one column per model, as the paper published it) or long (one row per
# model, bias and optionally scenario or case). Backbone, data and seed are read from model names
# such as `OLMo-Flan-Seed-0`; a model without a seed (`OLMo-SFT`, `Flan-T5`) is a reference model.

# %%
import sys
import tempfile
from pathlib import Path

from biasorigins import CrossTuning, StudyScores, analyze_scores, simulate_scores
from biasorigins.analysis import paper_table_path

source = Path(sys.argv[1]) if len(sys.argv) > 1 else paper_table_path("full")

if source.is_file():
    print(f"the paper's published scores: {source}")
    scores = CrossTuning.from_scores(source)       # the same as StudyScores.load(source)
else:
    print(f"{source} not found: a simulated 2 x 2 x 3 study with a planted backbone effect instead")
    scores = StudyScores.load(simulate_scores(backbone_sd=0.2, data_sd=0.05, seed_sd=0.1, seed=0))

print(scores.models.to_string(index=False))
print(len(scores.biases), "biases;", "capability metrics:", list(scores.capabilities.columns) if not scores.capabilities.empty else "none")

# %% [markdown]
# ## 2. All analyses at once
# Randomness (step 1), clustering (step 2) and attribution. Every stochastic step takes `seed`: the
# same seed gives the same tables. Printing the result gives one quotable sentence per analysis.

# %%
analysis = analyze_scores(scores, seed=0, n_permutations=499, n_bootstrap=200, n_restarts=30)
print(analysis)

# %% [markdown]
# ## 3. Step 1: how much does the seed move bias scores?

# %%
randomness = analysis.randomness
print(randomness.groups.round(3).to_string(index=False))
if not randomness.reference_summary.empty:
    print(randomness.reference_summary.round(3).to_string(index=False))

# %% [markdown]
# ## 4. Step 2: do bias profiles group by backbone or by instruction data?
# Backbone row vs data row of the cluster indices (silhouette: higher is better); permutation tests
# at two units (whole cells vs single models); pairwise cosine contrasts.

# %%
clustering = analysis.clustering["bias"]
print(clustering.indices.round(3).to_string(index=False))
print(clustering.permutation_tests.round(3).to_string(index=False))
print(clustering.similarity_contrasts.round(3).to_string(index=False))

# %% [markdown]
# ## 5. Attribution: the share of variance of each source
# Per-bias two-way ANOVA with seeds as replicates (the residual is the seed variance), pooled.

# %%
attribution = analysis.attribution
print(attribution.pooled.round(3).to_string(index=False))

# %% [markdown]
# ## 6. The report
# A self-contained HTML file with figures (needs matplotlib: `pip install biasorigins[plots]`) and a
# Markdown twin.

# %%
with tempfile.TemporaryDirectory() as out:
    try:
        path = analysis.report(Path(out) / "report.html")
        print("report written:", path.name, f"({path.stat().st_size // 1024} KiB)")
    except ImportError as error:  # matplotlib missing
        print("no report:", error)
