"""Evidence first: the few sentences of the retrieved chunks that best answer the question.

A small model cannot read five 200-token chunks and answer well. It reads these instead: each
chunk is split into sentences (table rows become "header: value" lines), every sentence is
scored against the question, and the best few, within a token budget, are numbered [1]..[n].

Score per sentence (English): 0.45 x embedder cosine + 0.45 x IDF-weighted share of the
question's terms it contains (with its document's name and headings) + a bonus when it holds what the question asks for (a number for
"how many", a year for "when", a name for "who") + a bonus for the sentence that defines what
"What is X?" asks about (`ragchat.definition`) + a small prior for the chunk's rank. Chinese
leans on the term share alone (the embedder is English-only). A sentence addressed to an AI
assistant (see `ragchat.injection`) is never evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ragchat import question_kind as qk
from ragchat.definition import definition_bonus
from ragchat.injection import addresses_assistant
from ragchat.sentences import rejoin_broken_lines, split_sentences, without_editorial_tags
from ragchat.text import lexical_tokens, plain, term_present
from ragchat.types import Evidence, Hit

MAX_EVIDENCE = 4
HEADING_CREDIT = 0.75  # a question term found only in the headings counts this much
EVIDENCE_CHARS = {"en": 900, "zh": 400}  # budget for the numbered sentences in the prompt
MAX_SENTENCE_CHARS = {"en": 400, "zh": 160}
DENSE_WEIGHT = {"en": 0.45, "zh": 0.0}
_PRONOUN_START = re.compile(
    r"^(?:he|she|it|they|this|these|that|those|his|her|its|their|such)\b|^(?:他|她|它|其|该|此|这)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿两]")
_YEAR = re.compile(r"\b1\d{3}\b|\b20\d{2}\b|\d{2,4}年|世纪")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str
    hit: Hit
    score: float


def sentences_of(hit: Hit, lang: str) -> list[str]:
    """The chunk's sentences; table rows as "header: value; ..." lines; a sentence that leans
    on a pronoun carries the sentence before it; a sentence a page break split is one again;
    an encyclopedia's "[citation needed]" is not read."""
    chunk = hit.chunk
    if chunk.kind == "table" or chunk.text.lstrip().startswith("|"):
        return table_rows(chunk.text)
    out: list[str] = []
    limit = MAX_SENTENCE_CHARS.get(lang, 400)
    for line in without_editorial_tags(rejoin_broken_lines(chunk.text, lang)).split("\n"):
        previous = ""
        for a, b in split_sentences(line):
            s = " ".join(line[a:b].split())
            if len(s) < 4:
                continue
            joined = f"{previous}{s}" if lang == "zh" else f"{previous} {s}"
            text = joined if previous and _PRONOUN_START.match(s) else s
            if len(text) > limit * 1.5:
                text = s
            out.append(text[: limit * 2])
            previous = s
    return out


def table_grid(text: str) -> list[list[str]]:
    """A markdown table's rows as lists of cells (header first, the |---| line left out), with
    a financial statement's split currency and percent cells joined (`_rejoin_signs`,
    `_rejoin_percents`)."""
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.strip().startswith("|") and not re.fullmatch(r"[\s|:\-]+", line)
    ]
    if len(rows) > 1 and _values_only(rows[0]):
        rows = [[""] * len(rows[0]), *rows]  # a data row the layout took for the header
    return _rejoin_signs(_rejoin_percents(rows)) if len(rows) > 1 else rows


_VALUE = re.compile(r"[$€£¥%]|[$€£¥]?\(?[-−]?[\d,.]*\d\)?%?|[—–-]")
_YEAR_CELL = re.compile(r"(?:19|20)\d\d")


def _values_only(header: list[str]) -> bool:
    """Is this "header" a row of values ("Products | 34.5 | % | 36.0 | %")? The layout takes the
    first row for the header when the real one stands apart; read as a header, its values named
    every column ("Services; 34.5: 71.5"). A header of years ("2022 | 2023") is a header."""
    cells = [c for c in header[1:] if c]
    numbers = [c for c in cells if re.search(r"\d", c)]
    return (
        bool(numbers)
        and all(_VALUE.fullmatch(c) for c in cells)
        and not all(_YEAR_CELL.fullmatch(c) for c in numbers)
    )


