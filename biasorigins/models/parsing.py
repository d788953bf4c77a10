"""Free-text answer parsing: which displayed option did a generated answer choose?

Used by generate-and-parse mode. :func:`parse_choice` never takes the first regex
hit; it collects every mention of every option, marks negated ones, and decides
only when exactly one option is chosen.

Mentions come in three tiers, tried in order; the first tier that mentions any
option positively decides (a lower tier is never used to break a tie):

1. explicit labels: "Option B", "option (2)", "options A and C"; under letter labels
   "Option 2" means the second option, under number labels "Option B" does;
2. option texts: the displayed text of an option (normalised: case, spacing,
   thousands separators), or its head before ":" / " - " when that head is unique,
   longest match first ("very good" hides the "good" inside it);
3. bare labels ("B is safer", "(C)", "2") and ordinals ("the second option").
   The article "A" and the pronoun "I" are not read as labels: a bare "A" counts
   only when punctuation, the end of the text or a verb/conjunction ("A is",
   "A or B") follows it.

A mention is negated when a negator stands in the three words before it within
its clause ("I would not choose option B", "is not logically valid"), when a
contrast word stands right before it ("A over B", "rather than B", "better than
B"), or when a rejection follows it ("Option A is not ..."). A negated option
whose text is the negation of another option's text ("valid" / "invalid",
"X" / "not X") counts as a mention of that other option, so "not valid" chooses
"Invalid". Options rejected in a higher tier are not chosen by a lower one.

When a tier names several options, the answer is still decided if exactly one of
them is introduced by a choice word ("I choose", "I'd go with", "answer is"), or
else if the first sentence names exactly one; otherwise it is ambiguous and
``invalid``. Refusals ("I cannot answer", "it depends", "as an AI ...") give
``refused`` unless an option is chosen anyway; a firm refusal ("I cannot choose")
is overridden only by an option introduced with a choice word.

If the runner prefilled the start of the answer (e.g. "Answer: Option"), pass the
prefill together with the continuation.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["PARSER_VERSION", "ParsedChoice", "ParseStatus", "parse_choice"]

#: Bump whenever a change can parse some answer differently: it is part of the decision store's keys.
PARSER_VERSION = 1

ParseStatus = Literal["ok", "invalid", "refused"]


class ParsedChoice(BaseModel):
    """The outcome of parsing one answer.

    Attributes
    ----------
    choice
        The chosen option as a 0-based displayed position, or ``None``.
    status
        ``"ok"`` (one option chosen), ``"invalid"`` (none found, ambiguous or only
        rejections) or ``"refused"`` (the model declined to answer).
    reason
        A short human-readable explanation, for audits.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    choice: int | None = None
    status: ParseStatus
    reason: str

    @model_validator(mode="after")
    def _check(self) -> ParsedChoice:
        if (self.status == "ok") != (self.choice is not None):
            raise ValueError("a parsed choice has an option exactly when its status is 'ok'")
        return self


# -- word lists ----------------------------------------------------------------------------
_NEGATORS = frozenset({"not", "never", "cannot", "nor", "neither", "without", "except", "against",
                       "reject", "rejecting", "rejects", "avoid", "avoiding"})
