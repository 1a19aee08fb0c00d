"""A statement continued in a second grid below the first gets the first one's headings."""

from __future__ import annotations

from ingestion.parse import parse_pdf
from ingestion.tables import align_row
from ragchat.settings import Settings
from tests import pdfgen

S = Settings()
HEADINGS = (
    "|  | Three Months Ended June 25, 2022 | Three Months Ended June 26, 2021"
    " | Nine Months Ended June 25, 2022 | Nine Months Ended June 26, 2021 |"
)


def _tables(pdf):
    return [b.text for b in parse_pdf(pdf, S).pages[0].blocks if b.kind == "table"]


def test_a_grid_continuing_the_table_above_gets_its_headings_and_section_label(tmp_path):
    first, second = _tables(pdfgen.statement_continued(tmp_path / "statement.pdf"))
    assert first.split("\n")[0] == HEADINGS
    rows = second.split("\n")
    assert rows[0] == HEADINGS, "the continuation has the headings of the table above"
    assert rows[2] == "| Gross margin percentage: |  |  |  |  |"
    assert rows[4] == "| Total gross margin percentage | 43.3% | 43.3% | 43.6% | 41.7% |"
    from ragchat.table_text import table_rows

    assert (
        "Total gross margin percentage; Three Months Ended June 25, 2022: 43.3%"
        in (table_rows(second)[-1])
    )


def test_a_grid_far_below_another_table_is_not_taken_for_its_continuation(tmp_path):
    _, second = _tables(pdfgen.statement_continued(tmp_path / "statement.pdf", gap=60))
    assert "Three Months Ended" not in second
    assert second.split("\n")[0] == "| Products | 34.5% | 36.0% | 36.8% | 35.7% |"


def test_a_lone_percent_sign_joins_the_amount_before_it():
    assert align_row(["Products", "34.5", "%", "36.0", "%"]) == [
        "Products",
        "34.5%",
        "",
        "36.0%",
        "",
    ]
    assert align_row(["Change", "(104)", "%"]) == ["Change", "(104)%", ""]
    assert align_row(["Note", "see", "%"]) == ["Note", "see", "%"], "only an amount takes it"


def test_a_text_table_s_amounts_stand_under_the_headings_stacked_above_them(tmp_path):
    (table,) = _tables(pdfgen.text_statement(tmp_path / "cash.pdf"))
    rows = table.split("\n")
    assert rows[0] == "|  | Nine Months Ended June 25, 2022 | Nine Months Ended June 26, 2021 |"
    assert rows[2] == "| Cash and cash equivalents, beginning balances | $35,929 | $39,789 |"
    assert rows[4] == "| Net income | 79,082 | 74,129 |"
    assert rows[6] == "| Depreciation and amortization | 8,239 | 8,295 |", (
        "a long section label ending in ':' keeps the statement in one table"
    )


def test_a_sentence_introducing_what_follows_is_not_taken_into_a_text_table(tmp_path):
    note = "Other information about the amounts recognized in our statements is as follows:"
    doc = parse_pdf(pdfgen.text_statement(tmp_path / "cash.pdf", note=note), S)
    (table,) = [b.text for b in doc.pages[0].blocks if b.kind == "table"]
    assert note not in table
    assert table.endswith("| Net income | 79,082 | 74,129 |"), "the table ends before the note"


def test_a_long_heading_the_run_holds_is_kept_when_the_headings_above_stop_below_it(tmp_path):
    import pymupdf

    doc = pymupdf.open()
    p = doc.new_page(width=pdfgen.W, height=pdfgen.H)
    long = "Quarter ended June 25, 2022 (in millions, unaudited)"  # prose to `header_above`
    p.insert_text((262, 100), long, fontsize=6)
    p.insert_text((430, 100), "Prior 2021", fontsize=9)
    p.insert_text((350, 111), "2022", fontsize=9)
    p.insert_text((450, 111), "2021", fontsize=9)
    rows = [("Revenue", "100", "90"), ("Costs", "60", "50"), ("Profit", "40", "40")]
    for i, (label, a, b) in enumerate(rows):
        y = 125 + 12 * i
        p.insert_text((40, y), label, fontsize=9)
        p.insert_text((370 - pymupdf.get_text_length(a, fontsize=9), y), a, fontsize=9)
        p.insert_text((470 - pymupdf.get_text_length(b, fontsize=9), y), b, fontsize=9)
    doc.save(tmp_path / "long.pdf")
    blocks = parse_pdf(tmp_path / "long.pdf", S).pages[0].blocks
    assert long in "\n".join(b.text for b in blocks), "no line of the page is lost"
    (table,) = [b.text for b in blocks if b.kind == "table"]
    assert "| Revenue | 100 | 90 |" in table


def test_a_balance_sheet_s_centred_section_titles_are_labels_not_column_headings(tmp_path):
    """The bundled 10-Q's balance sheet: "ASSETS:" right under the dates was read as a heading
    ("June 25, 2022 ASSETS:"), and "LIABILITIES AND SHAREHOLDERS' EQUITY:" began a second
    table headed by that title instead of the dates, so "Deferred revenue; LIABILITIES AND
    SHAREHOLDERS' EQUITY: 7,728; 7,612" named no date."""
    from ragchat.table_text import table_rows

    tables = _tables(pdfgen.balance_sheet(tmp_path / "balance.pdf"))
    assert len(tables) == 2, "assets and liabilities in one table, then the equity"
    rows = tables[0].split("\n")
    assert rows[0] == "|  | June 25, 2022 | September 25, 2021 |"
    assert rows[2] == "| ASSETS: |  |  |"
    assert "| LIABILITIES AND SHAREHOLDERS' EQUITY: |  |  |" in rows
    text = table_rows(tables[0])
    deferred = next(r for r in text if "Deferred revenue" in r)
    assert "June 25, 2022: 7,728" in deferred and "September 25, 2021: 7,612" in deferred


def test_a_row_label_wrapped_over_two_lines_is_one_label(tmp_path):
    """The bundled 10-Q's "Common stock … shares authorized; 16,095,378" / "and 16,426,786 shares
    issued and outstanding, respectively" lost its first line (answering "How many shares were
    outstanding?" with the older count), and "Total operating" / "expenses" stood as two rows."""
    equity = _tables(pdfgen.balance_sheet(tmp_path / "balance.pdf"))[1].split("\n")
    assert (
        "| Common stock, $0.00001 par value: 50,400,000 shares authorized; 16,095,378 and"
        " 16,426,786 shares issued and outstanding, respectively | 62,115 | 57,365 |"
    ) in equity
    assert "| Total operating expenses | 2,576 | 1,960 |" in equity
    assert not any(r.startswith("| expenses") for r in equity)


def test_a_text_statement_going_on_below_its_section_labels_keeps_the_dates(tmp_path):
    """The bundled 10-Q's shareholders' equity rows, below "Commitments and contingencies" and
    "Shareholders' equity:", named no date ("Retained earnings; 5,289; 5,562")."""
    from ragchat.table_text import table_rows

    equity = _tables(pdfgen.balance_sheet(tmp_path / "balance.pdf"))[1]
    rows = equity.split("\n")
    assert rows[0] == "|  | June 25, 2022 | September 25, 2021 |"
    assert rows[2:4] == [
        "| Commitments and contingencies |  |  |",
        "| Shareholders' equity: |  |  |",
    ]
    retained = next(r for r in table_rows(equity) if "Retained earnings" in r)
    assert "June 25, 2022: 5,289" in retained and "September 25, 2021: 5,562" in retained
