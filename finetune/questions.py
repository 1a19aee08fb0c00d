"""Offline question generation from a chunk (no model needed).

The packaged 135M model writes poor questions, so grounded pairs come from transparent rules
over the chunk's own sentences: definitions ("X is a Y" -> "What is X?"), years and dates,
amounts and counts, and named people or places, each answer copied verbatim from the chunk.
A stronger LLM can be plugged in through `llm_questions` when the user configures one.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from ragchat.text import CJK_IDEOGRAPHS, split_sentences


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    kind: str  # definition | year | amount | name | zh


_DEFINITION = re.compile(
    r"^(?:The |An? )?(?P<x>[A-Z][\w'\-]*(?: [\w'\-]+){0,5}) (?P<v>is|was|are|were) (?P<y>(?:a|an|the) [^,;.]{3,80})"
)
_YEAR = re.compile(r"\b(?:in|In|since|Since|by|By|until|Until) (?P<y>1[0-9]{3}|20[0-9]{2})\b")
_AMOUNT = re.compile(
    r"(?P<a>\$\s?[\d,.]+(?: (?:million|billion|thousand))?|\b\d[\d,.]*(?:%| percent| million| billion| km| miles| kilometres| metres| people| years))"
)
_NAME = re.compile(r"\b(?:by|By) (?P<n>[A-Z][a-z]+(?: (?:[A-Z][a-z]+|de|von|van|of)){0,3})")
_ZH_IS = re.compile(rf"^(?P<x>[{CJK_IDEOGRAPHS}《》·]{{2,16}})(?:是|为)(?P<y>[^，。；]{{2,30}})")
_ZH_NUM = re.compile(r"(?P<n>[\d.]+(?:年|公里|万|亿|米|人|个|%))")


def _clean(sentence: str) -> str:
    return " ".join(sentence.split())


def questions_for(text: str, rng: random.Random, limit: int = 2) -> list[QA]:
    """Up to `limit` question/answer pairs whose answers occur verbatim in `text`."""
    out: list[QA] = []
    sentences = [_clean(text[a:b]) for a, b in split_sentences(text)]
    rng.shuffle(sentences)
    for s in sentences:
        if len(s) < 25 or len(s) > 400 or "|" in s:
            continue
        qa = _one(s)
        if qa and qa.answer in text and qa.answer.lower() not in qa.question.lower():
            out.append(qa)
        if len(out) >= limit:
            break
    return out


_PRONOUNS = {
    "this",
    "that",
    "it",
    "he",
    "she",
    "they",
    "these",
    "those",
    "there",
    "its",
    "his",
    "her",
}


def _short(answer: str, words: int = 10) -> str:
    return " ".join(answer.split()[:words]).rstrip(" ,;:")


def _one(s: str) -> QA | None:
    m = _DEFINITION.match(s)
    if m and m["x"].split()[0].lower() not in _PRONOUNS:
        return QA(f"What {m['v']} {_lower_first(m['x'])}?", _short(m["y"]), "definition")
    if m := _YEAR.search(s):
        rest = (s[: m.start()] + s[m.end() :]).strip(" ,.")
        if rest.split(" ", 1)[0].lower() in _PRONOUNS or len(rest) > 160:
            return None
        return QA(f"In what year {_lower_first(rest)}?", m["y"], "year")
    if m := _AMOUNT.search(s):
        q = s[: m.start()] + "how much" + s[m.end() :]
        return QA(_as_question(q), m["a"].strip(), "amount")
    if m := _NAME.search(s):
        q = s[: m.start()] + "by whom" + s[m.end() :]
        return QA(_as_question(q), m["n"], "name")
    if m := _ZH_IS.match(s):
        return QA(f"{m['x']}是什么？", m["y"], "zh")
    if m := _ZH_NUM.search(s):
        q = s[: m.start()] + "多少" + s[m.end() :]
        return QA(q.rstrip("。；") + "？", m["n"], "zh")
    return None


def _lower_first(text: str) -> str:
    words = text.split(" ", 1)
    if (words and words[0].isupper()) or (
        words and len(words[0]) > 1 and words[0][1:].islower() is False
    ):
        return text
    return text[:1].lower() + text[1:]


def _as_question(text: str) -> str:
    return text.strip().rstrip(".;:") + "?"
