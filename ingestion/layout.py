"""Page layout from PyMuPDF's text dict: lines with style, table rows, reading order.

Everything here works on plain records (no PyMuPDF objects), so it is cheap to test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_NUMERIC = re.compile(r"\d")
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


def join_lines(parts: list[str]) -> str:
    """Join the lines of a paragraph: no space between CJK, de-hyphenate Latin words."""
    text = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not text:
            text = part
        elif text.endswith("-") and len(text) > 1 and text[-2].isalpha() and part[:1].islower():
            text = text[:-1] + part
        elif _CJK.match(text[-1]) or _CJK.match(part[0]):
            text += part
        else:
            text += " " + part
    return text


# ---------------------------------------------------------------- tables from aligned text
def _rows(lines: list[Line]) -> list[list[Line]]:
    """Group lines whose vertical centres align into rows, top to bottom."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ((ln.bbox[1] + ln.bbox[3]) / 2, ln.bbox[0])):
        cy = (line.bbox[1] + line.bbox[3]) / 2
        if rows:
            last = rows[-1][0]
            lcy = (last.bbox[1] + last.bbox[3]) / 2
            if abs(cy - lcy) <= max(2.0, 0.35 * (last.bbox[3] - last.bbox[1])):
                rows[-1].append(line)
                continue
        rows.append([line])
    return rows


def _row_cells(row: list[Line]) -> list[tuple[float, float, str]]:
    return sorted((c for ln in row for c in ln.cells), key=lambda c: c[0])


def _tabular(cells: list[tuple[float, float, str]], page_width: float) -> bool:
    """Several cells, mostly short in characters and narrow on the page (two columns of prose
    are two wide cells per row), at least one numeric or three or more cells."""
    if len(cells) < 2:
        return False
    lengths = sorted(len(c[2]) for c in cells)
    widths = sorted(c[1] - c[0] for c in cells)
    short = lengths[(len(lengths) - 1) // 2] <= 30 and widths[(len(widths) - 1) // 2] <= 0.25 * page_width
    numeric = sum(1 for c in cells if _NUMERIC.search(c[2])) >= 1
    return short and (numeric or len(cells) >= 3)


def find_text_tables(lines: list[Line], page_width: float) -> tuple[list[Region], set[int]]:
    """Tables made of aligned text (most filings draw no grid): runs of >= 3 rows with several
    short cells, at least one numeric. Returns the tables and the ids of the lines they use."""
    rows = _rows(lines)
    tables: list[Region] = []
    used: set[int] = set()
    i = 0
    while i < len(rows):
        if not _tabular(_row_cells(rows[i]), page_width):
            i += 1
            continue
        j = i
        run = []
        # a table may contain label-only rows ("Operating expenses:") between tabular rows
        while j < len(rows):
            cells = _row_cells(rows[j])
            if _tabular(cells, page_width) or (
                len(cells) == 1
                and len(cells[0][2]) <= 60
                and j + 1 < len(rows)
                and _tabular(_row_cells(rows[j + 1]), page_width)
                and run
            ):
                run.append(rows[j])
            else:
                break
            j += 1
        if sum(1 for r in run if len(_row_cells(r)) > 1) >= 3:
            tables.append(_table_region(run))
            used.update(id(ln) for r in run for ln in r)
        i = max(j, i + 1)
    return tables, used


def _table_region(rows: list[list[Line]]) -> Region:
    width = max(len(_row_cells(r)) for r in rows)
    md_rows = []
    for r in rows:
        cells = [c[2].replace("|", "\\|") for c in _row_cells(r)]
        cells += [""] * (width - len(cells))
        md_rows.append("| " + " | ".join(cells) + " |")
    md = "\n".join([md_rows[0], "|" + "---|" * width, *md_rows[1:]])
    boxes = [ln.bbox for r in rows for ln in r]
    bbox = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    return Region("table", md, bbox, n_lines=len(rows))


def table_markdown(cells: list[list[str | None]]) -> str:
    """Markdown for a table extracted by `page.find_tables()`."""
    rows = [
        [" ".join((c or "").split()).replace("|", "\\|") for c in row] for row in cells if any(row)
    ]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join([lines[0], "|" + "---|" * width, *lines[1:]])


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
