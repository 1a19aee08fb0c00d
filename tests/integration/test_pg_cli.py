"""The CLIs unchanged on PostgreSQL: `ragchat-ingest` and `ragchat search --json` with
RAGCHAT_STORE pointing at a real PostgreSQL + pgvector give the hits of the FAISS store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingestion.cli import main as ingest_main
from ragchat.cli import main as ragchat_main
from tests import pdfgen
from tests.integration.test_ingest_cli import run, write_pdf, write_topics

pytestmark = pytest.mark.pg

QUESTIONS = [
    "How long is the warranty?",
    "What is the boiler operating pressure?",
    "How often are the intake filters cleaned?",
    "What protective equipment is required in the boiler room?",
    "What does the burner service cost?",
    "What is the capital of Australia?",
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = write_topics(tmp_path)
    pdfgen.structured(d / "manual.pdf")
    return d


def ingest(*args: str) -> dict:
    code, out = run(ingest_main, *args, "--json")
    assert code == 0, out
    return json.loads(out.strip().splitlines()[-1])


def search(question: str) -> dict:
    code, out = run(ragchat_main, "search", question, "--kb", "t", "--json")
    assert code == 0, out
    result = json.loads(out)
    result.pop("timings", None)
    result.pop("seconds", None)
    return result


def test_ingest_and_search_on_postgres_equal_the_faiss_store(
    folder: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    faiss = {}
    s = ingest("add", str(folder), "--kb", "t")
    faiss["chunks"] = s["chunks_total"]
    faiss["hits"] = [search(q) for q in QUESTIONS]

    monkeypatch.setenv("RAGCHAT_STORE", pg_url)
    s = ingest("add", str(folder), "--kb", "t")
    assert (s["added"], s["failed"], s["chunks_total"]) == (4, [], faiss["chunks"])
    pg_hits = [search(q) for q in QUESTIONS]
    for q, a, b in zip(QUESTIONS, faiss["hits"], pg_hits, strict=True):
        assert [(h["file"], h["page_start"], h["text"]) for h in a["hits"]] == [
            (h["file"], h["page_start"], h["text"]) for h in b["hits"]
        ], q
        assert [h["score"] for h in a["hits"]] == pytest.approx([h["score"] for h in b["hits"]])
        assert a["covered"] == b["covered"], q
        assert a["gate_score"] == pytest.approx(b["gate_score"], abs=1e-5), q
    assert pg_hits[0]["hits"][0]["file"] == "warranty.pdf"
    assert pg_hits[-1]["covered"] is False

    # incremental: unchanged files cost nothing, a changed file re-embeds only its new chunks
    s = ingest("add", str(folder), "--kb", "t")
    assert (s["added"], s["unchanged"], s["chunks_embedded"]) == (0, 4, 0)
    write_pdf(folder / "warranty.pdf", "Warranty terms", "The warranty now lasts 36 months.")
    (folder / "filters.pdf").unlink()
    s = ingest("sync", str(folder), "--kb", "t")
    assert (s["updated"], s["removed"], s["unchanged"]) == (1, 1, 2)
    assert "36 months" in search("How long is the warranty?")["hits"][0]["text"]

    code, out = run(ingest_main, "list", "--json")
    assert [r["kb"] for r in json.loads(out)] == ["t"]
    code, out = run(ingest_main, "stats", "--kb", "t", "--json")
    stats = json.loads(out)
    assert sorted(d["file"] for d in stats["documents"]) == [
        "boiler.pdf",
        "manual.pdf",
        "warranty.pdf",
    ]
    assert stats["dim"] == 384 and stats["bytes_on_disk"] > 0
    code, out = run(ingest_main, "remove", "manual.pdf", "--kb", "t", "--json")
    assert code == 0 and len(json.loads(out)["removed"]) == 1


def test_missing_kb_on_postgres_is_a_one_line_error(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAGCHAT_STORE", pg_url)
    result = CliRunner().invoke(ragchat_main, ["search", "x", "--kb", "nope"])
    assert result.exit_code == 1 and "no knowledge base 'nope'" in result.output
    code, out = run(ingest_main, "list")
    assert code == 0 and "no knowledge bases in PostgreSQL" in out
