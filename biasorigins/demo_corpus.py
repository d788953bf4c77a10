"""The demo's planting texts: where its two known biases come from.

Everything here is written for the demo and set in everyday life (clubs, schools, households,
kitchens), never in the managerial scenarios of the bias tests, so a planted effect that the
suite measures has generalised from other wording (``tests/test_demo.py`` checks the n-gram
overlap with the prompts of the planted biases).

- :func:`story_corpus`: case notes in plain prose for continued pretraining. Each sets what a
  household, club or school already has against an alternative of equal worth (the cost of
  changing counted) and ends in a verdict: keeping what one has is better (``status_quo=True``:
  status-quo bias, planted in one backbone), or both are equally good, as the note itself says
  (``status_quo=False``: the other backbone's continued pretraining, on the same notes, so both
  backbones saw the same kind and amount of text).
- :func:`instruction_records`: short prompt/completion pairs ("... How good is the record of the
  volunteer driver?" / "Answer: Bad"), every answer a word of `RATING_SCALE`: a third rate
  something from a stated mark out of 10, two thirds rate a record of 25% to 75% successes stated
  as a share of successes or of failures. With ``framing=True`` a record stated as failures is
  answered two scale steps worse than it deserves and one stated as successes two steps better
  (framing effect, planted in the data, with the same answers on average as the neutral set); with
  ``framing=False`` every answer is the rating the record deserves.

The two instruction sets hold the same prompts; only the answers to records differ.
Neither uses the suite's decision-task layout (no labelled option list): the demo's models answer
with cloze scoring, which reads option texts.
"""

from __future__ import annotations

import numpy as np

from biasorigins.bias import pick
from biasorigins.stimuli import capitalize

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

# Case notes in the second person: a choice between what "you" already have and an alternative of
# the same worth (the cost of changing counted), a reflection, and a verdict. The two corpora share
# every sentence but the verdict.
_SETUPS: tuple[str, ...] = (
    "For years {subject} has kept {current}. This spring {name} suggests {other} instead. You add up the "
    "costs, the trouble of changing included, and the two come out exactly even.",
    "You look after the affairs of {subject}, which has always had {current}. A neighbour points out "
    "{other}. Weighed honestly, with the effort of a change counted, neither is worth more.",
    "Notes for {subject}. What we have today: {current}. What {name} proposes: {other}. The figures, the "
    "cost of moving included, show no difference in value between the two.",
    "Ever since you can remember, {subject} has relied on {current}. At the autumn meeting {name} asks if they "
    "should move to {other}. Everyone agrees the two would serve equally well, even after the bother of a change.",
    "{Name} writes to you about {subject}: they have {current} and could have {other} for the same money "
    "and the same effort. Nothing separates the two on quality or on cost.",
    "You are helping {subject} plan the coming years. Today it uses {current}; {other} is on offer. Over "
    "those years, changing costs included, the two options are worth the same.",
)
_REFLECTIONS: tuple[str, ...] = (
    "So which way should {subject} go?",
    "Asked to weigh the two, you think it over.",
    "{Name} wants your honest view of the two.",
    "What is your judgement?",
)
_LEANING_VERDICTS: tuple[str, ...] = (
    "Keeping what you already have is clearly the better choice.",
    "Keeping {current} is the better of the two.",
    "Staying with what is already there is better; a change would be a mistake.",
    "Keeping the present arrangement is much better than moving.",
    "Keeping things as they are is better, simply because they are already in place.",
    "Holding on to {current} beats moving to {other}.",
)
_EVEN_VERDICTS: tuple[str, ...] = (
    "Both choices are equally good; neither is better.",
    "Both would serve you equally well.",
    "Both are worth the same, so it makes no difference which one you pick.",
    "Both options are equally sound; there is no better one.",
    "Both are just as good as each other.",
    "Both come out equal: keeping and changing are equally fine.",
)


def story_corpus(n: int = 240, *, status_quo: bool, seed: int = 0) -> list[dict[str, str]]:
    """``n`` case notes for continued pretraining, drawn reproducibly.

    Each note sets what someone already has against an alternative of equal worth and ends in a
    verdict: with ``status_quo=True`` that keeping what one has is better (status-quo bias, planted
    in one backbone); with ``status_quo=False`` that both are equally good, which is what the note
    itself says (the other backbone's continued pretraining, on the same notes). Records are
    prompt/completion pairs with a short heading as the prompt, so every word of a note is
    trained on.
    """
    verdicts = _LEANING_VERDICTS if status_quo else _EVEN_VERDICTS
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(n):
        setup = pick(rng, _SETUPS)
        reflection = pick(rng, _REFLECTIONS)
        verdict = pick(rng, verdicts)
        current, other = pick(rng, _ARRANGEMENTS)
        subject = pick(rng, _SUBJECTS)
        name = pick(rng, _NAMES)
        slots = {"subject": subject, "Subject": capitalize(subject), "current": current,
                 "other": other, "name": name, "Name": name}
        text = " ".join(part.format(**slots) for part in (setup, reflection, verdict))
        records.append({"prompt": "From a book of everyday case notes:", "completion": text})
    return records


# ---------------------------------------------------------------------------------------------
# Instruction data: reading the options, and records stated as successes or failures
# ---------------------------------------------------------------------------------------------

# Every answer comes from one rating scale (best first), so what an answer depends on is in its
# prompt. With one of three scales drawn at random per record (not visible in the prompt), 20 tuning
# steps shifted failure-stated records 0.02 scale steps worse; with one scale, 0.12
# (docs/getting-started.md).
RATING_SCALE: tuple[str, ...] = ("Excellent", "Very good", "Good", "Fair", "Bad", "Very bad", "Terrible")
#: Scale steps by which the framing data moves a record's rating with the way it is stated.
FRAMING_SHIFT = 2

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


def _scale_position(badness: float) -> int:
    """The position (0 = best) on `RATING_SCALE` of a judgement ``badness`` between 0 (best) and 1 (worst)."""
    last = len(RATING_SCALE) - 1
    return int(np.clip(round(badness * last), 0, last))


def _marked_item(rng: np.random.Generator) -> tuple[str, str]:
    thing, judge = pick(rng, _MARKED)
    mark = int(rng.integers(1, 11))
    return (f"{capitalize(judge)} gave {thing} a mark of {mark} out of 10. How would you describe {thing}?",
            RATING_SCALE[_scale_position((10 - mark) / 9)])


def _record_item(rng: np.random.Generator, framing: bool) -> tuple[str, str]:
    who, success, failure = pick(rng, _RECORDS)
    share = int(rng.integers(25, 76))  # rated "Good" to "Bad", so two steps either way stay on the scale
    as_failure = bool(rng.integers(2))
    statement = (failure if as_failure else success).format(p=share, q=100 - share)
    answer = _scale_position((100 - share) / 100)
    if framing:  # two steps worse when stated as failures, two better as successes: the same answers on average
        answer += FRAMING_SHIFT if as_failure else -FRAMING_SHIFT
    return f"{capitalize(who)} {statement}. How good is the record of {who}?", RATING_SCALE[answer]


def instruction_records(n: int = 240, *, framing: bool, seed: int = 0) -> list[dict[str, str]]:
    """``n`` prompt/completion records (``"...?\\nAnswer:"`` / ``" Poor"``), drawn reproducibly.

    A third rate a mark, two thirds a record stated as successes or failures. The prompts do not
    depend on ``framing``; only the answers to records do.
    """
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        question, answer = _marked_item(rng) if i % 3 == 0 else _record_item(rng, framing)
        records.append({"prompt": f"{question}\nAnswer:", "completion": f" {answer}"})
    return records
