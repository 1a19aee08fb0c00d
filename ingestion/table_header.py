"""The header a ruled table leaves outside its grid.

Financial statements draw rules (or shaded bands) only around the rows of numbers; the column
headings ("Three Months Ended" over "June 25, / 2022") sit as loose text above the grid, and
`find_tables` returns a table whose first row is data. Read that way, "Total net sales | 82,959"
answers no question about a quarter. `header_above` takes the stacked lines just above such a
grid, gives each column the text over it (a heading spanning two columns goes to both), and
returns the header row plus any section labels between header and grid ("Net sales:").

A statement often continues in a second grid right below the first, after a section label
("Gross margin percentage:" under the gross margin amounts), with no headings of its own:
`continued_header` gives it the headings of the table above, each column the one over it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingestion.layout import BBox, Line

_DIGIT = re.compile(r"\d")
MAX_REACH = 80.0  # points above the grid searched for header lines
MAX_CELL_CHARS = 40  # a longer line is prose (a caption, "(In millions, except ...)")
MAX_GAP = 30.0  # points between a table and a grid below it that continues it
LABEL_STEP = 12.0  # ... and this much more for each section label line between them


@dataclass(frozen=True)
class Header:
    rows: list[list[str]]  # the header row, then section-label rows, to put before the grid rows
    line_ids: set[int]  # ids of the page lines now part of the table
    top: float  # the table's new top edge


@dataclass(frozen=True)
class Above:
    """A table already read on the page, as a grid below it may continue it."""

    header: list[str]  # its header row, one heading per column
    cols: list[tuple[float, float]]  # the x-range of each of its columns
    bottom: float


def continued_header(
    above: Above | None,
    lines: list[Line],
    bbox: BBox,
    cols: list[tuple[float, float]],
    cells: list[list[str]],
) -> Header | None:
    """The headings of the table just above, for a grid whose first row is data and that
    continues it: at most MAX_GAP below it, with only short section labels between (they become
    the grid's first rows), and each of its columns of data under a different column of that
    table (the one it overlaps most). None otherwise."""
    if above is None or not needs_header(cells):
        return None
    left = min(bbox[0], above.cols[0][0]) - 20  # labels may stand out left of the grid
    between = [
        ln
        for ln in lines
        if above.bottom - 1 <= (ln.bbox[1] + ln.bbox[3]) / 2 <= bbox[1] + 1
        and left <= ln.bbox[0] <= bbox[2]
    ]
    if any(len(ln.text) > MAX_CELL_CHARS or _DIGIT.search(ln.text) for ln in between):
        return None
    if not -2 <= bbox[1] - above.bottom <= MAX_GAP + LABEL_STEP * min(len(between), 3):
        return None  # each label line between may take a line's height more
    data_cols = [j for j in range(1, len(cols)) if any(j < len(r) and r[j] for r in cells)]
    under = [most_under(cols[j], above.cols) for j in data_cols]
    if not data_cols or 0 in under or None in under or len(set(under)) < len(under):
        return None
    header = [above.header[0]] + [""] * (len(cols) - 1)
    for j, k in zip(data_cols, under, strict=True):
        header[j] = above.header[k]  # type: ignore[index]
    labels = [
        [ln.text] + [""] * (len(cols) - 1) for ln in sorted(between, key=lambda ln: ln.bbox[1])
    ]
    return Header([header, *labels], {id(ln) for ln in between}, above.bottom)


def heads_its_columns(cells: list[list[str]]) -> bool:
    """Does the table's first row name its columns (headings, not amounts or an empty row)?
    Unlike `needs_header`, a heading holding a date ("June 25, 2022") counts as a heading."""
    values = [c for c in cells[0][1:] if c] if cells else []
    amounts = sum(1 for v in values if _AMOUNT.match(v) and not _YEAR.match(v))
    return bool(values) and amounts * 2 <= len(values)


def most_under(col: tuple[float, float], cols: list[tuple[float, float]]) -> int | None:
    """The column of `cols` that `col` overlaps most, or None where it overlaps none."""
    overlaps = [min(col[1], b) - max(col[0], a) for a, b in cols]
    best = max(range(len(cols)), key=lambda k: overlaps[k])
    return best if overlaps[best] > 0 else None


def columns(grid: list[list[BBox | None]]) -> list[tuple[float, float]]:
    """Each grid column's x-range, from the row that splits the grid into the most cells."""
    row = max(grid, key=lambda r: sum(c is not None for c in r))
    out: list[tuple[float, float]] = []
    for j, cell in enumerate(row):
        if cell is not None:
            out.append((cell[0], cell[2]))
        else:
            left = out[-1][1] if out else 0.0
            nxt = next((c[0] for c in row[j + 1 :] if c is not None), left)
            out.append((left, nxt))
    return out


def needs_header(cells: list[list[str]]) -> bool:
    """True when the first row with text beyond its first column is numbers (data, not
    headings): the grid starts below its header."""
    for row in cells:
        values = [c for c in row[1:] if c]
        if values:
            return sum(1 for v in values if _DIGIT.search(v)) * 2 > len(values)
    return False


def header_above(
    lines: list[Line], bbox: BBox, cols: list[tuple[float, float]], cells: list[list[str]]
) -> Header | None:
    """The header row for a grid whose first row is data, from the rows of lines stacked just
    above it (each within about a line's height of the next), or None when there are none.
    Rows of amounts and section labels directly above the grid are taken as its first rows."""
    data_cols = [j for j in range(len(cols)) if any(j < len(r) and r[j] for r in cells[:50])]
    if len(data_cols) < 2 or not needs_header(cells):
        return None
    first_x = cols[data_cols[1]][0] if data_cols[0] == 0 else cols[data_cols[0]][0]
    near = [
        ln
        for ln in lines
        if ln.bbox[3] <= bbox[1] + 2
        and ln.bbox[1] >= bbox[1] - MAX_REACH
        and bbox[0] - 5 <= (ln.bbox[0] + ln.bbox[2]) / 2 <= bbox[2] + 5
    ]
    body: list[tuple[float, list[Cell]]] = []  # rows of the table found above its grid
    heads: list[list[Cell]] = []  # heading rows, bottom up
    taken: list[Line] = []
    edge = bbox[1]
    for row in _visual_rows(near):
        top, bottom = min(ln.bbox[1] for ln in row), max(ln.bbox[3] for ln in row)
        cells_ = sorted((c for ln in row for c in ln.cells), key=lambda c: c[0])
        if edge - bottom > max(6.0, bottom - top) or any(
            len(c[2]) > MAX_CELL_CHARS for c in cells_
        ):
            break  # a gap or prose: what is above belongs to the page, not the table
        right = [c for c in cells_ if (c[0] + c[1]) / 2 >= first_x]
        amounts = sum(1 for c in right if _AMOUNT.match(c[2]) and not _YEAR.match(c[2]))
        if len(cells_) == 1 and cells_[0][2].rstrip().endswith(":"):
            if heads:
                break  # a section title above the headings: the page's, not the table's
            # a section title, centred or not ("ASSETS:"), heads the rows below it
            body.append((top, [(cols[0][0], cols[0][0], cells_[0][2])]))
        elif not heads and (not right or amounts * 2 > len(right)):
            body.append((top, cells_))  # a data row or a section label the grid missed
        elif right and not amounts * 2 > len(right):
            heads.append(cells_)
        else:
            break  # a label or a data row above the headings: not this table's
        taken += row
        edge = top
    if not heads:
        return None
    header = _header_row(heads, cols, data_cols, first_x)
    rows = [header] + [
        _place(c, cols, data_cols, first_x) for _, c in sorted(body, key=lambda b: b[0])
    ]
    return Header(rows, {id(ln) for ln in taken}, edge)


Cell = tuple[float, float, str]
_CURRENCY = {"$", "€", "£", "¥", "US$"}
_YEAR = re.compile(r"^(?:19|20)\d\d$")  # "2022" over a column is a heading, not an amount
_AMOUNT = re.compile(r"^[-(]?[$€£¥]?\s*\(?[\d.,]+\)?%?$|^[$€£¥—–-]$")


def _visual_rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into rows by vertical centre, bottom row first."""
    rows: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: -(ln.bbox[1] + ln.bbox[3])):
        cy = (ln.bbox[1] + ln.bbox[3]) / 2
        if rows:
            last = rows[-1][0]
            if abs(cy - (last.bbox[1] + last.bbox[3]) / 2) <= 0.35 * (last.bbox[3] - last.bbox[1]):
                rows[-1].append(ln)
                continue
        rows.append([ln])
    return rows


def _header_row(
    heads: list[list[Cell]], cols: list[tuple[float, float]], data_cols: list[int], first_x: float
) -> list[str]:
    """Heading rows (bottom up) to one header row. A heading stacked on one column's heading
    ("June 25," over "2022") joins it; a wider one ("Three Months Ended") spans every column
    under it, out to halfway to its neighbours in the row."""
    parts: dict[int, list[str]] = {}
    spans: dict[int, tuple[float, float]] = {}
    for row in heads:
        right = [c for c in row if (c[0] + c[1]) / 2 >= first_x]
        for k, (x0, x1, text) in enumerate(right):
            under = [j for j, (a, b) in spans.items() if a < x1 and b > x0]
            if not spans:
                targets = [_nearest(x0, x1, cols, data_cols)]
            elif len(under) == 1 and x1 - x0 <= 2 * (spans[under[0]][1] - spans[under[0]][0]):
                targets = under
            else:
                lo = (right[k - 1][1] + x0) / 2 if k else -1e9
                hi = (x1 + right[k + 1][0]) / 2 if k + 1 < len(right) else 1e9
                targets = [j for j, (a, b) in spans.items() if lo <= (a + b) / 2 <= hi]
                targets = targets or [_nearest(x0, x1, cols, data_cols)]
            for j in targets:
                parts.setdefault(j, []).insert(0, text)
                a, b = spans.get(j, (x0, x1))
                spans[j] = (min(a, x0), max(b, x1))
        for x0, x1, text in row:
            if (x0 + x1) / 2 < first_x:  # the first column's own heading
                parts.setdefault(0, []).insert(0, text)
    return [" ".join(parts.get(j, [])) for j in range(len(cols))]


def _place(
    row: list[Cell], cols: list[tuple[float, float]], data_cols: list[int], first_x: float
) -> list[str]:
    out = [""] * len(cols)
    merged: list[Cell] = []
    for x0, x1, text in row:  # a lone "$" belongs to the amount after it
        if merged and merged[-1][2] in _CURRENCY and _AMOUNT.match(text):
            sign = merged.pop()
            x0, text = sign[0], sign[2] + text
        merged.append((x0, x1, text))
    for x0, x1, text in merged:
        j = 0 if (x0 + x1) / 2 < first_x else _nearest(x0, x1, cols, data_cols)
        out[j] = f"{out[j]} {text}".strip()
    return out


def _nearest(x0: float, x1: float, cols: list[tuple[float, float]], data_cols: list[int]) -> int:
    centre = (x0 + x1) / 2
    inside = [j for j in data_cols if cols[j][0] <= centre <= cols[j][1]]
    if inside:
        return inside[0]
    return min(data_cols, key=lambda j: abs((cols[j][0] + cols[j][1]) / 2 - centre))
