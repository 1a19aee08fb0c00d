"""Check every sentence of the model's draft against the evidence it cites.

A sentence is supported when every number, date, amount and link in it appears in the
evidence it cites, and enough of its new content words (those not already in the question) do
too, and it says "not" (or "never", "no" …) only where its source or the question does. A
sentence without a valid [n] is given the evidence it matches best, if any supports it.
Unsupported sentences are removed; if nothing is left, the caller falls back to quoting the
best evidence (`extractive_answer`) or refuses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ragchat.sentences import split_sentences
from ragchat.table_text import row_cells
from ragchat.text import CJK_IDEOGRAPHS, lexical_tokens, plain, term_present
from ragchat.types import Evidence, SentenceCheck

# Share of a sentence's new content words that must be in its cited evidence (calibrated on
# the squad-en and cmrc-zh dev sets: see bench/answer.py).
SUPPORT_THRESHOLD = {"en": 0.6, "zh": 0.6}
MARKER = re.compile(r"\[(\d{1,2}(?:\s*[,;，]\s*\d{1,2})*)\]")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_URL = re.compile(
    r"https?://\S+|www\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|gov|edu|cn)\b\S*"
)
# words that describe the sources rather than say anything about the world
_META = frozenset(
    [
        "according",
        "document",
        "documents",
        "source",
        "sources",
        "evidence",
        "states",
        "stated",
        "says",
        "said",
        "mentioned",
        "text",
        "passage",
        "sentence",
        "answer",
        "question",
        "provided",
        "given",
        "information",
        "based",
    ]
)
_META_ZH = ("根据", "文档", "资料", "原文", "提到", "来源", "答案", "信息", "显示")
_CJK_CHAR = re.compile(f"[{CJK_IDEOGRAPHS}]")


@dataclass(frozen=True, slots=True)
class Verified:
    text: str  # the supported sentences with their markers
    checks: tuple[SentenceCheck, ...]
    cited: tuple[int, ...]  # evidence numbers cited by the kept sentences, in order


def answer_sentences(draft: str) -> list[str]:
    """The draft's sentences, each keeping the markers that follow it ("Rollo. [1]")."""
    text = " ".join(draft.replace("\u3000", " ").split())
    text = re.sub(r"^(?:\s*\[\d{1,2}\]\s*[:：]?\s*)+", "", text)  # a leading "[1]:" is no answer
    # "Rollo. [1]" -> "Rollo [1]." so that a marker stays with its sentence
    text = re.sub(
        r"\s*([.。!?！？])\s*((?:\[\d{1,2}(?:\s*[,;，]\s*\d{1,2})*\]\s*)+)",
        lambda m: f" {m.group(2).strip()}{m.group(1)} ",
        text,
    )
    text = " ".join(text.split())
    parts = [text[a:b] for a, b in split_sentences(text)]
    out: list[str] = []
    for p in parts:
        if out and (MARKER.fullmatch(p.strip()) or re.fullmatch(r"(?:\[\d{1,2}\]\s*)+[.。]?", p)):
            out[-1] = f"{out[-1]} {p.strip()}"
        elif p.strip():
            out.append(p.strip())
    return out


def _markers(sentence: str) -> list[int]:
    return [
        int(x) for m in MARKER.finditer(sentence) for x in re.split(r"\s*[,;，]\s*", m.group(1))
    ]


def _numbers(text: str) -> set[str]:
    out = set()
    for m in _NUMBER.finditer(text):
        n = m.group(0).rstrip(",.").replace(",", "")
        if "." in n:
            n = n.rstrip("0").rstrip(".")
        out.add(n)
    return out


_NAME = re.compile(r"(?<=[\w,;:)] )[A-Z][\w'’-]*[a-z][\w'’-]*")


def _names(text: str) -> set[str]:
    """Capitalised words inside a sentence (names, places): they must be spelled as in a source."""
    return {
        m.group(0).rstrip("'’").removesuffix("'s").removesuffix("’s") for m in _NAME.finditer(text)
    }


