"""Our own syllogism generator for the belief-bias tests.

A syllogism has a subject term S, a middle term M and a predicate term P; its two
premises relate M to P and S to M, and its conclusion relates S to P. Statements are
"All X are Y" (A), "No X are Y" (E) and "Some X are Y" (I).

Real-world content comes from :data:`WORLD`: entries of four plural terms
``(member, category, superset, outsider)`` with member < category < superset
(strict subsets) and the outsider disjoint from all three, e.g. sparrows < birds <
animals that lay eggs, and cats. Any two terms of an entry therefore stand in a
known relation (subset, superset or disjoint), which decides whether a statement
about them is true in the world. A conclusion is *believable* when it is true in the
world and *unbelievable* when it is false. For a given form and believability the
generator picks the term assignment with the most true premises (ties at random).

Nonsense content uses generated pseudo-words, so world knowledge cannot help.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

Mood = Literal["all", "no", "some"]
Relation = Literal["subset", "superset", "disjoint"]


@dataclass(frozen=True)
class Statement:
    """``mood`` X are Y, with X and Y given as roles 'S', 'M' or 'P'."""

    mood: Mood
    subject: str
    predicate: str


@dataclass(frozen=True)
class Form:
    """A syllogistic form: major premise (M-P), minor premise (S-M), conclusion (S-P)."""

    name: str
    major: Statement
    minor: Statement
    conclusion: Statement
    valid: bool


def _st(text: str) -> Statement:
    mood, subject, predicate = text.split()
    return Statement(mood, subject, predicate)  # type: ignore[arg-type]


def _form(name: str, major: str, minor: str, conclusion: str, valid: bool) -> Form:
    return Form(name, _st(major), _st(minor), _st(conclusion), valid)


# Valid without existential import; invalid even with it (checked in the tests by model enumeration).
VALID_FORMS: tuple[Form, ...] = (
    _form("AAA-1", "all M P", "all S M", "all S P", True),  # Barbara
    _form("EAE-1", "no M P", "all S M", "no S P", True),  # Celarent
    _form("AII-1", "all M P", "some S M", "some S P", True),  # Darii
    _form("EAE-2", "no P M", "all S M", "no S P", True),  # Cesare
    _form("AEE-2", "all P M", "no S M", "no S P", True),  # Camestres
    _form("AII-3", "all M P", "some M S", "some S P", True),  # Datisi
    _form("IAI-3", "some M P", "all M S", "some S P", True),  # Disamis
)
INVALID_FORMS: tuple[Form, ...] = (
    _form("AAA-2", "all P M", "all S M", "all S P", False),  # undistributed middle
    _form("AAA-3", "all M P", "all M S", "all S P", False),  # illicit minor
    _form("AEE-1", "all M P", "no S M", "no S P", False),  # illicit major
    _form("III-1", "some M P", "some S M", "some S P", False),  # undistributed middle
    _form("AII-2", "all P M", "some S M", "some S P", False),  # undistributed middle
    _form("EEE-1", "no M P", "no S M", "no S P", False),  # exclusive premises
    _form("EAE-3", "no M P", "all M S", "no S P", False),  # illicit minor
)

# (member, category, superset, outsider): member < category < superset, outsider disjoint from all three.
WORLD: tuple[tuple[str, str, str, str], ...] = (
    ("sparrows", "birds", "animals that lay eggs", "cats"),
    ("eagles", "birds of prey", "birds", "snakes"),
    ("penguins", "birds", "vertebrates", "insects"),
    ("salmon", "fish", "animals that live in water", "horses"),
    ("sharks", "fish", "vertebrates", "spiders"),
    ("cobras", "snakes", "reptiles", "rabbits"),
    ("crocodiles", "reptiles", "cold-blooded animals", "owls"),
    ("frogs", "amphibians", "vertebrates", "beetles"),
    ("wolves", "mammals", "warm-blooded animals", "lizards"),
    ("whales", "mammals", "animals that breathe air", "trout"),
    ("dolphins", "mammals", "vertebrates", "ants"),
    ("tigers", "felines", "mammals", "parrots"),
    ("kittens", "cats", "mammals", "reptiles"),
    ("poodles", "dogs", "mammals", "birds"),
    ("beetles", "insects", "invertebrates", "fish"),
    ("bees", "insects", "animals", "plants"),
    ("tarantulas", "spiders", "arachnids", "mammals"),
    ("oaks", "trees", "plants", "animals"),
    ("pines", "conifers", "plants", "fungi"),
    ("tulips", "flowers", "plants", "insects"),
    ("roses", "flowering plants", "living things", "stones"),
    ("carrots", "root vegetables", "vegetables", "metals"),
    ("lemons", "citrus fruits", "fruits", "rocks"),
    ("apples", "fruits", "parts of plants", "bricks"),
    ("hammers", "tools", "objects made by people", "clouds"),
    ("chairs", "pieces of furniture", "objects made by people", "mountains"),
    ("laptops", "computers", "electronic devices", "books"),
    ("smartphones", "phones", "electronic devices", "sandwiches"),
    ("violins", "string instruments", "musical instruments", "vegetables"),
    ("pianos", "keyboard instruments", "musical instruments", "animals"),
    ("trumpets", "brass instruments", "musical instruments", "birds"),
    ("cars", "motor vehicles", "vehicles", "buildings"),
    ("canoes", "boats", "watercraft", "trees"),
    ("jets", "airplanes", "aircraft", "fish"),
    ("bicycles", "vehicles with wheels", "vehicles", "flowers"),
    ("novels", "books", "written works", "rivers"),
    ("sonnets", "poems", "written works", "mountains"),
    ("squares", "rectangles", "shapes with four sides", "circles"),
    ("hexagons", "polygons", "geometric figures", "animals"),
    ("surgeons", "doctors", "health workers", "toddlers"),
    ("skyscrapers", "buildings", "structures", "oceans"),
    ("hurricanes", "storms", "weather events", "animals"),
    ("diamonds", "crystals", "solids", "gases"),
    ("mosquitoes", "flies", "insects", "mammals"),
)

# Pseudo-words: onset + vowel + consonant + ending, e.g. "blomidge" -> plural "blomidges".
_ONSETS = ("bl", "br", "dr", "fl", "gl", "gr", "kr", "pl", "sn", "sp", "tr", "vr", "zw", "sk", "fr", "gw", "kw", "thr")
_VOWELS = ("a", "e", "i", "o", "u")
_MIDDLES = ("m", "n", "l", "r", "d", "g", "b", "v", "z", "t", "p")
_ENDINGS = ("ap", "ib", "og", "un", "em", "ix", "ult", "osk", "ep", "urb")


def pseudo_word(rng: np.random.Generator) -> str:
    """A pronounceable nonsense noun in the plural, e.g. 'trelixes'."""
    word = "".join(str(rng.choice(part)) for part in (_ONSETS, _VOWELS, _MIDDLES, _ENDINGS))
    return word + ("es" if word.endswith("x") else "s")


def relation(first: int, second: int) -> Relation:
    """The world relation between two terms of a :data:`WORLD` entry, given as indices 0..3."""
    if 3 in (first, second):
        return "disjoint"
    return "subset" if first < second else "superset"


def statement_true(mood: Mood, rel: Relation) -> bool:
    """Whether '``mood`` X are Y' holds when X stands in ``rel`` to Y (terms non-empty)."""
    if mood == "all":
        return rel == "subset"
    if mood == "no":
        return rel == "disjoint"
    return rel != "disjoint"


def real_terms(form: Form, believable: bool, entry_index: int, rng: np.random.Generator) -> tuple[dict[str, str], int]:
    """Terms S, M, P from :data:`WORLD` entry ``entry_index`` so that the conclusion is believable or not.

    Returns the role -> term mapping and the number of true premises.
    """
    entry = WORLD[entry_index]
    best: list[tuple[int, int, int]] = []
    best_true = -1
    for s, m, p in itertools.permutations(range(4), 3):
        roles = {"S": s, "M": m, "P": p}
        concl = form.conclusion
        if statement_true(concl.mood, relation(roles[concl.subject], roles[concl.predicate])) != believable:
            continue
        true_premises = sum(
            statement_true(st.mood, relation(roles[st.subject], roles[st.predicate])) for st in (form.major, form.minor)
        )
        if true_premises > best_true:
            best, best_true = [(s, m, p)], true_premises
        elif true_premises == best_true:
            best.append((s, m, p))
    s, m, p = best[int(rng.integers(len(best)))]
    return {"S": entry[s], "M": entry[m], "P": entry[p]}, best_true


def nonsense_terms(rng: np.random.Generator) -> dict[str, str]:
    """Three distinct pseudo-words for S, M and P."""
    words: list[str] = []
    while len(words) < 3:
        word = pseudo_word(rng)
        if word not in words:
            words.append(word)
    return dict(zip("SMP", words))


def render_statement(statement: Statement, terms: dict[str, str]) -> str:
    """E.g. 'All sparrows are birds'."""
    return f"{statement.mood.capitalize()} {terms[statement.subject]} are {terms[statement.predicate]}"
