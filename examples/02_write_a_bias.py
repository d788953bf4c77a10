"""Walk-through 2: write a new bias test in a notebook, check it, and use it in a suite.

A bias is an object with metadata, ``generate``, ``score`` and ``biased_option`` (for the checks).
No packaging is needed to use it: pass the object to ``BiasSuite``. To ship it as a package that
biasorigins discovers by itself, see docs/writing-a-plugin.md and examples/plugin_package/.
Runs offline in about ten seconds.
"""

# %% [markdown]
# ## 1. The design
# *Ambiguity aversion* (Ellsberg, 1961): people avoid options whose probabilities are unknown, even
# when the expected chance is the same. Control: a pilot's chance of success is stated exactly
# ("40%"). Treatment: the same chance is only known to lie in a range centred on it ("between 10% and
# 70%"). Question: what share of a budget do you commit? Scale 0%, 10%, ..., 100%. Committing less
# under ambiguity is the bias.

# %%
from collections.abc import Mapping, Sequence

import numpy as np

import biasorigins as bo
from biasorigins.bias import answers_complete, rotate
from biasorigins.scenarios import with_article

SCALE = bo.AnswerScale(options=tuple(f"{p}%" for p in range(0, 101, 10)), values=tuple(range(0, 101, 10)))

# Five wordings; the five instances of one scenario use five different ones (see `rotate` below).
VARIANTS = {
    "pilot-market": "A pilot of the {project} in a new market {chance}.",
    "trial-run": "A first trial run of the {project} {chance}.",
    "customer-test": "A test with a handful of customers of the {project} {chance}.",
    "prototype": "A prototype for the {project} {chance}.",
    "partner-pilot": "A joint pilot of the {project} with a partner firm {chance}.",
}


class AmbiguityAversion(bo.Bias):
    """Contrast design: an exactly known (control) versus an ambiguous (treatment) chance of success.

    Score: Malberg et al.'s ratio-scale metric with k = +1 and x1 = x2 = 0 on the 0-100% scale,
    so a smaller commitment under ambiguity scores positive.
    """

    info = bo.BiasInfo(
        slug="ambiguity-aversion",
        title="Ambiguity Aversion",
        definition="Options whose probabilities are unknown are avoided, even at the same expected chance.",
        citation="Ellsberg (1961); test design: biasorigins example",
        design="contrast",
        expected_direction="less of the budget is committed when the chance of success is only known as a range",
    )

    def generate(self, scenario: bo.Scenario, rng: np.random.Generator, index: int) -> bo.CaseContent:
        variant = rotate(sorted(VARIANTS), scenario, index)
        chance = int(rng.integers(3, 8)) * 10           # 30% ... 70%
        spread = int(rng.integers(2, 4)) * 10           # the range is chance +- 20% or 30%
        low, high = max(chance - spread, 0), min(chance + spread, 100)
        exact = f"has a {chance}% chance of success, according to a reliable estimate"
        vague = f"has a chance of success somewhere between {low}% and {high}%; nobody can say where in that range"

        def condition(chance_text: str) -> bo.Condition:
            return bo.Condition(
                situation=(
                    f"You are the {scenario.position} at {with_article(scenario.organization)}.",
                    f"You are deciding {scenario.decision}.",
                    VARIANTS[variant].format(project=scenario.project, chance=chance_text),
                    "If it succeeds, every dollar committed returns two; if it fails, the money is lost.",
                ),
                question=f"What share of the budget of your {scenario.team} do you commit to it?",
                scale=SCALE,
            )

        return bo.CaseContent(
            conditions={"control": condition(exact), "treatment": condition(vague)},
            values={"chance": chance, "low": low, "high": high, "k": 1},
            variant=variant,
        )

    def score(self, case: bo.TestCase, answers: Mapping[str, int]) -> float | None:
        if not answers_complete(answers, "control", "treatment"):
            return None
        return bo.ratio_scale_score(answers["control"], answers["treatment"], n_c=len(SCALE), k=case.values["k"])

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Read like a person: is the chance stated exactly, or only as a range?
        if "somewhere between" not in text:
            return "50%"
        return "100%" if opposite else "20%"            # an ambiguity seeker commits more, not less


# %% [markdown]
# ## 2. Read what the model will read
# Always read many prompts by eye: every wording must make sense for all 200 scenarios.

# %%
bias = AmbiguityAversion()
suite = bo.BiasSuite([bias], cases=10, seed=0)
for prompt in suite.prompts(suite.cases()[:1]):
    print(f"--- {prompt.condition}\n{prompt.text}\n")

# %% [markdown]
# ## 3. Golden scores: the formula on hand-picked answers
# Positions on the scale: 0 is 0%, 5 is 50%, 10 is 100%.

# %%
case = suite.cases()[0]
assert bias.score(case, {"control": 6, "treatment": 3}) == bo.ratio_scale_score(6, 3, n_c=11, k=1) > 0
assert abs(bias.score(case, {"control": 6, "treatment": 3}) - 0.5) < 1e-6    # (6 - 3) / 6
assert bias.score(case, {"control": 4, "treatment": 4}) == 0.0               # no effect
assert bias.score(case, {"control": 4}) is None                              # unanswered treatment

# %% [markdown]
# ## 4. The shared conformance checks
# The same checks every built-in and packaged bias passes: determinism, JSON round trip, 1000
# distinct prompts, score range, conditions that differ only in the manipulation, no answer label
# ("Option B") inside the texts, and synthetic responders (random ~0, first-option ~0, and two that
# read each prompt's text through `biased_option`: biased > 0.3, opposite < -0.3). Each raises
# AssertionError saying what is wrong, for which case and condition.

# %%
from biasorigins.testing.conformance import CHECKS, check_bias

check_bias(bias)
print("passes", len(CHECKS), "conformance checks:", ", ".join(check.__name__ for check in CHECKS))

# %% [markdown]
# ## 5. Use it beside the built-in biases

# %%
from biasorigins.testing.responders import TextResponder

mixed = bo.BiasSuite([bias, "framing-effect", "Anchoring"], cases=50, seed=0)
result = mixed.run(TextResponder([bias]))
print(result)   # biased on ambiguity aversion only: the other two score ~0
assert result.summary.set_index("bias").loc["ambiguity-aversion", "mean"] > 0.3

# %% [markdown]
# ## 6. Next
# * Ship it: a package with `[project.entry-points.biasorigins]` and a `@biasorigins.hookimpl`
#   function `biasorigins_register_biases(register)` (docs/writing-a-plugin.md,
#   examples/plugin_package/).
# * Measure a model: `mixed.run(bo.HFRunner("path/to/model"))`.
