"""Tables as text: a markdown table's rows as "header: value; ..." lines, read back into
cells, cut to the cells a question asks about, and matched by their label to the question.

Financial statements print a currency sign or a percent in a cell of its own and put the header
over the values, not the labels (`_rejoin_signs`, `_rejoin_percents`); a two-column page that
the layout cut into cells is prose, not a table (`prose_grid`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragchat.sentences import split_sentences
from ragchat.text import lexical_tokens, term_present
from ragchat.types import Chunk


def table_grid(text: str) -> list[list[str]]:
    """A markdown table's rows as lists of cells (header first, the |---| line left out), with
    a financial statement's split currency and percent cells joined (`_rejoin_signs`,
    `_rejoin_percents`)."""
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.strip().startswith("|") and not re.fullmatch(r"[\s|:\-]+", line)
    ]
    if len(rows) > 1 and _values_only(rows[0]):
        rows = [[""] * len(rows[0]), *rows]  # a data row the layout took for the header
    return _rejoin_signs(_rejoin_percents(rows)) if len(rows) > 1 else rows


_VALUE = re.compile(r"[$€£¥%]|[$€£¥]?\(?[-−]?[\d,.]*\d\)?%?|[—–-]")
_YEAR_CELL = re.compile(r"(?:19|20)\d\d")


def _values_only(header: list[str]) -> bool:
    """Is this "header" a row of values ("Products | 34.5 | % | 36.0 | %")? The layout takes the
    first row for the header when the real one stands apart; read as a header, its values named
    every column ("Services; 34.5: 71.5"). A header of years ("2022 | 2023") is a header."""
    cells = [c for c in header[1:] if c]
    numbers = [c for c in cells if re.search(r"\d", c)]
    return (
        bool(numbers)
        and all(_VALUE.fullmatch(c) for c in cells)
        and not all(_YEAR_CELL.fullmatch(c) for c in numbers)
    )


def _rejoin_percents(rows: list[list[str]]) -> list[list[str]]:
    """A change column prints its "%" in a column of its own with no heading ("Change | " over
    "2 | %"), so a row read "Change: 2; %". Such a column is joined to the one before it
    ("Change: 2%"). Only a column whose heading is empty and whose cells are all "%" or empty,
    in a table whose rows are as wide as its header."""
    header, body = rows[0], rows[1:]
    if any(len(row) != len(header) for row in body):
        return rows
    lone = [
        j
        for j in range(1, len(header))
        if not header[j]
        and all(row[j] in ("%", "") for row in body)
        and any(row[j] == "%" and row[j - 1] for row in body)
    ]
    if not lone:
        return rows
    out = []
    for row in rows:
        cells = list(row)
        for j in lone:
            if cells[j] == "%" and cells[j - 1]:
                cells[j - 1] += "%"
        out.append([c for j, c in enumerate(cells) if j not in lone])
    return out


_SIGN = re.compile(r"[$€£¥]")


def _rejoin_signs(rows: list[list[str]]) -> list[list[str]]:
    """Financial statements print the currency sign in a column of its own, so a row reads
    "Net income | $ | (3,844) | $ | 3,172" under a header "2022 | 2023" that has no cell for the
    labels: every value stood under the wrong year. The sign is joined to its value
    ("$(3,844)"), and a header with as many names as the rows have values is moved past the
    label column. Tables without a lone sign cell are left as they are."""
    header, body = rows[0], rows[1:]
    if not any(_SIGN.fullmatch(c) for row in body for c in row):
        return rows
    joined = []
    for row in body:
        out: list[str] = []
        for cell in row:
            if out and _SIGN.fullmatch(out[-1]) and cell:
                out[-1] += cell
            else:
                out.append(cell)
        joined.append(out)
    names = [h for h in header if h]
    values = max(len([c for c in row[1:] if c]) for row in joined)
    if names and len(names) == values and not any(_SIGN.fullmatch(h) for h in header):
        header = ["", *names]
    return [header, *joined]


def is_table(chunk: Chunk) -> bool:
    """Is a chunk (a piece of) a table, read as markdown rows?"""
    return chunk.kind == "table" or chunk.text.lstrip().startswith("|")


SECTION_MARK = " – "  # between a section and the label of a row under it


def section_name(cells: list[str]) -> str:
    """The section a table row only names — its first cell, when every other cell is empty
    ("Japan" of "| Japan: |  |  |", "Operating expenses" of "| Operating expenses: | | |") —
    else ""."""
    if len(cells) < 2 or not cells[0].strip() or any(c.strip() for c in cells[1:]):
        return ""
    if not re.search(r"[^\W\d_]", cells[0]):
        return ""
    return cells[0].strip().rstrip(":：").strip()


def closes_section(label: str, section: str = "") -> bool:
    """A total closes the section it sums up ("Total current assets"), and so does a row naming
    the section ("Cash used in financing activities" under "Financing activities:"): the rows
    below it are not the section's ("Cash, cash equivalents and restricted cash, ending
    balances" read "Financing activities – Cash, …")."""
    if re.match(r"\s*total\b", label, re.IGNORECASE):
        return True
    name = section.strip().lower()
    # a cash-flow statement's section total: "(Net) cash generated by / used in / provided by
    # (used in) <section>" — not any row naming it ("Product revenue" under "Revenue:")
    return bool(name) and bool(
        re.match(rf"\s*(?:net\s+)?cash\b.*\b(?:by|in|from)\s+{re.escape(name)}\s*$", label.lower())
    )


