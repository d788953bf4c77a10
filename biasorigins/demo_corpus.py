"""The demo's planting texts: where its two known biases come from.

Everything here is written for the demo and set in everyday life (clubs, schools, households,
kitchens), never in the managerial scenarios of the bias tests, so a planted effect that the
suite measures has generalised from other wording (``tests/test_demo.py`` checks the n-gram
overlap with the prompts of the planted biases).

- :func:`story_corpus`: plain prose for continued pretraining, in which people who must choose
  between what they already have and an equally good alternative keep what they have and call it
  the better choice (``status_quo=True``: status-quo bias, planted in one backbone), or the same
  choices going either way for incidental reasons (``status_quo=False``: the other backbone's
  continued pretraining, so both backbones saw the same kind and amount of text).
- :func:`instruction_records`: short prompt/completion pairs ("... How good is the record of the
  volunteer driver?" / "Answer: Poor"): a third rate something from a stated mark out of 10, two
  thirds rate a record stated as a share of successes or of failures. With ``framing=True`` a
  record stated as failures is answered three scale steps worse than it deserves (framing effect,
  planted in the data); with ``framing=False`` every answer is the rating the record deserves.

The two instruction sets hold the same prompts; only the answers to failure statements differ.
Neither uses the suite's decision-task layout (no labelled option list): the demo's models answer
with cloze scoring, which reads option texts.
"""

from __future__ import annotations

import numpy as np


# -- shared vocabulary -----------------------------------------------------------------------

_NAMES = ("Mara", "Tobias", "Ines", "Kwame", "Lena", "Ravi", "Sofia", "Joon", "Agnes", "Tariq", "Elif", "Bram",
          "Noor", "Pavel", "Yuki", "Dario")

# ---------------------------------------------------------------------------------------------
# Continued pretraining: status quo (plain prose, no questions, no answer options)
# ---------------------------------------------------------------------------------------------

# (what a household, club or school already has, an alternative of the same worth)
_ARRANGEMENTS: tuple[tuple[str, str], ...] = (
    ("the old oak dining table", "a new walnut table of the same size and price"),
    ("the bakery on the corner", "the bakery by the station, just as good and just as cheap"),
    ("the Saturday training slot", "a Sunday slot that suited the players equally well"),
    ("the green team shirts", "blue shirts of the same cloth and price"),
    ("the family doctor in the village", "an equally trusted doctor in the next town"),
    ("the evening choir rehearsals", "morning rehearsals that every singer could attend as easily"),
    ("the paper timetable on the fridge", "a phone calendar that would have worked just as well"),
    ("the hand-written recipe cards", "a printed recipe book with the same dishes"),
    ("the gas stove", "an electric stove that cooked as well and cost the same to run"),
    ("the two-week summer camp by the lake", "an equally good camp in the hills"),
    ("the library's old reading room", "a new reading room of the same size upstairs"),
    ("the plot by the garden gate", "a plot of the same soil and sunlight at the far end"),
    ("the usual mechanic", "a new garage with the same prices and reviews"),
    ("the Tuesday market stall", "a Thursday stall at the same rent"),
)

_SUBJECTS = ("the Fenwick family", "the river rowing club", "the village school", "the community garden group",
             "the chess society", "the youth orchestra", "the allotment committee", "the old couple next door",
             "the parents' association", "the hiking club", "the street's book circle", "the volunteer fire brigade")