_CONTRASTS = ("rather than", "instead of", "over", "than", "not", "no")
_POST_REJECTIONS = re.compile(
    r"^\s*(?:is not|isn't|is wrong|is incorrect|is worse|is the wrong|is a worse|would not|wouldn't|"
    r"should not|shouldn't|does not|doesn't|is a bad|is not the)\b"
)
_CUES = re.compile(
    r"\b(?:choose|chose|choosing|pick|picking|select|selecting|prefer|preferring|take|taking|go with|"
    r"go for|opt for|answer is|answer would be|answer:|choice is|choice would be|choice:|recommend|"
    r"i'd say|i would say|decision is)\W*(?:\w+\W+){0,3}$"
)
# Words after a bare capital "A" that make it a label rather than the article ("A is safer", "A or B").
_LABEL_FOLLOWERS = frozenset({
    "is", "was", "seems", "looks", "would", "will", "has", "offers", "gives", "provides", "makes", "appears",
    "and", "or", "vs", "versus", "over", "because", "since", "as", "for", "due", "given", "here", "too", "then",
    "instead", "rather", "wins", "clearly", "definitely", "both", "but", "so", "with", "carries", "yields",
})
_FIRM_REFUSALS = re.compile(
    r"\b(?:(?:cannot|can't|can not|won't|will not|unable to|not able to)\s+(?:answer|choose|decide|determine|"
    r"make (?:a|this|that|the) (?:choice|decision)|provide|say|tell|select|pick|help)|refuse|decline to|"
    r"i'm sorry|i am sorry|i apologi[sz]e|it depends|(?:impossible|not possible) to (?:say|tell|determine|know|"
    r"answer|decide)|cannot be (?:determined|concluded|drawn|definitively)|can't be (?:determined|concluded))\b"
)
_SOFT_REFUSALS = re.compile(
    r"\b(?:as an ai|as a language model|as an assistant|i (?:don't|do not) have (?:personal )?"
    r"(?:preferences|opinions|feelings)|i (?:don't|do not) (?:make|gamble))\b"
)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "sixth": 5, "last": -1}
_ORDINAL = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|last)\s+(?:option|one|choice|alternative|answer|offer|"
    r"lottery|prize|brand|plan)\b"
)
_EXPLICIT = re.compile(r"\boption\s*(?:#|no\.?|number)?\s*[(\[]?\s*([a-z]|\d+)(?![\w'])\s*[)\]]?")
_EXPLICIT_LIST = re.compile(r"\boptions\s+([a-z]|\d+)((?:\s*(?:,|and|or|&|/)\s*(?:[a-z]|\d+)(?![\w']))+)")
_WORD = re.compile(r"[\w']+")
_CLAUSE_END = ".;:!?,\n"
_NEGATION_PREFIXES = ("not ", "in", "un", "im", "ir", "il", "non", "non-", "dis")


@dataclass(frozen=True)
class _Mention:
    option: int
    start: int
    tier: int
    negated: bool
    cued: bool


# -- normalisation ---------------------------------------------------------------------------
def _normalise(text: str) -> str:
    """NFKC, plain quotes and dashes, single spaces, no thousands separators; case kept."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                                         "\u2013": "-", "\u2014": "-", "\t": " "}))
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    text = re.sub(r"[ \u00a0]+", " ", text)
    return text.strip()


def _lower(text: str) -> str:
    """Lower case with the same length as ``text`` (characters whose lower form is longer stay)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _option_key(text: str) -> str:
    return _lower(_normalise(text)).strip(" .!?;:")


def _heads(options: Sequence[str]) -> list[str | None]:
    """Each option's head before ':' / ' - ' / ' (' when it is unique among the options."""
    heads: list[str | None] = []
    for text in options:
        key = _option_key(text)
        match = re.match(r"^(.+?)(?::| - | \()", key)
        heads.append(match.group(1).strip() if match else None)
    keys = {_option_key(t) for t in options}
    return [h if h and heads.count(h) == 1 and h not in keys else None for h in heads]


def _complements(options: Sequence[str]) -> dict[int, int]:
    """Option i -> option j when j's text is i's text negated ('valid'/'invalid', 'X'/'not X')."""
    words = [_option_key(t).split() for t in options]
    out: dict[int, int] = {}
    for i, wi in enumerate(words):
        for j, wj in enumerate(words):
            if i == j:
                continue
            if wj[:1] == ["not"] and wj[1:] == wi:
                out[i] = j
            elif len(wi) == len(wj):
                diffs = [(a, b) for a, b in zip(wi, wj) if a != b]
                if len(diffs) == 1 and any(diffs[0][1] == p + diffs[0][0] for p in _NEGATION_PREFIXES):
                    out[i] = j
    for i, j in list(out.items()):
        out.setdefault(j, i)
    return out


# -- context checks ----------------------------------------------------------------------------
def _clause_before(lower: str, start: int, *, stop: str = _CLAUSE_END) -> str:
    cut = max(lower.rfind(ch, 0, start) for ch in stop)
    return lower[cut + 1 : start]


def _is_negated(lower: str, start: int, end: int) -> bool:
    before = _clause_before(lower, start)
    words = _WORD.findall(before)
    window = words[-3:]
    if any(w in _NEGATORS or w.endswith("n't") for w in window):
        return True
    tail = before.rstrip()
    tail = re.sub(r"\b(?:the|an)$", "", tail).rstrip()
    if any(re.search(rf"\b{re.escape(c)}$", tail) for c in _CONTRASTS):
        return True
    after = lower[end:]
    cut = min([after.find(ch) for ch in _CLAUSE_END if ch in after] or [len(after)])
    return bool(_POST_REJECTIONS.match(after[:cut]))


def _is_cued(lower: str, start: int) -> bool:
    return bool(_CUES.search(_clause_before(lower, start, stop=".;!?\n")))


