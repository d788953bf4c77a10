"""Calibration of the answer-diagnostics verdict by simulation with synthetic responders.

Each responder answers the real rendered prompts of every built-in bias (and their display-reversed
twins: the default probe of 4 cases per bias) from the prompt text alone
(:class:`~biasorigins.testing.answer_styles.MixtureResponder`): with probability ``q`` by
displayed position (the first option), with probability ``noise`` at random, otherwise by a fixed
preference among option texts. Its mode is drawn per answer (``independent``: a case and its twin
draw separately) or per question (``correlated``: both follow the same mode). For every mixture
the script prints how often the overall verdict and the per-bias verdicts come out ``positional``
and ``content`` over ``--reps`` responder and suite seeds, and the mean ``follows_position``.

Usage::

    python benchmarks/diagnostics_threshold.py              # 20 repetitions, about a minute
    python benchmarks/diagnostics_threshold.py --reps 5 --cases 2
"""

from __future__ import annotations

import argparse

import pandas as pd

from biasorigins import BiasSuite
from biasorigins.diagnostics import OVERALL, diagnose, twin_pairs
from biasorigins.records import decide
from biasorigins.testing.answer_styles import MixtureResponder

SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def verdicts(suite: BiasSuite, responder: MixtureResponder) -> pd.DataFrame:
    """The diagnostics table of ``responder`` on ``suite`` (scored prompts and twins, not scored)."""
    cases = suite.cases()
    prompts = suite.prompts(cases)
    probes = [p for bias in suite.biases for p in suite.probe_prompts(bias)]
    decisions = [decide(p, r) for p, r in zip(prompts, responder.decide(prompts))]
    twins = [decide(p, r) for p, r in zip(probes, responder.decide(probes))]
    return diagnose(responder.name, cases, decisions, twin_pairs(responder.name, cases, decisions, twins))


def simulate(reps: int, cases: int) -> pd.DataFrame:
    rows = []
    suites = [BiasSuite("all", cases=cases, seed=rep) for rep in range(reps)]
    mixtures = [(correlated, noise, share) for correlated in (False, True) for noise in (0.0, 0.3)
                for share in SHARES if share + noise <= 1] + [(False, 1.0, 0.0)]  # the last: uniformly random
    for correlated, noise, share in mixtures:
        for rep, suite in enumerate(suites):
            table = verdicts(suite, MixtureResponder(share, noise=noise, correlated=correlated, seed=rep))
            overall = table["bias"] == OVERALL
            rows.append({
                "modes": "correlated" if correlated else "independent", "noise": noise,
                "position_share": share, "follows_position": table.loc[overall, "follows_position"].item(),
                "overall_positional": table.loc[overall, "verdict"].item() == "positional",
                "overall_content": table.loc[overall, "verdict"].item() == "content",
                "bias_positional": (table.loc[~overall, "verdict"] == "positional").mean(),
                "bias_content": (table.loc[~overall, "verdict"] == "content").mean(),
                "bias_undetermined": (table.loc[~overall, "verdict"] == "undetermined").mean(),
            })
    frame = pd.DataFrame(rows)
    return frame.groupby(["modes", "noise", "position_share"], sort=False).mean().reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="responder and suite seeds per mixture (default 20)")
    parser.add_argument("--cases", type=int, default=4, help="cases per bias, all probed (default 4)")
    args = parser.parse_args()
    table = simulate(args.reps, args.cases)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
