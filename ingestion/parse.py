"""Parse a PDF once into typed pages and blocks (PyMuPDF).

Keeps what answering and citing need: reading order by columns, heading levels (from the PDF
outline, else from font size and weight) and heading paths, tables as markdown, 1-based page
numbers and bounding boxes; drops running headers, footers and page numbers; reports image-only
pages ("page 4 has no text layer; needs OCR") and recognises them when OCR is installed.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ingestion.headings import heading_levels
from ingestion.layout import (
    CAPTION,
    Line,
    RawPage,
    Region,
    lines_from_dict,
    paragraphs,
    reading_order,
)
from ingestion.ocr import ocr_available, ocr_page_regions
from ingestion.tables import ruled_tables
from ingestion.text_tables import find_text_tables
from ragchat.errors import EmptyPdf, EncryptedPdf, LimitExceeded, NeedsOcr, UnreadablePdf
from ragchat.settings import Settings
from ragchat.types import Block, Document, Page

MAX_PAGE_CHARS = 1_000_000  # more text than this on one page: keep it, skip table detection
BAND = 0.09  # top and bottom share of the page where running headers and footers live
_PAGE_NO = re.compile(
    r"^(page\s*)?[#]+(\s*(of|/)\s*[#]+)?$|^[-–—]\s*[#]+\s*[-–—]$|^第\s*[#]+\s*页(\s*共\s*[#]+\s*页)?$",
    re.IGNORECASE,
)


def parse_pdf(
    path: Path,
    settings: Settings,
    *,
    password: str | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> Document:
    """Parse `path` into a Document. Raises a DocumentError subclass naming the problem."""
    import pymupdf

    path = Path(path)
    data = _read(path, settings)
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # PyMuPDF raises several types for damaged files
        raise UnreadablePdf(str(path), f"not a readable PDF ({_short(exc)})") from exc
    with doc:
        if doc.needs_pass:
            if not password:
                raise EncryptedPdf(str(path), "encrypted; give its password with --password")
            if not doc.authenticate(password):
                raise EncryptedPdf(str(path), "encrypted and the password given is wrong")
        try:
            n_pages = doc.page_count
        except Exception as exc:
            raise UnreadablePdf(str(path), f"page tree is damaged ({_short(exc)})") from exc
        if n_pages == 0:
            raise EmptyPdf(str(path), "the PDF has no pages")
        if n_pages > settings.max_pages:
            raise LimitExceeded(
                str(path), f"{n_pages} pages is over the limit of {settings.max_pages} (max_pages)"
            )
        return _parse(doc, path, data, settings, on_page)


def _read(path: Path, settings: Settings) -> bytes:
    if not path.is_file():
        raise UnreadablePdf(str(path), "no such file")
    size = path.stat().st_size
    if size == 0:
        raise EmptyPdf(str(path), "empty file (0 bytes)")
    if size > settings.max_file_mb * 1_000_000:
        raise LimitExceeded(
            str(path),
            f"{size / 1e6:.0f} MB is over the limit of {settings.max_file_mb:g} MB (max_file_mb)",
        )
    data = path.read_bytes()
    if b"%PDF" not in data[:1024]:
        raise UnreadablePdf(str(path), "not a PDF (no %PDF header)")
    return data


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def _parse(doc: Any, path: Path, data: bytes, settings: Settings, on_page: Any) -> Document:
    import pymupdf

    deadline = time.monotonic() + settings.max_seconds_per_file
    n = doc.page_count
    flags = (
        pymupdf.TEXT_PRESERVE_WHITESPACE
        | pymupdf.TEXT_MEDIABOX_CLIP
        | pymupdf.TEXT_PRESERVE_LIGATURES
    )
    raw: list[RawPage] = []
    warnings: list[str] = []
    ocr = ocr_available(settings)
    ocr_pages: set[int] = set()
    for pno in range(n):
        if time.monotonic() > deadline:
            raise LimitExceeded(
                str(path),
                f"parsing took longer than {settings.max_seconds_per_file:g} s (max_seconds_per_file)",
            )
        try:
            page = doc[pno]
        except Exception as exc:  # the page tree itself is broken (cycles, bad references)
            raise UnreadablePdf(
                str(path), f"page {pno + 1} cannot be loaded ({_short(exc)})"
            ) from exc
        try:
            width, height = page.rect.width, page.rect.height
            lines = lines_from_dict(page.get_text("dict", flags=flags))
            has_images = bool(page.get_images(full=False)) or (
                not lines and bool(page.get_drawings())
            )
            if not lines and has_images and ocr:
                regions = ocr_page_regions(page, settings)
                if regions:
                    ocr_pages.add(pno + 1)
            else:
                tables, used = _tables(page, lines, width, pno + 1, warnings)
                body = [ln for ln in lines if id(ln) not in used]
                regions = reading_order(paragraphs(body) + tables, width)
        except Exception as exc:  # one bad page never sinks the document
            warnings.append(f"page {pno + 1} could not be read: {_short(exc)}")
            width, height, regions, has_images = 612.0, 792.0, [], False
        raw.append(RawPage(width, height, tuple(regions), has_images))
        if on_page:
            on_page(pno + 1, n)

    raw, running_title = _drop_running_lines(raw)
    levels = heading_levels(doc, raw)
    pages: list[Page] = []
    stack: list[tuple[int, str]] = []
    any_text = False
    for pno, raw_page in enumerate(raw, start=1):
        blocks: list[Block] = []
        for region in raw_page.regions:
            level = levels.get(id(region), 0)
            if level:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                blocks.append(
                    Block(
                        "heading",
                        region.text,
                        pno,
                        _box(region.bbox),
                        level,
                        tuple(t for _, t in stack),
                    )
                )
                stack.append((level, region.text))
            else:
                caption = region.kind == "text" and CAPTION.match(region.text)
                kind = "caption" if caption else region.kind
                trail = tuple(t for _, t in stack)
                blocks.append(Block(kind, region.text, pno, _box(region.bbox), 0, trail))  # type: ignore[arg-type]
        needs_ocr = not blocks and raw_page.has_images
        if needs_ocr:
            warnings.append(f"page {pno} has no text layer; needs OCR")
        any_text = any_text or bool(blocks)
        pages.append(
            Page(pno, raw_page.width, raw_page.height, tuple(blocks), needs_ocr, pno in ocr_pages)
        )
    scanned = sum(1 for p in pages if p.needs_ocr)
    chars = sum(len(b.text) for p in pages for b in p.blocks)
    if not any_text or (scanned * 2 >= n and chars < 200):  # a scan with a few stray characters
        if scanned:
            raise NeedsOcr(
                str(path),
                f"no text layer on any of its {n} pages; needs OCR (pip install 'ragchat[ocr]')",
            )
        raise EmptyPdf(str(path), f"no text on any of its {n} pages")
    title = _title(doc, path, pages)
    return Document(
        hashlib.sha256(data).hexdigest(),
        str(path.resolve()),
        title,
        tuple(pages),
        tuple(warnings),
        running_title,
    )


def _tables(
    page: Any, lines: list[Line], width: float, pno: int, warnings: list[str]
) -> tuple[list[Region], set[int]]:
    """Ruled tables via find_tables, then tables of aligned text among the other lines.
    Absurd pages (over MAX_PAGE_CHARS of text) keep their text but skip table detection."""
    if sum(len(ln.text) for ln in lines) > MAX_PAGE_CHARS:
        warnings.append(f"page {pno} has over {MAX_PAGE_CHARS:,} characters; tables not detected")
        return [], set()
    ruled, used = ruled_tables(page, lines)
    rest = [ln for ln in lines if id(ln) not in used] if used else lines
    aligned, used_aligned = find_text_tables(rest, width)
    return ruled + aligned, used | used_aligned


def _box(b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return (round(b[0], 1), round(b[1], 1), round(b[2], 1), round(b[3], 1))


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _drop_running_lines(raw: list[RawPage]) -> tuple[list[RawPage], str]:
    """Remove running headers/footers and lone page numbers: short lines at the edge of the page
    (in the top or bottom band, or first/last on the page, as filings printed from HTML put
    them) whose text, digits ignored, repeats on most pages. Returns the pages without them and
    the most frequent running line that says something ("Apple Inc. | Q3 2022 Form 10-Q"), the
    document's running title: removed from every page, it is given back to every chunk as
    context."""
    n = len(raw)
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for page in raw:
        for r in _edge_regions(page.regions, page.height):
            first.setdefault(_key(r.text), r.text)
        counts.update({_key(r.text) for r in _edge_regions(page.regions, page.height)})
    threshold = max(3, int(0.5 * n + 0.5))
    running = {k for k, c in counts.items() if c >= threshold}
    titles = [
        (counts[k], _running_title(first[k]))
        for k in running
        if not _PAGE_NO.match(k) and len(re.findall(r"[^\W\d_]", _running_title(first[k]))) >= 4
    ]
    kept: list[RawPage] = []
    for page in raw:
        regions = page.regions
        edge = {id(r) for r in _edge_regions(regions, page.height)}
        numbers = {id(r) for r in regions if id(r) in edge and _PAGE_NO.match(_key(r.text))}
        repeated = {id(r) for r in regions if id(r) in edge and _key(r.text) in running}
        if len(repeated | numbers) == len(regions):
            repeated, numbers = set(), set()  # it is all the page has: it is content, keep it
        drop = repeated | numbers
        kept.append(replace(page, regions=tuple(r for r in regions if id(r) not in drop)))
    return kept, max(titles)[1] if titles else ""


def _running_title(text: str) -> str:
    """A running line without its page number: "Apple Inc. | Q3 2022 Form 10-Q | 5" -> the rest."""
    text = " ".join(text.split())
    text = re.sub(r"(?i)(\s*[|·•–—-]\s*)?\b(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?\s*$", "", text)
    text = re.sub(r"(?i)^\s*(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?\s*([|·•–—-]\s*)?", "", text)
    return text.strip(" |·•–—-")[:120]


def _edge_regions(regions: tuple[Region, ...], height: float) -> list[Region]:
    ends = [regions[0], regions[-1]] if regions else []
    return [
        r
        for r in regions
        if r.kind == "text"
        and len(r.text) <= 100
        and (_in_band(r, height) or any(r is e for e in ends))
    ]


def _in_band(region: Region, height: float) -> bool:
    return region.bbox[3] <= height * BAND + 2 or region.bbox[1] >= height * (1 - BAND) - 2


def _title(doc: Any, path: Path, pages: list[Page]) -> str:
    meta = (doc.metadata or {}).get("title") or ""
    if meta.strip() and not re.fullmatch(r"[\d\-_. ]+", meta.strip()):
        return meta.strip()[:200]
    for page in pages[:2]:
        for block in page.blocks:
            if block.kind == "heading":
                return block.text[:200]
    return path.stem
