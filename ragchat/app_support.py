"""Helpers for the Streamlit app that need no Streamlit: uploads, cited-page rendering, labels
for answers, example questions, and ingest progress and outcome."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ragchat.errors import DocumentError, LimitExceeded
from ragchat.text import CJK_IDEOGRAPHS

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
            # a marker-pen fill, no border: a border through each line looks like strike-through
            pg.draw_rect(
                pymupdf.Rect(x0 - 1, y0 - 1, x1 + 1, y1 + 1),
                color=None,
                fill=(1.0, 0.85, 0.1),
                fill_opacity=0.4,
                width=0,
            )
        return pg.get_pixmap(dpi=dpi).tobytes("png")


def escape_markdown(text: str) -> str:
    """Document text shown through markdown: no links, images, HTML or formatting."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~>$])", r"\\\1", text)  # $ starts LaTeX


# ---------------------------------------------------------------- answers: labels and places
_SENTENCE_END = tuple(".。!?！？;；,，…")
_LEADING_MARKERS = re.compile(r"^\s*((?:\[\d{1,2}\]\s*)+)[:：.\-–—]?\s*")
_CJK = re.compile(f"[{CJK_IDEOGRAPHS}]")
_AMOUNT = re.compile(r"^[$€£¥]?\d[\d.,]*\s*(?:%|percent\b|million\b|billion\b)")

LOOK_HERE = {"en": "You may look here:", "zh": "可以看看这些地方："}
PASSAGES_SEARCHED = {"en": "Passages searched", "zh": "检索到的段落"}


def looks_like_heading(text: str) -> bool:
    """True for "2.1 Safety valves" or "第三章 总则"; false for a body sentence that was taken
    for a heading ("events or developments.", "12.5% at the mid-point of the range …")."""
    t = " ".join(text.split())
    if not t or len(t) > (40 if _CJK.search(t) else 100) or t.endswith(_SENTENCE_END):
        return False
    words = t.split()
    if not any(ch.isalpha() for ch in t) or len(words) > 12 or _AMOUNT.match(t):
        return False
    long_words = [w for w in words if len(w) > 3]
    if len(words) > 8 and sum(w[0].isupper() for w in long_words) < len(long_words) / 2:
        return False  # a long run of lower-case words is a sentence, not a title
    return not t[0].islower()


def heading_label(path: Sequence[str]) -> str:
    """The heading path for a citation label, keeping only parts that look like headings."""
    return " > ".join(" ".join(h.split()) for h in path if looks_like_heading(h))


def clean_answer_text(text: str) -> str:
    """An answer as shown: a leading "[1]:" (the model copying the source label) moves to the
    end, where markers belong."""
    m = _LEADING_MARKERS.match(text)
    if not m or not text[m.end() :].strip():
        return text.strip()
    rest = text[m.end() :].strip()
    markers = "".join(re.findall(r"\[\d{1,2}\]", m.group(1)))
    missing = "".join(x for x in re.findall(r"\[\d{1,2}\]", markers) if x not in rest)
    return f"{rest} {missing}".strip() if missing else rest


def place_label(file: str, page: int, lang: str = "en") -> str:
    return f"{file} 第 {page} 页" if lang == "zh" else f"{file}, page {page}"


def distinct_places(hits: Sequence[Any], lang: str = "en", limit: int = 3) -> list[str]:
    """Distinct (file, page) places of the hits, best first, labelled in the question's
    language, with the section heading when it looks like one."""
    seen: set[tuple[str, int]] = set()
    out: list[str] = []
    for h in hits:
        c = h.chunk
        if (c.file, c.page_start) in seen:
            continue
        seen.add((c.file, c.page_start))
        head = heading_label(c.heading_path)
        out.append(place_label(c.file, c.page_start, lang) + (f" — {head}" if head else ""))
        if len(out) == limit:
            break
    return out


