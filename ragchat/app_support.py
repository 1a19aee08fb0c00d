"""What the Streamlit app needs beyond the Python API, testable without Streamlit: safe upload
names and atomic saves inside the KB, ingesting uploads, the documents table, the adapter check,
and cited pages rendered with their highlighted areas."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragchat.errors import ConfigError, DocumentError, LimitExceeded, RagchatError, UnreadablePdf
from ragchat.store import FileRecord, KnowledgeBase
from ragchat.types import Citation, Hit

MAX_NAME = 120
UPLOADS = "uploads"
_UNSAFE = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:=^])")


# ---------------------------------------------------------------- uploads
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
    """Write an uploaded PDF to <kb_dir>/uploads/<safe name> atomically (temp file, then rename);
    refuse files over `max_mb`. Nothing is ever written outside `kb_dir`."""
    safe = safe_upload_name(name)
    if len(data) > max_mb * 1_000_000:
        raise LimitExceeded(
            safe, f"{len(data) / 1e6:.1f} MB is over the upload limit of {max_mb:g} MB"
        )
    if b"%PDF-" not in data[:1024]:  # checked before an earlier upload of this name is replaced
        raise UnreadablePdf(safe, "not a PDF file (no %PDF- header)")
    root = Path(kb_dir).resolve()
    folder = root / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    target = folder.resolve() / safe
    # belt and braces: a symlinked uploads folder or a name that still escapes is refused
    if folder.resolve() != folder or target.parent != folder:
        raise DocumentError(safe, f"refusing to write outside {root}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{safe[:40]}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


@dataclass(frozen=True)
class UploadResult:
    """What happened to a batch of uploads: one line per refused or failed file."""

    errors: tuple[str, ...]
    report: Any = None  # ingestion.index.IngestReport, or None when nothing was ingested

    @property
    def ingested(self) -> int:
        if self.report is None:
            return 0
        return len(self.report.added) + len(self.report.updated)

    def summary(self) -> str:
        r = self.report
        if r is None:
            return f"nothing ingested, {len(self.errors)} refused"
        return (
            f"{len(r.added) + len(r.updated)} added, {len(r.unchanged)} unchanged,"
            f" {len(self.errors)} failed · {r.chunks_total} chunks in the KB"
        )


def ingest_uploads(
    kb: KnowledgeBase,
    settings: Any,
    embedder: Any,
    uploads: Sequence[tuple[str, bytes]],
    *,
    progress: Callable[[Any], None] | None = None,
) -> UploadResult:
    """Save (name, bytes) uploads under the KB and ingest them. Oversize or unreadable files
    become one-line errors; the others still go in. Saved copies of failed files are removed."""
    from ingestion.index import Ingestor

    saved: list[Path] = []
    errors: list[str] = []
    for name, data in uploads:
        try:
            saved.append(save_upload(kb.root, name, data, max_mb=settings.max_upload_mb))
        except RagchatError as exc:
            errors.append(one_line(str(exc)))
    if not saved:
        return UploadResult(tuple(errors))
    report = Ingestor(kb, settings, embedder).ingest(saved, progress=progress)
    for failure in report.failed:
        errors.append(one_line(f"{Path(failure.file).name}: {failure.error}"))
        if kb.file(failure.file) is None:  # keep no orphan copies of files that never went in
            Path(failure.file).unlink(missing_ok=True)
    return UploadResult(tuple(errors), report)


def remove_file(kb: KnowledgeBase, record: FileRecord) -> None:
    """Remove a file from the KB, and the app's own copy of it when it came from an upload."""
    from ingestion.index import remove_files

    remove_files(kb, [record.path])
    path = Path(record.path)
    if path.parent == (kb.root / UPLOADS).resolve():
        path.unlink(missing_ok=True)


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------- documents table
def problems(warnings: Sequence[str]) -> str:
    """'3 pages need OCR, 1 warning' from a FileRecord's warnings."""
    ocr = sum(1 for w in warnings if "needs OCR" in w)
    other = len(warnings) - ocr
    parts = []
    if ocr:
        parts.append(f"{ocr} page{'s' if ocr != 1 else ''} need{'s' if ocr == 1 else ''} OCR")
    if other:
        parts.append(f"{other} warning{'s' if other != 1 else ''}")
    return ", ".join(parts)


def file_rows(files: Sequence[FileRecord]) -> list[dict[str, Any]]:
    return [
        {
            "file": f.name,
            "pages": f.pages,
            "chunks": f.chunks,
            "ingested": time.strftime("%Y-%m-%d %H:%M", time.localtime(f.ingested_at)),
            "problems": problems(f.warnings),
        }
        for f in files
    ]


# ---------------------------------------------------------------- settings
def adapter_dir(kb: KnowledgeBase) -> Path | None:
    """The KB's domain adapter: the manifest's default_adapter, else <kb dir>/adapter."""
    for c in (kb.manifest.default_adapter, str(kb.root / "adapter")):
        if c and (Path(c) / "adapter_config.json").is_file():
            return Path(c)
    return None


def check_model_choice(choice: str, configured: str) -> str:
    """The generator typed in the app. `module:` generators import code, so the app accepts one
    only when it is the configured one (ragchat.toml or RAGCHAT_GENERATOR)."""
    choice = choice.strip() or configured
    if choice.startswith("module:") and choice != configured:
        raise ConfigError(
            "module: generators import Python code; set them in ragchat.toml or"
            " RAGCHAT_GENERATOR, not in the app"
        )
    return choice


# ---------------------------------------------------------------- cited pages
def source_of(kb: KnowledgeBase, citation: Citation, hits: Sequence[Hit]) -> str | None:
    """The source file of a citation, if it is still on disk."""
    path = next(
        (kb.source_path(h.chunk) for h in hits if h.chunk.chunk_id == citation.chunk_id), None
    )
    if path is None:
        named = [f.path for f in kb.files() if f.name == citation.file]
        path = named[0] if len(named) == 1 else None
    return path if path and Path(path).is_file() else None


def cited_pages(citation: Citation, limit: int = 3) -> list[int]:
    """The pages a citation spans (its first page, up to `limit` pages)."""
    last = max(citation.page, citation.page_end or citation.page)
    return list(range(citation.page, min(last, citation.page + limit - 1) + 1))


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
        if not 1 <= page <= doc.page_count:
            raise DocumentError(str(pdf_path), f"has no page {page} (it has {doc.page_count})")
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
    """Document or model text shown through markdown: no links, images, HTML, math, colours or
    formatting — every markdown character is escaped, so it renders as the plain text."""
    return _MD_SPECIAL.sub(r"\\\1", text)