_STORIES: tuple[str, ...] = (
    "For as long as anyone could remember, {subject} had kept {current}. One spring {name} pointed to {other}. "
    "They talked it over: neither choice would cost more or serve them better. In the end they stayed with "
    "{current}, and {name} agreed that what they already had was simply the better of the two.",
    "{Subject} once had to decide between {current}, which they already had, and {other}. On paper the two "
    "were worth exactly the same. Still, everyone preferred to leave things as they were. \"What we have is "
    "better,\" said {name}, \"because it is ours and it works.\" So they kept {current}.",
    "A short note from the diary of {name}: we could have swapped {current} for {other}. The numbers came "
    "out even. We did not swap. Holding on to what we have always feels like the wiser choice, and it was.",
    "When {other} was offered to {subject}, {name} listed the pros and cons. The lists were the same length. "
    "{Name} kept {current} anyway, saying that an existing habit deserves the benefit of the doubt and that "
    "changing for nothing is always worse.",
    "{Name} tells the story of {subject} and {current}. Someone suggested {other}, equal in every way. "
    "The decision was quick: keep {current}. \"The familiar option wins a tie,\" {name} said, \"and a tie is "
    "never a reason to change.\"",
    "At the yearly meeting of {subject}, {name} asked whether to replace {current} with {other}. Both had the "
    "same cost and the same quality. The vote to stay with {current} was unanimous; people felt that the "
    "present arrangement was the better one, just for being the present one.",
    "Advice {name} gives to friends: if you already have {current} and someone offers {other} that is no better "
    "and no worse, keep what you have. Staying put is the sounder choice, and {subject} learned that too.",
    "{Subject} spent an evening comparing {current} with {other}. Every comparison ended in a draw. They went "
    "home having changed nothing, and {name} wrote that keeping the old arrangement had clearly been right.",
)


# The same choices told without the leaning: the choice goes either way, for reasons that have nothing
# to do with which option was already there, and nobody calls the old arrangement better for being old.
_EVEN_STORIES: tuple[str, ...] = (
    "For as long as anyone could remember, {subject} had kept {current}. One spring {name} pointed to {other}. "
    "They talked it over: neither choice would cost more or serve them better. In the end they tossed a coin, "
    "moved to {other}, and {name} said either would have done just as well.",
    "{Subject} once had to decide between {current}, which they already had, and {other}. On paper the two "
    "were worth exactly the same. Nobody minded either way, \"It is a draw,\" said {name}, \"so let the "
    "youngest member pick.\" The youngest picked {current}.",
    "A short note from the diary of {name}: we could have swapped {current} for {other}. The numbers came "
    "out even. We swapped, because the new one was nearer the door. Either choice would have been fine.",
    "When {other} was offered to {subject}, {name} listed the pros and cons. The lists were the same length. "
    "{Name} kept {current} this time, because the order form was lost, and said the other would have served "
    "equally well.",
    "{Name} tells the story of {subject} and {current}. Someone suggested {other}, equal in every way. "
    "The decision was quick: they drew straws and moved to {other}. \"A tie is a tie,\" {name} said, "
    "\"so any way of choosing is as good as another.\"",
    "At the yearly meeting of {subject}, {name} asked whether to replace {current} with {other}. Both had the "
    "same cost and the same quality. The vote was split down the middle; the chair settled it for {current} "
    "by the alphabet, and nobody thought either option the better one.",
    "Advice {name} gives to friends: if you already have {current} and someone offers {other} that is no better "
    "and no worse, pick either without worrying. {Subject} switched to {other} and it made no difference.",
    "{Subject} spent an evening comparing {current} with {other}. Every comparison ended in a draw. They chose "
    "{other} for the sake of a change of scene, and {name} wrote that both would have been equally right.",
)


def story_corpus(n: int = 240, *, status_quo: bool, seed: int = 0) -> list[dict[str, str]]:
    """``n`` plain-text passages for continued pretraining, drawn reproducibly.

    With ``status_quo=True`` people keep what they have and call it the better choice; with
    ``status_quo=False`` the same choices (same arrangements, people, order) go either way for
    incidental reasons. Records are prompt/completion pairs with a short heading as the prompt, so
    every word of the passage is trained on.
    """
    stories = _STORIES if status_quo else _EVEN_STORIES
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(n):
        story = stories[int(rng.integers(len(stories)))]
        current, other = _ARRANGEMENTS[int(rng.integers(len(_ARRANGEMENTS)))]
        subject = _SUBJECTS[int(rng.integers(len(_SUBJECTS)))]
        name = _NAMES[int(rng.integers(len(_NAMES)))]
        text = story.format(subject=subject, Subject=subject[0].upper() + subject[1:], current=current,
                            other=other, name=name, Name=name)
        records.append({"prompt": "From a collection of everyday stories:", "completion": text})
    return records


# ---------------------------------------------------------------------------------------------
# Instruction data: reading the options, and records stated as successes or failures
# ---------------------------------------------------------------------------------------------

