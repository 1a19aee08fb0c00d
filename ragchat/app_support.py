"""Helpers for the Streamlit app that need no Streamlit: uploads and cited-page rendering."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from ragchat.errors import DocumentError, LimitExceeded

MAX_NAME = 120
_UNSAFE = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)


def safe_upload_name(name: str) -> str:
    """A file name safe to create inside the uploads folder: no directories, no control
    characters, no leading dots, at most 120 characters, ending in .pdf."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch != "\x00")
    name = _UNSAFE.sub("_", name).strip(" ._")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if ext.lower() != "pdf":
        stem = name
    stem = stem[: MAX_NAME - 4].rstrip(" ._") or "upload"
    return f"{stem}.pdf"


def save_upload(kb_dir: Path, name: str, data: bytes, *, max_mb: float) -> Path:
    """Write an uploaded PDF under <kb_dir>/uploads atomically; refuse oversize files."""
    safe = safe_upload_name(name)
    if len(data) > max_mb * 1_000_000:
        raise LimitExceeded(
            safe, f"{len(data) / 1e6:.1f} MB is over the upload limit of {max_mb:g} MB"
        )
    folder = (kb_dir / "uploads").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / safe).resolve()
    if target.parent != folder:  # belt and braces: never write outside the KB
        raise DocumentError(safe, "unsafe file name")
    tmp = folder / f".{safe}.{os.getpid()}.part"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target


def render_page(
    pdf_path: str | Path,
    page: int,
    boxes: Sequence[Sequence[float]] = (),
    *,
    dpi: int = 110,
    password: str | None = None,
) -> bytes:
    """PNG of a 1-based page with the given (page, x0, y0, x1, y1) areas highlighted.

    Works on an in-memory copy; the user's file is never modified.
    """
    import pymupdf

    data = Path(pdf_path).read_bytes()
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        if doc.needs_pass and password:
            doc.authenticate(password)
        pg = doc[page - 1]
        for box in boxes:
            if len(box) == 5 and int(box[0]) != page:
                continue
            x0, y0, x1, y1 = box[-4:]
            rect = pymupdf.Rect(x0 - 2, y0 - 2, x1 + 2, y1 + 2)
            pg.draw_rect(
                rect, color=(0.95, 0.6, 0.0), fill=(1.0, 0.9, 0.1), fill_opacity=0.35, width=1.2
            )
        return pg.get_pixmap(dpi=dpi).tobytes("png")


def escape_markdown(text: str) -> str:
    """Document text shown through markdown: no links, images, HTML or formatting."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~>])", r"\\\1", text)
