"""Evidence first: the few sentences of the retrieved chunks that best answer the question.

A small model cannot read five 200-token chunks and answer well. It reads these instead: each
chunk is split into sentences (table rows become "header: value" lines), every sentence is
scored against the question, and the best few, within a token budget, are numbered [1]..[n].

Score per sentence (English): 0.45 x embedder cosine + 0.45 x IDF-weighted share of the
question's terms it contains (with its document's name and headings) + a bonus when it holds
what the question asks for (a number for "how many", a year for "when", a name for "who") + a
bonus for the sentence that defines what "What is X?" asks about (`ragchat.definition`) + a
bonus for the table row whose label the question names (`ragchat.table_text.label_named`) + a
small prior for the chunk's rank. Chinese leans on the term share alone (the embedder is
English-only). A sentence addressed to an AI assistant (see `ragchat.injection`) is never
evidence. How tables become rows: `ragchat.table_text`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from ragchat import choice
from ragchat import question_kind as qk
from ragchat.choice import Candidate
from ragchat.definition import definition_bonus
from ragchat.entries import defined_term, inline_term
from ragchat.injection import addresses_assistant
from ragchat.near_miss import acronyms_in
from ragchat.neighbours import PRONOUN_START
from ragchat.sentences import rejoin_broken_lines, split_sentences, without_editorial_tags
from ragchat.table_text import is_table, label_named, label_quoted, period_named, table_rows
from ragchat.text import identifier_words, lexical_tokens, plain, term_present
from ragchat.types import Evidence, Hit

MAX_EVIDENCE = 4
HEADING_CREDIT = 0.75  # a question term found only in the headings counts this much
EVIDENCE_CHARS = {"en": 900, "zh": 400}  # budget for the numbered sentences in the prompt
MAX_SENTENCE_CHARS = {"en": 400, "zh": 160}
DENSE_WEIGHT = {"en": 0.45, "zh": 0.0}
# credit for a table row whose label the question names in full ("Net income" for "What was
# net income for …?"): a statement's rows share the question's period words and read alike to
# the embedder, so without it "Total other income/(expense), net" scored as well
ROW_LABEL_BONUS = 0.1
ITEM_LABEL = 0.1  # a numbered list item the question names by its number (`_item_label`)
_NUMBER = re.compile(
    r"\d[\d,.]*|[一二三四五六七八九十百千万亿两]+|\b(?:one|two|three|four|five|six|seven|eight|nine"
    r"|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|half"
    r"|fifth)\b",
    re.IGNORECASE,
)
# a form's caption under the value it names: "(Address of principal executive offices) (Zip Code)"
_CAPTION = re.compile(r"(?:\([^()]{3,80}\)\s*)+")
_YEAR = re.compile(r"\b1\d{3}\b|\b20\d{2}\b|\d{2,4}年|世纪")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+")


def sentences_of(hit: Hit, lang: str, before: str = "") -> list[str]:
    """The chunk's sentences; table rows as "header: value; ..." lines; a sentence that leans
    on a pronoun carries the sentence before it (for the chunk's first sentence: `before`, the
    last one of the chunk before); a form's caption in brackets carries the line above it (for
    the chunk's first line: its last heading, "One Apple Park Way Cupertino, California 95014"
    over "(Address of principal executive offices) (Zip Code)"); a sentence a page break split
    is one again; an encyclopedia's "[citation needed]" is not read."""
    chunk = hit.chunk
    if is_table(hit.chunk):
        return table_rows(chunk.text)
    out: list[str] = []
    limit = MAX_SENTENCE_CHARS.get(lang, 400)
    above = chunk.heading_path[-1] if chunk.heading_path else ""
    term = above if len(chunk.heading_path) > 1 and defined_term(above) else ""
    for line in without_editorial_tags(rejoin_broken_lines(chunk.text, lang)).split("\n"):
        previous = "" if out else before
        entry = inline_term(line) or term
        for s in bullet_sentences(line):
            if len(s) < 4 or _LEADER.search(s):
                continue
            if _CAPTION.fullmatch(s) and (value := out[-1] if out else above):
                out.append(f"{value} {s}"[: limit * 2])  # what the caption names stands above it
                continue
            joined = f"{previous}{s}" if lang == "zh" else f"{previous} {s}"
            leans = bool(previous and PRONOUN_START.match(s))
            text = joined if leans and len(joined) <= limit * 1.5 else s
            previous = text  # "They spread …" after "Norman architecture …" carries both on
            if entry and plain(entry) not in plain(text):  # an entry's sentence is said of
                text = f"{entry}: {text}"  # its term (`ragchat.entries`)
            out.append(text[: limit * 2])
    return out


