"""What an acronym stands for, as the documents spell it out.

"What does DER stand for?" is how people ask about manuals, regulations and papers, and the
answer is where the document introduces the acronym: "… Distinguished Encoding Rules (DER) …".
Retrieval does not find that place: every chunk that uses "DER" matches the question as well as
the one that spells it out (a function reference repeats "der" on every page), and the embedder
knows no more. So the KB's chunks holding the acronym are searched for a place that spells it
out — the words before "(DER" (or after "DER (") whose initials are its letters — and the
answer is that long form, cited to the sentence, without the model. A question the documents
never spell the acronym out for goes the usual way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ragchat.citations import citations_for, locate_evidence
from ragchat.sentences import split_sentences
from ragchat.text import detect_lang, lexical_tokens
from ragchat.types import Answer, Chunk, Evidence

_ACR = r"(?P<acr>[A-Za-z][A-Za-z0-9.&/-]{0,10}[A-Za-z0-9])"
_Q = r"[\"“”‘’']?"
_KIND = r"(?:the\s+)?(?:acronym\s+|abbreviation\s+|term\s+|initialism\s+)?"
_ASKS = (
    re.compile(rf"^\s*what\s+(?:does|do|did)\s+{_KIND}{_Q}{_ACR}{_Q}\s+stands?\s+for\b", re.I),
    re.compile(
        rf"^\s*what\s+(?:is|'s)\s+{_KIND}{_Q}{_ACR}{_Q}\s+(?:short|an?\s+(?:abbreviation|acronym))"
        rf"\s+(?:for|of)\b",
        re.I,
    ),
    re.compile(
        rf"^\s*what\s+(?:is|'s)\s+the\s+(?:full\s+(?:form|name)|long\s+form|expansion)\s+of\s+"
        rf"{_KIND}{_Q}{_ACR}{_Q}\s*[?.]*\s*$",
        re.I,
    ),
    re.compile(rf"^\s*{_Q}{_ACR}{_Q}\s+stands?\s+for\s+what\b", re.I),
    re.compile(rf"^\s*{_Q}{_ACR}{_Q}\s*(?:是|代表)?(?:什么|哪几个词)的?(?:缩写|简称|英文缩写)"),
    re.compile(rf"^\s*{_Q}{_ACR}{_Q}\s*的?(?:英文)?(?:全称|全名)是?什么"),
    re.compile(rf"^\s*{_Q}{_ACR}{_Q}\s*(?:代表|指的是|表示)什么"),
)
# "What does DER mean?" asks the expansion only of an acronym ("What does love mean?" does not)
_MEANS = re.compile(rf"^\s*what\s+(?:does|do)\s+{_KIND}{_Q}{_ACR}{_Q}\s+mean\b", re.I)
_SMALL = {"of", "and", "the", "for", "to", "in", "on", "a", "an", "with", "by", "de", "&", "or"}
_NUMBERS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6"}
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*|&")


@dataclass(frozen=True)
class Expansion:
    acronym: str
    long_form: str  # as the document writes it: "Distinguished Encoding Rules"
    sentence: str  # the sentence that spells it out, quoted with the answer
    chunk: Chunk


def asked_acronym(question: str) -> str | None:
    """The acronym a question asks the long form of ("What does DER stand for?" -> "DER"), or
    None. "What does X mean?" counts only for an acronym (two capitals or more: "vBNS")."""
    for pattern in _ASKS:
        if m := pattern.match(question):
            return m["acr"].rstrip(".")
    m = _MEANS.match(question)
    if m and sum(c.isupper() for c in m["acr"]) >= 2:
        return m["acr"].rstrip(".")
    return None


def _letters(acronym: str) -> str:
    return "".join(c for c in acronym.lower() if c.isalnum())


def _pieces(word: str) -> list[str]:
    """What one word of a long form can give an acronym: its first letter, its capitals
    ("GEnealogical" -> "ge", "eXtensible" -> "x"), a number word's digit ("One" -> "1")."""
    low = word.lower()
    out = [low[0]]
    caps = "".join(c for c in word if c.isupper()).lower()
    if len(caps) >= 2 or (caps and not word[0].isupper()):
        out.append(caps)
    if low in _NUMBERS:
        out.append(_NUMBERS[low])
    return out


