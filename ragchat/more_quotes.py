"""Quotes of more than one evidence sentence, where one sentence says too little: a statement
line's other classes ("Current liabilities – Term debt" with "Non-current liabilities – Term
debt"), and an account ("Summarize …", "What does … say about …?", "介绍一下…")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ragchat import question_kind as qk
from ragchat.near_miss import evidence_on_point as on_point
from ragchat.rewrite import asked_part
from ragchat.table_text import focus_row, other_parts
from ragchat.text import plain
from ragchat.types import Decision, Evidence
from ragchat.verify import extractive_answer


def with_other_parts(
    decided: Decision, question: str, evidence: Sequence[Evidence], lang: str
) -> Decision:
    """An answer from one class of a statement's line ("Current liabilities – Term debt") is
    shown as the quote of that row and of the line's other classes among the evidence
    ("Non-current liabilities – Term debt"), when the question names no class
    (`ragchat.table_text.other_parts`): "How much term debt …?" was answered "14,009" of
    $108.7 billion."""
    row = next((e for e in evidence if decided.cited == (e.n,)), None)
    if row is None:
        return decided
    rest = [e for e in evidence if e is not row]
    parts = [rest[i] for i in other_parts(row.text, [e.text for e in rest], question)]
    if not parts:
        return decided
    first = extractive_answer([replace(row, text=focus_row(row.text, question))], lang)
    more = "".join(f" “{focus_row(p.text, question)}” [{p.n}]" for p in parts)
    cited = (row.n, *(p.n for p in parts))
    return Decision(first + more, False, True, cited, decided.checks)


ACCOUNT_SENTENCES = 3  # quoted for "Summarize …", "What does … say about …?", "介绍一下…"
ACCOUNT_MARGIN = 0.1  # the further sentences score within this of the first


def with_more_of_the_account(
    decided: Decision, question: str, evidence: Sequence[Evidence]
) -> Decision:
    """A quote answering a question that asks for an account (`qk.ASKS_ACCOUNT`: "Summarize
    the Normans' conquest of England.", "What does the 10-Q say about share repurchases?") with
    the next evidence sentences on point and scored within ACCOUNT_MARGIN of the first, up to
    ACCOUNT_SENTENCES in all: one sentence is a poor account ("Under the Program, shares may be
    repurchased in privately negotiated and/or open market transactions …" without "the Company
    repurchased 408 million shares … for $65.0 billion", scored 0.01 below it)."""
    asked = asked_part(question)
    if not (decided.fallback and len(decided.cited) == 1 and qk.ASKS_ACCOUNT.search(asked)):
        return decided
    first = next(e for e in evidence if e.n == decided.cited[0])
    floor = first.score - ACCOUNT_MARGIN
    seen = {plain(first.text)[:80]}
    more: list[Evidence] = []
    for e in evidence:
        if len(more) + 1 >= ACCOUNT_SENTENCES:
            break
        if e is first or e.score < floor or plain(e.text)[:80] in seen or _a_caption(e.text):
            continue
        if on_point(asked, (e.n,), evidence):
            seen.add(plain(e.text)[:80])
            more.append(e)
    if not more:
        return decided
    text = decided.text + "".join(f" “{focus_row(e.text, question)}” [{e.n}]" for e in more)
    return replace(decided, text=text, cited=(*decided.cited, *(e.n for e in more)))


def _a_caption(text: str) -> bool:
    """A short line that states nothing: a link's or a figure's caption ("大莱龙铁路官方网站",
    "Investor relations website"), no sentence of an account."""
    line = text.strip()
    short = len(line.split()) < 4 if line.isascii() else len(line) < 16
    return short and not re.search(r"[.!?。！？;；:：]$", line)
