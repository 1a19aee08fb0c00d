"""Knowledge bases in PostgreSQL + pgvector, with the interface of `ragchat.store.KnowledgeBase`.

Selected by `RAGCHAT_STORE=postgresql://user@host:port/db` (see `ragchat.stores`). One schema per
KB, so every KB has its own `vector(dim)` column and HNSW index:

    ragchat.kbs               registry: name, manifest (jsonb), generation, chunk and token counts
    ragchat_kb<id>.files      one row per source file (path unique), centroid as float32 bytes
    ragchat_kb<id>.chunks     chunk fields, text hash, the chunk's BM25 terms in order, their count
    ragchat_kb<id>.embeddings vector(dim) with an HNSW index (inner product: vectors are unit length)
    ragchat_kb<id>.postings   per (term, file): chunk ids, term frequencies, chunk lengths

Dense search is exact (like FAISS's flat index) up to `exact_limit` chunks and uses the HNSW
index above it, with `hnsw.ef_search = max(ef_search, 4k)`. The index is built in one go when a
writer session leaves the KB above `exact_limit` chunks (a bulk build is far faster than growing
the graph insert by insert); from then on PostgreSQL maintains it on every insert.

Lexical search reproduces the SQLite store's FTS5 BM25 exactly, not approximately: the terms of a
chunk are made by SQLite's own FTS5 tokenizer (`porter unicode61 remove_diacritics 2`, run on an
in-memory table), and the score is FTS5's bm25() formula (k1=1.2, b=0.75, idf floored at 1e-6)
over the same row count and average length. A query token that FTS5 splits into several terms
("apple's" -> appl s, "3.5" -> 3 5) is a phrase, as in FTS5: it matches where those terms are
adjacent, checked on the chunk's stored term sequence. So `lexical_search` and `doc_freq` return
what the SQLite store returns on the same data (up to the order of exactly tied scores).

Writers: one per KB, by a session advisory lock (waiting `lock_timeout` seconds); each file is
written in one transaction that also bumps the generation, so readers never see half a file.
`snapshot()` is a REPEATABLE READ, READ ONLY transaction: everything read inside it sees one
generation. Passwords in the URL are never shown: messages carry `mask_url(url)`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ragchat.errors import ConfigError, EmbedderMismatch, KBError, KBLocked, KBNotFound
from ragchat.settings import mask_url
from ragchat.store import (
    EXACT_SEARCH_LIMIT,
    SCHEMA_VERSION,
    FileRecord,
    KBStats,
    Manifest,
    _centroid,
    _chunk,
    _file_record,
    validate_kb_name,
)
from ragchat.store_pg_schema import (
    _BM25,
    _CHUNK_COLUMNS,
    _FILE_COLUMNS,
    _KB_SCHEMA,
    _REGISTRY,
    _TERMS,
    BM25_B,
    BM25_K1,
    HNSW_EF_CONSTRUCTION,
    HNSW_M,
    LOCK_CLASS,
    _clean,
    _idf,
    _key,
)
from ragchat.types import Chunk

try:  # the `pg` extra; ragchat.stores imports this module only for a PostgreSQL URL
    import psycopg
except ImportError:  # pragma: no cover - reported by _connect
    psycopg = None  # type: ignore[assignment]


# ---------------------------------------------------------------- URLs and connections
def _scrub(text: str, url: str) -> str:
    """Remove the URL's password from a message (driver errors may quote the connection)."""
    try:
        secret = urlsplit(url).password
    except ValueError:
        secret = None
    text = text.replace(url, mask_url(url))
    return text.replace(secret, "***") if secret else text


def _connect(url: str) -> Any:
    if psycopg is None:
        raise ConfigError(
            f"store={mask_url(url)} needs the PostgreSQL driver: pip install 'ragchat[pg]'"
        )
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=15, application_name="ragchat")
    except psycopg.Error as exc:
        raise KBError(
            f"cannot connect to PostgreSQL at {mask_url(url)}: {_scrub(str(exc).strip(), url)}"
        ) from exc


def _registry_exists(conn: Any) -> bool:
    return conn.execute("SELECT to_regclass('ragchat.kbs') IS NOT NULL").fetchone()[0]