def _spells(words: Sequence[str], letters: str) -> bool:
    """Do these words, in order, spell `letters` (each word giving one of its pieces; small
    words, the parts of a hyphenated word after its first, and one lower-case word inside a
    capitalised long form may give nothing)?"""

    titled = bool(words) and words[0][:1].isupper()

    def match(i: int, j: int, skips: int) -> bool:
        if i == len(words):
            return j == len(letters)
        word = words[i]
        if (word.lower() in _SMALL or word.startswith("-")) and match(i + 1, j, skips):
            return True
        # one lower-case word inside a capitalised long form ("Very high-speed Backbone …")
        inside = 0 < i < len(words) - 1
        if skips and titled and word.islower() and inside and match(i + 1, j, skips - 1):
            return True
        return any(
            letters.startswith(p, j) and match(i + 1, j + len(p), skips) for p in _pieces(word)
        )

    return bool(words) and words[0].lower() not in _SMALL and match(0, 0, 1)


def _words_of(text: str) -> list[str]:
    """Words, a hyphenated word's later parts marked with "-": "high-speed" -> high, -speed."""
    out: list[str] = []
    for whole in text.split():
        for k, part in enumerate(re.split(r"-", whole)):
            for w in _WORD.findall(part):
                out.append(("-" if k else "") + w)
    return out


def _long_form_before(text: str, letters: str) -> str | None:
    """The words right before an opening bracket that spell `letters`, shortest first."""
    words = _words_of(text)[-(len(letters) * 2 + 2) :]
    for start in range(len(words) - 1, -1, -1):
        if _spells(words[start:], letters):
            return _as_written(text, words[start:])
    return None


def _as_written(text: str, words: Sequence[str]) -> str:
    """The long form as the text writes it, from its first word to the end of `text`."""
    first = words[0].lstrip("-")
    at = text.rfind(first, 0, len(text) - sum(len(w) for w in words[1:]))
    return " ".join(text[at:].split()).strip(" ,;:") if at >= 0 else " ".join(words)


def expansion_in(text: str, acronym: str) -> tuple[str, str] | None:
    """(long form, the sentence saying it) where `text` spells the acronym out — "Long Form
    (ACR", "Long Form (ACR, …)" or "ACR (Long Form)" — else None."""
    letters = _letters(acronym)
    if len(letters) < 2:
        return None
    esc = re.escape(acronym)
    spans = [line[a:b] for line in text.split("\n") for a, b in split_sentences(line)]
    for part in spans:
        sentence = " ".join(part.split())
        for m in re.finditer(rf"[(（]\s*{esc}(?![A-Za-z0-9])", sentence):
            if found := _long_form_before(sentence[: m.start()], letters):
                return found, sentence
        for m in re.finditer(rf"(?<![A-Za-z0-9]){esc}\s*[(（]([^()（）]{{3,80}})[)）]", sentence):
            inside = m.group(1).split(",")[0].split(";")[0].strip()
            if _spells(_words_of(inside), letters):
                return " ".join(inside.split()), sentence
    return None


def expansions(chunks: Sequence[Chunk], acronym: str) -> list[Expansion]:
    """Every place among these chunks (in the order given) that spells the acronym out."""
    out = []
    for chunk in chunks:
        if found := expansion_in(chunk.text, acronym):
            out.append(Expansion(acronym, found[0], found[1], chunk))
    return out


def most_written(found: Sequence[Expansion]) -> Expansion | None:
    """The long form the documents write most often (ties: the first found), at its first
    place: the answer when a document spells an acronym out more than once."""
    if not found:
        return None
    counts: dict[str, int] = {}
    for e in found:
        key = e.long_form.lower()
        counts[key] = counts.get(key, 0) + 1
    best = max(counts, key=lambda k: counts[k])  # max keeps the first of equal counts
    return next(e for e in found if e.long_form.lower() == best)


SEARCHED = 300  # chunks holding the acronym read for a place that spells it out


def spelled_out_in(kb: Any, acronym: str) -> Expansion | None:
    """Where the KB spells the acronym out (`most_written` of the chunks that hold it), or None."""
    tokens = lexical_tokens(acronym, drop_stopwords=False)
    with kb.snapshot():
        rows = kb.lexical_search(tokens, SEARCHED)
        found = kb.chunks([i for i, _ in rows])
    return most_written(expansions([found[i] for i, _ in rows if i in found], acronym))


def expansion_answer(question: str, standalone: str, found: Expansion, kb: Any) -> Answer:
    """The long form, cited to the sentence that spells it out (no model involved)."""
    c = found.chunk
    sentence = Evidence(1, found.sentence, c.chunk_id, c.file, c.page_start, c.heading_path, 1.0)
    evidence = locate_evidence(kb, [sentence])
    return Answer(
        question=question,
        text=f"{found.long_form} [1]",
        refused=False,
        citations=citations_for(evidence, (1,)),
        standalone_question=standalone if standalone != question else None,
        lang=detect_lang(question),
        evidence=tuple(evidence),
    )