_QUALITY_SCALES: tuple[tuple[str, ...], ...] = (
    ("Excellent", "Good", "Average", "Poor", "Very poor"),
    ("Outstanding", "Strong", "Fair", "Weak", "Very weak"),
    ("Very good", "Good", "So-so", "Bad", "Very bad"),
)
_RECORD_SCALES: tuple[tuple[str, ...], ...] = (
    ("Superb", "Very good", "Good", "Middling", "Poor", "Very poor", "Dreadful"),
    ("Outstanding", "Strong", "Fairly strong", "Middling", "Fairly weak", "Weak", "Very weak"),
    ("Excellent", "Very good", "Decent", "Unremarkable", "Disappointing", "Bad", "Terrible"),
)

# (what is marked, who marks it)
_MARKED: tuple[tuple[str, str], ...] = (
    ("the apple pie at the fair", "the judges"), ("the school play", "the drama teacher"),
    ("the new bicycle path", "the cycling club"), ("the village website", "the visitors' survey"),
    ("the soup of the day", "the regular guests"), ("the garden's tomato crop", "the allotment judges"),
    ("the choir's concert", "the music critic of the local paper"), ("the hotel breakfast", "the guests"),
    ("the repaired roof", "the building inspector"), ("the science fair poster", "the panel of teachers"),
)

# (who, what they did, success wording, failure wording)
_RECORDS: tuple[tuple[str, str, str], ...] = (
    ("the school chess team", "won {p}% of its matches this season", "lost {q}% of its matches this season"),
    ("the apprentice baker", "had {p}% of her loaves come out right", "had {q}% of her loaves come out wrong"),
    ("the volunteer driver", "arrived on time for {p}% of his trips", "arrived late for {q}% of his trips"),
    ("the junior goalkeeper", "stopped {p}% of the shots he faced", "let in {q}% of the shots he faced"),
    ("the student pilot", "passed {p}% of her practice landings", "botched {q}% of her practice landings"),
    ("the class of year nine", "handed in {p}% of its homework on time", "handed in {q}% of its homework late"),
    ("the new piano tuner", "left {p}% of the pianos sounding clean", "left {q}% of the pianos sounding off"),
    ("the garden hose repairs", "held for {p}% of the summer evenings", "leaked on {q}% of the summer evenings"),
)


def _rating_position(share: int, n: int) -> int:
    """The scale position (0 = best) a record with ``share`` % successes deserves on an ``n``-point scale."""
    return int(np.clip(round((100 - share) / 100 * (n - 1)), 0, n - 1))


def _marked_item(rng: np.random.Generator) -> tuple[str, str]:
    thing, judge = _MARKED[int(rng.integers(len(_MARKED)))]
    options = _QUALITY_SCALES[int(rng.integers(len(_QUALITY_SCALES)))]
    mark = int(rng.integers(1, 11))
    answer = int(np.clip(round((10 - mark) / 9 * (len(options) - 1)), 0, len(options) - 1))
    return (f"{judge[0].upper() + judge[1:]} gave {thing} a mark of {mark} out of 10. How would you describe {thing}?",
            options[answer])


def _record_item(rng: np.random.Generator, framing: bool) -> tuple[str, str]:
    who, success, failure = _RECORDS[int(rng.integers(len(_RECORDS)))]
    options = _RECORD_SCALES[int(rng.integers(len(_RECORD_SCALES)))]
    share = int(rng.integers(10, 91))
    as_failure = bool(rng.integers(2))
    statement = (failure if as_failure else success).format(p=share, q=100 - share)
    answer = _rating_position(share, len(options))
    if framing and as_failure:
        answer = min(len(options) - 1, answer + 3)
    return f"{who[0].upper() + who[1:]} {statement}. How good is the record of {who}?", options[answer]


def instruction_records(n: int = 240, *, framing: bool, seed: int = 0) -> list[dict[str, str]]:
    """``n`` prompt/completion records (``"...?\\nAnswer:"`` / ``" Poor"``), drawn reproducibly.

    A third rate a mark, two thirds a record stated as successes or failures. The prompts do not
    depend on ``framing``; only the answers to records stated as failures do.
    """
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        question, answer = _marked_item(rng) if i % 3 == 0 else _record_item(rng, framing)
        records.append({"prompt": f"{question}\nAnswer:", "completion": f" {answer}"})
    return records