def _rejoin_percents(rows: list[list[str]]) -> list[list[str]]:
    """A change column prints its "%" in a column of its own with no heading ("Change | " over
    "2 | %"), so a row read "Change: 2; %". Such a column is joined to the one before it
    ("Change: 2%"). Only a column whose heading is empty and whose cells are all "%" or empty,
    in a table whose rows are as wide as its header."""
    header, body = rows[0], rows[1:]
    if any(len(row) != len(header) for row in body):
        return rows
    lone = [
        j
        for j in range(1, len(header))
        if not header[j]
        and all(row[j] in ("%", "") for row in body)
        and any(row[j] == "%" and row[j - 1] for row in body)
    ]
    if not lone:
        return rows
    out = []
    for row in rows:
        cells = list(row)
        for j in lone:
            if cells[j] == "%" and cells[j - 1]:
                cells[j - 1] += "%"
        out.append([c for j, c in enumerate(cells) if j not in lone])
    return out


_SIGN = re.compile(r"[$€£¥]")


def _rejoin_signs(rows: list[list[str]]) -> list[list[str]]:
    """Financial statements print the currency sign in a column of its own, so a row reads
    "Net income | $ | (3,844) | $ | 3,172" under a header "2022 | 2023" that has no cell for the
    labels: every value stood under the wrong year. The sign is joined to its value
    ("$(3,844)"), and a header with as many names as the rows have values is moved past the
    label column. Tables without a lone sign cell are left as they are."""
    header, body = rows[0], rows[1:]
    if not any(_SIGN.fullmatch(c) for row in body for c in row):
        return rows
    joined = []
    for row in body:
        out: list[str] = []
        for cell in row:
            if out and _SIGN.fullmatch(out[-1]) and cell:
                out[-1] += cell
            else:
                out.append(cell)
        joined.append(out)
    names = [h for h in header if h]
    values = max(len([c for c in row[1:] if c]) for row in joined)
    if names and len(names) == values and not any(_SIGN.fullmatch(h) for h in header):
        header = ["", *names]
    return [header, *joined]


def table_rows(text: str) -> list[str]:
    """Markdown table rows as "header: value; header: value" lines."""
    rows = table_grid(text)
    if not rows:
        return [" ".join(text.split())] if text.strip() else []
    if prose_grid(rows):  # running text the layout cut into columns: its prose lines only
        prose = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("|")]
        return [" ".join(p[a:b].split()) for p in prose for a, b in split_sentences(p) if b > a + 3]
    header, body = rows[0], rows[1:]
    out = []
    for row in body:
        cells = [
            f"{h}: {v}" if h and h != v else v
            for h, v in zip(header + [""] * len(row), row, strict=False)
            if v
        ]
        if cells:
            out.append("; ".join(cells))
    return out or ["; ".join(c for c in header if c)]


def row_cells(row: str) -> list[tuple[str, str]]:
    """The cells of a row as `table_rows` writes it, as (header, value) pairs; a cell without a
    header (the row's label) comes back with an empty header."""
    pairs = []
    for cell in row.split("; "):
        header, sep, value = cell.rpartition(": ")
        pairs.append((header, value) if sep else ("", cell))
    return pairs


def focus_row(row: str, question: str) -> str:
    """A table row as `table_rows` writes it ("label; header: value; ..."), cut to its label and
    the cells whose headers the question names most: "Total net sales; Three Months Ended June
    25, 2022: $82,959" for a question about that quarter, not all eight columns. Rows whose
    headers the question does not name, and sentences, come back whole."""
    cells = row.split("; ")
    headed = [(i, h) for i, (h, _) in enumerate(row_cells(row)) if h]
    if len(cells) < 3 or len(headed) < 2 or any(len(c) > 120 for c in cells):
        return row  # a sentence with semicolons, not a row of cells
    asked = set(lexical_tokens(question))
    score = {i: len(asked & set(lexical_tokens(h))) for i, h in headed}
    best = max(score.values())
    keep = {i for i, v in score.items() if v == best}
    if best == 0 or len(keep) == len(headed):
        return row
    return "; ".join(c for i, c in enumerate(cells) if i in keep or (i == 0 and ": " not in c))


