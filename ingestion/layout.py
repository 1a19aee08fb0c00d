"""Page layout from PyMuPDF's text dict: lines with style, table rows, reading order.

Everything here works on plain records (no PyMuPDF objects), so it is cheap to test.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

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
    short = (
        lengths[(len(lengths) - 1) // 2] <= 30
        and widths[(len(widths) - 1) // 2] <= 0.25 * page_width
    )
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
    """Markdown for a table extracted by `page.find_tables()`: cell lines joined like
    paragraph lines (no spaces inside CJK), empty rows and columns dropped."""
    rows = [
        [join_lines((c or "").split("\n")).replace("|", "\\|") for c in row]
        for row in cells
        if any((c or "").strip() for c in row)
    ]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    keep = [j for j in range(width) if any(r[j] for r in rows)]
    rows = [[r[j] for j in keep] for r in rows]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join([lines[0], "|" + "---|" * len(keep), *lines[1:]])


# ---------------------------------------------------------------- ruled tables (find_tables)
MAX_PATHS = 3000  # pages with more vector paths (dotted grids, charts) skip find_tables


def has_ruled_grid(drawings: list[dict]) -> bool:
    """True when vector paths draw at least 2 horizontal and 3 vertical rules (a ruled table).
    Shaded row bands (thick filled rectangles, as in most SEC filings) do not count."""
    if not drawings or len(drawings) > MAX_PATHS:
        return False
    hs: set[int] = set()
    vs: set[int] = set()
    for d in drawings:
        stroked = "s" in (d.get("type") or "")
        for item in d.get("items", ()):
            if item[0] == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
                if abs(y0 - y1) < 1 and abs(x0 - x1) > 8:
                    hs.add(round(y0))
                elif abs(x0 - x1) < 1 and abs(y0 - y1) > 8:
                    vs.add(round(x0))
            elif item[0] == "re":
                x0, y0, x1, y1 = item[1]
                w, h = abs(x1 - x0), abs(y1 - y0)
                if h <= 2 and w > 8:
                    hs.add(round(y0))
                elif w <= 2 and h > 8:
                    vs.add(round(x0))
                elif stroked and w > 8 and h > 8:
                    hs.update((round(y0), round(y1)))
                    vs.update((round(x0), round(x1)))
    return len(hs) >= 2 and len(vs) >= 3


def ruled_tables(page: Any, lines: list[Line]) -> tuple[list[Region], set[int]]:
    """Tables drawn with rules, found by `page.find_tables()` (only on pages whose vector
    paths form a grid: it costs ~10-100 ms a page). Only the cell grid is taken from it; the
    cell text comes from the page's words, because find_tables' own text loses spaces and
    moves punctuation on many PDFs ("Totalnetsales", "63355\\n,"). Returns the tables and the
    ids of the text lines inside them."""
    try:
        if not has_ruled_grid(page.get_cdrawings()):
            return [], set()
        found = page.find_tables(use_layout=False).tables
        words = page.get_text("words", sort=False) if found else []
    except Exception:  # find_tables is heuristic code; never let it sink a page
        return [], set()
    words.sort(key=lambda w: (w[1] + w[3]) / 2)
    centres = [(w[1] + w[3]) / 2 for w in words]
    tables: list[Region] = []
    used: set[int] = set()
    for tab in found:
        try:
            cells = _grid_text([[c for c in row.cells] for row in tab.rows], words, centres)
            bbox = tuple(tab.bbox)
        except Exception:
            continue
        filled = [r for r in cells if sum(1 for c in r if c) >= 2]
        if len(filled) < 2:
            continue
        md = table_markdown(cells)  # type: ignore[arg-type]
        if md:
            tables.append(Region("table", md, bbox, n_lines=len(cells)))  # type: ignore[arg-type]
            used.update(id(ln) for ln in lines if _centre_in(ln.bbox, bbox))  # type: ignore[arg-type]
    return tables, used


def _grid_text(grid: list[list[Any]], words: list[tuple], centres: list[float]) -> list[list[str]]:
    """Text of each cell (bbox, or None where the cell to its left spans it) from the words
    whose centre lies in it; see `_align_row` for spans."""
    out: list[list[str]] = []
    for row in grid:
        boxes = [c for c in row if c is not None]
        if not boxes:
            continue
        top, bottom = min(c[1] for c in boxes), max(c[3] for c in boxes)
        band = words[bisect_left(centres, top) : bisect_right(centres, bottom)]
        texts: list[str | None] = []
        for cell in row:
            if cell is None:
                texts.append(None)
                continue
            mine = sorted(
                (w for w in band if _centre_in(w[:4], cell)), key=lambda w: (w[5], w[6], w[7])
            )
            by_line: dict[tuple[int, int], list[str]] = {}
            for w in mine:
                by_line.setdefault((w[5], w[6]), []).append(w[4])
            texts.append(join_lines([" ".join(ws) for ws in by_line.values()]))
        out.append(_align_row(texts))
    return out


_AMOUNT = re.compile(r"^[-(]?[$€£¥]?\s*[\d.,]+%?\)?$|^[—–-]$")
_CURRENCY = {"$", "€", "£", "¥", "US$"}


def _align_row(texts: list[str | None]) -> list[str]:
    """Financial tables: an amount in a cell spanning several columns goes to the last one
    (amounts are right-aligned), and a lone currency sign joins the amount after it, so the
    numbers of one column line up whether or not a row shows the "$"."""
    cells = [t or "" for t in texts]
    for i, text in enumerate(texts):
        if text and _AMOUNT.match(text):
            j = i
            while j + 1 < len(texts) and texts[j + 1] is None:
                j += 1
            if j > i:
                cells[i], cells[j] = "", text
    for i, text in enumerate(cells):
        if text in _CURRENCY:
            nxt = next((j for j in range(i + 1, len(cells)) if cells[j]), None)
            if nxt is not None and _AMOUNT.match(cells[nxt]):
                cells[i], cells[nxt] = "", f"{text}{cells[nxt]}"
    return cells


def _centre_in(box: BBox, area: BBox) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return area[0] <= cx <= area[2] and area[1] <= cy <= area[3]


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
