"""Writing to a PostgreSQL KB: bulk writes (COPY) of a file's chunks, embeddings and BM25
postings in one transaction that also bumps the generation, and the HNSW build policy.

Dense search is exact (like FAISS's flat index) up to `exact_limit` chunks and uses the HNSW
index above it. The index is built in one go when a writer session leaves the KB above
`exact_limit` chunks (a bulk build is far faster than growing the graph insert by insert); from
then on PostgreSQL maintains it on every insert.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

import numpy as np

from ragchat.kb.base import FileRecord, Manifest, centroid, checked_embeddings, chunk_fields
from ragchat.kb.pg_bm25 import TERMS, term_key
from ragchat.kb.pg_schema import CHUNK_COPY_COLUMNS, HNSW_EF_CONSTRUCTION, HNSW_M, clean
from ragchat.types import Chunk


class PgSession(Protocol):
    """What writing needs of the PostgreSQL store (`ragchat.kb.pg.PgKnowledgeBase`)."""

    manifest: Manifest
    schema: str  # the KB's tables live in this PostgreSQL schema
    kb_id: int  # the KB's id in the registry
    exact_limit: int

    def size(self) -> int: ...
    def rows(self, query: str, params: Any = None, *, fetch: bool = True) -> list[Any]: ...
    def transaction(self) -> AbstractContextManager[Any]: ...


def build_vector_index(kb: PgSession) -> None:
    """Build the HNSW index once the KB outgrows exact search (one bulk build is far faster than
    growing the graph insert by insert; later inserts maintain it), then refresh the planner's
    statistics. Called at the end of every writer session that changed the KB."""
    n = kb.size()
    s = kb.schema
    if (
        n > kb.exact_limit
        and not kb.rows("SELECT to_regclass(%s)", (f"{s}.embeddings_hnsw",))[0][0]
    ):
        # the graph is built in memory: ~ vectors + neighbour lists, with headroom
        mb = min(4096, max(64, int(n * (4 * kb.manifest.dim + 64 * HNSW_M) * 1.3 / 2**20)))
        with kb.transaction() as conn:
            conn.execute("SELECT set_config('maintenance_work_mem', %s, true)", (f"{mb}MB",))
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS embeddings_hnsw ON {s}.embeddings"
                f" USING hnsw (vec vector_ip_ops)"
                f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
            )
    kb.rows(f"ANALYZE {s}.embeddings, {s}.chunks, {s}.postings", fetch=False)


class PgKBWriter:
    """Changes to a PostgreSQL KB; each call is one transaction that bumps the generation."""

    def __init__(self, kb: PgSession) -> None:
        self.kb = kb

    def cached_embeddings(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings already in the KB for chunk texts with these hashes (skip re-embedding)."""
        out: dict[str, np.ndarray] = {}
        s = self.kb.schema
        for i in range(0, len(text_hashes), 1000):
            rows = self.kb.rows(
                f"SELECT c.text_hash, e.vec FROM {s}.chunks c JOIN {s}.embeddings e ON e.id = c.id"
                " WHERE c.text_hash = ANY(%s)",
                (list(text_hashes[i : i + 1000]),),
            )
            for h, vec in rows:
                out[h] = vec.to_numpy().astype(np.float32, copy=False)
        return out

    def put_file(
        self,
        record: FileRecord,
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
        text_hashes: Sequence[str],
        lexical: Sequence[str],
    ) -> None:
        """Replace everything stored for `record.path` with these chunks, atomically."""
        kb = self.kb
        emb = checked_embeddings(kb.manifest, chunks, embeddings, text_hashes, lexical)
        seqs = [TERMS.of(lex) for lex in lexical]
        s, n = kb.schema, len(chunks)
        with kb.transaction() as conn:
            self._delete(conn, record.path)
            file_id = conn.execute(
                f"INSERT INTO {s}.files (path, name, doc_id, title, size, pages, chunks,"
                " ingested_at, warnings, chunking, centroid) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    clean(record.path),
                    clean(record.name),
                    record.doc_id,
                    clean(record.title),
                    record.size,
                    record.pages,
                    n,
                    record.ingested_at,
                    json.dumps(list(record.warnings)),
                    record.chunking,
                    centroid(emb).tobytes() if n else None,
                ),
            ).fetchone()[0]
            if n:
                self._insert_chunks(conn, file_id, chunks, emb, text_hashes, seqs)
            conn.execute(
                "UPDATE ragchat.kbs SET generation = generation + 1, n_chunks = n_chunks + %s,"
                " n_tokens = n_tokens + %s WHERE id = %s",
                (n, sum(len(q) for q in seqs), kb.kb_id),
            )

    def _insert_chunks(
        self,
        conn: Any,
        file_id: int,
        chunks: Sequence[Chunk],
        emb: np.ndarray,
        text_hashes: Sequence[str],
        seqs: Sequence[list[str]],
    ) -> None:
        s, n = self.kb.schema, len(chunks)
        (last,) = conn.execute(
            "SELECT setval(%s, nextval(%s) + %s - 1)", (f"{s}.chunk_ids", f"{s}.chunk_ids", n)
        ).fetchone()
        ids = range(last - n + 1, last + 1)
        columns = ", ".join(CHUNK_COPY_COLUMNS)
        with conn.cursor().copy(f"COPY {s}.chunks ({columns}) FROM STDIN") as copy:
            for i, c, h, seq in zip(ids, chunks, text_hashes, seqs, strict=True):
                row = {
                    **chunk_fields(c),
                    "id": i,
                    "file_id": file_id,
                    "text_hash": h,
                    "terms": " ".join(seq),
                    "n_terms": len(seq),
                }
                for text in ("file", "text", "context", "terms"):
                    row[text] = clean(row[text])
                copy.write_row(tuple(row[col] for col in CHUNK_COPY_COLUMNS))
        with conn.cursor().copy(
            f"COPY {s}.embeddings (id, vec) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "vector"])
            for i, vec in zip(ids, emb, strict=True):
                copy.write_row((i, vec))
        postings: dict[str, tuple[list[int], list[int], list[int]]] = {}
        for i, seq in zip(ids, seqs, strict=True):
            for term, tf in Counter(seq).items():
                p = postings.setdefault(term_key(term), ([], [], []))
                p[0].append(i)
                p[1].append(tf)
                p[2].append(len(seq))
        with conn.cursor().copy(
            f"COPY {s}.postings (term, file_id, chunks, tfs, lens) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "int4", "int8[]", "int4[]", "int4[]"])
            for term, (cids, tfs, lens) in postings.items():
                copy.write_row((term, file_id, cids, tfs, lens))

    def remove_file(self, path: str) -> bool:
        """Remove a file and its chunks. Returns False when the KB did not hold it."""
        with self.kb.transaction() as conn:
            removed = self._delete(conn, path)
            conn.execute(
                "UPDATE ragchat.kbs SET generation = generation + 1 WHERE id = %s", (self.kb.kb_id,)
            )
            return removed

    def _delete(self, conn: Any, path: str) -> bool:
        s = self.kb.schema
        row = conn.execute(f"SELECT id FROM {s}.files WHERE path = %s", (clean(path),)).fetchone()
        if row is None:
            return False
        (file_id,) = row
        conn.execute(f"DELETE FROM {s}.postings WHERE file_id = %s", (file_id,))
        conn.execute(
            f"DELETE FROM {s}.embeddings e USING {s}.chunks c WHERE c.file_id = %s AND e.id = c.id",
            (file_id,),
        )
        n, tokens = conn.execute(
            f"WITH d AS (DELETE FROM {s}.chunks WHERE file_id = %s RETURNING n_terms)"
            " SELECT count(*), coalesce(sum(n_terms), 0) FROM d",
            (file_id,),
        ).fetchone()
        conn.execute(f"DELETE FROM {s}.files WHERE id = %s", (file_id,))
        conn.execute(
            "UPDATE ragchat.kbs SET n_chunks = n_chunks - %s, n_tokens = n_tokens - %s"
            " WHERE id = %s",
            (n, tokens, self.kb.kb_id),
        )
        return True