# ---------------------------------------------------------------- the first screen
_NUMBERING = re.compile(
    r"^(?:(?:note|item|part|chapter|section)\s+[\dIVXLC]+[A-Z]?\b\.?\s*[-–—:.]?"
    r"|\d+(?:\.\d+)*\.?|[IVXLC]+\.|第[一二三四五六七八九十百\d]+[章节条部分])\s*",
    re.IGNORECASE,
)
_TRAILING_NOTE = re.compile(r"\s*[(（][^()（）]*[)）]$")  # "(Unaudited)", "(part 2)"
_GENERIC = {
    "contents", "table of contents", "index", "references", "bibliography", "appendix",
    "notes", "abstract", "certification", "signatures", "exhibits", "目录", "参考文献", "附录",
}  # fmt: skip


def _topic(heading: str) -> str:
    """The subject of a heading, or "" when it makes a poor example question."""
    if not looks_like_heading(heading):
        return ""
    h = _TRAILING_NOTE.sub("", _NUMBERING.sub("", " ".join(heading.split()))).strip(" :：-–—")
    digits = sum(ch.isdigit() for ch in h)
    if len(h) < 3 or h.lower() in _GENERIC or digits > len(h) / 5:
        return ""
    if h.isupper() and not _CJK.search(h):  # cover pages and statement titles
        return ""
    return h


def example_questions(headings: Sequence[tuple[str, str]], n: int = 3) -> list[str]:
    """Up to n questions from (file, section heading) pairs, one pair per chunk: the sections
    with most text first, spread over the files. Cheap prompts for the first screen that the
    KB can answer; no model involved."""
    counts: dict[str, dict[str, int]] = {}
    for file, heading in headings:
        topic = _topic(heading)
        if topic:
            per_file = counts.setdefault(file, {})
            key = next((t for t in per_file if t.lower() == topic.lower()), topic)
            per_file[key] = per_file.get(key, 0) + 1
    ranked = [sorted(c, key=lambda t: -c[t]) for c in counts.values()]  # stable: ties in order
    out: list[str] = []
    for depth in range(max((len(r) for r in ranked), default=0)):
        for topics in ranked:
            if depth < len(topics) and len(out) < n:
                h = topics[depth]
                out.append(
                    f"文档中关于“{h}”说了什么？"
                    if _CJK.search(h)
                    else f"What do the documents say about {h}?"
                )
    return out