# a list item's mark where a paragraph runs several items together ("… or later. • Thread-safety.
# No global variables are used …"): each item starts a sentence of its own
_BULLET = re.compile(r"(?:^|\s)[•▪◦‣●■►]\s+")
# the dots leading to a page number in a table of contents or an index ("Supported ASN.1 types,
# list of . . . . 1"): such a line says where to look, not what the document says
_LEADER = re.compile(r"(?:\.\s?){5,}")
# an item's lead-in ("Thread-safety.", "Portability:"): a label for the sentence after it
_LEAD_IN = re.compile(r"(?:[\w’'/-]+\s){0,2}[\w’'/-]+[.:]")


# an English sentence's end run into a Chinese one by the parser's line join ("… text to a
# line.提示：a、i 和 A 都会…", the Chinese vimtutor): two sentences
_LATIN_END_THEN_CJK = re.compile(r"(?<=[a-z]{2}[.!?])(?=[\u4e00-\u9fff])")


def bullet_sentences(line: str) -> list[str]:
    """The line's sentences, whitespace collapsed; a list item run into the line starts a
    sentence of its own, without its mark, and an item's short lead-in ("Thread-safety.") stays
    with the sentence after it: "Thread-safety. No global variables are used …"."""
    out: list[str] = []
    for i, item in enumerate(_BULLET.split(line)):  # items after the first follow a mark
        parts = [
            " ".join(piece.split())
            for a, b in split_sentences(item)
            for piece in _LATIN_END_THEN_CJK.split(item[a:b])
        ]
        if i and len(parts) > 1 and _LEAD_IN.fullmatch(parts[0]):
            parts[:2] = [f"{parts[0]} {parts[1]}"]
        out += parts
    return out


def term_share(sentence: str, weights: Mapping[str, float]) -> float:
    """IDF-weighted share of the question's terms found in the sentence. A Chinese compound and
    the words search-mode segmentation cuts out of it (环境变量: 环境, 变量, 环境变) weigh together
    what the heaviest of them weighs, shared in proportion: counted four times, they outweighed
    "MANWIDTH" in "MANWIDTH 环境变量有什么作用？", and a sentence holding only some of the parts
    ("卫星…通信" for 通信卫星) still counts for only some of them."""
    scaled = _weigh_compounds(tuple(weights.items()))
    norm = sum(scaled.values())
    if norm <= 0:
        return 0.0
    low = sentence.lower()
    present = set(lexical_tokens(low, drop_stopwords=False))
    present |= set(lexical_tokens(identifier_words(sentence).lower(), drop_stopwords=False))
    return sum(w for t, w in scaled.items() if term_present(t, present, low)) / norm


@lru_cache(maxsize=64)  # one question's weights, asked for every sentence of its evidence
def _weigh_compounds(items: tuple[tuple[str, float], ...]) -> dict[str, float]:
    weights = dict(items)
    scaled = dict(weights)
    for group in _compounds(weights):
        if len(group) > 1:
            total = sum(weights[t] for t in group)
            for t in group:
                scaled[t] = weights[t] * max(weights[t] for t in group) / total
    return scaled


