"""The KB store: manifest, embedder mismatch, incremental writes, generations, lock, search."""

from __future__ import annotations

import numpy as np
import pytest

from ragchat.errors import EmbedderMismatch, KBError, KBLocked, KBNotFound
from ragchat.kb import FileRecord
from ragchat.kb.files import KnowledgeBase, list_kbs
from ragchat.text import lexical_tokens
from ragchat.types import Chunk

DIM = 8


def make_chunks(path: str, texts: list[str]) -> tuple[FileRecord, list[Chunk], np.ndarray]:
    doc_id = f"{abs(hash(path)) % 10**12:064d}"
    chunks = [
        Chunk(
            f"{doc_id[:16]}:{i}",
            doc_id,
            path.rsplit("/", 1)[-1],
            t,
            ("H",),
            i + 1,
            i + 1,
            (0, len(t)),
            ordinal=i,
        )
        for i, t in enumerate(texts)
    ]
    rng = np.random.default_rng(len(path) + len(texts))
    vecs = rng.normal(size=(len(texts), DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    rec = FileRecord(
        path, path.rsplit("/", 1)[-1], doc_id, "t", 10, len(texts), len(texts), 0.0, ()
    )
    return rec, chunks, vecs


def put(kb: KnowledgeBase, path: str, texts: list[str]) -> np.ndarray:
    rec, chunks, vecs = make_chunks(path, texts)
    with kb.writer() as w:
        w.put_file(
            rec,
            chunks,
            vecs,
            [f"h{path}{i}" for i in range(len(texts))],
            [" ".join(lexical_tokens(t)) for t in texts],
        )
    return vecs


def open_kb(tmp_path, **kw):
    return KnowledgeBase.open(tmp_path / "kb", "docs", embedder="e", dim=DIM, create=True, **kw)


def test_create_list_reopen_and_mismatch(tmp_path):
    kb = open_kb(tmp_path)
    assert list_kbs(tmp_path / "kb") == ["docs"]
    assert (tmp_path / "kb" / "docs" / "manifest.json").is_file()
    with pytest.raises(EmbedderMismatch, match="built with embedder e"):
        KnowledgeBase.open(tmp_path / "kb", "docs", embedder="other", dim=DIM)
    with pytest.raises(KBNotFound, match="ragchat-ingest add"):
        KnowledgeBase.open(tmp_path / "kb", "missing")
    with pytest.raises(KBError, match="invalid KB name"):
        KnowledgeBase.open(tmp_path / "kb", "../escape", embedder="e", dim=DIM, create=True)
    kb.close()


def test_put_replace_remove_and_search(tmp_path):
    kb = open_kb(tmp_path)
    vecs = put(kb, "/d/a.pdf", ["The boiler pressure is 3 bar.", "Filters are cleaned monthly."])
    put(kb, "/d/b.pdf", ["Warranty lasts two years."])
    assert kb.chunk_count() == 3
    with kb.snapshot():
        (best, score), *_ = kb.dense_search(vecs[1], 2)
    assert kb.chunks([best])[best].text == "Filters are cleaned monthly."
    assert score == pytest.approx(1.0, abs=1e-5)
    ((row, _),) = kb.lexical_search(lexical_tokens("how long is the warranty"), 5)
    assert kb.chunks([row])[row].file == "b.pdf"
    # replacing a file replaces its chunks
    put(kb, "/d/a.pdf", ["Only one chunk now."])
    assert kb.chunk_count() == 2 and kb.file("/d/a.pdf").chunks == 1
    assert kb.lexical_search(["boiler"], 5) == []
    with kb.writer() as w:
        assert w.remove_file("/d/b.pdf") is True
        assert w.remove_file("/d/b.pdf") is False
    assert [f.path for f in kb.files()] == ["/d/a.pdf"]
    assert kb.lexical_search(["warranty"], 5) == []


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
        assert again.size() == 3


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


def test_failed_write_changes_nothing(tmp_path):
    kb = open_kb(tmp_path)
    put(kb, "/d/a.pdf", ["kept"])
    gen = kb.generation()
    rec, chunks, vecs = make_chunks("/d/b.pdf", ["x", "y"])
    with pytest.raises(KBError), kb.writer() as w:
        w.put_file(rec, chunks, vecs[:1], ["h1", "h2"], ["x", "y"])  # lengths differ
    with pytest.raises(RuntimeError), kb.writer() as w:
        w.put_file(rec, chunks, vecs, ["h1", "h2"], ["x", "y"])
        raise RuntimeError("crash after a commit")
    assert kb.generation() == gen + 1  # the committed file stays; nothing half-written
    assert kb.chunk_count() == 3


def test_second_writer_times_out_with_a_clear_error(tmp_path):
    kb = open_kb(tmp_path, lock_timeout=0.2)
    other = KnowledgeBase.open(tmp_path / "kb", "docs", embedder="e", dim=DIM, lock_timeout=0.2)
    with (
        kb.writer(),
        pytest.raises(KBLocked, match="being written by another process"),
        other.writer(),
    ):
        pass


def test_cached_embeddings_by_text_hash(tmp_path):
    kb = open_kb(tmp_path)
    vecs = put(kb, "/d/a.pdf", ["a", "b"])
    with kb.writer() as w:
        got = w.cached_embeddings(["h/d/a.pdf1", "unknown"])
    assert list(got) == ["h/d/a.pdf1"]
    np.testing.assert_allclose(got["h/d/a.pdf1"], vecs[1])


def test_manifest_updates_are_persisted(tmp_path):
    kb = open_kb(tmp_path)
    kb.update_manifest(gate={"en": 0.5}, default_adapter="/a")
    again = KnowledgeBase.open(tmp_path / "kb", "docs")
    assert again.manifest.gate == {"en": 0.5} and again.manifest.default_adapter == "/a"


def test_context_and_chunking_are_stored_and_old_kbs_are_migrated(tmp_path):
    import sqlite3
    from dataclasses import replace

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


def test_centroids_are_unit_means_per_document_and_rank_documents(tmp_path):
    from ragchat.retrieval import Retriever
    from ragchat.settings import Settings

    kb = open_kb(tmp_path)
    va = put(kb, "/d/a.pdf", ["alpha one", "alpha two"])
    vb = put(kb, "/d/b.pdf", ["beta one", "beta two", "beta three"])
    ids, matrix = kb.centroids()
    assert len(ids) == 2 and matrix.shape == (2, DIM)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    mean_b = vb.mean(axis=0) / np.linalg.norm(vb.mean(axis=0))
    doc_b = kb.file("/d/b.pdf").doc_id
    assert np.allclose(matrix[ids.index(doc_b)], mean_b, atol=1e-5)

    # a tie in the fused chunk ranking goes to the document the question is about as a whole
    retriever = Retriever(kb, None, Settings(doc_weight=0.5))
    rows = {c.file: i for i, c in kb.chunks(list(range(1, 6))).items()}
    tied = [(rows["a.pdf"], 0.01), (rows["b.pdf"], 0.01)]
    chunks = kb.chunks([i for i, _ in tied])
    assert retriever.boost_documents(tied, chunks, mean_b)[0][0] == rows["b.pdf"]
    mean_a = va.mean(axis=0) / np.linalg.norm(va.mean(axis=0))
    assert retriever.boost_documents(tied, chunks, mean_a)[0][0] == rows["a.pdf"]
    off = Retriever(kb, None, Settings(doc_weight=0.0))
    assert off.boost_documents(tied, chunks, mean_b) == tied


def test_document_bonus_applies_to_english_questions_only(tmp_path):
    """Chinese retrieval is BM25 only (the embedder is English-only), so the embedding-based
    document ranking must not reorder it either."""
    from ragchat.retrieval import Retriever
    from ragchat.settings import Settings

    kb = open_kb(tmp_path)
    put(kb, "/d/a.pdf", ["alpha one", "alpha two"])
    vb = put(kb, "/d/b.pdf", ["beta one", "beta two", "beta three"])
    mean_b = vb.mean(axis=0) / np.linalg.norm(vb.mean(axis=0))

    class QueryEmbedder:  # honours Embedder.embed_query: the question points at document b
        def embed_query(self, question: str) -> np.ndarray:
            return mean_b.astype(np.float32)

    calls: list[str] = []

    class Spy(Retriever):
        def boost_documents(self, fused, chunks, qvec):
            calls.append("boost")
            return super().boost_documents(fused, chunks, qvec)

    retriever = Spy(kb, QueryEmbedder(), Settings(doc_weight=0.5))
    retriever.search("alpha one")
    assert calls == ["boost"]
    retriever.search("阿尔法是什么")
    assert calls == ["boost"], "no document bonus for a Chinese question"
