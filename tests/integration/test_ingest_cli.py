"""The ingest CLI end to end on generated PDFs with the real packaged embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pymupdf
import pytest
from click.testing import CliRunner

from ingestion.cli import main as ingest_main
from ragchat.cli import main as ragchat_main

TOPICS = {
    "boiler.pdf": (
        "Boiler manual",
        "The boiler operating pressure is 3 bar. Bleed the radiators every autumn.",
    ),
    "warranty.pdf": ("Warranty terms", "The warranty lasts 24 months from the date of purchase."),
    "filters.pdf": ("Filter care", "Clean the intake filters monthly with warm soapy water."),
}


def write_pdf(path: Path, title: str, body: str, pages: int = 2) -> None:
    doc = pymupdf.open()
    for p in range(pages):
        page = doc.new_page(width=595, height=842)
        if p == 0:
            page.insert_text((72, 90), title, fontsize=20)
        y = 130
        for i in range(6):
            page.insert_text((72, y), f"{body} Paragraph {p}.{i}.", fontsize=10)
            y += 18
    doc.save(path)
    doc.close()


def write_topics(tmp_path: Path) -> Path:
    """tmp_path/docs with one generated PDF per topic in TOPICS (also used by test_pg_cli.py)."""
    d = tmp_path / "docs"
    d.mkdir()
    for name, (title, body) in TOPICS.items():
        write_pdf(d / name, title, body)
    return d


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_topics(tmp_path)


def run(main, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def summary(*args: str) -> tuple[int, dict]:
    code, out = run(ingest_main, *args, "--json")
    return code, json.loads(out.strip().splitlines()[-1])


def test_add_reingest_update_sync_and_failures(folder: Path, tmp_path: Path) -> None:
    code, s = summary("add", str(folder), "--kb", "t")
    assert code == 0, s
    assert (s["added"], s["unchanged"], s["failed"]) == (3, 0, [])
    assert s["chunks_total"] > 0 and s["chunks_truncated"] == 0
    first_total = s["chunks_total"]

    code, s = summary("add", str(folder), "--kb", "t")
    assert (s["added"], s["unchanged"], s["chunks_embedded"]) == (0, 3, 0)
    assert s["chunks_total"] == first_total

    write_pdf(
        folder / "warranty.pdf", "Warranty terms", "The warranty now lasts 36 months.", pages=3
    )
    code, s = summary("add", str(folder), "--kb", "t")
    assert (s["updated"], s["unchanged"]) == (1, 2)

    (folder / "filters.pdf").unlink()
    (folder / "broken.pdf").write_bytes(b"this is not a pdf at all")
    code, s = summary("sync", str(folder), "--kb", "t")
    assert code == 1, "a failed file makes the exit code non-zero"
    assert s["removed"] == 1
    assert [f["file"].endswith("broken.pdf") for f in s["failed"]] == [True]
    assert "broken.pdf" not in s["failed"][0]["error"] and s["failed"][0]["error"]

    code, out = run(ingest_main, "stats", "--kb", "t", "--json")
    stats = json.loads(out)
    assert sorted(d["file"] for d in stats["documents"]) == ["boiler.pdf", "warranty.pdf"]
    assert stats["embedder"] and stats["dim"] == 384


def test_search_finds_the_right_file_and_page(folder: Path) -> None:
    assert summary("add", str(folder), "--kb", "t")[0] == 0
    code, out = run(ragchat_main, "search", "How long is the warranty?", "--kb", "t", "--json")
    assert code == 0
    result = json.loads(out)
    top = result["hits"][0]
    assert top["file"] == "warranty.pdf" and top["page_start"] in (1, 2)
    assert "24 months" in top["text"]
    assert set(top) >= {"rank", "score", "file", "page_start", "page_end", "heading_path", "text"}
    assert isinstance(result["covered"], bool) and isinstance(result["gate_score"], float)


def test_missing_kb_and_missing_path_are_one_line_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(ragchat_main, ["search", "x", "--kb", "nope"])
    assert result.exit_code == 1 and "no knowledge base 'nope'" in result.output
    code, s = summary("add", str(tmp_path / "missing-dir"), "--kb", "t")
    assert code == 1 and s["failed"][0]["error"] == "no such file or folder"


def test_files_chunked_under_other_settings_are_rechunked(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, s = summary("add", str(folder), "--kb", "t")
    assert code == 0 and s["added"] == 3
    monkeypatch.setenv("RAGCHAT_CHUNK_TOKENS", "120")
    code, s = summary("add", str(folder), "--kb", "t")
    assert (s["updated"], s["unchanged"]) == (3, 0), "a new chunk size re-chunks every file"
    code, s = summary("add", str(folder), "--kb", "t")
    assert (s["updated"], s["unchanged"], s["chunks_embedded"]) == (0, 3, 0)


def test_progress_counts_pages_per_file_and_no_stray_bar(folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(ingest_main, ["add", str(folder), "--kb", "t"])
    assert result.exit_code == 0, result.output
    bar = result.stderr
    assert "file 3 of 3" in bar and "page 2 of 2" in bar, bar
    assert "page 4" not in bar and "page 6" not in bar, "pages are counted per file"
    assert "0file [" not in bar, "no stray bar without a total"  # "1.10file/s" is a rate
    result = CliRunner().invoke(ingest_main, ["add", str(tmp_path / "gone"), "--kb", "t"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'gone'}: no such file or folder"
    ]
