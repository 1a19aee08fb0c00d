"""Unanswerable twins that keep their sentence and change one detail, as SQuAD 2.0 writes them.

The other refusal targets cut the answer's sentences out (`no_oracle`), swap an entity
(`swapped`) or ask off-topic questions; an adapter trained on those alone learns to refuse them
(AUC 0.92 on its validation examples) but not people's unanswerable questions, which sit next to
a sentence that almost answers them (AUC 0.57: `python -m bench.refusal_marker`). A near-miss
twin is a generated question with one detail changed — a year or another number moved ("Who
conquered England in 1067?" where the sentence says 1066), or a passive verb negated ("What was
not established by Royal Charter in 1550?") — asked over evidence that still holds the original
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


def negated(question: str) -> str | None:
    """ "What was established by …?" -> "What was not established by …?" (English passives and
    participles only, where "not" has one plain place); None otherwise."""
    if _NEGATIVE.search(question):
        return None
    m = _PASSIVE.match(question)
    if m is None:
        return None
    return f"{question[: m.end('head')]} not {question[m.start('verb') :]}"


def near_miss(question: str, source: str, rng: random.Random) -> tuple[str, str] | None:
    """A near-miss twin of a generated question and the words it brings in that the evidence
    must not hold (the new number; "" for a negation), or None when neither change applies."""
    if made := renumbered(question, source, rng):
        return made
    if twin := negated(question):
        return twin, ""
    return None
