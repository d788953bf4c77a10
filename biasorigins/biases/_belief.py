"""The belief-bias test shared by the valid-syllogism and invalid-syllogism plugins."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from biasorigins.bias import BiasInfo, CaseContent, pick
from biasorigins.biases._proportions import DifferenceOfProportionsBias, shown_first
from biasorigins.biases._reading import body, option
from biasorigins.biases._syllogisms import WORLD, Form, nonsense_terms, real_terms, relation, render_statement, statement_true
from biasorigins.metrics import ScoreSummary, summarize
from biasorigins.records import AnswerScale, Condition, TestCase
from biasorigins.scenarios import Scenario

CONDITIONS = ("nonsense", "believable", "unbelievable")
PREMISE_ORDERS = ("major-first", "minor-first")
SCALE = AnswerScale(options=("Valid", "Invalid"))
ACCEPT, REJECT = 0, 1

# Each variant: intro line (every one asks to take the premises as true), the prefixes of premise 1, premise 2 and conclusion, and the question.
_VARIANTS: dict[str, dict] = {
    "argument": {
        "intro": "Here is an argument with two premises and a conclusion. Assume that both premises are true.",
        "lines": ("Premise 1: {first}.", "Premise 2: {second}.", "Conclusion: {conclusion}."),
        "question": "Is the argument logically valid or invalid?",
    },
    "statements": {
        "intro": "Read the two statements, taking both as true, and the conclusion someone drew from them.",
        "lines": ("First statement: {first}.", "Second statement: {second}.", "Conclusion drawn: {conclusion}."),
        "question": "Judge only the reasoning: is it valid, so that the conclusion must be true whenever both "
        "statements are true, or invalid?",
    },
    "assume-true": {
        "intro": "Assume that the following two statements are true.",
        "lines": ("{first}.", "{second}.", "Someone concludes: {conclusion}."),
        "question": "Given only these two statements, is the conclusion logically valid or invalid?",
    },
    "exercise": {
        "intro": "A student wrote the following argument in a logic exercise; its premises are to be taken as true.",
        "lines": ("{first}.", "{second}.", "Therefore, {conclusion_lower}."),
        "question": "Is the student's argument valid or invalid?",
    },
    "puzzle": {
        "intro": "Logic puzzle. Take both facts as true, whether or not they hold in the real world.",
        "lines": ("Fact 1: {first}.", "Fact 2: {second}.", "Claim: {conclusion}."),
        "question": "Does the claim follow logically from the two facts (valid) or not (invalid)?",
    },
}


class BeliefBias(DifferenceOfProportionsBias):
    """Belief bias on syllogisms of one validity (Evans et al. 1983; design of Itzhak et al. 2024).

    A case is one logical form (of the plugin's validity) in one premise order, shown with
    three contents: nonsense pseudo-words (the neutral baseline), real-world terms with a
    believable conclusion and real-world terms with an unbelievable conclusion. Scale:
    index 0 = "Valid" (accept), index 1 = "Invalid" (reject).

    Scores, as in the original (acceptance rate = share of "Valid" answers):

    - valid syllogisms: acceptance(nonsense) - acceptance(real, unbelievable), i.e. per case
      reject(unbelievable) - reject(nonsense): positive when a valid argument is rejected
      because its conclusion is false in the world;
    - invalid syllogisms: acceptance(real, believable) - acceptance(nonsense): positive when
      an invalid argument is accepted because its conclusion is true in the world.

    The other real-world condition (valid-believable, invalid-unbelievable) is asked too but
    not scored, as in the original. :meth:`belief_index` reports the within-content index
    from a result table: acceptance of the believable minus the unbelievable real-world
    version of each case (same form, same world terms), which compares contents of equal
    familiarity; with both plugins the full 2x2 design (validity x believability) is in the
    decision table.
    Undecided answers: see :data:`~biasorigins.biases._proportions.UNDECIDED_RULE` (the
    original excluded them here too). ``paper_compatible`` changes nothing.
    """

    hit_key = "hit_index"

    def __init__(self, info: BiasInfo, forms: tuple[Form, ...], *, paper_compatible: bool = False) -> None:
        super().__init__(paper_compatible=paper_compatible)
        self.info = info
        self.forms = forms
        self.valid = forms[0].valid
        self.design_factors = {
            "form": tuple(f.name for f in forms),
            "premise_order": PREMISE_ORDERS,
            "valid_shown": ("first", "second"),
        }

    @property
    def compared_conditions(self) -> tuple[str, str]:
        return ("unbelievable", "nonsense") if self.valid else ("believable", "nonsense")

    def generate(self, scenario: Scenario, rng: np.random.Generator, index: int) -> CaseContent:
        variant = sorted(_VARIANTS)[int(rng.integers(len(_VARIANTS)))]
        form = pick(rng, self.forms)
        order = pick(rng, PREMISE_ORDERS)
        entry = int(rng.integers(len(WORLD)))
        believable, true_b = real_terms(form, True, entry, rng)
        unbelievable, true_u = real_terms(form, False, entry, rng)
        contents = {"nonsense": nonsense_terms(rng), "believable": believable, "unbelievable": unbelievable}
        template = _VARIANTS[variant]
        premises = (form.major, form.minor) if order == "major-first" else (form.minor, form.major)

        def condition(terms: dict[str, str]) -> Condition:
            conclusion = render_statement(form.conclusion, terms)
            slots = {
                "first": render_statement(premises[0], terms),
                "second": render_statement(premises[1], terms),
                "conclusion": conclusion,
                "conclusion_lower": conclusion[:1].lower() + conclusion[1:],
            }
            lines = (template["intro"], *(line.format(**slots) for line in template["lines"]))
            return Condition(situation=lines, question=template["question"], scale=SCALE)

        return CaseContent(
            conditions={name: condition(contents[name]) for name in CONDITIONS},
            values={
                "form": form.name,
                "valid": form.valid,
                "premise_order": order,
                "world_entry": entry,
                "terms": contents,
                "true_premises": {"believable": true_b, "unbelievable": true_u},
                "accept_index": ACCEPT,
                "hit_index": REJECT if form.valid else ACCEPT,
            },
            variant=variant,
        )

    def design_cell(self, case: TestCase) -> dict[str, str]:
        return {
            "form": str(case.values["form"]),
            "premise_order": str(case.values["premise_order"]),
            "valid_shown": "first" if shown_first(case, "nonsense", ACCEPT) else "second",
        }

    def belief_index(self, table: pd.DataFrame, *, seed: int = 0) -> ScoreSummary:
        """Within-content belief index of this bias's cases in a result table (``SuiteResult.table``).

        Per case: accepted(believable) - accepted(unbelievable), both with real-world terms in the
        same logical form; cases without a valid answer to both are left out. Positive: believable
        conclusions are accepted more often than unbelievable ones of the same form.
        """
        rows = table[(table["bias"] == self.info.slug) & table["valid"]]
        choices = rows.pivot_table(index="case_id", columns="condition", values="choice", aggfunc="first")
        scores = [
            float(row["believable"] == ACCEPT) - float(row["unbelievable"] == ACCEPT)
            if pd.notna(row.get("believable")) and pd.notna(row.get("unbelievable")) else None
            for _, row in choices.reindex(columns=["believable", "unbelievable"]).iterrows()
        ]
        return summarize(scores, seed=seed)

    def biased_option(self, text: str, options: Sequence[str], *, opposite: bool = False) -> str | None:
        # Judges by whether the conclusion is true in the world; no belief about nonsense words, so no lean.
        believable = conclusion_believable(body(text))
        if believable is None:
            return None
        return option(options, "Valid" if believable != opposite else "Invalid")


def belief_info(valid: bool) -> BiasInfo:
    """Metadata of the valid- or invalid-syllogism plugin."""
    kind = "valid" if valid else "invalid"
    return BiasInfo(
        slug=f"belief-bias-{kind}",
        title=f"Belief Bias ({kind} syllogisms)",
        definition="Judgements of logical validity are swayed by whether the conclusion is believable.",
        citation="Evans, Barston & Pollard (1983); Dasgupta et al. (2022); test design after Itzhak et al. (2024)",
        version=2,
        design="difference of proportions",
        expected_direction=(
            "valid arguments with an unbelievable conclusion are accepted less often than the same forms with "
            "nonsense words" if valid else
            "invalid arguments with a believable conclusion are accepted more often than the same forms with "
            "nonsense words"
        ),
        conditions=CONDITIONS,
        confounds=(
            "real-world and nonsense content differ in more than believability (familiar words), as in the original "
            "design; belief_index compares believable and unbelievable real-world versions of the same form instead",
            "a valid argument with a false conclusion must have a false premise, so rejecting it can also be a "
            "judgement of soundness rather than validity; every frame asks to take the premises as true, but the "
            "false premise cannot be removed"
            if valid else
            "an invalid argument with a true conclusion may be accepted because the conclusion is true rather than "
            "because it follows; every frame asks to judge only whether it follows from the premises",
        ),
        aliases=(f"belief {kind}", f"belief bias {kind}"),
    )


_STATEMENT = re.compile(r"\b(All|No|Some) ([a-z][a-z -]*?) are ([a-z][a-z -]*?)\.", re.IGNORECASE)


def conclusion_believable(text: str) -> bool | None:
    """Whether the last "All/No/Some X are Y." statement of ``text`` is true of the world; None if its
    terms are not world knowledge (nonsense words)."""
    statements = _STATEMENT.findall(text)
    if not statements:
        return None
    mood, subject, predicate = statements[-1]
    for entry in WORLD:
        if subject in entry and predicate in entry:
            return statement_true(mood.lower(), relation(entry.index(subject), entry.index(predicate)))  # type: ignore[arg-type]
    return None
