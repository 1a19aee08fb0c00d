"""Knowledge bases in PostgreSQL + pgvector, with the interface of the file store (`KBStore`).

Selected by `RAGCHAT_STORE=postgresql://user@host:port/db` (see `ragchat.kb`). This module is one
open KB: its connection, transactions, snapshots and reads. The tables, connecting and the
registry of KBs (make, find, list, drop) are in `ragchat.kb.pg_schema`; bulk writes and the HNSW
build policy in `ragchat.kb.pg_write`; lexical search, which reproduces the file store's FTS5 BM25
exactly, in `ragchat.kb.pg_bm25`.

Dense search is exact (like FAISS's flat index) up to `exact_limit` chunks and uses the HNSW
index above it, with `hnsw.ef_search = max(ef_search, 4k)`.

Writers: one per KB, by a session advisory lock (waiting `lock_timeout` seconds); each file is
written in one transaction that also bumps the generation, so readers never see half a file.
`snapshot()` is a REPEATABLE READ, READ ONLY transaction: everything read inside it sees one
generation. Passwords in the URL are never shown: messages carry `mask_url(url)`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from ragchat.errors import KBError, KBLocked, KBNotFound
from ragchat.kb.base import (
    EXACT_SEARCH_LIMIT,
    FileRecord,
    KBStats,
    Manifest,
    checked_manifest,
    chunk_from_row,
    file_record,
    new_manifest,
    validate_kb_name,
)
from ragchat.kb.pg_bm25 import Bm25Postings
from ragchat.kb.pg_schema import (
    CHUNK_COLUMNS,
    FILE_COLUMNS,
    LOCK_CLASS,
    connect,
    create_kb,
    failed,
    find_kb,
    kb_names,
    schema_name,
    scrub,
    wait_for,
)
from ragchat.kb.pg_write import PgKBWriter, build_vector_index
from ragchat.settings import mask_url
from ragchat.types import Chunk

try:  # the `pg` extra; ragchat.kb imports this module only for a PostgreSQL URL
    import psycopg
    from psycopg.rows import dict_row
except ImportError:  # pragma: no cover - reported by connect
    psycopg = None  # type: ignore[assignment]


# ---------------------------------------------------------------- the knowledge base
class PgKnowledgeBase:
    """A KB in PostgreSQL. Reading is safe from many threads (one connection, one mutex) and
    processes; one process writes at a time."""

    exact_limit = EXACT_SEARCH_LIMIT  # up to this many chunks, dense search is exact
    # HNSW candidate list: max(ef_search, 4k). At 100k chunks and k=30 (ef 120) recall@30 is
    # 0.955, FAISS's 8-bit index 0.947; 2k (ef 60) gives 0.908 (bench/stores.py)
    ef_search = 40
    ef_per_k = 4

    def __init__(
        self,
        url: str,
        conn: Any,
        kb_id: int,
        manifest: Manifest,
        root: Path,
        *,
        lock_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self.manifest = manifest
        self.root = root  # local folder for uploads and adapters (the index lives in PostgreSQL)
        self.lock_timeout = lock_timeout
        self.kb_id = int(kb_id)  # the KB's id in the registry, ragchat.kbs
        self.schema = schema_name(self.kb_id)  # the PostgreSQL schema holding its tables
        self._conn = conn
        self._mutex = threading.RLock()
        self._snap: tuple[int, int, int] | tuple[()] | None = None  # counts inside a snapshot
        self._bm25 = Bm25Postings(self.schema, self.rows, self._counts, self._mutex)

    @classmethod
    def open(
        cls,
        url: str,
        name: str,
        *,
        embedder: str | None = None,
        dim: int | None = None,
        create: bool = False,
        lock_timeout: float = 30.0,
        root: Path | None = None,
    ) -> PgKnowledgeBase:
        """Open a KB; with `create`, make it if missing. A different embedder is an error."""
        validate_kb_name(name)
        conn = connect(url)
        try:
            row = find_kb(conn, name)
            if row is None:
                if not create:
                    known = ", ".join(kb_names(conn)) or "none yet"
                    raise KBNotFound(
                        f"no knowledge base {name!r} in PostgreSQL at {mask_url(url)} (known:"
                        f" {known}); create it with `ragchat-ingest add PATH --kb {name}`"
                    )
                row = create_kb(conn, url, new_manifest(name, embedder, dim))
            kb_id, data = row
            manifest = checked_manifest(data, f"KB {name!r}", name, embedder=embedder, dim=dim)
            from pgvector.psycopg import register_vector

            register_vector(conn)
        except psycopg.Error as exc:
            conn.close()
            raise failed(url, exc) from exc
        except BaseException:
            conn.close()
            raise
        return cls(url, conn, kb_id, manifest, root or Path(name), lock_timeout=lock_timeout)

    def close(self) -> None:
        with self._mutex:
            self._conn.close()

    @property
    def name(self) -> str:
        return self.manifest.name

    def update_manifest(self, **changes: Any) -> Manifest:
        from psycopg.types.json import Jsonb

        with self._mutex:
            manifest = replace(self.manifest, **changes)
            self.rows(
                "UPDATE ragchat.kbs SET manifest = %s WHERE id = %s",
                (Jsonb(asdict(manifest)), self.kb_id),
                fetch=False,
            )
            self.manifest = manifest
            return manifest

    # ------------------------------------------------------------------ connection
    def rows(
        self, query: str, params: Any = None, *, fetch: bool = True, named: bool = False
    ) -> list[Any]:
        """Run one statement on the KB's connection (under its lock, inside the open snapshot if
        any; errors as KBError without the password) and return its rows (as dicts by column
        name with `named`). For the writer, diagnostics and benchmarks."""
        with self._mutex, self._errors():
            cur = self._conn.cursor(row_factory=dict_row) if named else self._conn.cursor()
            cur.execute(query, params)
            return cur.fetchall() if fetch else []

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A transaction (a savepoint inside `snapshot()`) on the KB's connection."""
        with self._mutex, self._errors(), self._conn.transaction():
            yield self._conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            msg = scrub(str(exc).strip(), self.url)
            raise KBError(f"KB {self.name!r} in PostgreSQL at {mask_url(self.url)}: {msg}") from exc

    @contextmanager
    def _in_transaction(self) -> Iterator[Any]:
        """The snapshot's transaction if one is open, else a short one of its own."""
        if self._snap is not None:
            with self._errors():
                yield self._conn
        else:
            with self.transaction() as conn:
                yield conn

    def _counts(self) -> tuple[int, int, int]:
        """(generation, chunks, BM25 terms): read once per snapshot, which cannot see them change."""
        with self._mutex:
            if self._snap:
                return self._snap
            rows = self.rows(
                "SELECT generation, n_chunks, n_tokens FROM ragchat.kbs WHERE id = %s",
                (self.kb_id,),
            )
            if not rows:
                raise KBNotFound(f"knowledge base {self.name!r} was deleted")
            if self._snap is not None:
                self._snap = rows[0]
            return rows[0]

    # ------------------------------------------------------------------ reading
    def generation(self) -> int:
        return int(self._counts()[0])

    def files(self) -> list[FileRecord]:
        rows = self.rows(
            f'SELECT {FILE_COLUMNS} FROM {self.schema}.files ORDER BY name COLLATE "C",'
            ' path COLLATE "C"',
            named=True,
        )
        return [file_record(r) for r in rows]

    def file(self, path: str) -> FileRecord | None:
        rows = self.rows(
            f"SELECT {FILE_COLUMNS} FROM {self.schema}.files WHERE path = %s", (path,), named=True
        )
        return file_record(rows[0]) if rows else None

    def stats(self) -> KBStats:
        with self._mutex:
            ((files, pages),) = self.rows(
                f"SELECT count(*), coalesce(sum(pages), 0) FROM {self.schema}.files"
            )
            gen, chunks, _ = self._counts()
            ((size,),) = self.rows(
                "SELECT coalesce(sum(pg_total_relation_size(format('%%I.%%I', schemaname,"
                " tablename)::regclass)), 0) FROM pg_tables WHERE schemaname = %s",
                (self.schema,),
            )
        return KBStats(
            self.name,
            int(files),
            int(pages),
            int(chunks),
            self.manifest.embedder,
            self.manifest.dim,
            int(gen),
            int(size),
        )

    def chunk_count(self) -> int:
        return int(self._counts()[1])

    def size(self) -> int:
        """Chunks in the current generation."""
        return self.chunk_count()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A consistent read view: everything read inside sees one generation."""
        with self._mutex:
            if self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                yield
                return
            with self._errors():
                self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._snap = ()
            try:
                yield
            finally:
                self._snap = None
                with self._errors():
                    self._conn.execute("COMMIT")

    def dense_search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row id, cosine) of the k nearest chunks. Call inside `snapshot()` for consistency."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        n = self.size()
        if n == 0 or k <= 0:
            return []
        emb = f"{self.schema}.embeddings"
        if n <= self.exact_limit:  # an expression the index cannot serve: an exact scan
            rows = self.rows(
                f"SELECT id, -(vec <#> %s) AS s FROM {emb} ORDER BY s DESC, id LIMIT %s", (q, k)
            )
        else:
            with self._mutex, self._in_transaction() as conn:  # ef_search is set per transaction
                conn.execute(
                    "SELECT set_config('hnsw.ef_search', %s, true)", (str(self.ef_for(k)),)
                )
                rows = conn.execute(
                    f"SELECT id, -(vec <#> %s) FROM {emb} ORDER BY vec <#> %s LIMIT %s", (q, q, k)
                ).fetchall()
        return [(int(i), float(s)) for i, s in rows]

    def ef_for(self, k: int) -> int:
        """hnsw.ef_search for a query of k neighbours (pgvector allows at most 1000)."""
        return min(1000, max(self.ef_search, self.ef_per_k * k))

    def lexical_search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(row id, BM25) of the k best chunks for these lexical tokens (FTS5's bm25, exactly)."""
        return self._bm25.search(tokens, k)

    def doc_freq(self, token: str) -> int:
        """How many chunks contain this lexical token (after the index's stemming)."""
        return self._bm25.doc_freq(token)

    def centroids(self) -> tuple[list[str], np.ndarray]:
        """Each document's mean chunk embedding (unit length), keyed by doc_id."""
        rows = self.rows(
            f"SELECT doc_id, centroid FROM {self.schema}.files WHERE centroid IS NOT NULL"
            " ORDER BY id"
        )
        ids = [r[0] for r in rows]
        vecs = [np.frombuffer(bytes(r[1]), dtype=np.float32) for r in rows]
        dim = self.manifest.dim
        return ids, (np.stack(vecs) if vecs else np.zeros((0, dim), dtype=np.float32))

    def chunks(self, row_ids: Sequence[int]) -> dict[int, Chunk]:
        if not row_ids:
            return {}
        rows = self._chunk_rows("c.id = ANY(%s)", ([int(i) for i in row_ids],))
        return {int(r["id"]): chunk_from_row(r) for r in rows}

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        if not chunk_ids:
            return []
        rows = self._chunk_rows("c.chunk_id = ANY(%s)", (list(chunk_ids),))
        return [chunk_from_row(r) for r in rows]

    def chunks_of(self, path: str) -> list[Chunk]:
        rows = self.rows(
            f"SELECT {CHUNK_COLUMNS} FROM {self.schema}.chunks c JOIN {self.schema}.files f"
            " ON f.id = c.file_id WHERE f.path = %s ORDER BY c.ordinal, c.id",
            (path,),
            named=True,
        )
        return [chunk_from_row(r) for r in rows]

    def _chunk_rows(self, where: str, params: Any) -> list[dict[str, Any]]:
        return self.rows(
            f"SELECT {CHUNK_COLUMNS} FROM {self.schema}.chunks c WHERE {where}", params, named=True
        )

    def source_path(self, chunk: Chunk) -> str | None:
        rows = self.rows(
            f"SELECT f.path FROM {self.schema}.chunks c JOIN {self.schema}.files f"
            " ON f.id = c.file_id WHERE c.chunk_id = %s LIMIT 1",
            (chunk.chunk_id,),
        )
        return rows[0][0] if rows else None

    # ------------------------------------------------------------------ writing
    @contextmanager
    def writer(self) -> Iterator[PgKBWriter]:
        """Exclusive write access (an advisory lock in PostgreSQL); refreshes statistics at the end."""

        def attempt() -> bool:
            return self.rows("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self.kb_id))[0][0]

        if not wait_for(attempt, self.lock_timeout):
            raise KBLocked(
                f"KB {self.name!r} is being written by another process (waited"
                f" {self.lock_timeout:.0f} s for its lock in PostgreSQL at {mask_url(self.url)});"
                " try again when it ends"
            )
        start = self.generation()
        try:
            yield PgKBWriter(self)
            if self.generation() != start:
                self.save_vectors()
        finally:
            if not self._conn.closed:
                self.rows(
                    "SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, self.kb_id), fetch=False
                )

    def save_vectors(self) -> None:
        """Build the HNSW index once the KB outgrows exact search, and refresh the planner's
        statistics (`ragchat.kb.pg_write.build_vector_index`)."""
        with self._mutex:
            build_vector_index(self)