def table_rows(text: str) -> list[str]:
    """Markdown table rows as "header: value; header: value" lines; a row under a section row
    ("| Japan: | | |") carries the section in its label: "Japan – Operating income; …"."""
    rows = table_grid(text)
    if not rows:
        return [" ".join(text.split())] if text.strip() else []
    if prose_grid(rows):  # running text the layout cut into columns: its prose lines only
        prose = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("|")]
        return [" ".join(p[a:b].split()) for p in prose for a, b in split_sentences(p) if b > a + 3]
    header, body = rows[0], rows[1:]
    out = []
    section = ""  # the section row the rows stand under: "Japan:" → "Japan – Net sales; …"
    for row in body:
        # a cell's own "; " ("50,400,000 shares authorized; 16,095,378 … outstanding") would
        # read as the end of the cell
        row = [c.replace("; ", ", ") for c in row]
        if named := section_name(row):
            section = named
        elif row and closes_section(row[0], section):
            section = ""
        elif section and row and row[0]:
            row = [f"{section}{SECTION_MARK}{row[0]}", *row[1:]]
        heads = [h.rstrip(":： ") for h in header]  # a heading "ASSETS:" reads "ASSETS: 5"
        cells = [
            f"{h}: {v}" if h and h != v else v
            for h, v in zip(heads + [""] * len(row), row, strict=False)
            if v
        ]
        if cells:
            out.append("; ".join(cells))
    return out or ["; ".join(c for c in header if c)]


# a balance sheet's classes: "Current liabilities – Term debt" and "Non-current liabilities – Term
# debt" are two parts of one amount
_CLASS = re.compile(r"(current|non-?current|long-term|short-term)\b", re.IGNORECASE)


def other_parts(row: str, others: Sequence[str], question: str) -> list[int]:
    """Indexes of the rows among `others` holding the same line under another class of the
    statement ("Non-current liabilities – Term debt" for "Current liabilities – Term debt"),
    when the question names no class: "How much term debt did Apple have?" is answered by
    both, and one alone misleads."""
    label = row.split("; ", 1)[0]
    section, _, line = label.partition(SECTION_MARK)
    if not line or not _CLASS.match(section) or _names_a_class(question):
        return []
    found = []
    for i, other in enumerate(others):
        o_section, _, o_line = other.split("; ", 1)[0].partition(SECTION_MARK)
        if o_line.lower() == line.lower() and o_section != section and _CLASS.match(o_section):
            found.append(i)
    return found


def _names_a_class(question: str) -> bool:
    return bool(re.search(r"(?<![\w-])" + _CLASS.pattern, question, re.IGNORECASE))


def row_cells(row: str) -> list[tuple[str, str]]:
    """The cells of a row as `table_rows` writes it, as (header, value) pairs; a cell without a
    header (the row's label) comes back with an empty header."""
    pairs = []
    for cell in row.split("; "):
        header, sep, value = cell.rpartition(": ")
        pairs.append((header, value) if sep else ("", cell))
    return pairs


_ANSWER_TAIL = re.compile(r"\s*(?:\[\d{1,2}\]\s*)*[.。]?\s*$")