def prose_grid(rows: list[list[str]]) -> bool:
    """A "table" whose cells are mostly single lowercase words is running text that a two-column
    layout cut into cells, not data: as rows it would read "science: between; are: analysis"."""
    cells = [c for row in rows for c in row if c]
    words = [c for c in cells if re.fullmatch(r"[a-z][a-z'’\-]*[.,;:]?", c)]
    return len(cells) >= 6 and len(words) >= 0.5 * len(cells)


def term_share(sentence: str, weights: Mapping[str, float]) -> float:
    """IDF-weighted share of the question's terms found in the sentence."""
    norm = sum(weights.values())
    if norm <= 0:
        return 0.0
    low = sentence.lower()
    present = set(lexical_tokens(low, drop_stopwords=False))
    return sum(w for t, w in weights.items() if term_present(t, present, low)) / norm


def answer_type_bonus(question: str, sentence: str) -> float:
    """A little credit when the sentence holds the kind of thing the question asks for."""
    if qk.ASKS_TIME.search(question):
        return 0.1 if _YEAR.search(sentence) else 0.0
    if qk.ASKS_NUMBER.search(question) or (
        qk.ASKS_AMOUNT.search(question) and not qk.ASKS_WHO.search(question)
    ):
        return 0.1 if _NUMBER.search(sentence) else 0.0
    if qk.ASKS_WHO.search(question):
        qwords = set(re.findall(r"[A-Z][a-z]+", question))
        names = {m.group(0) for m in _NAME.finditer(sentence)} - qwords
        return 0.1 if names or not question.isascii() else 0.0
    return 0.0


def select_evidence(
    question: str,
    hits: Sequence[Hit],
    *,
    lang: str,
    weights: Mapping[str, float],
    embedder: Any = None,
    k: int = MAX_EVIDENCE,
) -> list[Evidence]:
    """The best k sentences of the hits for this question, numbered from 1, best first."""
    pool: list[tuple[str, Hit]] = []
    seen: set[str] = set()
    asked = _letters(question)
    for hit in hits:
        for s in sentences_of(hit, lang):
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
                + 0.06 / hit.rank
            ),
        )
        for i, (s, hit) in enumerate(pool)
    ]
    scored.sort(key=lambda c: -c.score)
    chosen = _choose(scored, k, EVIDENCE_CHARS.get(lang, 900))
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
        )
        for i, c in enumerate(chosen)
    ]


def _letters(text: str) -> str:
    """The text's letters and digits only, lower-cased: for "says only what the question says"."""
    return re.sub(r"[\W_]+", "", text.lower())


def _choose(scored: Sequence[Candidate], k: int, budget: int) -> list[Candidate]:
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


def _where(hit: Hit) -> str:
    """What names the sentence's place: the document, its headings, and a table's caption."""
    c = hit.chunk
    parts = [c.context or c.file, *c.heading_path]
    if c.kind == "table" or c.text.lstrip().startswith("|"):
        parts += [line for line in c.text.splitlines()[:3] if not line.lstrip().startswith("|")]
    return " ".join(parts)


def _page_of(sentence: str, hit: Hit) -> int:
    """The page the sentence is on: the chunk's first page unless the chunk spans pages and
    the sentence sits in its later part."""
    chunk = hit.chunk
    if chunk.page_start == chunk.page_end or not chunk.bboxes:
        return chunk.page_start
    pos = chunk.text.find(sentence[:40])
    if pos < 0:
        return chunk.page_start
    pages = sorted({b[0] for b in chunk.bboxes})
    share = pos / max(1, len(chunk.text))
    return pages[min(len(pages) - 1, int(share * len(pages)))]