def _compounds(weights: Mapping[str, float]) -> list[list[str]]:
    """The question's terms grouped: each Chinese term of two characters or more with the longer
    term that holds it."""
    terms = sorted(weights, key=len, reverse=True)
    groups: list[list[str]] = []
    for t in terms:
        # (a single character stands apart: 语 of 勉语 is as often a word of its own, 英语)
        home = (
            next((g for g in groups if t in g[0]), None) if len(t) > 1 and not t.isascii() else None
        )
        if home is None:
            groups.append([t])
        else:
            home.append(t)
    return groups


def answer_type_bonus(question: str, sentence: str) -> float:
    """A little credit when the sentence holds the kind of thing the question asks for: a year
    (even one the question names: "When did the 1973 oil crisis begin?" - "in October 1973"), a
    number the question does not already give, a year aside ("the third quarter of 2022 compared
    to the third quarter of 2021" holds no answer to
    "What was the revenue from Greater China in the third quarter of 2022?", the row "Greater
    China; Three Months Ended June 25, 2022: 14,604" does)."""
    if qk.ASKS_TIME.search(question):
        return 0.1 if _YEAR.search(sentence) else 0.0
    if qk.ASKS_NUMBER.search(question) or (
        qk.ASKS_AMOUNT.search(question) and not qk.ASKS_WHO.search(question)
    ):
        return 0.1 if _new_number(sentence, question) else 0.0
    if qk.ASKS_WHO.search(question):
        qwords = set(re.findall(r"[A-Z][a-z]+", question))
        names = {m.group(0) for m in _NAME.finditer(sentence)} - qwords
        return 0.1 if names or not question.isascii() else 0.0
    return 0.0


def _new_number(sentence: str, question: str) -> bool:
    """Does the sentence hold a number the question lacks, a year aside ("14,604", not the
    "2021" of "compared to the third quarter of 2021")?"""
    given = {m.rstrip(",.").lower() for m in _NUMBER.findall(question)}
    return any(
        (n := m.rstrip(",.").lower()) not in given and not _YEAR.fullmatch(n)
        for m in _NUMBER.findall(sentence)
    )


def select_evidence(
    question: str,
    hits: Sequence[Hit],
    *,
    lang: str,
    weights: Mapping[str, float],
    embedder: Any = None,
    k: int = MAX_EVIDENCE,
    before: Mapping[str, str] | None = None,
) -> list[Evidence]:
    """The best k sentences of the hits for this question, numbered from 1, best first.
    `before` gives the sentence before a chunk whose first sentence leans on it
    (`ragchat.neighbours.sentences_before`)."""
    before = before or {}
    pool: list[tuple[str, Hit]] = []
    seen: set[str] = set()
    asked = _letters(question)
    for hit in hits:
        for s in sentences_of(hit, lang, before.get(hit.chunk.chunk_id, "")):
            key = plain(s)
            if key in seen or addresses_assistant(s) or _letters(s) in asked:
                continue  # (a title the question names, "伊维卡·奥利奇", tells nothing new)
            seen.add(key)
            pool.append((s, hit))
    if not pool:
        return []
    # the question's terms are looked for in the sentence and in what names its document (file,
    # running title, headings): "Intel's Q1 2023 R&D" picks the sentence of the right filing
    # ...at a discount: where two sentences of a section both fit, the one that itself names
    # the section's subject ("广茂铁路全长364.6公里" over "广三铁路全长49公里") is the answer
    lexical = np.array(
        [
            HEADING_CREDIT * term_share(f"{_where(hit)}\n{s}", weights)
            + (1 - HEADING_CREDIT) * term_share(s, weights)
            for s, hit in pool
        ],
        dtype=np.float32,
    )
    # a sentence that only introduces a table ("... were as follows (in millions):") states no
    # fact: the table's rows do
    lexical -= np.array([0.15 if s.rstrip().endswith((":", "：")) else 0.0 for s, _ in pool])
    w_dense = DENSE_WEIGHT.get(lang, 0.45) if embedder is not None else 0.0
    if w_dense > 0:
        vecs = embedder.embed([question, *(s for s, _ in pool)])
        dense = vecs[1:] @ vecs[0]
    else:
        dense = np.zeros(len(pool), dtype=np.float32)
    w_lex = 1.0 - w_dense
    scored = [
        Candidate(
            s,
            hit,
            float(
                w_dense * dense[i]
                + w_lex * lexical[i]
                + answer_type_bonus(question, s)
                + definition_bonus(question, s)
                + (_row_bonus(s, question) if is_table(hit.chunk) else 0.0)
                + _item_label(question, s)
                + 0.06 / hit.rank
            ),
        )
        for i, (s, hit) in enumerate(pool)
    ]
    scored.sort(key=lambda c: -c.score)
    chosen = choice.with_the_named_row(
        question, scored, choice.choose(scored, k, EVIDENCE_CHARS.get(lang, 900)), k
    )
    if choice.ASKS_HOW.search(question):
        chosen = [choice.with_what_follows(c, scored) for c in chosen]
    return [
        Evidence(
            n=i + 1,
            text=c.text,
            chunk_id=c.hit.chunk.chunk_id,
            file=c.hit.chunk.file,
            page=_page_of(c.text, c.hit),
            heading_path=c.hit.chunk.heading_path,
            score=round(c.score, 4),
            bboxes=c.hit.chunk.bboxes,
            acronyms=acronyms_in(c.hit.chunk.text),
        )
        for i, c in enumerate(chosen)
    ]


