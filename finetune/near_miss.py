"""Unanswerable twins that keep their sentence and change one detail, as SQuAD 2.0 writes them.

The other refusal targets cut the answer's sentences out (`no_oracle`), swap an entity
(`swapped`) or ask off-topic questions; an adapter trained on those alone learns to refuse them
(AUC 0.92 on its validation examples) but not people's unanswerable questions, which sit next to
a sentence that almost answers them (AUC 0.57: `python -m bench.refusal_marker`). A near-miss
twin is a generated question with one detail changed — a year or another number moved ("Who
conquered England in 1067?" where the sentence says 1066), a word turned to its opposite
("first" -> "last"), or its verb negated ("What was not established by Royal Charter in 1550?",
"What did the Edict not reaffirm …?") — asked over evidence that still holds the original
sentence, with the refusal as its target.
"""

from __future__ import annotations

import random
import re

_NUMBER = re.compile(r"(?<![\d.,])(\d{1,4})(?![\d.,])")
_PASSIVE = re.compile(
    r"^(?P<head>(?:what|who|which \w+)\s+(?:was|were|is|are))\s+(?P<verb>\w+(?:ed|en|wn|lt))\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(r"\b(?:not|never|no)\b|n't|不|没|未|非", re.IGNORECASE)
_DID = re.compile(
    r"^(?P<head>(?:what|who|whom|which \w+|when|where|why|how)\s+(?:did|does|do))\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_OPPOSITES = dict(
    pair
    for a, b in (
        ("first", "last"),
        ("largest", "smallest"),
        ("before", "after"),
        ("most", "least"),
        ("earliest", "latest"),
        ("north", "south"),
        ("east", "west"),
        ("northern", "southern"),
        ("eastern", "western"),
        ("increase", "decrease"),
        ("higher", "lower"),
        ("maximum", "minimum"),
    )
    for pair in ((a, b), (b, a))
)


def renumbered(question: str, source: str, rng: random.Random) -> tuple[str, str] | None:
    """The question with one of its numbers moved to a value the source does not state (a year
    by a few years, another number by one or two), and that value; None when it has none."""
    found = list(_NUMBER.finditer(question))
    if not found:
        return None
    m = rng.choice(found)
    value = int(m.group(1))
    steps = [1, 2, 3, -1, -2, -3, 10, -10] if 1000 <= value <= 2100 else [1, 2, -1]
    rng.shuffle(steps)
    for step in steps:
        new = str(value + step)
        if value + step > 0 and new not in source:
            return question[: m.start()] + new + question[m.end() :], new
    return None


def negated(question: str, source: str = "") -> str | None:
    """ "What was established by …?" -> "What was not established by …?"; "What did the Edict
    reaffirm …?" -> "What did the Edict not reaffirm …?" (the first word after the subject whose
    past tense, or itself, the source states); None where "not" has no plain place."""
    if _NEGATIVE.search(question):
        return None
    if m := _PASSIVE.match(question):
        return f"{question[: m.end('head')]} not {question[m.start('verb') :]}"
    m = _DID.match(question)
    if m is None or not source:
        return None
    from lemminflect import getAllInflections

    words = m["rest"].split(" ")
    for i, word in enumerate(words[1:], 1):  # the subject takes at least one word
        bare = word.strip("?,.").lower()
        past = getAllInflections(bare, upos="VERB").get("VBD", ())
        if bare.isalpha() and any(re.search(rf"\b{f}\b", source) for f in past):
            return f"{m['head']} {' '.join([*words[:i], 'not', *words[i:]])}"
    return None


def opposite(question: str, source: str) -> tuple[str, str] | None:
    """ "first" -> "last", "north" -> "south" … where the source does not say the opposite."""
    for m in re.finditer(r"[A-Za-z]+", question):
        other = _OPPOSITES.get(m.group(0).lower())
        if other and not re.search(rf"\b{other}\b", source, re.IGNORECASE):
            return question[: m.start()] + other + question[m.end() :], other
    return None


def near_miss(question: str, source: str, rng: random.Random) -> tuple[str, str] | None:
    """A near-miss twin of a generated question and the words it brings in that the evidence
    must not hold (the new number; "" for a negation), or None when neither change applies."""
    if made := renumbered(question, source, rng) or opposite(question, source):
        return made
    if twin := negated(question, source):
        return twin, ""
    return None
