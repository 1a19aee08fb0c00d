"""Upload names, atomic saves inside the KB, and cited-page rendering with highlights."""

from __future__ import annotations

import io

import pytest

from ragchat.app_support import escape_markdown, render_page, safe_upload_name, save_upload
from ragchat.errors import LimitExceeded
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
    ],
)
def test_safe_upload_name(raw, safe):
    assert safe_upload_name(raw) == safe


def test_long_names_are_cut():
    name = safe_upload_name("x" * 300 + ".pdf")
    assert len(name) <= 120 and name.endswith(".pdf")


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
    text = escape_markdown("[click](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert "](" not in text and "\\<img" in text and "\\[click\\]" in text
