"""Tables made of aligned text, as most filings draw them (no rules), as markdown regions.

A run of rows with several short cells, at least one a number, is a table; a section label
("Operating activities:") may stand between its rows. Its cells are placed in columns by
position (a row that lacks an amount, or headings over only the columns of numbers, does not
shift the cells after it left), a lone "$" joins the amount after it and a lone "%" the amount
before it, and the headings stacked as loose lines above the numbers ("Nine Months Ended" over
"June 25," over "2022") become its header row (ingestion/table_header.py).
"""

from __future__ import annotations

import re

from ingestion.layout import Line, Region
from ingestion.table_header import (
    _YEAR,
    Above,
    continued_header,
    header_above,
    heads_its_columns,
    most_under,
)
from ingestion.tables import _AMOUNT, _CURRENCY

_NUMERIC = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")  # a letter of any script (a CJK character too)
_PROSE_WIDTH = 0.3  # of the page: a cell this wide is a line of prose, not a table cell

Cell = tuple[float, float, str]  # x0, x1, text


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


# words that stand alone in a cell only when a justified line of prose was spread into cells
# ("engines | in | commercial | usage, | and | the"); a table's cell is never just "of"
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "in",
        "on",
        "at",
        "to",
        "by",
        "for",
        "with",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "that",
        "from",
        "its",
        "it",
    ]
)


def _tabular(cells: list[tuple[float, float, str]], page_width: float) -> bool:
    """Several cells, mostly short in characters and narrow on the page (two columns of prose
    are two wide cells per row), at least one numeric or three or more cells; not the words of
    a justified line of prose (two or more cells that are a lone "of", "and", "the" …)."""
    if len(cells) < 2:
        return False
    if sum(c[2].strip().lower() in _FUNCTION_WORDS for c in cells) >= 2:
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
    above: Above | None = None  # the table just read, which the next may continue
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
                and (len(cells[0][2]) <= 60 or _section_label(cells[0][2]))
                and run
                and _labels_then_table(rows, j, page_width)
            ):
                run.append(rows[j])
            else:
                break
            j += 1
        if sum(1 for r in run if len(_row_cells(r)) > 1) >= 3:
            if _wrapped_above(rows, i, used):
                run.insert(0, rows[i - 1])  # the first label's first line
            free = [ln for ln in lines if id(ln) not in used]
            region, heading_lines, above = _table_region(run, free, above)
            tables.append(region)
            used.update(id(ln) for r in run for ln in r)
            used |= heading_lines
        i = max(j, i + 1)
    return tables, used


def _wrapped_above(rows: list[list[Line]], i: int, used: set[int]) -> bool:
    """Does the table starting at row `i` begin with the second line of a label wrapped over
    two ("and 16,426,786 shares issued and outstanding, respectively" under "Common stock …
    shares authorized; 16,095,378"): its label starts in lower case right under a lone line?"""
    first = _row_cells(rows[i])
    if i == 0 or not first or not first[0][2][:1].islower():
        return False
    above = _row_cells(rows[i - 1])
    if len(above) != 1 or any(id(ln) in used for ln in rows[i - 1]):
        return False
    text = above[0][2].rstrip()
    gap = min(ln.bbox[1] for ln in rows[i]) - max(ln.bbox[3] for ln in rows[i - 1])
    return not text.endswith((".", ":")) and abs(above[0][0] - first[0][0]) <= 12 and gap <= 6


def _unwrapped(grid: list[list[str]]) -> list[list[str]]:
    """A row holding only one cell, followed by a row whose cell in that column goes on in lower
    case, is one cell wrapped over two lines ("Total operating" over "expenses | $2,576 | …"):
    joined into the second row."""
    out: list[list[str]] = []
    for row in grid:
        filled = [k for k, c in enumerate(out[-1]) if c] if out else []
        if (
            len(filled) == 1
            and (k := filled[0]) < len(row)
            and row[k][:1].islower()
            and not out[-1][k].rstrip().endswith((".", ":"))
        ):
            row = list(row)
            row[k] = f"{out[-1][k]} {row[k]}"
            out[-1] = row
        else:
            out.append(list(row))
    return out


def _labels_then_table(rows: list[list[Line]], j: int, page_width: float) -> bool:
    """Is the label row `j` followed by a tabular row, or by one more section label and then a
    tabular row? A balance sheet puts "LIABILITIES AND SHAREHOLDERS' EQUITY:" right over
    "Current liabilities:": two labels, one statement."""
    if j + 1 < len(rows) and _tabular(_row_cells(rows[j + 1]), page_width):
        return True
    if j + 2 >= len(rows):
        return False
    this, below = _row_cells(rows[j]), _row_cells(rows[j + 1])
    return (
        _section_label(this[0][2])
        and len(below) == 1
        and _section_label(below[0][2])
        and _tabular(_row_cells(rows[j + 2]), page_width)
    )


def _section_label(text: str) -> bool:
    """A longer label row that heads the rows below it ("Adjustments to reconcile net income to
    cash generated by operating activities:"), not a sentence introducing a table ("... is as
    follows:")."""
    text = text.rstrip()
    return len(text) <= 90 and text.endswith(":") and not re.search(r"\b(?:follows|below):$", text)


