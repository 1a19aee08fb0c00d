"""Tables on a PDF page, as markdown regions: aligned text (most filings draw no grid) and ruled
grids found by PyMuPDF's `find_tables`, with amounts lined up under their columns.

Works on the plain records of ingestion/layout.py; only `ruled_tables` touches a PyMuPDF page.
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

_NUMERIC = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script (a CJK character too)
_PROSE_WIDTH = 0.3  # of the page: a cell this wide is a line of prose, not a table cell


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
    if len(cells) == 2 and max(widths) >= _PROSE_WIDTH * page_width:
        # a full line of prose beside a short one: a table only when the short one is a number
        # with no words ("Net income | 20,721", "31.1* | Certification of ..."); otherwise two
        # columns of prose, where an article's title or a paragraph's last line stands beside
        # a line of the other column ("2. 津蓟铁路 | ...")
        narrow = min(cells, key=lambda c: c[1] - c[0])[2]
        return not _LETTER.search(narrow) and bool(re.search(r"[\d—–-]", narrow))
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
        head = continued_header(above, lines, bbox, cols, cells) or header_above(  # type: ignore
            lines,
            bbox,
            cols,
            cells,  # type: ignore[arg-type]
        )
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
