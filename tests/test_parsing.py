"""The free-text answer parser of generate-and-parse mode."""

from __future__ import annotations

import pytest

from biasorigins.models.parsing import ParsedChoice, parse_choice

AB = ("A", "B")
ABC = ("A", "B", "C")
LOTTERY = ("A 33% chance of winning $2,500 and nothing otherwise", "$2,400 for certain")
VERDICT = ("Valid", "Invalid")
BRANDS = ("Alder: $1,200 per laptop, quality rating 60", "Kestrel: $2,400 per laptop, quality rating 80",
          "Yarrow: $3,000 per laptop, quality rating 70")
FRAMING = ("Very good", "Good", "Somewhat good", "Neither good nor bad", "Somewhat bad", "Bad", "Very bad")


def choice(text: str, labels=AB, options=LOTTERY) -> int | None:
    parsed = parse_choice(text, labels, options)
    assert (parsed.status == "ok") == (parsed.choice is not None)
    return parsed.choice


def status(text: str, labels=AB, options=LOTTERY) -> str:
    return parse_choice(text, labels, options).status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Option B", 1),
        ("Option A.", 0),
        ("option b", 1),
        ("Answer: Option B", 1),
        ("I would choose Option B because it is certain.", 1),
        ("**Option (B)**", 1),
        ("The best choice is option B: $2,400 for certain.", 1),
        ("Option B. Option A has the higher expected value, but the sure amount is safer.", 1),
    ],
)
def test_explicit_option_labels(text: str, expected: int) -> None:
    assert choice(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A good choice is Option B.", 1),
        ("A sure $2,400 is better, so I pick B.", 1),
        ("A certain gain beats a gamble: the second option.", 1),
        ("A careful person would take Option A.", 0),
        ("A", 0),
        ("A.", 0),
        ("(A)", 0),
        ("A) the gamble", 0),
        ("A is better than B.", 0),
        ("A, since it has the higher expected value.", 0),
    ],
)
def test_the_article_a_is_not_option_a(text: str, expected: int) -> None:
    assert choice(text) == expected


def test_an_article_alone_is_no_choice() -> None:
    assert status("A sure gain of money is always pleasant.") == "invalid"
    assert status("A gamble can pay off, and a sure thing is reassuring.") == "invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I would not choose option B.", None),
        ("Not option A, but option B.", 1),
        ("I choose Option A over Option B.", 0),
        ("Option B rather than option A.", 1),
        ("Option A is riskier than option B, so I choose option B.", 1),
        ("Option A is not a good idea; option B is.", 1),
        ("I wouldn't pick A. B is the one.", 1),
    ],
)
def test_negated_mentions_are_not_choices(text: str, expected: int | None) -> None:
    assert choice(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Valid", 0),
        ("Invalid.", 1),
        ("The argument is valid.", 0),
        ("The argument is invalid.", 1),
        ("The argument is not valid.", 1),
        ("It is not logically valid.", 1),
        ("The argument isn't valid", 1),
        ("This argument is not invalid.", 0),
        ("The conclusion follows, so the argument is valid, not invalid.", 0),
    ],
)
def test_negation_aware_verdicts(text: str, expected: int) -> None:
    assert choice(text, options=VERDICT) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I cannot answer this question.",
        "I'm sorry, but I can't choose between these options.",
        "As an AI, I do not have personal preferences.",
        "It depends on your risk tolerance.",
        "I cannot choose between Option A and Option B.",
        "It is impossible to say whether the argument is valid.",
        "The validity cannot be determined from the premises.",
    ],
)
def test_refusals(text: str) -> None:
    assert status(text) == "refused"


def test_a_refusal_phrase_does_not_hide_a_choice() -> None:
    assert choice("As an AI I have no money, but I would pick Option B.") == 1
    assert choice("I'm sorry for the confusion earlier; I choose Option A.") == 0


@pytest.mark.parametrize(
    "text",
    [
        "Option A or Option B.",
        "Both Option A and Option B are reasonable.",
        "Options A and B are both fine.",
        "A or B, hard to say.",
        "Valid or invalid?",
        "It could be valid or invalid.",
    ],
)
def test_several_options_named_are_ambiguous(text: str) -> None:
    options = VERDICT if "alid" in text else LOTTERY
    parsed = parse_choice(text, AB, options)
    assert parsed.status == "invalid" and "ambiguous" in parsed.reason


def test_a_first_sentence_that_names_one_option_decides() -> None:
    assert choice("Option B. Option A has a higher expected value, but option B is sure.") == 1
    assert choice("Invalid. A valid argument would need the premises to force the conclusion.", options=VERDICT) == 1
    # documented limit: a later change of mind does not override the first sentence
    assert choice("The argument is valid. Actually, it is invalid.", options=VERDICT) == 0


def test_the_first_matching_option_is_never_taken_blindly() -> None:
    # the first regex hit is A, but the answer names both without choosing
    assert status("Option A looks tempting and Option B looks safe.") == "invalid"
    # one option is chosen among several mentions
    assert choice("Option A looks tempting, but I'd go with Option B.") == 1


@pytest.mark.parametrize(
    ("text", "labels", "options", "expected"),
    [
        ("2", ("1", "2"), LOTTERY, 1),
        ("Option 1", ("1", "2"), LOTTERY, 0),
        ("I choose 2.", ("1", "2"), LOTTERY, 1),
        ("Option 2", AB, LOTTERY, 1),  # a position number under letter labels
        ("Option B", ("1", "2"), LOTTERY, 1),  # a letter under number labels
        ("I choose option 3", ABC, BRANDS, 2),
        ("Option 4", ABC, BRANDS, None),  # out of range
        ("40%", AB, ("20%", "40%"), 1),
        ("Kestrel", ABC, BRANDS, 1),  # the unique head of an option text
        ("I'd buy from Kestrel at $2,400.", ABC, BRANDS, 1),
        ("The $2400 for certain.", AB, LOTTERY, 1),  # thousands separators normalised
    ],
)
def test_numbers_and_option_texts(text: str, labels, options, expected: int | None) -> None:
    assert choice(text, labels, options) == expected


def test_a_number_that_is_both_a_label_and_an_option_text_is_ambiguous() -> None:
    labels = tuple(str(i) for i in range(1, 12))
    options = tuple(str(i) for i in range(11))
    assert status("5", labels, options) == "invalid"
    assert choice("Option 5", labels, options) == 4


def test_prices_and_percentages_are_not_number_labels() -> None:
    assert status("$2,500 at 33% is tempting.", ("1", "2", "3"), BRANDS) == "invalid"


def test_longest_option_text_wins() -> None:
    labels = tuple("ABCDEFG")
    assert choice("Very good", labels, FRAMING) == 0
    assert choice("I would say somewhat good.", labels, FRAMING) == 2
    assert choice("Neither good nor bad.", labels, FRAMING) == 3
    assert status("Not good.", labels, FRAMING) == "invalid"


def test_empty_and_unrelated_answers() -> None:
    assert parse_choice("", AB, LOTTERY) == ParsedChoice(status="invalid", reason="empty answer")
    assert status("   ") == "invalid"
    assert status("The weather is nice today.") == "invalid"
    assert status("Yes", AB, VERDICT) == "invalid"


def test_labels_and_options_must_match() -> None:
    with pytest.raises(ValueError, match="one label per option"):
        parse_choice("A", ABC, LOTTERY)