def labelled_cell(answer: str, row: str) -> str:
    """A short answer that is one cell of `row` as the model copied it, header and value ("Nine
    Months Ended June 25, 2022: 58,941 [1]"), with the row's label before it ("Net sales by
    category – Services (3); Nine Months Ended June 25, 2022: 58,941 [1]"): a period and a
    figure alone do not say what they count. Other answers come back as they are."""
    cells = row_cells(row)
    tail = _ANSWER_TAIL.search(answer)
    body = answer[: tail.start()].strip() if tail else answer.strip()
    if len(cells) < 2 or cells[0][0] or not any(h and body == f"{h}: {v}" for h, v in cells[1:]):
        return answer
    return f"{cells[0][1]}; {answer.strip()}"


def focus_row(row: str, question: str) -> str:
    """A table row as `table_rows` writes it ("label; header: value; ..."), cut to its label and
    the cells whose headers the question names most: "Total net sales; Three Months Ended June
    25, 2022: $82,959" for a question about that quarter, not all eight columns. Rows whose
    headers the question does not name, and sentences, come back whole."""
    cells = row.split("; ")
    headed = [(i, h) for i, (h, _) in enumerate(row_cells(row)) if h]
    if len(cells) < 3 or len(headed) < 2 or any(len(c) > 120 or _unbalanced(c) for c in cells):
        return row  # a sentence with semicolons ("The Normans (Norman: Nourmands; French: …)")
    asked = set(lexical_tokens(question))
    score = {i: len(asked & set(lexical_tokens(h))) for i, h in headed}
    best = max(score.values())
    keep = {i for i, v in score.items() if v == best}
    if best == 0 or len(keep) == len(headed):
        return row
    return "; ".join(c for i, c in enumerate(cells) if i in keep or (i == 0 and ": " not in c))


def _unbalanced(cell: str) -> bool:
    return cell.count("(") != cell.count(")") or cell.count("（") != cell.count("）")


def prose_grid(rows: list[list[str]]) -> bool:
    """A "table" whose cells are mostly single lowercase words is running text that a two-column
    layout cut into cells, not data: as rows it would read "science: between; are: analysis"."""
    cells = [c for row in rows for c in row if c]
    words = [c for c in cells if re.fullmatch(r"[a-z][a-z'’\-]*[.,;:]?", c)]
    return len(cells) >= 6 and len(words) >= 0.5 * len(cells)


# a label's footnote mark or note number: "iPhone (1)", "Net sales (2)"
_NOTE_MARK = re.compile(r"\(\s*\d{1,2}\s*\)|\b\d{1,2}\b")


# A cash-flow statement's "Changes in operating assets and liabilities – Deferred revenue" is how
# much the balance moved: it names the line a question asks about ("How much deferred revenue did
# Apple report?") only when the question asks for a change or names the row's own period.
_CHANGES = re.compile(r"\b(?:changes?|increases?|decreases?)\s+(?:\(\w+\)\s+)?in\b", re.I)
_ASKS_CHANGE = re.compile(
    r"\b(?:chang\w*|increas\w*|decreas\w*|r[io]se|risen|f[ae]ll\w*|grow\w*|grew|declin\w*"
    r"|mov\w*|cash flows?)\b",
    re.IGNORECASE,
)


def label_named(row: str, question: str) -> bool:
    """Does the question name every word of the row's label (its first cell)? "What was
    Apple's net income for the three months ended …?" names the row "Net income", not "Total
    other income/(expense), net": every row of a statement shares the question's period words,
    so the label is what tells its rows apart. Rows with a header over their label, and
    sentences, are not labelled rows; nor is a row under "Changes in …" for a question that asks
    for no change and names none of its dates (`_CHANGES`)."""
    cells = row_cells(row)
    if len(cells) < 2 or cells[0][0] or not any(h for h, _ in cells[1:]):
        return False
    section, _, label = cells[0][1].rpartition(SECTION_MARK)
    words = set(lexical_tokens(_NOTE_MARK.sub(" ", label)))
    if names_a_part(section):  # "Japan – Operating income": Japan's, not the company's
        words |= set(lexical_tokens(section))
    if _CHANGES.search(section) and not (
        _ASKS_CHANGE.search(question) or period_named(row, question)
    ):
        return False  # the change in deferred revenue, not the deferred revenue asked for
    if not words:
        return False
    asked = set(lexical_tokens(question))
    low = question.lower()
    if all(w in asked or term_present(w, asked, low) for w in words):
        return True
    return _first_of_a_list_named(_NOTE_MARK.sub(" ", label), question)