def _urls(text: str) -> set[str]:
    return {u.rstrip(".,;)]】").lower() for u in _URL.findall(text)}


def _novel_terms(body: str, question: str) -> list[str]:
    q = set(lexical_tokens(question, drop_stopwords=False))
    qlow = question.lower()
    out = []
    for t in lexical_tokens(body):
        if t in q or t in _META or any(m in t for m in _META_ZH) or t.isdigit():
            continue
        if t == "cannot" and {"can", "not"} & q:  # "What can X not do?" said back: nothing new
            continue
        if not t.isascii() and t in qlow:
            continue
        out.append(t)
    return out


def support(body: str, question: str, evidence_text: str) -> tuple[float, str]:
    """(share of the new content words found in the evidence, reason when unsupported)."""
    low = evidence_text.lower()
    ev_numbers = _numbers(evidence_text)
    q_numbers = _numbers(question)
    missing = sorted(_numbers(body) - ev_numbers - q_numbers)
    if missing:
        return 0.0, f"number {missing[0]} is in no cited source"
    if misplaced := _under_another_column(body, question, evidence_text):
        return 0.0, misplaced
    if _NEGATION.search(body) and not _NEGATION.search(f"{question} {evidence_text}"):
        # "Robert Guiscard did not drive the Byzantines out" from "… ultimately drove the
        # Byzantines out …": every word is in the source, and the meaning is its opposite
        return 0.0, "says no where no cited source does"
    names = [n for n in _names(body) if n not in evidence_text and n not in question]
    if names:
        return 0.0, f"name {names[0]} is in no cited source"
    urls = _urls(body) - {u for u in _urls(evidence_text)}
    if urls:
        return 0.0, f"link {sorted(urls)[0]} is in no cited source"
    novel = _novel_terms(body, question)
    if not novel:
        # a bare number that the evidence holds; a lone digit ("2") matches footnote marks and
        # list numbers anywhere, so it is no answer on its own
        if any(len(n.replace(".", "")) > 1 for n in _numbers(body) - q_numbers):
            return 1.0, ""
        return 0.0, "says nothing beyond the question"
    present = set(lexical_tokens(low, drop_stopwords=False))
    found = sum(1 for t in novel if term_present(t, present, low))
    share = found / len(novel)
    return share, "" if share > 0 else "its words are in no cited source"


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_NEGATION = re.compile(r"\b(?:not|never|no|none|neither|nor|cannot|without)\b|n['’]t\b", re.I)


# the length of a period a question or a column names: "the third quarter", "Q3" and "Three
# Months Ended" are three months; "the first nine months" and "Nine Months Ended" nine
_PERIOD = re.compile(
    r"\b(?:(three|six|nine|twelve)[- ]months?|(?:first|second|third|fourth) (quarter)|q[1-4]"
    r"(?![\w-])|(?:first|second) (half))\b",
    re.IGNORECASE,
)
_MONTHS = {"quarter": "three", "half": "six"}


def _periods(text: str) -> set[str]:
    found = set()
    for m in _PERIOD.finditer(text):
        word = (m[1] or m[2] or m[3] or "quarter").lower()
        found.add(_MONTHS.get(word, word))
    return found


def _under_another_column(body: str, question: str, evidence_text: str) -> str:
    """A number read off a table row under another year than the question asks for ("$3,844"
    for 2023 from "Net income (loss); …, 2022: (3,844); …, 2023: 3,172"), or under another
    period ("$23,076", the three months' operating income, for "the nine months ended June 25,
    2022"): the number is in the source, so only its column can tell ("" when the question
    names no year or period, or no header does)."""
    cells = [(h, v) for h, v in row_cells(evidence_text) if h]
    asked = (
        ("year", set(_YEAR.findall(question)), _YEAR.findall),
        ("period", _periods(question), _periods),
    )
    for _, wanted, of in asked:
        if not wanted or not any(wanted & set(of(header)) for header, _ in cells):
            continue
        for n in sorted(_numbers(body) - _numbers(question)):
            under = [header for header, value in cells if n in _numbers(value)]
            if under and not any(wanted & set(of(header)) for header in under):
                return f"number {n} stands under {under[0]!r}, not {min(wanted)}"
    return ""


