"""Which scored sentences become the evidence: the best few within a character budget, each
text once, with a place kept for the table row an amount question names, and, for a question
asking how, a sentence taken with the one after it that leans on it (`ragchat.evidence` scores
them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ragchat.quotable import asks_an_amount
from ragchat.table_text import is_table, label_named
from ragchat.text import plain
from ragchat.types import Hit


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str
    hit: Hit
    score: float


def choose(scored: Sequence[Candidate], k: int, budget: int) -> list[Candidate]:
    """The best k within the character budget, each sentence once. A sentence that leans on a
    pronoun carries the one before it (`sentences_of`), and overlapping chunks cut the same
    text in different places, so one candidate can hold another: the better scored of the two
    is kept — the reader would otherwise see one sentence as two sources, and the model read it
    twice instead of one more sentence."""
    chosen: list[Candidate] = []
    keys: list[str] = []
    used = 0
    for c in scored:
        if len(chosen) >= k:
            break
        key = plain(c.text)
        if any(key in other or other in key for other in keys):
            continue
        if chosen and used + len(c.text) > budget:
            continue
        chosen.append(c)
        keys.append(key)
        used += len(c.text)
    return chosen


def with_the_named_row(
    question: str, scored: Sequence[Candidate], chosen: list[Candidate], k: int
) -> list[Candidate]:
    """For an amount ("What were iPhone net sales in the third quarter of 2022?"), the best table
    row the question names by its label, in the last place if the sentences outscored it: the
    segment sentences that name iPhone and the third quarter ("iPhone net sales increased during
    the third quarter …") filled all four places, the row "Net sales by category – iPhone (1);
    Three Months Ended June 25, 2022: $40,665" says "Three Months", not "third quarter", and the
    question was refused — no sentence of the four holds the figure."""
    if not chosen or not asks_an_amount(question):
        return chosen
    if any(is_table(c.hit.chunk) and label_named(c.text, question) for c in chosen):
        return chosen
    row = next((c for c in scored if is_table(c.hit.chunk) and label_named(c.text, question)), None)
    if row is None:
        return chosen
    return [*chosen[: k - 1], row]


# asking for a way ("How can I check whether a file is a PNG file?", "如何设置…"), not an amount
ASKS_HOW = re.compile(
    r"^\s*how\s+(?:can|could|do|does|did|should|would|to|is|are)\b|如何|怎么|怎样", re.IGNORECASE
)


def with_what_follows(chosen: Candidate, scored: Sequence[Candidate]) -> Candidate:
    """For a how-question, the sentence with the one after it that leans on it, where that pair
    is a candidate too: "Libpng provides a simple check to see if a file is a PNG file." says
    there is a way, its "To use it, pass in the first 1 to 8 bytes … to png_sig_cmp()" says how;
    the shorter sentence alone had scored higher and a sentence is never two sources."""
    lead = plain(chosen.text)
    return next(
        (
            c
            for c in scored
            if c.hit.chunk.doc_id == chosen.hit.chunk.doc_id  # (overlapping chunks: either one)
            and plain(c.text).startswith(lead)
            and len(c.text) > len(chosen.text)
        ),
        chosen,
    )
