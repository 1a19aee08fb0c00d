"""Provisional PDF parser (the structured parser replaces it)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from ragchat.errors import EmptyPdf, EncryptedPdf, LimitExceeded, NeedsOcr, UnreadablePdf
from ragchat.settings import Settings
from ragchat.types import Block, Document, Page


def parse_pdf(
    path: Path,
    settings: Settings,
    *,
    password: str | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> Document:
    import pymupdf

    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise EmptyPdf(str(path), "empty file (0 bytes)")
    if len(data) > settings.max_file_mb * 1e6:
        raise LimitExceeded(str(path), f"larger than {settings.max_file_mb:g} MB")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise UnreadablePdf(str(path), f"not a readable PDF ({exc})") from exc
    if doc.needs_pass and not (password and doc.authenticate(password)):
        raise EncryptedPdf(str(path), "encrypted; pass the password with --password")
    if doc.page_count == 0:
        raise EmptyPdf(str(path), "the PDF has no pages")
    pages = []
    warnings = []
    heading: tuple[str, ...] = ()
    for pno in range(doc.page_count):
        page = doc[pno]
        blocks = []
        for b in page.get_text("blocks", sort=True):
            text = " ".join(b[4].split())
            if text and b[6] == 0:
                blocks.append(Block("text", text, pno + 1, tuple(b[:4]), 0, heading))
        if not blocks:
            warnings.append(f"page {pno + 1} has no text layer; needs OCR")
        pages.append(Page(pno + 1, page.rect.width, page.rect.height, tuple(blocks), not blocks))
        if on_page:
            on_page(pno + 1, doc.page_count)
    if all(p.needs_ocr for p in pages):
        raise NeedsOcr(str(path), f"no text layer on any of its {len(pages)} pages; needs OCR")
    return Document(hashlib.sha256(data).hexdigest(), str(path.resolve()), path.stem, tuple(pages), tuple(warnings))