def check_sentence(
    sentence: str, question: str, evidence: Sequence[Evidence], lang: str
) -> SentenceCheck:
    by_n = {e.n: e for e in evidence}
    cited = [n for n in dict.fromkeys(_markers(sentence)) if n in by_n]
    body = re.sub(r"\s+([.,;:!?。，；：！？])", r"\1", MARKER.sub("", sentence)).strip()
    threshold = SUPPORT_THRESHOLD.get(lang, 0.6)
    # invented English under a Chinese question; but a name the source itself writes in Latin
    # letters ("Millennium Kitchen" in "制作公司为Millennium Kitchen。") is the answer
    latin = lang == "zh" and body and not _CJK_CHAR.search(body) and not _numbers(body)
    if latin and not _stated_verbatim(body, evidence):
        return SentenceCheck(body, (), False, 0.0, "not in the question's language")
    body = _as_written(body, [by_n[n] for n in cited] + list(evidence))
    if cited:
        share, reason = support(body, question, " ".join(by_n[n].text for n in cited))
        if share >= threshold:
            return SentenceCheck(body, tuple(cited), True, round(share, 3))
    # no valid marker, or the cited sentence does not hold it: the best supporting evidence
    best, best_share, best_reason = None, -1.0, "no source supports it"
    for e in evidence:
        share, reason = support(body, question, e.text)
        if share > best_share:
            best, best_share, best_reason = e.n, share, reason
    if best is not None and best_share >= threshold:
        return SentenceCheck(body, (best,), True, round(best_share, 3))
    why = best_reason or f"only {best_share:.0%} of its words are in the sources"
    if cited and best_share < threshold:
        why = f"[{cited[0]}] does not say it ({why})"
    return SentenceCheck(body, tuple(cited), False, round(max(best_share, 0.0), 3), why)


def _as_written(body: str, evidence: Sequence[Evidence]) -> str:
    """A phrase a source holds word for word in other letter case, as the source writes it:
    "The Treaty of Saint-Clair-sur-Epte" is "the treaty of Saint-Clair-sur-Epte", not a name the
    sources lack. Anything else is left as the model wrote it."""
    words = body.rstrip(".").split()
    if len(body) < 4 or not words:
        return body
    said = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)
    for e in evidence:
        if (m := said.search(e.text)) is not None:
            return body if m.group(0) in body else m.group(0)
    return body


def _stated_verbatim(body: str, evidence: Sequence[Evidence]) -> bool:
    """Does a source hold `body` word for word (case and spacing aside)?"""
    said = plain(body.rstrip(".。"))
    return len(said) >= 2 and any(said in plain(e.text) for e in evidence)


def verify(draft: str, question: str, evidence: Sequence[Evidence], lang: str) -> Verified:
    checks = tuple(check_sentence(s, question, evidence, lang) for s in answer_sentences(draft))
    kept = [c for c in checks if c.supported]
    text = " ".join(f"{_tidy(c.text)} {''.join(f'[{n}]' for n in c.cited)}" for c in kept)
    cited = tuple(dict.fromkeys(n for c in kept for n in c.cited))
    return Verified(text.strip(), checks, cited)


def _tidy(body: str) -> str:
    body = body.strip()
    return body[:-1].rstrip() if body.endswith((".", "。")) and len(body) < 60 else body


QUOTE_LEAD = {"en": "The document says: “{text}” [{n}]", "zh": "文档原文：“{text}” [{n}]"}


def extractive_answer(evidence: Sequence[Evidence], lang: str) -> str:
    """The best evidence sentence, quoted and cited, labelled as a quote."""
    e = evidence[0]
    return QUOTE_LEAD.get(lang, QUOTE_LEAD["en"]).format(text=e.text.strip(), n=e.n)
