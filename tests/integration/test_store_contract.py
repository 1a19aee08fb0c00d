"""One contract for both KB stores, FAISS + SQLite files and PostgreSQL + pgvector: every test of
`TestStoreContract` runs against each store (the PostgreSQL cases are marked `pg`; their real
server comes from the `pg_server` fixture, skipped when the pgserver package is missing).

What only one store does is tested in tests/unit/test_store_files.py and
tests/integration/test_store_pg.py (which also checks both stores rank alike on the same data).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ragchat import kb as stores
from ragchat.errors import EmbedderMismatch, KBError, KBLocked, KBNotFound
from ragchat.kb import KBStore
from ragchat.retrieval import Retriever
from ragchat.settings import Settings
from ragchat.text import lexical_tokens
from ragchat.types import Chunk
from tests.kbdata import DIM, make_chunks, open_kb, put, unit_mean


@pytest.fixture(params=["faiss", pytest.param("pg", marks=pytest.mark.pg)])
def settings(request: pytest.FixtureRequest, tmp_path) -> Settings:
    """Settings pointing at one store or the other (each test runs against both)."""
    store = request.getfixturevalue("pg_url") if request.param == "pg" else ""
    return Settings(home=tmp_path / "home", store=store, lock_timeout=0.3)


def _rows_of(kb: KBStore, path: str) -> dict[int, Chunk]:
    """{row id: chunk} of one file's chunks (found through the public search API)."""
    with kb.snapshot():
        hits = kb.lexical_search(["alpha", "beta"], 100)
    found = kb.chunks([i for i, _ in hits])
    return {i: c for i, c in found.items() if kb.source_path(c) == path}


