"""PDFs generated in-process with PyMuPDF for tests (no binary fixtures in the repo)."""

from __future__ import annotations

from pathlib import Path

import pymupdf

W, H = 595, 842
LOREM = (
    "The committee reviewed the annual maintenance plan and approved the budget for the next year. "
    "Inspections follow the schedule agreed with the regional office. "
)


def _page(doc: pymupdf.Document, n: int, total: int, header: str | None) -> pymupdf.Page:
    page = doc.new_page(width=W, height=H)
    if header:
        page.insert_text((72, 40), header, fontsize=8)
        page.insert_text((270, 815), f"Page {n} of {total}", fontsize=8)
    return page


def structured(
    path: Path, *, header: str | None = "ACME Corp. Confidential Maintenance Manual"
) -> Path:
    """Four pages: a title, numbered headings of two levels, a table, running header/footer,
    and a two-column page."""
    doc = pymupdf.open()
    total = 4
    p = _page(doc, 1, total, header)
    p.insert_text((72, 100), "Boiler Maintenance Manual", fontsize=22)
    p.insert_text((72, 150), "1. Safety", fontsize=16)
    p.insert_textbox(
        pymupdf.Rect(72, 165, 523, 260),
        "Always wear gloves. The operating pressure is 3 bar. " + LOREM,
        fontsize=10,
    )
    p.insert_text((72, 290), "1.1 Protective equipment", fontsize=13)
    p.insert_textbox(
        pymupdf.Rect(72, 300, 523, 380),
        "Goggles are required in the boiler room. " + LOREM,
        fontsize=10,
    )
    p = _page(doc, 2, total, header)
    p.insert_text((72, 100), "2. Service intervals", fontsize=16)
    p.insert_textbox(
        pymupdf.Rect(72, 110, 523, 150), "Table 1: Intervals by component", fontsize=10
    )
    rows = [
        ("Component", "Interval", "Cost"),
        ("Burner", "12 months", "150"),
        ("Pump", "24 months", "90"),
        ("Valve", "6 months", "35"),
    ]
    for r, row in enumerate(rows):
        y = 175 + r * 20
        for c, cell in enumerate(row):
            p.insert_text((72 + c * 150, y), cell, fontsize=10)
        p.draw_line((70, y + 5), (520, y + 5))
    p = _page(doc, 3, total, header)
    p.insert_text((72, 100), "3. Two column notes", fontsize=16)
    left = "LEFTSTART " + LOREM * 5 + "LEFTEND."
    right = "RIGHTSTART " + LOREM * 5 + "RIGHTEND."
    p.insert_textbox(pymupdf.Rect(72, 120, 290, 700), left, fontsize=10)
    p.insert_textbox(pymupdf.Rect(310, 120, 523, 700), right, fontsize=10)
    p = _page(doc, 4, total, header)
    p.insert_text((72, 100), "4. Contacts", fontsize=16)
    p.insert_textbox(
        pymupdf.Rect(72, 110, 523, 200), "Call the service desk on weekdays. " + LOREM, fontsize=10
    )
    doc.save(path, no_new_id=True)  # same content, same bytes: tests reproduce
    doc.close()
    return path


def chinese(path: Path) -> Path:
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    p.insert_text((72, 100), "设备维护手册", fontsize=20, fontname="china-s")
    p.insert_text((72, 150), "1. 安全须知", fontsize=15, fontname="china-s")
    body = "操作压力为三巴。" + "维修人员必须佩戴手套和护目镜，并按照规定的周期检查设备。" * 6
    p.insert_textbox(pymupdf.Rect(72, 165, 523, 400), body, fontsize=10, fontname="china-s")
    doc.save(path, no_new_id=True)  # same content, same bytes: tests reproduce
    doc.close()
    return path