# -- mention finders --------------------------------------------------------------------------
def _explicit_index(token: str, labels: Sequence[str], n: int) -> int | None:
    lowered = [label.lower() for label in labels]
    if token in lowered:
        return lowered.index(token)
    if token.isdigit() and not all(label.isdigit() for label in labels):
        position = int(token) - 1
    elif len(token) == 1 and token.isalpha() and all(label.isdigit() for label in labels):
        position = string.ascii_lowercase.index(token)
    else:
        return None
    return position if 0 <= position < n else None


def _is_article(text: str, lower: str, start: int, token: str) -> bool:
    """A lower-case 'a' (or 'i') followed by an ordinary word is the article/pronoun, not a label."""
    if token not in ("a", "i") or text[start].isupper():
        return False
    follower = re.match(r"\s+([a-z']+)", lower[start + 1 :])
    return bool(follower) and follower.group(1) not in _LABEL_FOLLOWERS


def _explicit_mentions(text: str, lower: str, labels: Sequence[str], n: int) -> list[tuple[int, int, int]]:
    """(option, start, end) of every 'Option X' and 'options X and Y'."""
    found = []
    for match in _EXPLICIT.finditer(lower):
        token = match.group(1)
        if _is_article(text, lower, match.start(1), token):
            continue
        index = _explicit_index(token, labels, n)
        if index is not None:
            found.append((index, match.start(), match.end()))
    for match in _EXPLICIT_LIST.finditer(lower):
        for token_match in re.finditer(r"(?<![\w'])([a-z]|\d+)(?![\w'])", lower[match.start(1) : match.end()]):
            pos = match.start(1) + token_match.start()
            index = _explicit_index(token_match.group(1), labels, n)
            if index is not None:
                found.append((index, pos, pos + len(token_match.group(1))))
    return found


def _text_mentions(lower: str, options: Sequence[str]) -> list[tuple[int, int, int]]:
    """(option, start, end) of option texts and unique heads, longest match first."""
    candidates = []
    for index, (full, head) in enumerate(zip((_option_key(t) for t in options), _heads(options))):
        for phrase in {full, head} - {None, ""}:
            pattern = rf"(?<![\w$%])(?<!\d[.,]){re.escape(phrase)}(?![\w%])(?![.,]\d)"
            candidates += [(index, m.start(), m.end()) for m in re.finditer(pattern, lower)]
    candidates.sort(key=lambda c: (-(c[2] - c[1]), c[1]))
    kept: list[tuple[int, int, int]] = []
    for cand in candidates:
        if not any(k[1] <= cand[1] and cand[2] <= k[2] for k in kept):
            kept.append(cand)
    return kept


def _bare_mentions(text: str, lower: str, labels: Sequence[str], n: int) -> list[tuple[int, int, int]]:
    """(option, start, end) of bare labels and ordinals."""
    found = []
    if all(label.isdigit() for label in labels):
        for match in re.finditer(r"(?<![\w$.,%])(\d+)(?![\w%])(?![.,]\d)", text):
            if match.group(1) in labels:
                found.append((list(labels).index(match.group(1)), match.start(), match.end()))
    else:
        for match in re.finditer(r"(?<![\w'$])([A-Z])(?![\w'])", text):
            letter = match.group(1)
            if letter not in labels:
                continue
            follower = re.match(r"\s+([A-Za-z']+)", text[match.end() :])
            if letter in ("A", "I") and follower and follower.group(1).lower() not in _LABEL_FOLLOWERS:
                continue  # the article "A ..." or the pronoun "I ..."
            if letter == "I" and follower:
                continue
            found.append((list(labels).index(letter), match.start(), match.end()))
    for match in _ORDINAL.finditer(lower):
        position = _ORDINALS[match.group(1)]
        position = n - 1 if position < 0 else position
        if position < n:
            found.append((position, match.start(), match.end()))
    return found


def _whole_answer_label(text: str, labels: Sequence[str]) -> tuple[int, bool] | None:
    """A reply that is nothing but a label ("B", "(b).", "Option 2") names that option.

    Returns the option and whether the label came with the word "Option".
    """
    core = _lower(text).strip()
    explicit = bool(re.match(r"^(?:answer\s*:?\s*)?option\b", core))
    core = re.sub(r"^(?:answer\s*:?\s*)?(?:option\s*)?", "", core).strip(" .!()[]*\"':")
    lowered = [label.lower() for label in labels]
    return (lowered.index(core), explicit) if core in lowered else None


