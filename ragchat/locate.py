"""Where an evidence sentence sits on its PDF page: rectangles for highlighting it alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ragchat.types import Evidence

Rect = tuple[int, float, float, float, float]  # (page, x0, y0, x1, y1)


def sentence_rects(pdf_path: str, evidence: Evidence) -> tuple[Rect, ...]:
    """Rectangles of the sentence on its page (searched within the chunk's blocks), or ()."""
    import pymupdf

    pages = [evidence.page, *sorted({b[0] for b in evidence.bboxes} - {evidence.page})]
    probes = _probes(evidence.text)
    try:
        doc = pymupdf.open(pdf_path)
    except Exception:  # a moved or unreadable file: the chunk's blocks are highlighted instead
        return ()
    with doc:
        for number in pages:
            if not 1 <= number <= doc.page_count:
                continue
            page = doc[number - 1]
            clips = [pymupdf.Rect(b[1:]) for b in evidence.bboxes if b[0] == number]
            found = []
            for i, probe in enumerate(probes):
                found += [
                    r
                    for r in page.search_for(probe)
                    if not clips or any(r.intersects(c) for c in clips)
                ]
                if found and i == 0:  # the whole sentence
                    break
            if found:
                return tuple((number, r.x0, r.y0, r.x1, r.y1) for r in found)
    return ()


def _probes(text: str) -> list[str]:
    """The whole sentence, then its opening and its end (lines may break it differently)."""
    words = text.split()
    if len(words) <= 1:  # Chinese: no spaces
        return [text, text[:20], text[-20:]] if len(text) > 24 else [text]
    return [text, " ".join(words[:8]), " ".join(words[-8:])]


def locate_all(evidence: Sequence[Evidence], paths: dict[str, str | None]) -> list[Evidence]:
    """Evidence with sentence-level rectangles where the source PDF can be read."""
    out = []
    for e in evidence:
        path = paths.get(e.chunk_id)
        rects = sentence_rects(path, e) if path else ()
        out.append(replace(e, bboxes=rects) if rects else e)
    return out