def image_only(path: Path, pages: int = 2, text_pages: tuple[int, ...] = ()) -> Path:
    """Pages that hold only a picture (a scan), optionally with some real text pages."""
    doc = pymupdf.open()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 100), 0)
    pix.set_rect(pix.irect, (220, 220, 220))
    for i in range(pages):
        p = doc.new_page(width=W, height=H)
        if i + 1 in text_pages:
            p.insert_textbox(pymupdf.Rect(72, 72, 523, 400), LOREM * 4, fontsize=10)
        else:
            p.insert_image(pymupdf.Rect(72, 72, 523, 300), pixmap=pix)
    doc.save(path, no_new_id=True)  # same content, same bytes: tests reproduce
    doc.close()
    return path


def encrypted(path: Path, password: str = "s3cret") -> Path:
    doc = pymupdf.open()
    p = doc.new_page()
    p.insert_text((72, 100), "Secret quarterly numbers: revenue was 42 million.", fontsize=11)
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw=password)
    doc.close()
    return path


def simple(path: Path, text: str, pages: int = 1, fontname: str = "helv") -> Path:
    doc = pymupdf.open()
    for _ in range(pages):
        p = doc.new_page(width=W, height=H)
        p.insert_textbox(pymupdf.Rect(72, 72, 523, 770), text, fontsize=10, fontname=fontname)
    doc.save(path, no_new_id=True)  # same content, same bytes: tests reproduce
    doc.close()
    return path


def draw_ruled_table(
    page: pymupdf.Page,
    rows: list[tuple[str, ...]],
    *,
    x: float = 72,
    y: float = 120,
    widths: tuple[float, ...] = (),
    row_height: float = 30,
    fontname: str = "helv",
    fontsize: float = 9,
) -> pymupdf.Rect:
    """A table with a full grid of rules; cell text wraps inside its cell. Returns its bbox."""
    cols = max(len(r) for r in rows)
    widths = widths or (150.0,) * cols
    for r, row in enumerate(rows):
        top = y + r * row_height
        left = x
        for c in range(cols):
            cell = pymupdf.Rect(left, top, left + widths[c], top + row_height)
            page.draw_rect(cell, color=(0, 0, 0), width=0.7)
            text = row[c] if c < len(row) else ""
            if text:
                page.insert_textbox(
                    pymupdf.Rect(cell.x0 + 3, cell.y0 + 2, cell.x1 - 3, cell.y1 - 2),
                    text,
                    fontsize=fontsize,
                    fontname=fontname,
                )
            left += widths[c]
    return pymupdf.Rect(x, y, x + sum(widths[:cols]), y + len(rows) * row_height)


def ruled_table(path: Path) -> Path:
    """One page: a heading, a paragraph, a ruled 3x4 table with wrapped cells, a paragraph."""
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    p.insert_text((72, 80), "Spare parts", fontsize=16)
    p.insert_textbox(
        pymupdf.Rect(72, 90, 523, 115), "Order parts from the list below.", fontsize=10
    )
    draw_ruled_table(
        p,
        [
            ("Part", "Description", "Price"),
            ("Burner nozzle", "Brass nozzle for the main burner, replace yearly", "$ 12.50"),
            ("Pump seal", "Rubber seal kit for the circulation pump", "$ 4.20"),
            ("Gasket", "High temperature gasket", "$ 1.10"),
        ],
        widths=(110, 250, 90),
    )
    p.insert_textbox(pymupdf.Rect(72, 260, 523, 300), "Prices exclude shipping.", fontsize=10)
    doc.save(path, no_new_id=True)  # same content, same bytes: tests reproduce
    doc.close()
    return path


