"""Upload names, atomic saves inside the KB, cited-page rendering with highlights, answer labels,
example questions, and ingest progress and outcome."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from ingestion.index import FileFailure, Progress
from ragchat.app_support import (
    CountingEmbedder,
    IngestProgress,
    clean_answer_text,
    distinct_places,
    escape_markdown,
    example_questions,
    heading_label,
    ingest_outcome,
    looks_like_heading,
    page_counts,
    render_page,
    safe_upload_name,
    save_upload,
)
from ragchat.errors import LimitExceeded
from tests import pdfgen
from tests.fakes import FakeEmbedder, make_hit


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


# ---------------------------------------------------------------- answer labels
@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("2.1 Safety valves", True),
        ("Boiler Maintenance Manual", True),
        ("第三章 总则", True),
        ("Notes to Condensed Consolidated Financial Statements", True),
        (
            "Management's Discussion and Analysis of Financial Condition and Results of Operations",
            True,
        ),
        ("events or developments.", False),
        ("12.5% at the mid-point of the range of our guidance", False),
        ("The committee reviewed the annual maintenance plan and approved the budget", False),
        ("who was the leader", False),
        ("2022", False),
        ("", False),
    ],
)
def test_looks_like_heading(text, heading):
    assert looks_like_heading(text) is heading


def test_heading_label_keeps_only_headings():
    path = ("Boiler Manual", "12.5% at the mid-point …", "events or developments.", "1.1 Gloves")
    assert heading_label(path) == "Boiler Manual > 1.1 Gloves"
    assert heading_label(("events or developments.",)) == ""


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("[1]: The pressure is 3 bar.", "The pressure is 3 bar. [1]"),
        ("[1] The pressure is 3 bar [1].", "The pressure is 3 bar [1]."),
        ("[1][2]: A and B.", "A and B. [1][2]"),
        ("The pressure is 3 bar [1].", "The pressure is 3 bar [1]."),
        ("[1]", "[1]"),
    ],
)
def test_clean_answer_text_moves_a_leading_marker(raw, shown):
    assert clean_answer_text(raw) == shown


def _hit(file, page, heading=("Safety",)):
    return make_hit("text", file=file, page=page, heading=heading, score=0.1)


def test_distinct_places_in_the_question_language():
    hits = [_hit("a.pdf", 3), _hit("a.pdf", 3), _hit("b.pdf", 3, ("x.",)), _hit("a.pdf", 4)]
    assert distinct_places(hits, "en") == [
        "a.pdf, page 3 — Safety",
        "b.pdf, page 3",
        "a.pdf, page 4 — Safety",
    ]
    assert distinct_places(hits[:2], "zh") == ["a.pdf 第 3 页 — Safety"]
    assert distinct_places(hits, "en", limit=1) == ["a.pdf, page 3 — Safety"]


# ---------------------------------------------------------------- first screen
def test_example_questions_spread_over_files_and_skip_junk():
    """One (file, heading) pair per chunk: the sections with most text come first."""
    pairs = [
        ("a.pdf", "FORM 10-Q"),
        ("a.pdf", "California 94-2404110"),
        ("a.pdf", "1. Safety"),
        ("a.pdf", "Note 2 – Revenue"),
        ("a.pdf", "Note 2 – Revenue"),
        ("a.pdf", "Contents"),
        ("a.pdf", "events or developments."),
        ("a.pdf", "2. Service intervals (Unaudited)"),
        ("b.pdf", "1. Normans (part 1)"),
        ("b.pdf", "2. Normans (part 2)"),
        ("c.pdf", "第二章 历史沿革"),
    ]
    assert example_questions(pairs, 3) == [
        "What do the documents say about Revenue?",
        "What do the documents say about Normans?",
        "文档中关于“历史沿革”说了什么？",
    ]
    assert example_questions(pairs[:8], 5) == [
        "What do the documents say about Revenue?",
        "What do the documents say about Safety?",
        "What do the documents say about Service intervals?",
    ]
    assert example_questions([("a.pdf", "CERTIFICATION")], 3) == []


# ---------------------------------------------------------------- ingest progress and outcome
def _p(stage, file, done, total, pages=0, chunks=0, message=""):
    return Progress(stage, file, done, total, pages, chunks, message)


def test_progress_follows_the_ingestor_events_honestly():
    """The event sequence Ingestor emits for two files parsed ahead in the helper process."""
    tracker = IngestProgress({"a.pdf": 27, "b.pdf": 9})
    emb = CountingEmbedder(FakeEmbedder(), tracker)
    steps = [
        tracker.update(_p("hash", "a.pdf", 0, 2)),
        tracker.update(_p("hash", "b.pdf", 1, 2)),
        tracker.update(_p("parse", "a.pdf", 0, 2)),
        tracker.update(_p("parse", "a.pdf", 0, 2, pages=27)),
    ]
    emb.embed(["x"] * 128)
    steps += [
        tracker.update(_p("embed", "a.pdf", 0, 2, chunks=64)),
        tracker.update(_p("embed", "a.pdf", 0, 2, chunks=128)),
        tracker.update(_p("commit", "a.pdf", 1, 2, pages=27, chunks=130)),
        tracker.update(_p("parse", "b.pdf", 1, 2)),
        tracker.update(_p("fail", "b.pdf", 2, 2, message="not a PDF")),
    ]
    fractions = [f for f, _ in steps]
    lines = [t for _, t in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert lines[3] == "File 1 of 2 · a.pdf — reading page 27 of 27"
    assert lines[4] == "File 1 of 2 · a.pdf — 27 pages read · embedding chunk 64 of 128"
    assert lines[6] == "File 1 of 2 · a.pdf — saved: 27 pages, 130 chunks"
    assert fractions[6] == pytest.approx(27 / 36)
    assert lines[8] == "File 2 of 2 · b.pdf — failed: not a PDF"
    assert not any("page 0" in t or " 0 chunks" in t for t in lines)
    assert tracker.finish() == (1.0, "Done")


@dataclass
class _Report:
    added: tuple = ()
    updated: tuple = ()
    unchanged: tuple = ()
    failed: tuple = ()
    warnings: tuple = ()
    chunks_total: int = 0


def test_ingest_outcome_is_never_a_success_with_a_failed_file():
    bad = FileFailure("/kb/uploads/scan.pdf", "no text layer on any of its 4 pages; needs OCR")
    ok = ingest_outcome(_Report(added=("a", "b"), chunks_total=64))
    assert ok.state == "complete" and ok.headline.startswith("2 added, 0 unchanged ·")
    mixed = ingest_outcome(_Report(added=("a", "b"), failed=(bad,), chunks_total=64))
    assert mixed.state == "warning"
    assert mixed.headline.startswith("2 added, 0 unchanged, 1 failed")
    assert mixed.problems == ("scan.pdf: no text layer on any of its 4 pages; needs OCR",)
    none = ingest_outcome(_Report(failed=(bad,)), refused=["big.pdf: over the upload limit"])
    assert none.state == "error" and len(none.problems) == 2


def test_page_counts(tmp_path):
    good = pdfgen.simple(tmp_path / "g.pdf", "text", pages=3)
    bad = tmp_path / "b.pdf"
    bad.write_bytes(b"nope")
    assert page_counts([good, bad]) == {"g.pdf": 3, "b.pdf": 0}


def test_escape_markdown_keeps_dollar_amounts_out_of_latex():
    assert escape_markdown("Net sales were $82,959 and $81,434.") == (
        "Net sales were \\$82,959 and \\$81,434\\."
    )
