"""Heading levels: from the PDF's outline when it has one, else from fonts.

An outline names a document's chapters and sections, often without the numbers the pages print
("ASN.1 syntax" for "2.1 ASN.1 syntax"), and seldom the entries under them: a manual's function
reference lists "asn1 check version" in a bold line set larger than the body, and its
"Returns: Version string …" says which function it is about only through that line. So a
region is an outline heading when its text is the entry's title with or without its section
number, and the bold single lines set larger than the body but smaller than every outline
heading, after the first one (not the title page's), are headings one level below the outline's
deepest. Without an outline, short regions in larger sizes (or bold at body size) are headings,
larger sizes first.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ingestion.layout import CAPTION, RawPage, Region

# a printed section number the outline leaves out: "2.1 ", "4.5 ", "A.1 ", "3. "
_SECTION_NUMBER = re.compile(r"^\s*(?:\d+|[A-Z])(?:\.\d+)*\.?\s+(?=\S)")


def heading_levels(doc: Any, raw: list[RawPage]) -> dict[int, int]:
    """Heading level per region id: from the outline when it has entries, else from fonts."""
    try:
        toc = doc.get_toc(simple=True)
    except Exception:
        toc = []
    if len(toc) >= 3:
        levels = _levels_from_toc(toc, raw)
        if levels:
            return {**_levels_below_toc(raw, levels), **levels}
    return _levels_from_fonts(raw)


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def _levels_from_toc(toc: list[list[Any]], raw: list[RawPage]) -> dict[int, int]:
    by_page: dict[int, list[tuple[str, int]]] = {}
    for level, title, page in toc:
        if isinstance(page, int) and page >= 1 and _norm(title):
            by_page.setdefault(page, []).append((_norm(title), min(int(level), 6)))
    levels: dict[int, int] = {}
    for pno, page in enumerate(raw, start=1):
        for title, level in by_page.get(pno, ()):
            for region in page.regions:
                if region.kind != "text" or len(region.text) > 200:
                    continue
                keys = {_norm(region.text), _norm(_SECTION_NUMBER.sub("", region.text))}
                if any(
                    key and (key == title or (key.startswith(title) and len(title) >= 8))
                    for key in keys
                ):
                    levels.setdefault(id(region), level)
                    break
    return levels


def _levels_below_toc(raw: list[RawPage], levels: dict[int, int]) -> dict[int, int]:
    """Headings the outline leaves out, one level below its deepest: single bold lines set
    larger than the body and smaller than every heading the outline names, after its first."""
    regions = [r for page in raw for r in page.regions if r.kind == "text"]
    first = next((i for i, r in enumerate(regions) if id(r) in levels), None)
    body = _body_size(raw)
    if first is None or body is None:
        return {}
    smallest = min(r.size for r in regions if id(r) in levels)
    level = min(6, max(levels.values()) + 1)
    return {
        id(r): level
        for r in regions[first + 1 :]
        if id(r) not in levels
        and r.bold
        and r.n_lines == 1
        and body + 1.0 <= r.size < smallest
        and len(r.text) <= 80
        and _heading_like(r)
    }


def _body_size(raw: list[RawPage]) -> float | None:
    """The font size with the most characters of text."""
    weights: Counter[float] = Counter()
    for page in raw:
        for r in page.regions:
            if r.kind == "text":
                weights[r.size] += len(r.text)
    return weights.most_common(1)[0][0] if weights else None


def _levels_from_fonts(raw: list[RawPage]) -> dict[int, int]:
    """Body text is the size with the most characters; short regions in larger sizes (or bold
    at body size, standing alone) are headings, larger sizes first."""
    body = _body_size(raw)
    if body is None:
        return {}
    candidates: list[tuple[Region, float]] = []
    for page in raw:
        for r in page.regions:
            if r.kind != "text" or not _heading_like(r):
                continue
            if r.size >= body + 1.0:
                candidates.append((r, r.size))
            elif r.bold and r.size >= body - 0.5 and len(r.text) <= 80:
                candidates.append((r, body))  # bold run-in headings rank below larger sizes
    sizes = sorted({s for _, s in candidates}, reverse=True)[:6]
    rank = {s: i + 1 for i, s in enumerate(sizes)}
    return {id(r): rank[s] for r, s in candidates if s in rank}


def _heading_like(r: Region) -> bool:
    text = r.text.strip()
    if not text or len(text) > 150 or r.n_lines > 3:
        return False
    if not re.search(r"[^\W\d_]", text):  # a number or symbol alone is no heading
        return False
    if CAPTION.match(text):
        return False
    return not (text.endswith((".", "。", ",", "，", ";", ":")) and len(text) > 60)
