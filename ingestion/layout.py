"""Page layout from PyMuPDF's text dict: lines with style, paragraphs, reading order.

Everything here works on plain records (no PyMuPDF objects), so it is cheap to test. Tables are
found in ingestion/tables.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ragchat.text import CJK_WITH_PUNCT

BBox = tuple[float, float, float, float]
_CJK = re.compile(f"[{CJK_WITH_PUNCT}]")
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
CAPTION = re.compile(
    r"^(figure|fig\.|table|exhibit|chart|图|表)\s*[\dA-Z一二三四五六七八九十]", re.IGNORECASE
)


@dataclass
class Line:
    text: str
    bbox: BBox
    size: float
    bold: bool
    block: int
    cells: list[tuple[float, float, str]] = field(default_factory=list)  # (x0, x1, text)


@dataclass
class Region:
    """A paragraph, heading candidate or table on one page, before heading levels are known."""

    kind: str  # "text" | "table"
    text: str
    bbox: BBox
    size: float = 0.0
    bold: bool = False
    n_lines: int = 1


@dataclass(frozen=True)
class RawPage:
    """One page as parsed, before running lines are dropped and heading levels are known."""

    width: float
    height: float
    regions: tuple[Region, ...]
    has_images: bool


def lines_from_dict(page_dict: dict) -> list[Line]:
    """Lines of a page from `page.get_text("dict")`, with spans split into cells at wide gaps."""
    out: list[Line] = []
    for bno, block in enumerate(page_dict.get("blocks", ())):
        if block.get("type") != 0:
            continue
        for line in block.get("lines", ()):
            spans = [s for s in line.get("spans", ()) if s.get("text", "")]
            if not any(s["text"].strip() for s in spans):
                continue
            cells: list[tuple[float, float, str]] = []
            for s in spans:
                x0, _, x1, _ = s["bbox"]
                size = s.get("size", 10) or 10
                if cells and x0 - cells[-1][1] < 0.9 * size:  # same cell: words of one phrase
                    px0, _, ptext = cells[-1]
                    sep = " " if x0 - cells[-1][1] > 0.15 * size and not ptext.endswith(" ") else ""
                    cells[-1] = (px0, x1, ptext + sep + s["text"])
                elif s["text"].strip():
                    cells.append((x0, x1, s["text"]))
            cells = [
                (a, b, " ".join(t.translate(_LIGATURES).split())) for a, b, t in cells if t.strip()
            ]
            chars = sum(len(s["text"]) for s in spans) or 1
            size = sum(s.get("size", 0) * len(s["text"]) for s in spans) / chars
            bold_chars = sum(len(s["text"]) for s in spans if _is_bold(s))
            out.append(
                Line(
                    text=" ".join(c[2] for c in cells),
                    bbox=tuple(line["bbox"]),  # type: ignore[arg-type]
                    size=round(size, 1),
                    bold=bold_chars * 2 > chars,
                    block=bno,
                    cells=cells,
                )
            )
    return out


def _is_bold(span: dict) -> bool:
    return bool(span.get("flags", 0) & 16) or "bold" in span.get("font", "").lower()


def _is_compound(text: str, part: str) -> bool:
    """Whether a line ending in a hyphen continues a compound rather than a split word: the next
    part is capitalised or a number ("Anglo-" + "Norman", "COVID-" + "19"), the part before is a
    number or an acronym ("4-" + "cylinder", "NP-" + "intermediate"), or one side is itself
    hyphenated ("Saint-Clair-" + "sur-Epte", "mother-" + "in-law")."""
    before = text[:-1].rsplit(None, 1)[-1] if text[:-1].strip() else ""
    after = part.split(None, 1)[0]
    return (
        not part[0].islower()
        or before[-1:].isdigit()
        or (before.isupper() and before.isalpha())
        or "-" in before
        or "-" in after.rstrip("-")
    )


def join_lines(parts: list[str]) -> str:
    """Join the lines of a paragraph: no space between CJK, de-hyphenate Latin words ("main-" +
    "tenance"), keep the hyphen of a compound (`_is_compound`: "Anglo-Norman",
    "Saint-Clair-sur-Epte"), join an identifier broken after an underscore ("ASN1_" +
    "SYNTAX_ERROR")."""
    text = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not text:
            text = part
        elif text.endswith("-") and len(text) > 1 and text[-2].isalnum() and part[:1].isalnum():
            text = (text if _is_compound(text, part) else text[:-1]) + part
        elif _CJK.match(text[-1]) or _CJK.match(part[0]):
            text += part
        elif text.endswith("_") and len(text) > 1 and text[-2].isalnum() and part[:1].isalnum():
            text += part  # an identifier broken after its underscore: "ASN1_" + "SYNTAX_ERROR"
        else:
            text += " " + part
    return text


# ---------------------------------------------------------------- paragraphs and order
def paragraphs(lines: list[Line]) -> list[Region]:
    """Paragraphs: lines of one PyMuPDF block, split where the style changes (a heading line)."""
    regions: list[Region] = []
    current: list[Line] = []

    def flush() -> None:
        if current:
            boxes = [ln.bbox for ln in current]
            chars = sum(len(ln.text) for ln in current) or 1
            regions.append(
                Region(
                    "text",
                    join_lines([ln.text for ln in current]),
                    (
                        min(b[0] for b in boxes),
                        min(b[1] for b in boxes),
                        max(b[2] for b in boxes),
                        max(b[3] for b in boxes),
                    ),
                    size=round(sum(ln.size * len(ln.text) for ln in current) / chars, 1),
                    bold=all(ln.bold for ln in current),
                    n_lines=len(current),
                )
            )
            current.clear()

    for line in lines:
        if current:
            prev = current[-1]
            same_style = abs(prev.size - line.size) < 0.6 and prev.bold == line.bold
            gap = line.bbox[1] - prev.bbox[3]
            if line.block != prev.block or not same_style or gap > 1.2 * max(prev.size, 6):
                flush()
        current.append(line)
    flush()
    return regions


def reading_order(regions: list[Region], page_width: float) -> list[Region]:
    """Column-aware order: within horizontal bands separated by full-width regions, the left
    column top to bottom, then the right column."""
    mid = page_width / 2
    tol = page_width * 0.04
    ordered: list[Region] = []
    band: list[Region] = []

    def flush() -> None:
        left = [r for r in band if r.bbox[2] <= mid + tol]
        right = [r for r in band if r.bbox[2] > mid + tol]
        ordered.extend(sorted(left, key=lambda r: (r.bbox[1], r.bbox[0])))
        ordered.extend(sorted(right, key=lambda r: (r.bbox[1], r.bbox[0])))
        band.clear()

    two_columns = _has_two_columns(regions, mid, tol)
    for region in sorted(regions, key=lambda r: (r.bbox[1], r.bbox[0])):
        full = region.bbox[0] < mid - tol and region.bbox[2] > mid + tol
        if full or not two_columns:
            flush()
            ordered.append(region)
        else:
            band.append(region)
    flush()
    return ordered


def _has_two_columns(regions: list[Region], mid: float, tol: float) -> bool:
    left = sum(len(r.text) for r in regions if r.bbox[2] <= mid + tol)
    right = sum(len(r.text) for r in regions if r.bbox[0] >= mid - tol)
    total = sum(len(r.text) for r in regions) or 1
    return left > 0.2 * total and right > 0.2 * total
