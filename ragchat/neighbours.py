"""What the chunks next to a hit add to it: the table a hit introduces, and the sentence a hit's
first sentence leans on.

The chunker cuts at sentence ends and carries whole sentences over only up to `overlap_tokens`
(`ingestion.chunk`), so a chunk can start "Their style was characterised by rounded arches …"
with the sentence naming "Norman architecture" left in the chunk before. Read alone, that
sentence neither scores for "What characterised Norman architecture?" nor says whose style it
is when quoted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ragchat.sentences import rejoin_broken_lines, split_sentences, without_editorial_tags
from ragchat.table_text import is_table
from ragchat.types import Chunk, Hit

# a sentence that leans on the one before it for what it is about
PRONOUN_START = re.compile(
    r"^(?:he|she|it|they|this|these|that|those|his|her|its|their|such)\b|^(?:他|她|它|其|该|此|这)"
    # openings that lean on the sentence before as a pronoun does: "To use it, pass in the first
    # 1 to 8 bytes …" says how to use "a simple check to see if a file is a PNG file"
    r"|^(?:to (?:use|do|call|run) (?:it|this|that|so)|in (?:this|that|such a) case|as a result)\b",
    re.IGNORECASE,
)
_INTRODUCES_TABLE = re.compile(
    r":\s*$|\b(?:as follows|following table|table below)\b|\b(?:Three|Six|Nine|Twelve) Months Ended"
    r"|如下[:：]?\s*$|见下表",
    re.IGNORECASE,
)


def chunk_sentences(text: str, lang: str) -> list[str]:
    """A text chunk's sentences, whitespace collapsed, line by line, in order."""
    clean = without_editorial_tags(rejoin_broken_lines(text, lang))
    return [
        " ".join(line[a:b].split())
        for line in clean.split("\n")
        for a, b in split_sentences(line)
        if b - a >= 4
    ]


def tables_introduced(kb: Any, hits: Sequence[Hit]) -> list[Hit]:
    """The table that follows a hit ending in "...as follows (in millions):" or a header line:
    the figures a question asks for are often in the next chunk."""
    wanted = {
        _next_id(h.chunk, 1): h
        for h in hits
        if h.chunk.kind != "table" and _INTRODUCES_TABLE.search(h.chunk.text[-200:])
    }
    have = {h.chunk.chunk_id for h in hits}
    finder = getattr(kb, "chunks_by_id", None)
    if not wanted or finder is None:
        return []
    return [
        Hit(c, wanted[c.chunk_id].score, wanted[c.chunk_id].rank)
        for c in finder([i for i in wanted if i not in have])
        if is_table(c)
    ]


def sentences_before(kb: Any, hits: Sequence[Hit], lang: str) -> dict[str, str]:
    """chunk_id → the sentence before the chunk, for each text hit whose first sentence starts
    with a pronoun, when the chunk before is text of the same document and section. A sentence
    the chunk already holds (carried over as overlap) is passed over."""
    firsts = {h.chunk.chunk_id: chunk_sentences(h.chunk.text, lang)[:1] for h in hits}
    wanted = {
        _next_id(h.chunk, -1): h.chunk
        for h in hits
        if h.chunk.kind != "table"
        and h.chunk.ordinal > 0
        and firsts[h.chunk.chunk_id]
        and PRONOUN_START.match(firsts[h.chunk.chunk_id][0])
    }
    finder = getattr(kb, "chunks_by_id", None)
    if not wanted or finder is None:
        return {}
    before: dict[str, str] = {}
    for prev in finder(list(wanted)):
        chunk = wanted.get(prev.chunk_id)
        if chunk is None or is_table(prev) or prev.doc_id != chunk.doc_id:
            continue
        if prev.heading_path != chunk.heading_path:
            continue  # another section: its last sentence is not what this one goes on from
        own = " ".join(chunk.text.split())
        earlier = [s for s in chunk_sentences(prev.text, lang) if s not in own]
        if not earlier:
            continue
        last = earlier[-1]
        if PRONOUN_START.match(last) and len(earlier) > 1:  # it leans on the one before
            last = ("" if lang == "zh" else " ").join(earlier[-2:])
        before[chunk.chunk_id] = last
    return before


def _next_id(chunk: Chunk, step: int) -> str:
    return f"{chunk.doc_id[:16]}:{chunk.ordinal + step}"