# ---------------------------------------------------------------- ingest progress and outcome
class IngestProgress:
    """Turns the ingestor's progress events into a bar fraction and one honest line:
    which file of how many, pages of this file, and the embedding stage.

    The events carry no per-file page or chunk totals, so they are derived here: page counts
    from the saved files (`pages`), and the number of chunks to embed from the embedder call
    (`embedding`, via `CountingEmbedder`). The fraction never goes backwards; each file weighs
    by its page count, reading a quarter of it and embedding the rest."""

    def __init__(self, pages: dict[str, int] | None = None) -> None:
        self.pages_total = dict(pages or {})
        self.fraction = 0.0
        self.text = "Starting…"
        self._file = ""
        self._index = 0
        self._total = 0
        self._pages = 0
        self._to_embed = 0
        self._finished: set[int] = set()

    def embedding(self, n: int) -> None:
        """The ingestor is about to embed n new chunks of the current file."""
        self._to_embed = n

    def _weight(self, name: str) -> float:
        return float(max(1, self.pages_total.get(name, 1)))

    def update(self, p: Any) -> tuple[float, str]:
        stage, name, n = p.stage, p.file, max(1, p.files_total)
        idx = p.files_done if stage in ("hash", "parse", "embed", "remove") else p.files_done - 1
        idx = max(0, min(idx, n - 1))
        if name != self._file or idx != self._index:
            self._file, self._index, self._pages, self._to_embed = name, idx, 0, 0
        self._total = n
        head = f"File {idx + 1} of {n} · {name}"
        total_pages = getattr(p, "pages_total", 0) or self.pages_total.get(name, 0)
        of_pages = f" of {total_pages}" if total_pages else ""
        within = 0.0
        if stage == "hash":
            self.text = f"Checking file {idx + 1} of {n} · {name}"
        elif stage == "remove":
            self.text = f"Removing {name}"
        elif stage == "parse":
            self._pages = max(self._pages, p.pages)
            read = self._pages / total_pages if total_pages else 0.0
            within = 0.25 * min(1.0, read)
            self.text = (
                f"{head} — reading page {self._pages}{of_pages}"
                if self._pages
                else f"{head} — reading…"
            )
        elif stage == "embed":
            to_embed = getattr(p, "chunks_total", 0) or self._to_embed
            share = p.chunks / to_embed if to_embed else 0.0
            within = 0.25 + 0.75 * min(1.0, share)
            self.text = f"{head} — {self._pages} pages read · embedding chunk {p.chunks}" + (
                f" of {to_embed}" if to_embed else ""
            )
        elif stage == "commit":
            self._finished.add(idx)
            self.text = f"{head} — saved: {p.pages} pages, {p.chunks} chunks"
        elif stage == "skip":
            self._finished.add(idx)
            self.text = f"{head} — unchanged, skipped"
        elif stage == "fail":
            self._finished.add(idx)
            self.text = f"{head} — failed: {p.message}"
        self._set(idx, within)
        return self.fraction, self.text

    def _set(self, idx: int, within: float) -> None:
        # equal shares per file unless page counts are known for all of them
        weights = [1.0] * self._total
        if self.pages_total and len(self.pages_total) == self._total:
            weights = [self._weight(name) for name in self.pages_total]
        total = sum(weights) or 1.0
        done = sum(w for i, w in enumerate(weights) if i in self._finished)
        if idx not in self._finished and idx < len(weights):
            done += weights[idx] * within
        self.fraction = max(self.fraction, min(1.0, done / total))

    def finish(self, text: str = "Done") -> tuple[float, str]:
        self.fraction, self.text = 1.0, text
        return self.fraction, self.text


class CountingEmbedder:
    """Wraps an embedder to tell an `IngestProgress` how many chunks each file embeds."""

    def __init__(self, embedder: Any, progress: IngestProgress) -> None:
        self._embedder = embedder
        self._progress = progress

    def embed(self, texts: Sequence[str], **kwargs: Any) -> Any:
        self._progress.embedding(len(texts))
        return self._embedder.embed(texts, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)


@dataclass(frozen=True)
class IngestOutcome:
    """What the app shows after an ingest: a state, one headline and one line per bad file."""

    state: Literal["complete", "warning", "error"]
    headline: str
    problems: tuple[str, ...] = ()  # "scan.pdf: no text layer on any of its 4 pages; …"
    notes: tuple[str, ...] = ()  # per-file warnings of good files ("page 4 needs OCR")


def ingest_outcome(report: Any, refused: Sequence[str] = ()) -> IngestOutcome:
    """Summarise an IngestReport (plus uploads refused before ingest) for the app. Any failed
    file makes the outcome a warning (an error when nothing went in), never a success."""
    problems = tuple(refused) + tuple(f"{Path(f.file).name}: {f.error}" for f in report.failed)
    added = len(report.added) + len(report.updated)
    parts = [f"{added} added", f"{len(report.unchanged)} unchanged"]
    if problems:
        parts.append(f"{len(problems)} failed")
    headline = ", ".join(parts) + f" · {report.chunks_total} chunks in the knowledge base"
    if not problems:
        state: Literal["complete", "warning", "error"] = "complete"
    elif added or report.unchanged:
        state = "warning"
    else:
        state = "error"
    return IngestOutcome(state, headline, problems, tuple(report.warnings))


def page_counts(paths: Sequence[Path]) -> dict[str, int]:
    """Pages per file name (0 when the file cannot be opened: the ingest will say why)."""
    import pymupdf

    out: dict[str, int] = {}
    for path in paths:
        try:
            with pymupdf.open(path) as doc:
                out[Path(path).name] = doc.page_count
        except Exception:  # a bad file is the ingestor's to report
            out[Path(path).name] = 0
    return out
