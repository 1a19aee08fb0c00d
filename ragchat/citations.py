"""From evidence to citations: each [n] the answer cites becomes a Citation with the sentence,
its file and page, and its rectangles on the page; a refusal offers distinct places instead."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ragchat.locate import locate_all
from ragchat.types import Chunk, Citation, Evidence, Hit


def distinct_places(hits: Sequence[Hit], n: int = 3) -> tuple[Hit, ...]:
    """The best hits on distinct (file, page) places: where to look after a refusal."""
    out: list[Hit] = []
    seen: set[tuple[str, int]] = set()
    for h in hits:
        key = (h.chunk.file, h.chunk.page_start)
        if key not in seen:
            seen.add(key)
            out.append(h)
        if len(out) == n:
            break
    return tuple(out)


def evidence_citation(e: Evidence) -> Citation:
    """The citation of one evidence sentence: its text is the quote."""
    return Citation(
        n=e.n,
        file=e.file,
        page=e.page,
        heading_path=e.heading_path,
        quote=e.text,
        chunk_id=e.chunk_id,
        page_end=e.page,
        bboxes=e.bboxes,
    )


def citations_for(evidence: Sequence[Evidence], cited: Iterable[int]) -> tuple[Citation, ...]:
    """The citations of the evidence numbers an answer cites, in the order cited (numbers
    that name no evidence are skipped)."""
    by_n = {e.n: e for e in evidence}
    return tuple(evidence_citation(by_n[n]) for n in cited if n in by_n)


def locate_evidence(kb: Any, evidence: Sequence[Evidence]) -> list[Evidence]:
    """The evidence with each sentence's own rectangles on its page, found in the source PDF
    the KB points at (a sentence whose file cannot be found keeps its chunk's rectangles)."""
    return locate_all(evidence, {e.chunk_id: source_of(kb, e) for e in evidence})


def source_of(kb: Any, e: Evidence) -> str | None:
    """The source PDF of an evidence sentence, or None when the store cannot say."""
    finder = getattr(kb, "source_path", None)
    if finder is None:
        return None
    try:
        return finder(Chunk(e.chunk_id, "", e.file, "", (), e.page, e.page, (0, 0)))
    except Exception:  # a store that cannot say: highlight the chunk instead
        return None