class TestStoreContract:
    def test_create_list_reopen_mismatch_and_delete(self, settings: Settings) -> None:
        kb = open_kb(settings)
        assert stores.list_kbs(settings) == ["docs"]
        assert kb.name == "docs" and kb.manifest.embedder == "e" and kb.manifest.dim == DIM
        with pytest.raises(EmbedderMismatch, match="built with embedder e"):
            stores.open_kb(settings, "docs", embedder="other", dim=DIM)
        with pytest.raises(KBNotFound, match="ragchat-ingest add"):
            stores.open_kb(settings, "missing")
        with pytest.raises(KBError, match="invalid KB name"):
            stores.open_kb(settings, "../escape", embedder="e", dim=DIM, create=True)
        with pytest.raises(KBError, match="needs the embedder"):
            stores.open_kb(settings, "new", create=True)
        put(kb, "/d/a.pdf", ["alpha", "beta"])
        st = kb.stats()
        assert (st.name, st.files, st.pages, st.chunks, st.dim) == ("docs", 1, 2, 2, DIM)
        assert st.generation == kb.generation() == 1 and st.bytes_on_disk > 0
        kb.close()
        stores.delete_kb(settings, "docs")
        assert stores.list_kbs(settings) == []
        with pytest.raises(KBNotFound):
            stores.open_kb(settings, "docs")
        with pytest.raises(KBNotFound):
            stores.delete_kb(settings, "docs")

    def test_put_replace_remove_and_search(self, settings: Settings) -> None:
        kb = open_kb(settings)
        vecs = put(
            kb, "/d/a.pdf", ["The boiler pressure is 3 bar.", "Filters are cleaned monthly."]
        )
        put(kb, "/d/b.pdf", ["Warranty lasts two years."])
        assert kb.chunk_count() == kb.size() == 3
        with kb.snapshot():
            (best, score), *_ = kb.dense_search(vecs[1], 2)
        assert kb.chunks([best])[best].text == "Filters are cleaned monthly."
        assert score == pytest.approx(1.0, abs=1e-5)
        ((row, _),) = kb.lexical_search(lexical_tokens("how long is the warranty"), 5)
        assert kb.chunks([row])[row].file == "b.pdf"
        assert kb.source_path(kb.chunks([row])[row]) == "/d/b.pdf"
        assert kb.doc_freq("warranties") == 1  # stemmed like the index
        # replacing a file replaces its chunks
        put(kb, "/d/a.pdf", ["Only one chunk now."])
        assert kb.chunk_count() == 2 and kb.file("/d/a.pdf").chunks == 1
        assert kb.lexical_search(["boiler"], 5) == [] and kb.doc_freq("boiler") == 0
        assert [c.text for c in kb.chunks_of("/d/a.pdf")] == ["Only one chunk now."]
        with kb.writer() as w:
            assert w.remove_file("/d/b.pdf") is True
            assert w.remove_file("/d/b.pdf") is False
        assert [f.path for f in kb.files()] == ["/d/a.pdf"] and kb.file("/d/b.pdf") is None
        assert kb.lexical_search(["warranty"], 5) == []
        assert kb.chunks_of("/d/b.pdf") == []

    def test_failed_write_changes_nothing(self, settings: Settings) -> None:
        kb = open_kb(settings)
        put(kb, "/d/a.pdf", ["kept"])
        gen = kb.generation()
        rec, chunks, vecs = make_chunks("/d/b.pdf", ["x", "y"])
        with pytest.raises(KBError), kb.writer() as w:
            w.put_file(rec, chunks, vecs[:1], ["h1", "h2"], ["x", "y"])  # lengths differ
        with pytest.raises(EmbedderMismatch), kb.writer() as w:
            w.put_file(rec, chunks, np.zeros((2, DIM + 1), np.float32), ["h1", "h2"], ["x", "y"])
        with pytest.raises(RuntimeError), kb.writer() as w:
            w.put_file(rec, chunks, vecs, ["h1", "h2"], ["x", "y"])
            raise RuntimeError("crash after a commit")
        assert kb.generation() == gen + 1  # the committed file stays; nothing half-written
        assert kb.chunk_count() == 3

    def test_second_writer_times_out_with_a_clear_error(self, settings: Settings) -> None:
        kb = open_kb(settings)
        other = open_kb(settings)
        with (
            kb.writer(),
            pytest.raises(KBLocked, match="being written by another process"),
            other.writer(),
        ):
            pass
        with other.writer():  # released when the first writer ends
            pass

    def test_cached_embeddings_by_text_hash(self, settings: Settings) -> None:
        kb = open_kb(settings)
        vecs = put(kb, "/d/a.pdf", ["a", "b"])
        with kb.writer() as w:
            got = w.cached_embeddings(["h/d/a.pdf1", "unknown"])
        assert list(got) == ["h/d/a.pdf1"]
        np.testing.assert_allclose(got["h/d/a.pdf1"], vecs[1])

    def test_manifest_updates_are_persisted(self, settings: Settings) -> None:
        kb = open_kb(settings)
        kb.update_manifest(gate={"en": 0.5}, default_adapter="/a")
        again = stores.open_kb(settings, "docs")
        assert again.manifest.gate == {"en": 0.5} and again.manifest.default_adapter == "/a"

    def test_context_chunking_and_fields_round_trip(self, settings: Settings) -> None:
        kb = open_kb(settings)
        rec, chunks, vecs = make_chunks("/d/a.pdf", ["alpha beta", "gamma delta"])
        chunks = [
            replace(
                c,
                context="a · ACME Inc.",
                heading_path=("1 安全", "1.1 Goggles"),
                bboxes=((1.0, 2.0, 3.0, 4.5),),
                kind="table",
                n_tokens=7,
                page_end=c.page_start + 1,
            )
            for c in chunks
        ]
        rec = replace(rec, chunking="v2:200", warnings=("page 4 has no text layer; needs OCR",))
        with kb.writer() as w:
            w.put_file(rec, chunks, vecs, ["h1", "h2"], ["a b", "c d"])
        assert kb.file("/d/a.pdf") == replace(rec, chunks=2)
        assert kb.chunks_of("/d/a.pdf") == chunks
        assert kb.chunks_by_id([chunks[1].chunk_id]) == [chunks[1]]

    def test_snapshot_sees_one_generation(self, settings: Settings) -> None:
        reader = open_kb(settings)
        put(reader, "/d/a.pdf", ["one", "two"])
        writer = open_kb(settings)
        with reader.snapshot():
            before = (reader.generation(), reader.size())
            put(writer, "/d/b.pdf", ["three"])
            assert (reader.generation(), reader.size()) == before
        assert (reader.generation(), reader.size()) == (before[0] + 1, 3)

    def test_centroids_are_unit_means_per_document_and_rank_documents(
        self, settings: Settings
    ) -> None:
        kb = open_kb(settings)
        va = put(kb, "/d/a.pdf", ["alpha one", "alpha two"])
        vb = put(kb, "/d/b.pdf", ["beta one", "beta two", "beta three"])
        ids, matrix = kb.centroids()
        assert len(ids) == 2 and matrix.shape == (2, DIM)
        assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
        mean_a, mean_b = unit_mean(va), unit_mean(vb)
        assert np.allclose(matrix[ids.index(kb.file("/d/b.pdf").doc_id)], mean_b, atol=1e-5)

        # a tie in the fused chunk ranking goes to the document the question is about as a whole
        retriever = Retriever(kb, None, Settings(doc_weight=0.5))
        rows = {c.file: i for f in kb.files() for i, c in _rows_of(kb, f.path).items()}
        tied = [(rows["a.pdf"], 0.01), (rows["b.pdf"], 0.01)]
        chunks = kb.chunks([i for i, _ in tied])
        assert retriever.boost_documents(tied, chunks, mean_b)[0][0] == rows["b.pdf"]
        assert retriever.boost_documents(tied, chunks, mean_a)[0][0] == rows["a.pdf"]
        off = Retriever(kb, None, Settings(doc_weight=0.0))
        assert off.boost_documents(tied, chunks, mean_b) == tied

    def test_document_bonus_applies_to_english_questions_only(self, settings: Settings) -> None:
        """Chinese retrieval is BM25 only (the embedder is English-only), so the embedding-based
        document ranking must not reorder it either."""
        kb = open_kb(settings)
        put(kb, "/d/a.pdf", ["alpha one", "alpha two"])
        mean_b = unit_mean(put(kb, "/d/b.pdf", ["beta one", "beta two", "beta three"]))

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