def multi_page(path: Path, pages: list[list[tuple[str, float]]], *, footer: bool = True) -> Path:
    """Generic builder: each page is a list of (text, fontsize) paragraphs stacked top-down
    (a size >= 13 is drawn as a one-line heading); optional "Page N of M" footer."""
    doc = pymupdf.open()
    for n, paras in enumerate(pages, start=1):
        p = doc.new_page(width=W, height=H)
        y = 72.0
        for text, size in paras:
            if size >= 13:
                p.insert_text((72, y + size), text, fontsize=size)
                y += size * 2
            else:
                height = 14 * (len(text) // 80 + 2)
                p.insert_textbox(pymupdf.Rect(72, y, 523, y + height), text, fontsize=size)
                y += height
        if footer:
            p.insert_text((270, 815), f"Page {n} of {len(pages)}", fontsize=8)
    doc.save(path, no_new_id=True)  # same content, same bytes: tests reproduce
    doc.close()
    return path


def statement_table(path: Path, notes_y: float = 290) -> Path:
    """A financial statement as filings draw it: the grid holds only the rows of numbers; the
    column headings ("Three Months Ended" over "June 25," over "2022") and a section label sit
    as loose text above it, under a caption line."""
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    p.insert_text((40, 80), "Statements of Operations", fontsize=16)
    p.insert_text(
        (40, 110), "(In millions, except number of shares and per share amounts)", fontsize=9
    )
    p.insert_text((236, 152), "Three Months Ended", fontsize=9)
    p.insert_text((416, 152), "Nine Months Ended", fontsize=9)
    for k, (day, year) in enumerate([("June 25,", "2022"), ("June 26,", "2021")] * 2):
        x = 190 + 90 * k + 24
        p.insert_text((x, 163), day, fontsize=9)
        p.insert_text((x + 6, 174), year, fontsize=9)
    p.insert_text((40, 185), "Net sales:", fontsize=9)
    draw_ruled_table(
        p,
        [
            ("Products", "63,355", "63,948", "245,241", "232,309"),
            ("Services", "19,604", "17,486", "58,941", "50,148"),
            ("Total net sales", "82,959", "81,434", "304,182", "282,457"),
        ],
        x=40,
        y=190,
        widths=(150, 90, 90, 90, 90),
        row_height=20,
    )
    p.insert_textbox(
        pymupdf.Rect(40, notes_y, 550, notes_y + 40), "See accompanying notes.", fontsize=10
    )
    doc.save(path, no_new_id=True)
    doc.close()
    return path


def statement_continued(path: Path, gap: float = 12) -> Path:
    """`statement_table`'s page with a second grid `gap` points below the first, after a
    section label ("Gross margin percentage:"), with no headings of its own and each "%" in a
    narrow cell of its own, as the Apple 10-Q's gross margin table is drawn."""
    statement_table(path, notes_y=400)
    doc = pymupdf.open(path)
    p = doc[0]
    p.insert_text((40, 250 + gap + 8), "Gross margin percentage:", fontsize=9)
    rows = [("Products", "34.5", "%", "36.0", "%", "36.8", "%", "35.7", "%")]
    rows.append(
        ("Total gross margin percentage", "43.3", "%", "43.3", "%", "43.6", "%", "41.7", "%")
    )
    draw_ruled_table(p, rows, x=40, y=262 + gap, widths=(150,) + (70, 20) * 4, row_height=20)
    out = path.with_name(path.stem + "-continued.pdf")
    doc.save(out)
    doc.close()
    return out


def text_statement(path: Path, note: str = "") -> Path:
    """A cash-flow statement drawn as aligned text with no rules: headings stacked over the two
    columns of amounts ("Nine Months Ended" over "June 25," over "2022"), amounts right-aligned
    with the "$" standing apart on some rows, section labels (one a long one ending in ":"),
    and `note` (a sentence introducing what follows) as one more row between them."""
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    right = (470.0, 550.0)

    def amounts(y: float, values: tuple[str, str], dollar: bool = False) -> None:
        for r, v in zip(right, values, strict=True):
            p.insert_text((r - pymupdf.get_text_length(v, fontsize=9), y), v, fontsize=9)
            if dollar:
                p.insert_text((r - 62, y), "$", fontsize=9)

    p.insert_text((40, 80), "CONDENSED CONSOLIDATED STATEMENTS OF CASH FLOWS", fontsize=12)
    p.insert_text((445, 110), "Nine Months Ended", fontsize=9)
    for r, day, year in ((470, "June 25,", "2022"), (550, "June 26,", "2021")):
        p.insert_text((r - 40, 121), day, fontsize=9)
        p.insert_text((r - 22, 132), year, fontsize=9)
    y = 146.0
    rows: list[tuple[str, tuple[str, str] | None, bool]] = [
        ("Cash and cash equivalents, beginning balances", ("35,929", "39,789"), True),
        ("Operating activities:", None, False),
        ("Net income", ("79,082", "74,129"), False),
        (
            "Adjustments to reconcile net income to cash generated by operating activities:",
            None,
            False,
        ),
        ("Depreciation and amortization", ("8,239", "8,295"), False),
        ("Share-based compensation expense", ("6,760", "5,961"), False),
    ]
    if note:
        rows.insert(3, (note, None, False))
    for label, values, dollar in rows:
        p.insert_text((40, y), label, fontsize=9)
        if values:
            amounts(y, values, dollar)
        y += 12
    doc.save(path)
    doc.close()
    return path


def balance_sheet(path: Path) -> Path:
    """A balance sheet drawn as aligned text, as the bundled 10-Q draws it: dates stacked over
    two columns of amounts ("June 25," over "2022"), section titles centred on the page and
    ending in ":" ("ASSETS:" right under the dates, "LIABILITIES AND SHAREHOLDERS' EQUITY:"
    between the assets and the liabilities, with "Current liabilities:" right under it), then
    the shareholders' equity with row labels wrapped over two lines ("Common stock … 16,095,378"
    over "and 16,426,786 shares issued and outstanding, respectively | 62,115 | 57,365")."""
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    right = (470.0, 550.0)

    def centred(y: float, text: str) -> None:
        p.insert_text(((W - pymupdf.get_text_length(text, fontsize=9)) / 2, y), text, fontsize=9)

    p.insert_text((40, 80), "CONDENSED CONSOLIDATED BALANCE SHEETS", fontsize=12)
    for r, day, year in ((470, "June 25,", "2022"), (550, "September 25,", "2021")):
        p.insert_text((r - pymupdf.get_text_length(day, fontsize=9), 110), day, fontsize=9)
        p.insert_text((r - 22, 119), year, fontsize=9)
    centred(131, "ASSETS:")
    y = 143.0
    rows: list[tuple[str, tuple[str, str] | None]] = [
        ("Current assets:", None),
        ("Cash and cash equivalents", ("27,502", "34,940")),
        ("Inventories", ("5,433", "6,580")),
        ("Total assets", ("336,309", "351,002")),
        ("", None),
        ("Current liabilities:", None),
        ("Deferred revenue", ("7,728", "7,612")),
        ("Term debt", ("14,009", "9,613")),
        ("Total liabilities", ("278,202", "287,912")),
        ("Commitments and contingencies", None),
        ("Shareholders' equity:", None),
        ("Common stock, $0.00001 par value: 50,400,000 shares authorized; 16,095,378", None),
        ("and 16,426,786 shares issued and outstanding, respectively", ("62,115", "57,365")),
        ("Retained earnings", ("5,289", "5,562")),
        ("Total operating", None),
        ("expenses", ("2,576", "1,960")),
        ("Total shareholders' equity", ("58,107", "63,090")),
    ]
    for label, values in rows:
        if not label:
            centred(y + 4, "LIABILITIES AND SHAREHOLDERS' EQUITY:")
            y += 16
            continue
        p.insert_text((40, y), label, fontsize=9)
        for r, v in zip(right, values or (), strict=False):
            p.insert_text((r - pymupdf.get_text_length(v, fontsize=9), y), v, fontsize=9)
        y += 12
    doc.save(path)
    doc.close()
    return path
