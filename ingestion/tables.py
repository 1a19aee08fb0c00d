"""Tables on a PDF page drawn with rules, found by PyMuPDF's `find_tables`, as markdown regions
with amounts lined up under their columns (tables of aligned text: ingestion/text_tables.py).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Any

from ingestion.layout import BBox, Line, Region, join_lines
from ingestion.table_header import (
    Above,
    columns,
    continued_header,
    header_above,
    heads_its_columns,
)


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
    above: Above | None = None  # the table just read, which a grid below may continue
    for tab in sorted(found, key=lambda t: t.bbox[1]):
        try:
            grid = [list(row.cells) for row in tab.rows]
            cells = _grid_text(grid, words, centres)
            bbox = tuple(tab.bbox)
            cols = columns(grid)
        except Exception:
            continue
        filled = [r for r in cells if sum(1 for c in r if c) >= 2]
        if len(filled) < 2:
            continue
        head = continued_header(above, lines, bbox, cols, cells)  # type: ignore[arg-type]
        head = head or header_above(lines, bbox, cols, cells)  # type: ignore[arg-type]
        if head is not None:
            cells = head.rows + cells
            bbox = (bbox[0], head.top, bbox[2], bbox[3])
            used |= head.line_ids
        above = Above(cells[0], cols, bbox[3]) if heads_its_columns(cells) else None  # type: ignore
        md = table_markdown(cells)  # type: ignore[arg-type]
        if md:
            tables.append(Region("table", md, bbox, n_lines=len(cells)))  # type: ignore[arg-type]
            used.update(id(ln) for ln in lines if _centre_in(ln.bbox, bbox))  # type: ignore[arg-type]
    return tables, used


def _grid_text(grid: list[list[Any]], words: list[tuple], centres: list[float]) -> list[list[str]]:
    """Text of each cell (bbox, or None where the cell to its left spans it) from the words
    whose centre lies in it; see `align_row` for spans."""
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
        out.append(align_row(texts))
    return out


_AMOUNT = re.compile(r"^[-(]?[$€£¥]?\s*[\d.,]+%?\)?$|^[—–-]$")
_CURRENCY = {"$", "€", "£", "¥", "US$"}


def align_row(texts: list[str | None]) -> list[str]:
    """Financial tables: an amount in a cell spanning several columns goes to the last one
    (amounts are right-aligned), and a lone currency sign joins the amount after it, so the
    numbers of one column line up whether or not a row shows the "$"; a lone "%" joins the
    amount before it."""
    cells = [t or "" for t in texts]
    for i, text in enumerate(texts):
        if text and _AMOUNT.match(text):
            j = i
            while j + 1 < len(texts) and texts[j + 1] is None:
                j += 1
            if j > i:
                cells[i], cells[j] = "", text
    for i, text in enumerate(cells):
        if text == "%":  # a lone "%" belongs to the amount before it ("34.5 | %" -> "34.5%")
            before = next((j for j in range(i - 1, -1, -1) if cells[j]), None)
            if before is not None and _AMOUNT.match(cells[before]) and "%" not in cells[before]:
                cells[before], cells[i] = f"{cells[before]}%", ""
    for i, text in enumerate(cells):
        if text in _CURRENCY:
            nxt = next((j for j in range(i + 1, len(cells)) if cells[j]), None)
            if nxt is not None and _AMOUNT.match(cells[nxt]):
                cells[i], cells[nxt] = "", f"{text}{cells[nxt]}"
    return cells


def _centre_in(box: BBox, area: BBox) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return area[0] <= cx <= area[2] and area[1] <= cy <= area[3]