# -- decision -------------------------------------------------------------------------------------
def _describe(option: int, labels: Sequence[str]) -> str:
    return f"option {labels[option]}" if option < len(labels) else f"option #{option + 1}"


def _decide(positive: list[_Mention], first_sentence_end: int, labels: Sequence[str]) -> ParsedChoice:
    chosen = sorted({m.option for m in positive})
    if len(chosen) == 1:
        return ParsedChoice(choice=chosen[0], status="ok", reason=f"names only {_describe(chosen[0], labels)}")
    cued = sorted({m.option for m in positive if m.cued})
    if len(cued) == 1:
        return ParsedChoice(choice=cued[0], status="ok",
                            reason=f"chooses {_describe(cued[0], labels)} among several options named")
    first = sorted({m.option for m in positive if m.start < first_sentence_end})
    if len(first) == 1:
        return ParsedChoice(choice=first[0], status="ok",
                            reason=f"the first sentence names only {_describe(first[0], labels)}")
    names = ", ".join(_describe(o, labels) for o in chosen)
    return ParsedChoice(status="invalid", reason=f"ambiguous: names several options ({names})")


def parse_choice(text: str, labels: Sequence[str], options: Sequence[str]) -> ParsedChoice:
    """Parse a generated answer into a displayed option position.

    Parameters
    ----------
    text
        The model's answer (with any prefilled answer start).
    labels
        The displayed option labels, e.g. ``("A", "B", "C")`` or ``("1", "2")``.
    options
        The displayed option texts, in the same order as ``labels``.

    Returns
    -------
    ParsedChoice
        ``choice`` (0-based displayed position) with status ``"ok"``, or no choice
        with status ``"invalid"`` or ``"refused"``, and the reason.
    """
    if len(labels) != len(options):
        raise ValueError(f"got {len(labels)} labels for {len(options)} options; give one label per option")
    n = len(options)
    if text is None or not text.strip():
        return ParsedChoice(status="invalid", reason="empty answer")
    norm = _normalise(text)
    lower = _lower(norm)
    whole = _whole_answer_label(norm, labels)
    if whole is not None:
        index, explicit = whole
        texts = [_option_key(t) for t in options]
        label = labels[index].lower()
        if not explicit and label in texts and texts.index(label) != index:
            return ParsedChoice(status="invalid", reason=f"ambiguous: {labels[index]!r} is both a label and an option text")
        return ParsedChoice(choice=index, status="ok", reason=f"the answer is just the label {labels[index]}")

    complements = _complements(options)
    sentence = re.search(r"[.!?](?:\s|$)|\n", lower)
    first_sentence_end = sentence.end() if sentence else len(lower)
    tiers = (
        _explicit_mentions(norm, lower, labels, n),
        _text_mentions(lower, options),
        _bare_mentions(norm, lower, labels, n),
    )
    rejected: set[int] = set()  # options rejected in a higher tier
    firm_refusal = bool(_FIRM_REFUSALS.search(lower))
    for tier, found in enumerate(tiers, start=1):
        mentions = []
        for option, start, end in found:
            negated = _is_negated(lower, start, end)
            if negated and option in complements:
                option, negated = complements[option], False
            mentions.append(_Mention(option, start, tier, negated, not negated and _is_cued(lower, start)))
        positive = [m for m in mentions if not m.negated and m.option not in rejected]
        rejected |= {m.option for m in mentions if m.negated}
        if not positive:
            continue
        if firm_refusal:
            cued = sorted({m.option for m in positive if m.cued})
            if len(cued) != 1:
                return ParsedChoice(status="refused", reason="declines to choose")
        decided = _decide(positive, first_sentence_end, labels)
        if decided.status == "ok" and tier == 2:
            clash = _number_label_clash(lower, options, labels, decided.choice)
            if clash:
                return ParsedChoice(status="invalid", reason=clash)
        return decided
    if firm_refusal or _SOFT_REFUSALS.search(lower):
        return ParsedChoice(status="refused", reason="declines to choose")
    if rejected:
        names = ", ".join(_describe(o, labels) for o in sorted(rejected))
        return ParsedChoice(status="invalid", reason=f"rejects {names} but chooses none")
    return ParsedChoice(status="invalid", reason="no option found")


def _number_label_clash(lower: str, options: Sequence[str], labels: Sequence[str], choice: int) -> str | None:
    """A bare number that is both an option text and another option's label is ambiguous."""
    key = _option_key(options[choice])
    if key.isdigit() and key in labels and list(labels).index(key) != choice:
        return f"ambiguous: '{key}' is both the text of {_describe(choice, labels)} and a label"
    return None
