"""Upload names, atomic saves inside the KB, and cited-page rendering with highlights."""

from __future__ import annotations

import io

import pytest

from ragchat.app_support import (
    check_model_choice,
    cited_pages,
    escape_markdown,
    problems,
    render_page,
    safe_upload_name,
    save_upload,
)
from ragchat.errors import ConfigError, DocumentError, LimitExceeded, UnreadablePdf
from ragchat.types import Citation
from tests import pdfgen


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("/abs/path/x.PDF", "x.pdf"),
        ("C:\\Users\\me\\plan.pdf", "plan.pdf"),
        ("nul\x00byte.pdf", "nulbyte.pdf"),
        ("", "upload.pdf"),
        ("...", "upload.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("年报 2023.pdf", "年报 2023.pdf"),
        ("a<b>|c.pdf", "a_b_c.pdf"),
        ("report.docx", "report.docx.pdf"),
        ("notes", "notes.pdf"),
        ("\x00\x00", "upload.pdf"),
        ("line\nbreak.pdf", "linebreak.pdf"),
    ],
)
def test_safe_upload_name(raw, safe):
    assert safe_upload_name(raw) == safe


def test_long_names_are_cut():
    for raw in ["x" * 300 + ".pdf", "y" * 300, "é" * 300 + ".PDF"]:
        name = safe_upload_name(raw)
        assert len(name) <= 120 and name.endswith(".pdf")
        assert len(name.encode()) < 255, "fits a file system name"


def test_save_upload_stays_inside_the_kb(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    for raw in ["../../escape.pdf", "/tmp/abs.pdf", "a/../../b.pdf", "x\x00.pdf"]:
        path = save_upload(kb, raw, b"%PDF-1.7 data", max_mb=1)
        assert path.parent == (kb / "uploads").resolve()
        assert path.read_bytes() == b"%PDF-1.7 data"
    assert not (tmp_path / "escape.pdf").exists()
    assert sorted(p.name for p in (kb / "uploads").iterdir()) == [
        "abs.pdf",
        "b.pdf",
        "escape.pdf",
        "x.pdf",
    ]
    with pytest.raises(LimitExceeded, match="over the upload limit"):
        save_upload(kb, "big.pdf", b"0" * 2_000_001, max_mb=2)


def test_render_page_highlights_the_cited_area(tmp_path):
    from PIL import Image

    pdf = pdfgen.simple(tmp_path / "p.pdf", "Some text on the page. " * 20, pages=2)
    plain = Image.open(io.BytesIO(render_page(pdf, 2)))
    lit = Image.open(io.BytesIO(render_page(pdf, 2, [(2, 72, 72, 300, 120)])))
    other = Image.open(io.BytesIO(render_page(pdf, 2, [(1, 72, 72, 300, 120)])))
    assert plain.size == lit.size
    assert plain.tobytes() != lit.tobytes(), "the highlight changes the picture"
    assert plain.tobytes() == other.tobytes(), "boxes of other pages are ignored"
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_escape_markdown_defuses_links_and_html():
    text = escape_markdown("[click](javascript:alert(1)) <img src=x onerror=alert(1)> $x$ :red[a]")
    assert "](" not in text and "\\<img" in text and "\\[click\\]" in text
    assert "\\$x\\$" in text and "\\:red\\[a\\]" in text


def test_save_upload_refuses_non_pdfs_and_keeps_the_earlier_copy(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    first = save_upload(kb, "m.pdf", b"%PDF-1.7 first", max_mb=1)
    with pytest.raises(UnreadablePdf, match="not a PDF"):
        save_upload(kb, "m.pdf", b"PK\x03\x04 a zip file", max_mb=1)
    assert first.read_bytes() == b"%PDF-1.7 first"
    assert [p.name for p in (kb / "uploads").iterdir()] == ["m.pdf"], "no temp files left"


def test_save_upload_refuses_a_symlinked_uploads_folder(tmp_path):
    kb, outside = tmp_path / "kb", tmp_path / "outside"
    kb.mkdir()
    outside.mkdir()
    (kb / "uploads").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DocumentError, match="outside"):
        save_upload(kb, "x.pdf", b"%PDF-1.7", max_mb=1)
    assert list(outside.iterdir()) == []


def test_render_page_leaves_the_file_alone_and_checks_the_page(tmp_path):
    pdf = pdfgen.simple(tmp_path / "p.pdf", "Text. " * 20, pages=1)
    before = pdf.read_bytes()
    png = render_page(pdf, 1, [(1, 72, 72, 300, 120)])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes() == before
    with pytest.raises(DocumentError, match="no page 3"):
        render_page(pdf, 3)


def test_problems_summary():
    assert problems(()) == ""
    assert problems(["page 4 has no text layer; needs OCR"]) == "1 page needs OCR"
    ocr = [f"page {n} has no text layer; needs OCR" for n in (1, 2, 3)]
    assert problems([*ocr, "odd font"]) == "3 pages need OCR, 1 warning"


def test_cited_pages():
    c = Citation(n=1, file="a.pdf", page=4, heading_path=(), quote="q", chunk_id="x", page_end=9)
    assert cited_pages(c) == [4, 5, 6]
    assert cited_pages(Citation(1, "a.pdf", 2, (), "q", "x")) == [2]


def test_module_generators_only_from_configuration():
    assert check_model_choice("  ", "packaged:x") == "packaged:x"
    assert check_model_choice("/models/qwen", "packaged:x") == "/models/qwen"
    assert check_model_choice("module:a:b", "module:a:b") == "module:a:b"
    with pytest.raises(ConfigError, match=r"ragchat\.toml"):
        check_model_choice("module:os:system", "packaged:x")
