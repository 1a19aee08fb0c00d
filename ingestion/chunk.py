"""Structure-aware, sentence-aware chunking sized by the embedder's own tokenizer.

Rules:
- text never crosses a heading boundary: a chunk holds blocks of one section (one heading path);
- a chunk, with its heading-path prefix, fits the embedder (`max_chunk_tokens`);
- sentences end at . ! ? (English) and 。！？； (Chinese); a split never falls inside a word or number;
- a table stays whole when it fits, else it is split by rows with its header row repeated;
- overlap (whole sentences, up to `overlap_tokens`) is carried only within a section.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ragchat.sentences import split_sentences
from ragchat.settings import Settings
from ragchat.table_text import closes_section, section_name
from ragchat.text import CJK_CHARS as _CJK
from ragchat.types import Block, Chunk, Document

TokenCounter = Callable[[Sequence[str]], list[int]]
"""Counts the tokens the embedder sees for each text, special tokens included."""

SPECIAL_TOKENS = 2  # [CLS] and [SEP]
MAX_PREFIX_TOKENS = 48  # the heading path never takes more than this share of a chunk
MAX_CONTEXT_TOKENS = 32  # nor the document context line
BLOCK_SEP = "\n\n"
# bump when the same settings would chunk (or parse) a file differently (4: two columns of
# prose beside each other are no longer read as a table; "Anglo-" + "Norman" joins as one word;
# 5: a grid continuing the table above gets its headings, a lone "%" cell joins its amount,
# tables of aligned text are read by column and take the headings stacked above them;
# 6: a compound broken after a hyphen keeps it, "Saint-Clair-" + "sur-Epte", "NP-" + "complete";
# 7: the words of a justified line of prose spread far apart are not a table's cells;
# 8: a table piece repeats the section row its first rows stand under, "| Japan: |  |  |";
# 9: a section title ending in ":" is a row label, never a column heading — "ASSETS:" under a
# balance sheet's dates, and two labels in a row hold one statement together; a row label
# wrapped over two lines is one label, "Total operating" over "expenses | $2,576"; a text
# statement going on below a label or two keeps the dates of the part above; 10: an outline
# heading printed with a section number the outline leaves out, "2.1 ASN.1 syntax", and the bold
# lines under the outline's sections, a manual's "asn1 check version", are headings:
# `ingestion.headings`; a cash-flow section's total, "Cash used in financing activities", closes
# the section, so a table piece below it no longer repeats "| Financing activities: |")
CHUNKER_VERSION = 10

_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+\s*|\s+")


@dataclass(frozen=True, slots=True)
class _Unit:
    """A sentence (or a table row group) with its place in the document text."""

    text: str
    start: int  # offset into the document text
    end: int
    page: int
    bbox: tuple[float, float, float, float]
    tokens: int
    kind: str = "text"


def document_text(doc: Document) -> tuple[str, list[tuple[Block, int]]]:
    """The document's plain text (blocks joined by blank lines) and each block's start offset.

    `Chunk.char_span` indexes into this text.
    """
    parts: list[str] = []
    offsets: list[tuple[Block, int]] = []
    pos = 0
    for page in doc.pages:
        for block in page.blocks:
            if parts:
                parts.append(BLOCK_SEP)
                pos += len(BLOCK_SEP)
            offsets.append((block, pos))
            parts.append(block.text)
            pos += len(block.text)
    return "".join(parts), offsets


@dataclass(frozen=True)
class ChunkConfig:
    """How documents are cut into chunks (token counts of the embedder's tokenizer)."""

    chunk_tokens: int = 200
    max_chunk_tokens: int = 256
    overlap_tokens: int = 32

    @classmethod
    def of(cls, settings: Settings) -> ChunkConfig:
        return cls(settings.chunk_tokens, settings.max_chunk_tokens, settings.overlap_tokens)

    def fingerprint(self) -> str:
        """Stored with each file; files chunked under another fingerprint are re-chunked by the
        next add or sync."""
        return (
            f"v{CHUNKER_VERSION}:{self.chunk_tokens}:{self.max_chunk_tokens}:{self.overlap_tokens}"
        )


def chunk_document(
    doc: Document, count_tokens: TokenCounter, config: ChunkConfig = ChunkConfig()
) -> list[Chunk]:
    """Turn a parsed document into chunks that fit the embedder."""
    chunk_tokens, max_chunk_tokens = config.chunk_tokens, config.max_chunk_tokens
    overlap_tokens = config.overlap_tokens
    if not 16 <= chunk_tokens <= max_chunk_tokens:
        raise ValueError("chunk_tokens must lie in 16..max_chunk_tokens")
    _, offsets = document_text(doc)
    sections = _sections(offsets)
    file = Path(doc.path).name
    context = document_context(doc)

    # Count every heading prefix and sentence of the document in one batched call.
    prefixes = sorted({" > ".join(path) for path, _ in sections if path})
    if context:
        n_context = count_tokens([context])[0] - SPECIAL_TOKENS + 1
        if n_context > MAX_CONTEXT_TOKENS:
            context = context[: len(context) * MAX_CONTEXT_TOKENS // n_context].rstrip()
            n_context = count_tokens([context])[0] - SPECIAL_TOKENS + 1
    else:
        n_context = 0
    raw_units: list[tuple[Block, int, int, int, str]] = []  # block, start, end, section, kind
    for si, (_, blocks) in enumerate(sections):
        for block, base in blocks:
            if block.kind == "table":
                raw_units.extend(
                    (block, base + a, base + b, si, "table") for a, b in _table_rows(block.text)
                )
            else:
                raw_units.extend(
                    (block, base + a, base + b, si, "text")
                    # chunks are packed as CHUNKER_VERSION 6 packed them: a quote may be split
                    for a, b in split_sentences(block.text, whole_quotes=False)
                )
    full_text, _ = document_text(doc)
    counts = count_tokens(prefixes + [full_text[s:e] for _, s, e, _, _ in raw_units])
    prefix_tokens = {
        p: max(0, n - SPECIAL_TOKENS) + 1 for p, n in zip(prefixes, counts, strict=False)
    }
    unit_counts = counts[len(prefixes) :]

    by_section: list[list[_Unit]] = [[] for _ in sections]
    for (block, s, e, si, kind), n in zip(raw_units, unit_counts, strict=True):
        by_section[si].append(
            _Unit(full_text[s:e], s, e, block.page, block.bbox, max(1, n - SPECIAL_TOKENS), kind)
        )

    chunks: list[Chunk] = []
    for (path, _), units in zip(sections, by_section, strict=True):
        if not units:
            continue
        path = _fit_path(path, prefix_tokens)
        prefix = prefix_tokens.get(" > ".join(path), 0) if path else 0
        room = min(chunk_tokens, max_chunk_tokens - SPECIAL_TOKENS) - prefix - n_context
        budget = max(16, room)
        units = _split_long(units, budget, count_tokens)
        for group in _pack(units, budget, overlap_tokens):
            chunk = _make_chunk(doc, file, path, group, full_text, len(chunks))
            chunks.append(replace(chunk, context=context) if context else chunk)
    return _enforce_limit(chunks, count_tokens, max_chunk_tokens)


_NAVIGATION = re.compile(
    r"(?i)^(table of contents|contents|index|item|back to (top|contents)|\(?continued\)?"
    r"|confidential|draft|目录|目錄)$"
)


def document_context(doc: Document) -> str:
    """One line that says which document a chunk comes from: the file name, the title and the
    running title (headers like "Apple Inc. | Q3 2022 Form 10-Q" are dropped from the pages, so
    without this no chunk of a filing would name its company)."""
    parts: list[str] = []
    for part in (Path(doc.path).stem, doc.title, doc.running_title):
        part = " ".join(part.split())
        if not part or _NAVIGATION.match(part):
            continue
        if any(part.lower() in p.lower() for p in parts):
            continue
        parts = [p for p in parts if p.lower() not in part.lower()]
        parts.append(part)
    return " · ".join(parts)


def _sections(
    offsets: list[tuple[Block, int]],
) -> list[tuple[tuple[str, ...], list[tuple[Block, int]]]]:
    """Consecutive non-heading blocks with the same heading path."""
    sections: list[tuple[tuple[str, ...], list[tuple[Block, int]]]] = []
    current: tuple[str, ...] | None = None
    for block, base in offsets:
        if block.kind == "heading":
            current = None  # a heading always closes the section
            continue
        if not block.text.strip():
            continue
        if current is None or block.heading_path != current:
            current = block.heading_path
            sections.append((current, []))
        sections[-1][1].append((block, base))
    return sections


def _fit_path(path: tuple[str, ...], prefix_tokens: dict[str, int]) -> tuple[str, ...]:
    """Drop outer headings (then shorten the last) until the prefix fits its share."""
    while len(path) > 1 and prefix_tokens.get(" > ".join(path), 0) > MAX_PREFIX_TOKENS:
        path = path[1:]
    if path and prefix_tokens.get(" > ".join(path), 0) > MAX_PREFIX_TOKENS:
        path = (path[-1][:120],)
    return path


def _table_rows(text: str) -> list[tuple[int, int]]:
    """A table is one unit; `_split_long` cuts it by rows if it does not fit."""
    stripped = text.strip()
    if not stripped:
        return []
    start = text.index(stripped[0])
    return [(start, start + len(stripped))]


def _split_long(units: list[_Unit], limit: int, count_tokens: TokenCounter) -> list[_Unit]:
    """Split units that alone exceed `limit`: tables by rows (header repeated), text by words."""
    out: list[_Unit] = []
    for unit in units:
        if unit.tokens <= limit:
            out.append(unit)
        elif unit.kind == "table":
            out.extend(_split_table(unit, limit, count_tokens))
        else:
            out.extend(_split_words(unit, limit, count_tokens))
    return out


def _split_words(unit: _Unit, limit: int, count_tokens: TokenCounter) -> list[_Unit]:
    """Words (Latin runs incl. numbers) and single CJK characters; never split inside one."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(unit.text)]
    counts = count_tokens([unit.text[a:b] for a, b in words])
    out: list[_Unit] = []
    first, total = 0, 0
    for i, n in enumerate(counts):
        n = max(0, n - SPECIAL_TOKENS)
        if total + n > limit and i > first:
            out.append(_sub_unit(unit, words[first][0], words[i - 1][1], total))
            first, total = i, 0
        total += n
    out.append(_sub_unit(unit, words[first][0], words[-1][1], total))
    return [u for u in out if u.text]


def _sub_unit(unit: _Unit, a: int, b: int, tokens: int) -> _Unit:
    text = unit.text[a:b]
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    start = unit.start + a + lead
    return _Unit(text, start, start + len(text), unit.page, unit.bbox, max(1, tokens), unit.kind)


def _split_table(unit: _Unit, limit: int, count_tokens: TokenCounter) -> list[_Unit]:
    lines = unit.text.split("\n")
    has_header = len(lines) > 2 and set(lines[1].strip()) <= set("|-: ")
    header = "\n".join(lines[:2]) if has_header else ""
    rows = lines[2:] if has_header else lines
    counts = count_tokens([header, *rows])
    header_tokens = max(0, counts[0] - SPECIAL_TOKENS)
    out: list[_Unit] = []
    pos = unit.start + (len(header) + 1 if has_header else 0)
    buf: list[str] = []
    buf_start, total = pos, header_tokens
    section, section_tokens = "", 0  # the section row the rows stand under ("| Japan: | | |")
    for row, n in zip(rows, counts[1:], strict=True):
        n = max(0, n - SPECIAL_TOKENS) + 1
        if buf and total + n > limit:
            text = "\n".join([header, *buf]) if header else "\n".join(buf)
            out.append(_Unit(text, buf_start, pos - 1, unit.page, unit.bbox, total, "table"))
            buf, buf_start, total = [], pos, header_tokens
            if section and not _section_row(row) and total + section_tokens + n <= limit:
                buf, total = [section], total + section_tokens  # what the rows are of
        buf.append(row)
        total += n
        pos += len(row) + 1
        if _section_row(row):
            section, section_tokens = row, n
        elif closes_section(_first_cell(row), _first_cell(section)):
            section = ""  # "| Total current assets | …" closes its section
    if buf:
        text = "\n".join([header, *buf]) if header else "\n".join(buf)
        out.append(_Unit(text, buf_start, pos - 1, unit.page, unit.bbox, total, "table"))
    # A single row that is still too long is split like text.
    return [
        p for u in out for p in ([u] if u.tokens <= limit else _split_words(u, limit, count_tokens))
    ]


def _first_cell(row: str) -> str:
    """A markdown table row's first cell, without its section colon ("Financing activities")."""
    return row.strip().strip("|").split("|")[0].strip().rstrip(":：").strip() if row else ""


def _section_row(row: str) -> bool:
    """Does a markdown table row only name a section ("| Japan: |  |  |")?"""
    return bool(section_name(row.strip().strip("|").split("|")))


def _pack(units: list[_Unit], budget: int, overlap: int) -> list[list[_Unit]]:
    """Greedy packing of sentences into chunks, with sentence overlap inside the section."""
    groups: list[list[_Unit]] = []
    cur: list[_Unit] = []
    total = 0
    fresh = 0  # units in `cur` that are not overlap from the previous chunk
    for unit in units:
        if cur and total + unit.tokens > budget:
            if fresh:
                groups.append(cur)
            cur, total, fresh = _overlap_tail(cur, overlap, budget - unit.tokens)
        cur.append(unit)
        total += unit.tokens
        fresh += 1
    if cur and fresh:
        groups.append(cur)
    return groups


def _overlap_tail(units: list[_Unit], overlap: int, room: int) -> tuple[list[_Unit], int, int]:
    tail: list[_Unit] = []
    total = 0
    for unit in reversed(units):
        if unit.kind == "table" or total + unit.tokens > min(overlap, room):
            break
        tail.insert(0, unit)
        total += unit.tokens
    return tail, total, 0


def _make_chunk(
    doc: Document, file: str, path: tuple[str, ...], group: list[_Unit], full: str, ordinal: int
) -> Chunk:
    start, end = group[0].start, group[-1].end
    text = full[start:end] if all(u.text == full[u.start : u.end] for u in group) else None
    if text is None:  # table pieces repeat their header row: rebuild from the units
        text = "\n".join(u.text for u in group)
    seen: dict[tuple[int, tuple[float, float, float, float]], None] = {}
    for u in group:
        seen.setdefault((u.page, u.bbox), None)
    bboxes = tuple((p, *b) for p, b in seen)
    return Chunk(
        chunk_id=f"{doc.doc_id[:16]}:{ordinal}",
        doc_id=doc.doc_id,
        file=file,
        text=text,
        heading_path=path,
        page_start=min(u.page for u in group),
        page_end=max(u.page for u in group),
        char_span=(start, end),
        kind="table" if any(u.kind == "table" for u in group) else "text",
        bboxes=bboxes,
        ordinal=ordinal,
        n_tokens=sum(u.tokens for u in group),
    )


def _enforce_limit(chunks: list[Chunk], count_tokens: TokenCounter, limit: int) -> list[Chunk]:
    """Record each chunk's exact token count as the embedder sees it; halve any that overflow."""
    if not chunks:
        return chunks
    counts = count_tokens([c.embed_text() for c in chunks])
    out: list[Chunk] = []
    for chunk, n in zip(chunks, counts, strict=True):
        if n <= limit or len(chunk.text) < 8:
            out.append(replace(chunk, n_tokens=n))
            continue
        cut = _safe_cut(chunk.text)
        a, b = chunk.char_span
        halves = [
            replace(chunk, text=chunk.text[:cut].rstrip(), char_span=(a, min(b, a + cut))),
            replace(chunk, text=chunk.text[cut:].lstrip(), char_span=(min(b, a + cut), b)),
        ]
        out.extend(_enforce_limit(halves, count_tokens, limit))
    return [replace(c, chunk_id=f"{c.doc_id[:16]}:{i}", ordinal=i) for i, c in enumerate(out)]


def _safe_cut(text: str) -> int:
    """A cut near the middle that falls between words (or between CJK characters)."""
    mid = len(text) // 2
    for delta in range(mid):
        for i in (mid - delta, mid + delta):
            if 0 < i < len(text) and (text[i].isspace() or re.match(f"[{_CJK}]", text[i])):
                return i
    return mid


def truncated(chunks: Sequence[Chunk], limit: int) -> int:
    """How many chunks the embedder would truncate (goal: 0)."""
    return sum(1 for c in chunks if c.n_tokens > limit)