def _names(conn: Any) -> list[str]:
    if not _registry_exists(conn):
        return []
    return sorted(r[0] for r in conn.execute("SELECT name FROM ragchat.kbs"))


def list_kbs(url: str) -> list[str]:
    conn = _connect(url)
    try:
        return _names(conn)
    except psycopg.Error as exc:
        raise KBError(f"PostgreSQL at {mask_url(url)}: {_scrub(str(exc).strip(), url)}") from exc
    finally:
        conn.close()


def delete_kb(url: str, name: str, *, timeout: float = 5.0) -> None:
    """Drop a KB's schema and registry row (after taking its write lock: no ingest is running)."""
    validate_kb_name(name)
    conn = _connect(url)
    try:
        row = PgKnowledgeBase._find(conn, name)
        if row is None:
            raise KBNotFound(f"no knowledge base {name!r} in PostgreSQL at {mask_url(url)}")
        with conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(timeout * 1000)}",))
            if not _wait_for(
                lambda: conn.execute(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_CLASS, row[0])
                ).fetchone()[0],
                timeout,
            ):
                raise KBLocked(f"KB {name!r} is being written; try deleting it again later")
            conn.execute(f"DROP SCHEMA IF EXISTS ragchat_kb{int(row[0])} CASCADE")
            conn.execute("DELETE FROM ragchat.kbs WHERE id = %s", (row[0],))
    except psycopg.errors.LockNotAvailable as exc:
        raise KBLocked(f"KB {name!r} is in use; try deleting it again later") from exc
    except psycopg.Error as exc:
        raise KBError(f"PostgreSQL at {mask_url(url)}: {_scrub(str(exc).strip(), url)}") from exc
    finally:
        conn.close()


