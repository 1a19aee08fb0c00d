"""Parsing generated PDFs: order, headings, tables, running lines, CJK, OCR flags, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.parse import parse_pdf
from ragchat.errors import EmptyPdf, EncryptedPdf, LimitExceeded, NeedsOcr, UnreadablePdf
from ragchat.settings import Settings
from tests import pdfgen, pdfgen_manuals

S = Settings()


@pytest.fixture
def manual(tmp_path: Path):
    return parse_pdf(pdfgen.structured(tmp_path / "manual.pdf"), S)


def texts(doc):
    return [b.text for p in doc.pages for b in p.blocks]


def test_headings_levels_and_paths(manual):
    heads = [(b.text, b.level) for p in manual.pages for b in p.blocks if b.kind == "heading"]
    assert heads[:3] == [
        ("Boiler Maintenance Manual", 1),
        ("1. Safety", 2),
        ("1.1 Protective equipment", 3),
    ]
    goggles = next(b for p in manual.pages for b in p.blocks if b.text.startswith("Goggles"))
    assert goggles.heading_path == (
        "Boiler Maintenance Manual",
        "1. Safety",
        "1.1 Protective equipment",
    )
    intervals = next(b for p in manual.pages for b in p.blocks if b.kind == "table")
    assert intervals.heading_path[-1] == "2. Service intervals", "a new level-2 heading pops 1.1"
    assert manual.title == "Boiler Maintenance Manual"


def test_table_as_markdown(manual):
    (table,) = [b for p in manual.pages for b in p.blocks if b.kind == "table"]
    lines = table.text.split("\n")
    assert lines[0] == "| Component | Interval | Cost |"
    assert lines[1] == "|---|---|---|"
    assert "| Pump | 24 months | 90 |" in lines
    assert table.page == 2
    caption = next(b for b in manual.pages[1].blocks if b.text.startswith("Table 1"))
    assert caption.kind == "caption"


def test_running_header_footer_and_page_numbers_are_dropped(manual):
    joined = "\n".join(texts(manual))
    assert "Confidential Maintenance Manual" not in joined
    assert "Page 2 of 4" not in joined


def test_two_columns_read_left_then_right(manual):
    body = [b.text for b in manual.pages[2].blocks if b.kind == "text"]
    joined = " ".join(body)
    assert (
        joined.index("LEFTSTART")
        < joined.index("LEFTEND")
        < joined.index("RIGHTSTART")
        < joined.index("RIGHTEND")
    )


def test_pages_and_bboxes(manual):
    for page in manual.pages:
        assert page.number in (1, 2, 3, 4)
        for b in page.blocks:
            assert b.page == page.number
            x0, y0, x1, y1 = b.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
    assert len(manual.doc_id) == 64


def test_chinese_text_is_joined_without_spaces(tmp_path):
    doc = parse_pdf(pdfgen.chinese(tmp_path / "zh.pdf"), S)
    joined = "".join(texts(doc))
    assert "操作压力为三巴。" in joined
    assert "佩戴手套和护目镜" in joined
    assert " 的" not in joined
    heads = [b.text for p in doc.pages for b in p.blocks if b.kind == "heading"]
    assert heads == ["设备维护手册", "1. 安全须知"]


def test_image_only_pages_are_flagged(tmp_path):
    doc = parse_pdf(pdfgen.image_only(tmp_path / "mixed.pdf", pages=3, text_pages=(1, 3)), S)
    assert doc.warnings == ("page 2 has no text layer; needs OCR",)
    assert [p.needs_ocr for p in doc.pages] == [False, True, False]
    with pytest.raises(NeedsOcr, match="no text layer on any of its 2 pages; needs OCR"):
        parse_pdf(pdfgen.image_only(tmp_path / "scan.pdf", pages=2), S)


def test_ocr_engine_seam_recognises_image_pages(tmp_path, monkeypatch):
    from ingestion import ocr

    def fake_engine():
        return lambda png: [
            ([[10, 10], [300, 10], [300, 40], [10, 40]], "Recognised scan text here", 0.93)
        ]

    monkeypatch.setitem(ocr.OCR_ENGINES, "rapidocr", fake_engine)
    ocr.forget_engines()
    try:
        doc = parse_pdf(pdfgen.image_only(tmp_path / "scan.pdf", pages=1), S)
        assert (
            doc.pages[0].ocr_applied and doc.pages[0].blocks[0].text == "Recognised scan text here"
        )
        with pytest.raises(NeedsOcr):
            parse_pdf(tmp_path / "scan.pdf", Settings(ocr="off"))
    finally:
        ocr.forget_engines()


def test_encrypted_needs_the_right_password(tmp_path):
    path = pdfgen.encrypted(tmp_path / "locked.pdf")
    with pytest.raises(EncryptedPdf, match="--password"):
        parse_pdf(path, S)
    with pytest.raises(EncryptedPdf, match="wrong"):
        parse_pdf(path, S, password="nope")
    doc = parse_pdf(path, S, password="s3cret")
    assert "42 million" in " ".join(texts(doc))


def test_bad_files_give_one_line_errors(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    fake = tmp_path / "fake.pdf"
    fake.write_text("just some text, renamed to .pdf")
    good = pdfgen.simple(tmp_path / "good.pdf", "Some text. " * 300)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good.read_bytes()[:300])
    cases = [
        (empty, EmptyPdf, "empty file"),
        (fake, UnreadablePdf, "not a PDF"),
        (truncated, (UnreadablePdf, EmptyPdf), ""),
        (tmp_path / "missing.pdf", UnreadablePdf, "no such file"),
    ]
    for path, exc, words in cases:
        with pytest.raises(exc) as info:
            parse_pdf(path, S)
        message = str(info.value)
        assert message.startswith(str(path)) and words in message and "\n" not in message


def test_limits(tmp_path):
    path = pdfgen.simple(tmp_path / "long.pdf", "Text. " * 50, pages=6)
    with pytest.raises(LimitExceeded, match="6 pages is over the limit of 5"):
        parse_pdf(path, Settings(max_pages=5))
    with pytest.raises(LimitExceeded, match="max_file_mb"):
        parse_pdf(path, Settings(max_file_mb=0.0001))
    with pytest.raises(LimitExceeded, match="max_seconds_per_file"):
        parse_pdf(path, Settings(max_seconds_per_file=0))


def test_progress_callback(tmp_path):
    seen = []
    parse_pdf(
        pdfgen.simple(tmp_path / "p.pdf", "x y z", pages=3),
        S,
        on_page=lambda d, n: seen.append((d, n)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_ruled_table_cells_keep_wrapped_text(tmp_path):
    doc = parse_pdf(pdfgen.ruled_table(tmp_path / "parts.pdf"), S)
    (table,) = [b for b in doc.pages[0].blocks if b.kind == "table"]
    rows = table.text.split("\n")
    assert rows[0] == "| Part | Description | Price |"
    assert "| Burner nozzle | Brass nozzle for the main burner, replace yearly | $ 12.50 |" in rows
    body = [b.text for b in doc.pages[0].blocks if b.kind != "table"]
    assert body == ["Spare parts", "Order parts from the list below.", "Prices exclude shipping."]
    assert table.heading_path == ("Spare parts",)


def test_a_statement_grid_gets_the_column_headings_drawn_above_it(tmp_path):
    doc = parse_pdf(pdfgen.statement_table(tmp_path / "statement.pdf"), S)
    (table,) = [b for b in doc.pages[0].blocks if b.kind == "table"]
    rows = table.text.split("\n")
    assert rows[0] == (
        "|  | Three Months Ended June 25, 2022 | Three Months Ended June 26, 2021"
        " | Nine Months Ended June 25, 2022 | Nine Months Ended June 26, 2021 |"
    )
    assert rows[2] == "| Net sales: |  |  |  |  |"
    assert rows[3].startswith("| Products | 63,355 |")
    body = [b.text for b in doc.pages[0].blocks if b.kind != "table"]
    assert body == [
        "Statements of Operations",
        "(In millions, except number of shares and per share amounts)",
        "See accompanying notes.",
    ], "the headings moved into the table; the caption above them did not"
    from ragchat.table_text import table_rows

    assert "Total net sales; Three Months Ended June 25, 2022: 82,959" in table_rows(table.text)[3]


def test_ruled_cjk_table_joins_wrapped_cells_without_spaces(tmp_path):
    import pymupdf

    pdf = pymupdf.open()
    page = pdf.new_page(width=pdfgen.W, height=pdfgen.H)
    pdfgen.draw_ruled_table(
        page,
        [("年份", "评级机构"), ("2023", "中诚信国际信用评级有限责任公司、联合资信评估有限公司")],
        widths=(80, 90),
        row_height=70,
        fontname="china-s",
    )
    pdf.save(tmp_path / "zh-table.pdf")
    doc = parse_pdf(tmp_path / "zh-table.pdf", S)
    (table,) = [b for b in doc.pages[0].blocks if b.kind == "table"]
    assert "| 2023 | 中诚信国际信用评级有限责任公司、联合资信评估有限公司 |" in table.text


def test_amounts_line_up_under_their_columns():
    from ingestion.tables import align_row

    # "$" in its own column and amounts in cells spanning two columns (None = spanned)
    assert align_row(["Products", "$", "63,355", "$", "63,948"]) == [
        "Products",
        "",
        "$63,355",
        "",
        "$63,948",
    ]
    assert align_row(["Services", "19,604", None, "17,486", None]) == [
        "Services",
        "",
        "19,604",
        "",
        "17,486",
    ]
    assert align_row(["Note", "see below", None]) == ["Note", "see below", ""]


def test_find_tables_failure_is_contained():
    from ingestion.tables import ruled_tables

    class Page:
        def get_cdrawings(self):
            lines = [("l", (72, y, 500, y)) for y in (100, 120, 140)]
            lines += [("l", (x, 100, x, 140)) for x in (72, 200, 500)]
            return [{"type": "s", "items": lines}]

        def find_tables(self, **kwargs):
            raise RuntimeError("boom")

    assert ruled_tables(Page(), []) == ([], set())


def test_absurd_page_keeps_text_but_skips_tables(tmp_path, monkeypatch):
    from ingestion import parse

    monkeypatch.setattr(parse, "MAX_PAGE_CHARS", 50)
    doc = parse_pdf(pdfgen.ruled_table(tmp_path / "parts.pdf"), S)
    assert not [b for b in doc.pages[0].blocks if b.kind == "table"]
    assert "Brass nozzle" in " ".join(texts(doc))
    assert doc.warnings == ("page 1 has over 50 characters; tables not detected",)


def test_a_page_that_fails_becomes_a_warning(tmp_path, monkeypatch):
    from ingestion import parse

    real = parse.lines_from_dict
    calls = []

    def flaky(page_dict):
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("bad content stream")
        return real(page_dict)

    monkeypatch.setattr(parse, "lines_from_dict", flaky)
    doc = parse_pdf(pdfgen.simple(tmp_path / "three.pdf", "Some words here. " * 20, pages=3), S)
    assert doc.warnings == ("page 2 could not be read: bad content stream",)
    assert [bool(p.blocks) for p in doc.pages] == [True, False, True]
    assert [p.number for p in doc.pages] == [1, 2, 3]


def test_the_running_title_is_kept_as_document_context(manual, tmp_path):
    # dropped from the pages, but every chunk gets it back as context (a filing's pages rarely
    # name their company anywhere else)
    assert manual.running_title == "ACME Corp. Confidential Maintenance Manual"
    plain = parse_pdf(pdfgen.structured(tmp_path / "plain.pdf", header=None), S)
    assert plain.running_title == ""


def _line(x0: float, x1: float, y: float, text: str):
    from ingestion.layout import Line

    return Line(text, (x0, y, x1, y + 12), 10.0, False, 0, [(x0, x1, text)])


def test_two_columns_of_articles_beside_each_other_are_prose_not_a_table():
    # an encyclopedia page (baike_01.pdf of the cmrc-zh set): two columns of prose where a short
    # line of one column (an article's numbered title, a paragraph's last line) often stands
    # beside a full line of the other, so the rows look like "short | long" table rows
    from ingestion.text_tables import find_text_tables

    rows = [
        ((62, 109, "#FFE4E1;"), (320, 530, "疾，视力不佳，后来越来越重，不堪朝觐。永嘉")),
        ((62, 135, "2. 津蓟铁路"), (320, 440, "即位，谥号敬，追赠太保。")),
        ((62, 272, "津蓟铁路是联接天津市区和蓟州区的一条支线铁"), (320, 393, "4. 当惹雍错")),
        ((62, 272, "开通的消息于2015年4月17日被天津市交通委员"), (320, 379, "5. 余蔚王")),
    ]
    lines = [_line(a, b, 100 + 14 * i, t) for i, row in enumerate(rows) for a, b, t in row]
    tables, used = find_text_tables(lines, 595)
    assert tables == [] and used == set()


def test_a_justified_line_spread_into_words_is_prose_not_a_table():
    # wiki_03.pdf of the squad-en set: lines of a justified paragraph whose words stand far
    # apart read as rows of one-word cells; taken for a table they broke the page's reading
    # order ("A dry type cooling tower is similar to an" + "there was a speed change.")
    from ingestion.text_tables import find_text_tables

    rows = [
        "engines in commercial usage, and the",
        "ascendancy of steam turbines in power",
        "developments and improvements in manufacturing",
    ]
    lines = []
    for i, row in enumerate(rows):
        words = row.split()
        lines += [_line(62 + 40 * j, 92 + 40 * j, 100 + 14 * i, w) for j, w in enumerate(words)]
    assert find_text_tables(lines, 595) == ([], set())


def test_a_label_and_amount_table_is_still_a_table():
    from ingestion.text_tables import find_text_tables

    rows = [
        ("Cash, cash equivalents and restricted cash, beginning balances", "$ 35,929"),
        ("Net income", "20,721"),
        ("Depreciation and amortization", "2,805"),
        ("Share-based compensation expense", "(2,253)"),
    ]
    lines = [
        _line(x0, x1, 100 + 14 * i, t)
        for i, (label, amount) in enumerate(rows)
        for x0, x1, t in ((50, 50 + 4.6 * len(label), label), (480, 530, amount))
    ]
    (table,) = find_text_tables(lines, 612)[0]
    assert "| Net income | 20,721 |" in table.text


def test_lines_join_into_words_and_compounds():
    from ingestion.layout import join_lines

    assert (
        join_lines(["Regular main-", "tenance is required."]) == "Regular maintenance is required."
    )
    assert join_lines(["The Anglo-", "Norman language"]) == "The Anglo-Norman language"
    assert join_lines(["an ex-", "Luxembourg Prime Minister"]) == "an ex-Luxembourg Prime Minister"
    assert (
        join_lines(["prices rose -", "Sharply"]) == "prices rose - Sharply"
    )  # a dash, not a hyphen
    assert join_lines(["treaty of Saint-Clair-", "sur-Epte between"]) == (
        "treaty of Saint-Clair-sur-Epte between"
    )
    assert join_lines(["his mother-", "in-law"]) == "his mother-in-law"
    assert join_lines(["the COVID-", "19 pandemic"]) == "the COVID-19 pandemic"
    assert join_lines(["a 4-", "cylinder compound"]) == "a 4-cylinder compound"
    assert join_lines(["NP-", "intermediate problems"]) == "NP-intermediate problems"
    assert join_lines(["a well-established pre-", "paration"]) == "a well-established preparation"
    assert join_lines(["蒸汽机", "的效率"]) == "蒸汽机的效率"
    # an identifier broken after its underscore is one word; a lone underscore is not
    assert join_lines(["if the syntax is wrong, ASN1_", "SYNTAX_ERROR is returned"]) == (
        "if the syntax is wrong, ASN1_SYNTAX_ERROR is returned"
    )
    assert join_lines(["fill in the blank _", "here"]) == "fill in the blank _ here"


def test_outline_headings_with_their_numbers_and_entries_below_the_outline(tmp_path):
    doc = parse_pdf(pdfgen_manuals.reference_manual(tmp_path / "ref.pdf"), S)
    headings = [
        (b.page, b.level, b.text) for p in doc.pages for b in p.blocks if b.kind == "heading"
    ]
    assert headings == [
        (2, 1, "1 Introduction"),
        (2, 2, "1.1 Thread safety"),  # the outline says "Thread safety"
        (3, 1, "2 Function reference"),
        (3, 3, "asn1 check version"),  # bold, above the body, below the outline's headings
        (3, 3, "asn1 strerror"),
    ]
    returns = [b for p in doc.pages for b in p.blocks if "Pointer to a string" in b.text]
    assert returns and returns[0].heading_path == ("2 Function reference", "asn1 strerror")
