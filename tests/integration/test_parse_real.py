"""Parsing real PDFs from ../shared: column order, tables, CJK, and the 77 hostile files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingestion.parse import parse_pdf
from ragchat.errors import DocumentError, EmptyPdf, EncryptedPdf, NeedsOcr, UnreadablePdf
from ragchat.settings import Settings

SHARED = Path(__file__).resolve().parents[3] / "shared"
ROBUST = SHARED / "pdfs" / "robustness"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not available")
S = Settings(ocr="off")


def body(doc) -> str:
    return "\n".join(b.text for p in doc.pages for b in p.blocks)


def test_two_column_wikipedia_report_reads_column_by_column():
    doc = parse_pdf(SHARED / "eval/squad-en/pdfs/wiki_01.pdf", S)
    page3 = [b.text for b in doc.pages[2].blocks]
    joined = "\n".join(page3)
    # the left column ends mid-sentence and the right column continues it
    end_left = joined.index("Of course, some complexity classes have")
    start_right = joined.index("quantitative statements about how much more additional time")
    assert end_left < start_right
    assert page3[page3.index(next(t for t in page3 if t.startswith("Of course"))) + 1].startswith(
        "quantitative"
    )


def test_tracemonkey_paper_reads_column_by_column():
    doc = parse_pdf(ROBUST / "pdfjs/tracemonkey.pdf", S)
    text = body(doc)
    assert "We solve the nested loop problem by recording nested trace trees." in text
    # left column of page 3 before its right column
    assert text.index("i=2. This is the first iteration of the outer loop.") < text.index(
        "i=3. Now the loop header at line 1 has become hot"
    )
    headings = [b.text for p in doc.pages for b in p.blocks if b.kind == "heading"]
    assert "1. Introduction" in headings and "2. Overview: Example Tracing Run" in headings


def test_sec_filing_tables_pages_and_no_running_lines():
    doc = parse_pdf(SHARED / "eval/sec10q-en/pdfs/2023 Q1 AAPL.pdf", S)
    tables = [b for p in doc.pages for b in p.blocks if b.kind == "table"]
    assert len(tables) >= 10
    net_sales = [t for t in tables if "Total net sales" in t.text]
    assert net_sales and all(t.text.startswith("| ") for t in net_sales)
    assert "117,154" in net_sales[0].text
    assert {b.page for p in doc.pages for b in p.blocks} <= set(range(1, doc.page_count + 1))
    footer_like = [
        b.text
        for p in doc.pages
        for b in p.blocks
        if b.text.startswith("Apple Inc. | Q1 2023 Form 10-Q |")
    ]
    assert not footer_like, footer_like[:3]


def test_chinese_book_has_text_and_numbered_headings():
    doc = parse_pdf(SHARED / "eval/cmrc-zh/pdfs/baike_00.pdf", S)
    heads = [b.text for p in doc.pages for b in p.blocks if b.kind == "heading"]
    assert "1. 战国无双3" in heads
    assert "《战国无双3》（）是由光荣和ω-force开发的战国无双系列的正统第三续作。" in body(doc)
    assert "内部资料" not in body(doc), "the running header is dropped"


def _robustness_rows() -> list[dict[str, str]]:
    if not (ROBUST / "EXPECTED.tsv").is_file():
        return []
    with open(ROBUST / "EXPECTED.tsv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


# Where our outcome differs from the expectation, with the reason (reported in the README).
KNOWN = {
    "pdfjs/issue17147.pdf": "its only text is one space; the visible page is an image, so: needs OCR"
}


@pytest.mark.parametrize("row", _robustness_rows(), ids=lambda r: r["file"])
def test_hostile_pdf_gives_the_expected_outcome(row: dict[str, str]) -> None:
    path = ROBUST / row["file"]
    expected = row["expected"]
    password = row.get("password") or None
    try:
        doc = parse_pdf(path, S, password=password)
        outcome: type | str = "text"
    except DocumentError as exc:
        outcome = type(exc)
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
    if row["file"] in KNOWN:
        assert outcome is NeedsOcr
        return
    if expected.startswith("text"):
        assert outcome == "text", expected
        assert body(doc).strip()
    elif expected.startswith("image-only"):
        assert outcome is NeedsOcr
    elif expected.startswith(("unreadable", "no pages")):
        assert outcome in (UnreadablePdf, EmptyPdf)
    elif expected.startswith("encrypted"):
        if password:
            assert outcome is not EncryptedPdf, "opens with its password"
            with pytest.raises(EncryptedPdf):
                parse_pdf(path, S)
        else:
            assert outcome in ("text", EncryptedPdf)
    else:
        pytest.fail(f"unknown expectation {expected!r}")


def test_ruled_tables_keep_wrapped_cjk_cells_and_aligned_amounts():
    doc = parse_pdf(ROBUST / "pymupdf/chinese-tables.pdf", S)
    tables = "\n".join(b.text for b in doc.pages[0].blocks if b.kind == "table")
    assert "| 2023 | AA+ | 偿还债务的能力很强，受不利经济环境的影响不大，违约风险很低 |" in tables
    assert "| 1 | 工商银行 | 330,435.30 | 234,850.00 | 95,585.30 |" in tables
    filing = parse_pdf(SHARED / "eval/sec10q-en/pdfs/2022 Q3 AAPL.pdf", S)
    page4 = "\n".join(b.text for b in filing.pages[3].blocks if b.kind == "table")
    assert "| Total net sales | 82,959 | 81,434 | 304,182 | 282,457 |" in page4