def _first_of_a_list_named(label: str, question: str) -> bool:
    """Does the question name a row labelled by a list ("Wearables, Home and Accessories") by
    the list's first item, written as a name ("What were Apple Wearables net sales …?")? A
    lower-case word does not count: "cash" names no "Cash, cash equivalents and restricted
    cash" row."""
    first, comma, _ = label.partition(",")
    names = first.split()
    if not comma or not names or not all(n[:1].isupper() for n in names):
        return False
    return re.search(rf"(?<!^)(?<![.?!]\s)\b{re.escape(first.strip())}\b", question) is not None


def _plain_words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def label_quoted(row: str, question: str) -> int:
    """How long the row's own label is (in characters, words only) when the question quotes
    it word for word, else 0: "income before provision for income taxes" is named by its
    question more closely than "Provision for income taxes", whose words it also holds, and
    "other expense (income), net" is not "Other income (expense), net"."""
    cells = row_cells(row)
    if not cells or cells[0][0]:
        return 0
    label = _plain_words(_NOTE_MARK.sub(" ", cells[0][1].rpartition(SECTION_MARK)[2]))
    return len(label) if label and f" {label} " in f" {_plain_words(question)} " else 0


def names_a_part(section: str) -> bool:
    """Is a section a part of the whole — a segment, region or product ("Greater China", "Rest
    of Asia Pacific": its words capitalised) — rather than a kind of line ("Operating
    expenses", "Earnings per share")? The same line items repeat under each part, so a row
    there answers only a question that names the part."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’&.-]*", section) if len(w) > 3]
    return bool(words) and all(w[0].isupper() for w in words)


_PART_WORD = re.compile(r"[^\W\d_][\w'’&.-]*")
_CONNECTORS = frozenset(("and", "of", "the", "&", "rest"))
_LINE_WORDS = re.compile(
    r"^(?:total|net|sales|revenues?|income|other|products?|services?|cost|costs)$", re.IGNORECASE
)


def row_of_another_part(row: str, question: str) -> bool:
    """Is the row a part's — a product, segment or region its label or section names in
    capitalised words ("Net sales by category – Mac (1)", "Greater China – Net sales") — that
    the question does not name? "What were Apple's net sales last quarter?" is not answered by
    the Mac row (it was quoted: the total's row was not among the evidence)."""
    cells = row_cells(row)
    if len(cells) < 2 or cells[0][0]:
        return False
    section, _, label = cells[0][1].rpartition(SECTION_MARK)
    asked = set(lexical_tokens(question))
    low = question.lower()
    for text in (section, _NOTE_MARK.sub(" ", label)):
        words = [w for w in _PART_WORD.findall(text) if w.lower() not in _CONNECTORS]
        if not words or not all(any(c.isupper() for c in w) for w in words):
            continue  # "Operating expenses": a kind of line, not a part
        if all(_LINE_WORDS.match(w) for w in words):
            continue  # "Products", "Total": lines of every statement
        if not any(t in asked or term_present(t, asked, low) for t in lexical_tokens(text)):
            return True
    return False


def names_a_row(text: str, question: str) -> str:
    """Does a table chunk hold a row whose label the question names (`label_named`)? "period"
    when such a row's header also names the question's date (`period_named`), "label" when
    only its label is named, "" when no row is."""
    named = [row for row in table_rows(text) if label_named(row, question)]
    if any(period_named(row, question) for row in named):
        return "period"
    return "label" if named else ""


_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(rf"\b(?:{_MONTHS})\s+\d{{1,2}},?\s+(?:19|20)\d\d\b", re.IGNORECASE)


def _dates(text: str) -> set[str]:
    return {re.sub(r"[\s,]+", " ", d.lower()) for d in _DATE.findall(text)}


def period_named(row: str, question: str) -> bool:
    """Does a header of the row name a date the question names ("June 30, 2022")? Filings of
    one company print the same labels every quarter; the question's date tells their rows
    apart, where "three months ended … 2022" alone matches every quarter of the year."""
    asked = _dates(question)
    return bool(asked) and any(asked & _dates(h) for h, _ in row_cells(row) if h)
