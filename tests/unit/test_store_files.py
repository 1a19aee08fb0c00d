"""What only the FAISS + SQLite file store does: its directory layout, the FAISS file per
generation (rebuilt from SQLite when missing or damaged), and migrating KBs written by older
versions. Everything both stores do is in tests/integration/test_store_contract.py."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from ragchat.kb.files import KnowledgeBase, list_kbs
from tests.kbdata import DIM, make_chunks, put


def open_kb(tmp_path, **kw) -> KnowledgeBase:
    return KnowledgeBase.open(tmp_path / "kb", "docs", embedder="e", dim=DIM, create=True, **kw)


def test_a_kb_is_a_directory_with_a_manifest(tmp_path):
    kb = open_kb(tmp_path)
    assert list_kbs(tmp_path / "kb") == ["docs"]
    assert (tmp_path / "kb" / "docs" / "manifest.json").is_file()
    assert kb.root == tmp_path / "kb" / "docs"
    kb.close()


def test_faiss_file_is_written_per_generation_and_reloaded(tmp_path):
    kb = open_kb(tmp_path)
    put(kb, "/d/a.pdf", ["one", "two"])
    gen = kb.generation()
    files = sorted(p.name for p in kb.root.glob("vectors-*.faiss"))
    assert files == [f"vectors-{gen}.faiss"]
    put(kb, "/d/b.pdf", ["three"])
    assert sorted(p.name for p in kb.root.glob("vectors-*.faiss")) == [f"vectors-{gen + 1}.faiss"]
    kb.close()
    again = KnowledgeBase.open(tmp_path / "kb", "docs", embedder="e", dim=DIM)
    with again.snapshot():
        assert again.size() == 3  # read off the reloaded FAISS index


def test_missing_or_damaged_index_is_rebuilt_from_sqlite(tmp_path):
    kb = open_kb(tmp_path)
    vecs = put(kb, "/d/a.pdf", ["alpha text", "beta text"])
    kb.close()
    for f in (tmp_path / "kb" / "docs").glob("vectors-*.faiss"):
        f.write_bytes(b"garbage")
    again = KnowledgeBase.open(tmp_path / "kb", "docs", embedder="e", dim=DIM)
    with again.snapshot():
        ((best, _),) = again.dense_search(vecs[0], 1)
    assert again.chunks([best])[best].text == "alpha text"


def test_old_kbs_without_context_and_chunking_are_migrated(tmp_path):
    kb = open_kb(tmp_path)
    rec, chunks, vecs = make_chunks("/d/a.pdf", ["alpha beta", "gamma delta"])
    chunks = [replace(c, context="a · ACME Inc.") for c in chunks]
    with kb.writer() as w:
        w.put_file(replace(rec, chunking="v2:200"), chunks, vecs, ["h1", "h2"], ["a b", "c d"])
    assert kb.file("/d/a.pdf").chunking == "v2:200"
    assert {c.context for c in kb.chunks_of("/d/a.pdf")} == {"a · ACME Inc."}
    kb.close()
    # a KB written before these columns existed opens, reads "" and accepts new writes
    db = sqlite3.connect(tmp_path / "kb" / "docs" / "kb.sqlite")
    db.execute("ALTER TABLE chunks DROP COLUMN context")
    db.execute("ALTER TABLE files DROP COLUMN chunking")
    db.commit()
    db.close()
    kb = open_kb(tmp_path)
    assert kb.file("/d/a.pdf").chunking == ""
    assert [c.text for c in kb.chunks_of("/d/a.pdf")] == ["alpha beta", "gamma delta"]
    assert {c.context for c in kb.chunks_of("/d/a.pdf")} == {""}
    put(kb, "/d/b.pdf", ["epsilon"])
    assert kb.chunk_count() == 3


def test_row_counts_agree_across_index_rows_and_bm25(tmp_path):
    kb = open_kb(tmp_path)
    put(kb, "/d/a.pdf", ["one", "two"])
    put(kb, "/d/b.pdf", ["three"])
    counts = kb.row_counts()
    assert counts["vectors"] == counts["chunks"] == counts["lexical"] > 0
    assert sum(counts["per_file"].values()) == counts["chunks"]
    assert {f.name: f.chunks for f in counts["files"]} == counts["per_file"]