def _table_region(
    rows: list[list[Line]], lines: list[Line], above: Above | None = None
) -> tuple[Region, set[int], Above | None]:
    """The table of these rows, with the headings stacked as loose lines just above it (among
    `lines`) when its first row is data, else the headings of the table just `above` when it
    goes on below a label or two ("Shareholders' equity:" under a balance sheet's liabilities);
    the ids of those heading lines; and the table as one that the next may continue."""
    grid, cols = _columned([_joined(_row_cells(r)) for r in rows])
    k = _heading_rows(grid) if len(rows) > 1 else 0  # headings the run took in
    boxes = [ln.bbox for r in rows[k:] for ln in r]
    bbox = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    taken: set[int] = set()
    head = header_above(lines, bbox, cols, grid[k:]) if len(cols) > 1 else None
    if head is not None and not {id(ln) for r in rows[:k] for ln in r} <= head.line_ids:
        head = None  # it stopped below headings the run holds: keep those as they are
    if head is None and k == 0 and len(cols) > 1:  # a statement going on below a label or two
        head = continued_header(above, lines, bbox, cols, grid)
    if head is not None:  # stacked headings, spans and all ("Nine Months Ended" over two)
        grid = [r + [""] * (len(cols) - len(r)) for r in head.rows] + grid[k:]
        bbox, taken = (bbox[0], head.top, bbox[2], bbox[3]), head.line_ids
    elif k > 1:  # headings the run took in, stacked into one row
        grid = [[" ".join(r[j] for r in grid[:k] if r[j]) for j in range(len(cols))], *grid[k:]]
    grid = _unwrapped(grid)
    width = max(len(r) for r in grid)
    md_rows = []
    for r in grid:
        cells = [c.replace("|", "\\|") for c in r] + [""] * (width - len(r))
        md_rows.append("| " + " | ".join(cells) + " |")
    md = "\n".join([md_rows[0], "|" + "---|" * width, *md_rows[1:]])
    # a row of money ("Corporate debt | $— | $ 1,395") is no header to pass on, spaces or not
    money = any(re.match(r"[$€£¥(]|\d[\d,.]*$", c.replace(" ", "")) for c in grid[0][1:] if c)
    headed = Above(grid[0], cols, bbox[3]) if heads_its_columns(grid) and not money else None
    return Region("table", md, bbox, n_lines=len(grid)), taken, headed


def _joined(cells: list[Cell]) -> list[Cell]:
    """A lone currency sign joins the amount after it, a lone "%" the amount before it."""
    out: list[Cell] = []
    for x0, x1, text in cells:
        money = bool(out) and out[-1][2] in _CURRENCY and bool(_AMOUNT.match(text))
        percent = bool(out) and text == "%" and bool(_AMOUNT.match(out[-1][2]))
        if money or (percent and "%" not in out[-1][2]):
            x0, text = out[-1][0], out.pop()[2] + text
        out.append((x0, x1, text))
    return out


def _columned(rows: list[list[Cell]]) -> tuple[list[list[str]], list[tuple[float, float]]]:
    """Rows of cells placed in columns, and each column's x-range. Where every row has as many
    cells, they stand in order; otherwise the rows with the most cells give the columns, and
    each cell of another row goes to the column it overlaps most (an amount missing from a row,
    or headings over only the columns of numbers, no longer shift the cells after it left)."""
    width = max(len(r) for r in rows)
    full = [r for r in rows if len(r) == width]
    tight = [(min(r[j][0] for r in full), max(r[j][1] for r in full)) for j in range(width)]
    # each column reaches left to halfway to the one before it, as a ruled cell would: a
    # heading wider than the amounts under it stands over their column, not between two
    cols = [tight[0]] + [((tight[j - 1][1] + a) / 2, b) for j, (a, b) in enumerate(tight) if j]
    if len({len(r) for r in rows if len(r) > 1}) <= 1:
        return [[c[2] for c in r] for r in rows], cols
    out = []
    for r in rows:
        if len(r) == width:
            out.append([c[2] for c in r])
            continue
        if len(r) == 1 and _section_label(r[0][2]):  # "ASSETS:", centred on the page
            out.append([r[0][2]] + [""] * (width - 1))
            continue
        placed = [""] * width
        for x0, x1, text in r:
            j = _best_column(x0, x1, cols)
            placed[j] = f"{placed[j]} {text}".strip()
        out.append(placed)
    return out, cols


def _best_column(x0: float, x1: float, cols: list[tuple[float, float]]) -> int:
    """The column the cell overlaps most, else the one whose centre is nearest."""
    best = most_under((x0, x1), cols)
    if best is not None:
        return best
    centre = (x0 + x1) / 2
    return min(range(len(cols)), key=lambda j: abs((cols[j][0] + cols[j][1]) / 2 - centre))


def _heading_rows(rows: list[list[str]]) -> int:
    """How many leading rows are headings over the columns of numbers ("June 25," over
    "2022"): nothing in the first column and no amounts."""
    k = 0
    while k < len(rows) and not rows[k][0] and not any(_amount(c) for c in rows[k] if c):
        k += 1
    return k


def _amount(text: str) -> bool:
    return bool(_AMOUNT.match(text)) and not _YEAR.match(text)  # "2022" heads a column