def _letters(text: str) -> str:
    """The text's letters and digits only, lower-cased: for "says only what the question says"."""
    return re.sub(r"[\W_]+", "", text.lower())


# a list item's number ("1 用法、语法或配置文件出错。", "3. Restart the device."), and the small
# numbers a question names ("man 的退出状态 1 表示什么？"): not years, amounts or percentages
_ITEM_NUMBER = re.compile(r"^\s*(\d{1,3})[.)]?\s+(?=[^\d\s])")
_SMALL_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?![\d.,%])")


def _item_label(question: str, sentence: str) -> float:
    """ITEM_LABEL for the list item whose number the question names, as much off another item of
    the list: "3 子进程返回了非零的退出状态码。" held more of "man 的退出状态 1 表示什么？" than
    "1 用法、语法或配置文件出错。" does. 0.0 for a sentence that is no numbered item, or a question
    that names no small number."""
    m = _ITEM_NUMBER.match(sentence)
    asked = set(_SMALL_NUMBER.findall(question)) if m else set()
    if not asked:
        return 0.0
    return ITEM_LABEL if m[1] in asked else -ITEM_LABEL


def _row_bonus(row: str, question: str) -> float:
    """ROW_LABEL_BONUS for a row the question names by its label, twice that when a header of
    the row also names the question's date (the same line of that quarter's filing), and up to
    once more as the question quotes a longer label word for word (`label_quoted`)."""
    if not label_named(row, question):
        return 0.0
    quoted = min(1.0, label_quoted(row, question) / 50)  # the longer label it quotes, the closer
    return ROW_LABEL_BONUS * ((2 if period_named(row, question) else 1) + quoted)


def _where(hit: Hit) -> str:
    """What names the sentence's place: the document, its headings, and a table's caption."""
    c = hit.chunk
    parts = [c.context or c.file, *c.heading_path]
    if is_table(hit.chunk):
        parts += [line for line in c.text.splitlines()[:3] if not line.lstrip().startswith("|")]
    return " ".join(parts)


def _page_of(sentence: str, hit: Hit) -> int:
    """The page the sentence is on: the chunk's first page unless the chunk spans pages and
    the sentence sits in its later part."""
    chunk = hit.chunk
    if chunk.page_start == chunk.page_end or not chunk.bboxes:
        return chunk.page_start
    pos = chunk.text.find(sentence[:40])
    if pos < 0 and ": " in sentence:  # a definition list's term before its sentence
        pos = chunk.text.find(sentence.split(": ", 1)[1][:40])
    if pos < 0:
        return chunk.page_start
    pages = sorted({b[0] for b in chunk.bboxes})
    share = pos / max(1, len(chunk.text))
    return pages[min(len(pages) - 1, int(share * len(pages)))]
