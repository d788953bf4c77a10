"""Text-reading responders and the reading helpers behind the built-in biased_option methods."""

from __future__ import annotations

import pytest

from biasorigins.biases._reading import amount, body, farthest, line_with, nearest, option
from biasorigins.biases.status_quo_bias import StatusQuoBias
from biasorigins.records import Prompt
from biasorigins.suite import BiasSuite
from biasorigins.testing.responders import FirstDescribedResponder, RandomResponder, TextResponder


@pytest.mark.parametrize(
    ("text", "value"),
    [("30%", 30), ("Up 20%", 20), ("Down 20%", -20), ("20% below the original price", -20), ("No change", 0),
     ("Cut it by 100% (stop it)", -100), ("Increase it by 40%", 40), ("$1,200 per unit", 1200), ("3 arguments", 3)],
)
def test_amount_reads_the_signed_number_of_an_option(text: str, value: float) -> None:
    assert amount(text) == value


def test_nearest_and_farthest_options() -> None:
    options = ("Down 20%", "No change", "Up 20%", "Up 40%")
    assert nearest(options, 27) == "Up 20%" and nearest(options, -13) == "Down 20%"
    assert farthest(options, 27) == "Down 20%" and farthest(options, -13) == "Up 40%"


def test_body_drops_the_answer_options_and_option_matches_case_insensitively() -> None:
    text = "Situation:\nYou are here.\n\nQuestion: How much?\n\nAnswer options:\nOption A: 30%"
    assert body(text) == "Situation:\nYou are here.\n\nQuestion: How much?\n"
    assert line_with(text, r"^question:") == "Question: How much?"
    assert option(("Likely", "Unlikely"), "unlikely") == "Unlikely"
    with pytest.raises(ValueError, match="no displayed option reads 'Maybe'"):
        option(("Likely", "Unlikely"), "Maybe")


def _prompt(text: str, options: tuple[str, ...], case_id: str = "some-bias/s/0") -> Prompt:
    return Prompt(case_id=case_id, condition="control", text=text, labels=tuple("ABC")[: len(options)],
                  options=options, display_order=tuple(range(len(options))))


def test_text_responder_answers_from_the_displayed_options_and_refuses_other_texts() -> None:
    bias = StatusQuoBias()
    suite = BiasSuite([bias], cases=4, seed=0)
    prompts = suite.prompts()
    for prompt, response in zip(prompts, TextResponder([bias]).decide(prompts)):
        assert prompt.options[response.choice] == "Keeping the current approach is better"

    class Stray(StatusQuoBias):
        def biased_option(self, text, options, *, opposite=False):
            return "Something not shown"

    with pytest.raises(ValueError, match="not one of the displayed options"):
        TextResponder([Stray()]).decide(prompts[:1])


def test_outside_its_biases_and_conditions_the_text_responder_answers_like_the_random_one() -> None:
    bias = StatusQuoBias()
    prompts = BiasSuite([bias], cases=6, seed=0).prompts()
    random = RandomResponder(3).decide(prompts)
    assert TextResponder([], seed=3).decide(prompts) == random
    only_treatment = TextResponder([bias], conditions=["treatment"], seed=3).decide(prompts)
    for prompt, mine, theirs in zip(prompts, only_treatment, random):
        if prompt.condition == "control":
            assert mine == theirs
        else:
            assert prompt.options[mine.choice] == "Keeping the current approach is better"


def test_first_described_responder_takes_the_alternative_named_first() -> None:
    options = ("Definitely Plan South", "Probably Plan South", "No preference", "Probably Plan North")
    responder = FirstDescribedResponder(["Plan North", "Plan South"])
    south_first = _prompt("Situation:\nPlan South pays $5.\nPlan North pays $9.\n\nAnswer options:\n", options)
    north_first = _prompt("Situation:\nPlan North pays $9.\nPlan South pays $5.\n\nAnswer options:\n", options)
    assert responder.read(south_first) == "Probably Plan South"  # the shortest option naming only it
    assert responder.read(north_first) == "Probably Plan North"
    assert responder.read(_prompt("Situation:\nNo plans named.\n", options)) is None