def _wait_for(attempt: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pause = 0.02
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.25)
    return True


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
        self._conn = conn
        self._id = int(kb_id)
        self._s = f"ragchat_kb{self._id}"
        self._mutex = threading.RLock()
        self._phrases: dict[tuple[str, ...], dict[int, tuple[int, int]]] = {}
        self._phrases_gen = -1
        self._snap: tuple[int, int, int] | tuple[()] | None = None  # counts inside a snapshot

    # ------------------------------------------------------------------ opening
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
        conn = _connect(url)
        try:
            row = cls._find(conn, name)
            if row is None:
                if not create:
                    known = ", ".join(_names(conn)) or "none yet"
                    raise KBNotFound(
                        f"no knowledge base {name!r} in PostgreSQL at {mask_url(url)} (known:"
                        f" {known}); create it with `ragchat-ingest add PATH --kb {name}`"
                    )
                if embedder is None or dim is None:
                    raise KBError(f"creating KB {name!r} needs the embedder name and dimension")
                manifest = Manifest(name=name, embedder=embedder, dim=dim, created_at=time.time())
                row = cls._create(conn, url, manifest)
            kb_id, data = row
            try:
                manifest = Manifest(**data)
            except TypeError as exc:
                raise KBError(f"KB {name!r}: unreadable manifest ({exc})") from exc
            if manifest.schema != SCHEMA_VERSION:
                raise KBError(
                    f"KB {name!r}: schema {manifest.schema}, this ragchat reads {SCHEMA_VERSION}"
                )
            if embedder is not None and (manifest.embedder != embedder or manifest.dim != dim):
                raise EmbedderMismatch(
                    f"KB {name!r} was built with embedder {manifest.embedder} ({manifest.dim}"
                    f" dims), but {embedder} ({dim} dims) is configured; use the same embedder or"
                    f" rebuild the KB under a new name"
                )
            from pgvector.psycopg import register_vector

            register_vector(conn)
        except psycopg.Error as exc:
            conn.close()
            raise KBError(
                f"PostgreSQL at {mask_url(url)}: {_scrub(str(exc).strip(), url)}"
            ) from exc
        except BaseException:
            conn.close()
            raise
        return cls(url, conn, kb_id, manifest, root or Path(name), lock_timeout=lock_timeout)

    @staticmethod
    def _find(conn: Any, name: str) -> tuple[int, dict[str, Any]] | None:
        if not _registry_exists(conn):
            return None
        return conn.execute(
            "SELECT id, manifest FROM ragchat.kbs WHERE name = %s", (name,)
        ).fetchone()

    @classmethod
    def _create(cls, conn: Any, url: str, manifest: Manifest) -> tuple[int, dict[str, Any]]:
        from psycopg.types.json import Jsonb

        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_CLASS,))  # one creator
            try:
                with conn.transaction():
                    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.Error as exc:
                raise KBError(
                    f"PostgreSQL at {mask_url(url)} has no pgvector extension, or this user may"
                    f" not create it ({_scrub(str(exc).strip(), url)}); install pgvector and run"
                    " `CREATE EXTENSION vector;` as a superuser, or use the pgvector/pgvector"
                    " Docker image"
                ) from exc
            conn.execute(_REGISTRY)
            row = cls._find(conn, manifest.name)
            if row is not None:  # made by another process meanwhile
                return row
            kb_id = conn.execute(
                "INSERT INTO ragchat.kbs (name, manifest) VALUES (%s, %s) RETURNING id",
                (manifest.name, Jsonb(asdict(manifest))),
            ).fetchone()[0]
            conn.execute(_KB_SCHEMA.format(s=f"ragchat_kb{int(kb_id)}", dim=int(manifest.dim)))
        return kb_id, asdict(manifest)

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
            self._rows(
                "UPDATE ragchat.kbs SET manifest = %s WHERE id = %s",
                (Jsonb(asdict(manifest)), self._id),
                fetch=False,
            )
            self.manifest = manifest
            return manifest

    # ------------------------------------------------------------------ plumbing
    def _rows(self, query: str, params: Any = None, *, fetch: bool = True) -> list[Any]:
        with self._mutex, self._errors():
            cur = self._conn.execute(query, params)
            return cur.fetchall() if fetch else []

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            msg = _scrub(str(exc).strip(), self.url)
            raise KBError(f"KB {self.name!r} in PostgreSQL at {mask_url(self.url)}: {msg}") from exc

    @contextmanager
    def _in_transaction(self) -> Iterator[Any]:
        """The snapshot's transaction if one is open, else a short one of its own."""
        if self._snap is not None:
            with self._errors():
                yield self._conn
        else:
            with self._transaction() as conn:
                yield conn

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A transaction (a savepoint inside `snapshot()`) on the KB's connection."""
        with self._mutex, self._errors(), self._conn.transaction():
            yield self._conn

    def _counts(self) -> tuple[int, int, int]:
        """(generation, chunks, BM25 terms): read once per snapshot, which cannot see them change."""
        with self._mutex:
            if self._snap:
                return self._snap
            rows = self._rows(
                "SELECT generation, n_chunks, n_tokens FROM ragchat.kbs WHERE id = %s", (self._id,)
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
        rows = self._rows(
            f'SELECT {_FILE_COLUMNS} FROM {self._s}.files ORDER BY name COLLATE "C", path COLLATE "C"'
        )
        return [_file_record(r) for r in rows]

    def file(self, path: str) -> FileRecord | None:
        rows = self._rows(f"SELECT {_FILE_COLUMNS} FROM {self._s}.files WHERE path = %s", (path,))
        return _file_record(rows[0]) if rows else None

    def stats(self) -> KBStats:
        with self._mutex:
            ((files, pages),) = self._rows(
                f"SELECT count(*), coalesce(sum(pages), 0) FROM {self._s}.files"
            )
            gen, chunks, _ = self._counts()
            ((size,),) = self._rows(
                "SELECT coalesce(sum(pg_total_relation_size(format('%%I.%%I', schemaname,"
                " tablename)::regclass)), 0) FROM pg_tables WHERE schemaname = %s",
                (self._s,),
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
        emb = f"{self._s}.embeddings"
        if n <= self.exact_limit:  # an expression the index cannot serve: an exact scan
            rows = self._rows(
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
        terms = sorted({t.replace('"', "") for t in tokens if t.strip()})
        phrases = [p for p in (self._phrase(t) for t in terms) if p]
        if not phrases or k <= 0:
            return []
        with self._mutex:
            _, n_rows, n_tokens = self._counts()
            if n_rows == 0:
                return []
            avgdl = n_tokens / n_rows
            singles = [p[0] for p in phrases if len(p) == 1]
            df = self._single_df(singles)
            extra: dict[int, float] = {}
            for p in (p for p in phrases if len(p) > 1):
                hits = self._phrase_hits(p)
                idf = _idf(n_rows, len(hits))
                for i, (tf, dl) in hits.items():
                    extra[i] = extra.get(i, 0.0) + idf * (tf * (BM25_K1 + 1.0)) / (
                        tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / avgdl)
                    )
            params = {
                "terms": [_key(t) for t in singles],
                "idfs": [_idf(n_rows, df.get(_key(t), 0)) for t in singles],
                "k1p1": BM25_K1 + 1.0,
                "k1": BM25_K1,
                "b": BM25_B,
                "avgdl": avgdl,
                "extra_ids": list(extra),
                "extra_scores": list(extra.values()),
                "k": k,
            }
            rows = self._rows(_BM25.format(s=self._s), params)
        return [(int(i), float(s)) for i, s in rows]

    def doc_freq(self, token: str) -> int:
        """How many chunks contain this lexical token (after the index's stemming)."""
        phrase = self._phrase(token.replace('"', ""))
        if not phrase:
            return 0
        if len(phrase) == 1:
            return self._single_df(phrase).get(_key(phrase[0]), 0)
        return len(self._phrase_hits(phrase))

    @staticmethod
    def _phrase(token: str) -> tuple[str, ...]:
        return tuple(_TERMS.of(token))

    def _single_df(self, terms: Sequence[str]) -> dict[str, int]:
        if not terms:
            return {}
        rows = self._rows(
            f"SELECT term, sum(cardinality(chunks)) FROM {self._s}.postings"
            " WHERE term = ANY(%s) GROUP BY term",
            ([_key(t) for t in set(terms)],),
        )
        return {t: int(n) for t, n in rows}

    def _phrase_hits(self, phrase: tuple[str, ...]) -> dict[int, tuple[int, int]]:
        """{row id: (occurrences, chunk length)} of chunks where these terms are adjacent."""
        with self._mutex:
            gen = self.generation()
            if gen != self._phrases_gen:
                self._phrases, self._phrases_gen = {}, gen
            if phrase in self._phrases:
                return self._phrases[phrase]
            df = self._single_df(phrase)
            found: dict[int, tuple[int, int]] = {}
            if all(df.get(_key(t)) for t in phrase):
                # chunks holding all its terms, then those where the phrase occurs, with how
                # often: matches of " a  b " in the terms with doubled spaces (adjacent matches
                # then share no space), or, for a phrase that can overlap itself ("s s"), the
                # spaces followed by it (a slower regex), so counts are FTS5's
                holding = " INTERSECT ".join(
                    f"SELECT unnest(chunks) FROM {self._s}.postings WHERE term = %(t{j})s"
                    for j in range(len(set(phrase)))
                )
                if any(phrase[:j] == phrase[-j:] for j in range(1, len(phrase))):
                    ahead = " ".join(
                        "".join(c if c.isalnum() else "\\" + c for c in t) for t in phrase
                    )
                    count = (
                        "(SELECT count(*) FROM regexp_matches(' ' || c.terms || ' ', %(re)s, 'g'))"
                    )
                else:
                    ahead = ""
                    count = (
                        "(length(replace(c.terms, ' ', '  ')) + 4 - length(replace('  ' ||"
                        " replace(c.terms, ' ', '  ') || '  ', %(pat2)s, ''))) / length(%(pat2)s)"
                    )
                rows = self._rows(
                    f"SELECT x.id, x.tf, x.n_terms FROM (SELECT c.id, c.n_terms, {count} AS tf"
                    f" FROM {self._s}.chunks c WHERE c.id = ANY(ARRAY({holding}))"
                    " AND strpos(' ' || c.terms || ' ', %(pat)s) > 0) x WHERE x.tf > 0",
                    {
                        "re": f" (?={ahead} )",
                        "pat2": f" {'  '.join(phrase)} ",
                        **{
                            f"t{j}": _key(t)
                            for j, t in enumerate(sorted(set(phrase), key=lambda t: df[_key(t)]))
                        },
                        "pat": f" {' '.join(phrase)} ",
                    },
                )
                found = {int(i): (int(tf), int(dl)) for i, tf, dl in rows}
            if len(self._phrases) > 512:
                self._phrases.clear()
            self._phrases[phrase] = found
            return found

    def centroids(self) -> tuple[list[str], np.ndarray]:
        """Each document's mean chunk embedding (unit length), keyed by doc_id."""
        rows = self._rows(
            f"SELECT doc_id, centroid FROM {self._s}.files WHERE centroid IS NOT NULL ORDER BY id"
        )
        ids = [r[0] for r in rows]
        vecs = [np.frombuffer(bytes(r[1]), dtype=np.float32) for r in rows]
        dim = self.manifest.dim
        return ids, (np.stack(vecs) if vecs else np.zeros((0, dim), dtype=np.float32))

    def chunks(self, row_ids: Sequence[int]) -> dict[int, Chunk]:
        if not row_ids:
            return {}
        rows = self._rows(
            f"SELECT {_CHUNK_COLUMNS} FROM {self._s}.chunks c WHERE c.id = ANY(%s)",
            ([int(i) for i in row_ids],),
        )
        return {int(r[0]): _chunk(r) for r in rows}

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        if not chunk_ids:
            return []
        rows = self._rows(
            f"SELECT {_CHUNK_COLUMNS} FROM {self._s}.chunks c WHERE c.chunk_id = ANY(%s)",
            (list(chunk_ids),),
        )
        return [_chunk(r) for r in rows]

    def chunks_of(self, path: str) -> list[Chunk]:
        rows = self._rows(
            f"SELECT {_CHUNK_COLUMNS} FROM {self._s}.chunks c JOIN {self._s}.files f"
            " ON f.id = c.file_id WHERE f.path = %s ORDER BY c.ordinal, c.id",
            (path,),
        )
        return [_chunk(r) for r in rows]

    def source_path(self, chunk: Chunk) -> str | None:
        rows = self._rows(
            f"SELECT f.path FROM {self._s}.chunks c JOIN {self._s}.files f ON f.id = c.file_id"
            " WHERE c.chunk_id = %s LIMIT 1",
            (chunk.chunk_id,),
        )
        return rows[0][0] if rows else None

    # ------------------------------------------------------------------ writing
    @contextmanager
    def writer(self) -> Iterator[PgKBWriter]:
        """Exclusive write access (an advisory lock in PostgreSQL); refreshes statistics at the end."""

        def attempt() -> bool:
            return self._rows("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, self._id))[0][0]

        if not _wait_for(attempt, self.lock_timeout):
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
                self._rows("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, self._id), fetch=False)

    def save_vectors(self) -> None:
        """Build the HNSW index once the KB outgrows exact search (one bulk build is far faster
        than growing the graph insert by insert; later inserts maintain it), then refresh the
        planner's statistics. Called at the end of every writer session that changed the KB."""
        n = self.size()
        with self._mutex, self._errors():
            index = f"{self._s}.embeddings_hnsw"
            if n > self.exact_limit and not self._rows("SELECT to_regclass(%s)", (index,))[0][0]:
                # the graph is built in memory: ~ vectors + neighbour lists, with headroom
                mb = min(
                    4096, max(64, int(n * (4 * self.manifest.dim + 64 * HNSW_M) * 1.3 / 2**20))
                )
                with self._conn.transaction():
                    self._conn.execute(
                        "SELECT set_config('maintenance_work_mem', %s, true)", (f"{mb}MB",)
                    )
                    self._conn.execute(
                        f"CREATE INDEX IF NOT EXISTS embeddings_hnsw ON {self._s}.embeddings"
                        f" USING hnsw (vec vector_ip_ops)"
                        f" WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})"
                    )
            self._conn.execute(
                f"ANALYZE {self._s}.embeddings, {self._s}.chunks, {self._s}.postings"
            )


class PgKBWriter:
    """Changes to a PostgreSQL KB; each call is one transaction that bumps the generation."""

    def __init__(self, kb: PgKnowledgeBase) -> None:
        self.kb = kb

    def cached_embeddings(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings already in the KB for chunk texts with these hashes (skip re-embedding)."""
        out: dict[str, np.ndarray] = {}
        s = self.kb._s
        for i in range(0, len(text_hashes), 1000):
            rows = self.kb._rows(
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
        if not (len(chunks) == len(embeddings) == len(text_hashes) == len(lexical)):
            raise KBError("put_file: chunks, embeddings, hashes and lexical texts differ in length")
        if len(chunks) and embeddings.shape[1] != kb.manifest.dim:
            raise EmbedderMismatch(
                f"embeddings have {embeddings.shape[1]} dims, KB {kb.name!r} holds"
                f" {kb.manifest.dim}"
            )
        emb = np.ascontiguousarray(embeddings, dtype=np.float32)
        seqs = [_TERMS.of(lex) for lex in lexical]
        s, n = kb._s, len(chunks)
        with kb._transaction() as conn:
            self._delete(conn, record.path)
            file_id = conn.execute(
                f"INSERT INTO {s}.files (path, name, doc_id, title, size, pages, chunks,"
                " ingested_at, warnings, chunking, centroid) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (
                    _clean(record.path),
                    _clean(record.name),
                    record.doc_id,
                    _clean(record.title),
                    record.size,
                    record.pages,
                    n,
                    record.ingested_at,
                    json.dumps(list(record.warnings)),
                    record.chunking,
                    _centroid(emb).tobytes() if n else None,
                ),
            ).fetchone()[0]
            if n:
                self._insert_chunks(conn, file_id, chunks, emb, text_hashes, seqs)
            conn.execute(
                "UPDATE ragchat.kbs SET generation = generation + 1, n_chunks = n_chunks + %s,"
                " n_tokens = n_tokens + %s WHERE id = %s",
                (n, sum(len(q) for q in seqs), kb._id),
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
        s, n = self.kb._s, len(chunks)
        (last,) = conn.execute(
            "SELECT setval(%s, nextval(%s) + %s - 1)", (f"{s}.chunk_ids", f"{s}.chunk_ids", n)
        ).fetchone()
        ids = range(last - n + 1, last + 1)
        columns = (
            "id, file_id, chunk_id, doc_id, file, text, heading_path, page_start, page_end,"
            " char_start, char_end, kind, bboxes, ordinal, n_tokens, text_hash, context, terms,"
            " n_terms"
        )
        with conn.cursor().copy(f"COPY {s}.chunks ({columns}) FROM STDIN") as copy:
            for i, c, h, seq in zip(ids, chunks, text_hashes, seqs, strict=True):
                copy.write_row(
                    (
                        i,
                        file_id,
                        c.chunk_id,
                        c.doc_id,
                        _clean(c.file),
                        _clean(c.text),
                        json.dumps(list(c.heading_path), ensure_ascii=False),
                        c.page_start,
                        c.page_end,
                        c.char_span[0],
                        c.char_span[1],
                        c.kind,
                        json.dumps([list(b) for b in c.bboxes]),
                        c.ordinal,
                        c.n_tokens,
                        h,
                        _clean(c.context),
                        _clean(" ".join(seq)),
                        len(seq),
                    )
                )
        with conn.cursor().copy(
            f"COPY {s}.embeddings (id, vec) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "vector"])
            for i, vec in zip(ids, emb, strict=True):
                copy.write_row((i, vec))
        postings: dict[str, tuple[list[int], list[int], list[int]]] = {}
        for i, seq in zip(ids, seqs, strict=True):
            for term, tf in Counter(seq).items():
                p = postings.setdefault(_key(term), ([], [], []))
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
        with self.kb._transaction() as conn:
            removed = self._delete(conn, path)
            conn.execute(
                "UPDATE ragchat.kbs SET generation = generation + 1 WHERE id = %s", (self.kb._id,)
            )
            return removed

    def _delete(self, conn: Any, path: str) -> bool:
        s = self.kb._s
        row = conn.execute(f"SELECT id FROM {s}.files WHERE path = %s", (_clean(path),)).fetchone()
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
            (n, tokens, self.kb._id),
        )
        return True
