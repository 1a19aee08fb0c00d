"""Follow-up questions ("and in 2022?") rewritten into standalone ones using the history.

The packaged 135M model cannot rewrite reliably, so the default is a transparent rule: a question
that looks like a follow-up (short, starts with a connective, or leans on a pronoun) is joined
with the previous question, which carries the topic for retrieval and for the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_EN_START = re.compile(
    r"^\s*(and|but|also|what about|how about|and what|or|then|so|why|same for|what else)\b",
    re.IGNORECASE,
)
_EN_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|the same)\b",
    re.IGNORECASE,
)
_ZH_START = re.compile(r"^\s*(那|那么|还有|另外|而|并且|以及|同样)")
_ZH_PRONOUN = re.compile(r"(它|它们|他|她|他们|她们|该|这个|那个|其|此)")


def is_followup(question: str) -> bool:
    q = question.strip()
    if not q:
        return False
    words = q.split()
    if _EN_START.search(q) or _ZH_START.search(q):
        return True
    short = len(words) <= 6 if q.isascii() else len(q) <= 12
    return short and bool(_EN_PRONOUN.search(q) or _ZH_PRONOUN.search(q) or len(words) <= 3)


def rewrite_followup(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A standalone version of `question` given earlier (question, answer) turns."""
    if not history or not is_followup(question):
        return question
    previous = history[-1][0].strip()
    q = question.strip()
    if not q.isascii():
        return f"{previous} {q}"
    return f"{previous.rstrip('?')} — {q}"
