"""PostgreSQL store internals: the schema of a KB and its lexical terms, made exactly as the
SQLite store's FTS5 index makes them, so BM25 scores match the FAISS + SQLite store."""

from __future__ import annotations

import hashlib
import math
import sqlite3
import threading
from collections.abc import Iterable

BM25_K1 = 1.2  # FTS5's bm25() constants
BM25_B = 0.75
LOCK_CLASS = 0x52414743  # "RAGC": first key of every advisory lock ragchat takes
HNSW_M, HNSW_EF_CONSTRUCTION = 16, 64
MAX_TERM_BYTES = 256  # longer terms are stored by hash (a btree key has a size limit)
_FILE_COLUMNS = "path, name, doc_id, title, size, pages, chunks, ingested_at, warnings, chunking"
_CHUNK_COLUMNS = (
    "c.id, c.chunk_id, c.doc_id, c.file, c.text, c.heading_path, c.page_start, c.page_end,"
    " c.char_start, c.char_end, c.kind, c.bboxes, c.ordinal, c.n_tokens, '', c.context"
)

_REGISTRY = """
CREATE SCHEMA IF NOT EXISTS ragchat;
CREATE TABLE IF NOT EXISTS ragchat.kbs (
    id serial PRIMARY KEY, name text UNIQUE NOT NULL, manifest jsonb NOT NULL,
    generation bigint NOT NULL DEFAULT 0, n_chunks bigint NOT NULL DEFAULT 0,
    n_tokens bigint NOT NULL DEFAULT 0
);
"""
_KB_SCHEMA = """
CREATE SCHEMA {s};
CREATE TABLE {s}.files (
    id serial PRIMARY KEY, path text UNIQUE NOT NULL, name text NOT NULL, doc_id text NOT NULL,
    title text NOT NULL, size bigint NOT NULL, pages integer NOT NULL, chunks integer NOT NULL,
    ingested_at double precision NOT NULL, warnings text NOT NULL, chunking text NOT NULL,
    centroid bytea
);
CREATE SEQUENCE {s}.chunk_ids;
CREATE TABLE {s}.chunks (
    id bigint PRIMARY KEY, file_id integer NOT NULL, chunk_id text NOT NULL, doc_id text NOT NULL,
    file text NOT NULL, text text NOT NULL, heading_path text NOT NULL,
    page_start integer NOT NULL, page_end integer NOT NULL, char_start integer NOT NULL,
    char_end integer NOT NULL, kind text NOT NULL, bboxes text NOT NULL, ordinal integer NOT NULL,
    n_tokens integer NOT NULL, text_hash text NOT NULL, context text NOT NULL,
    terms text NOT NULL, n_terms integer NOT NULL
);
CREATE INDEX ON {s}.chunks (file_id);
CREATE INDEX ON {s}.chunks (text_hash);
CREATE INDEX ON {s}.chunks (chunk_id);
CREATE TABLE {s}.embeddings (id bigint PRIMARY KEY, vec vector({dim}) NOT NULL);
CREATE TABLE {s}.postings (
    term text NOT NULL, file_id integer NOT NULL, chunks bigint[] NOT NULL,
    tfs integer[] NOT NULL, lens integer[] NOT NULL, PRIMARY KEY (term, file_id)
);
CREATE INDEX ON {s}.postings (file_id);
"""
_BM25 = """
WITH w(term, idf) AS (SELECT * FROM unnest(%(terms)s::text[], %(idfs)s::float8[])),
s(id, score) AS (
    SELECT u.id, w.idf * (u.tf::float8 * %(k1p1)s::float8)
        / (u.tf::float8 + %(k1)s::float8 * (1 - %(b)s::float8 + %(b)s::float8 * u.len / %(avgdl)s::float8))
    FROM {s}.postings p JOIN w ON p.term = w.term,
        unnest(p.chunks, p.tfs, p.lens) AS u(id, tf, len)
    UNION ALL
    SELECT * FROM unnest(%(extra_ids)s::int8[], %(extra_scores)s::float8[])
)
SELECT id, sum(score) AS score FROM s GROUP BY id ORDER BY score DESC, id LIMIT %(k)s
"""


# ---------------------------------------------------------------- FTS5's terms, made by SQLite
class _Fts5Terms:
    """The terms SQLite's FTS5 index (porter unicode61 remove_diacritics 2) makes of each word.

    Words are tokenized by an in-memory FTS5 table and read back through fts5vocab, so stemming,
    case folding, diacritics and separators are exactly the SQLite store's. Cached per word."""

    def __init__(self, max_cache: int = 1_000_000) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        self._db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self._cache: dict[str, tuple[str, ...]] = {}
        self._max = max_cache
        self._lock = threading.Lock()

    def of_words(self, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
        words = set(words)
        with self._lock:
            todo = [w for w in words if w not in self._cache]
            if len(self._cache) + len(todo) > self._max:
                self._cache.clear()
                todo = list(words)
            for i in range(0, len(todo), 20_000):
                part = todo[i : i + 20_000]
                self._db.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(part, 1))
                got: list[list[str]] = [[] for _ in range(len(part) + 1)]
                for doc, term in self._db.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
                    got[doc].append(term)
                self._db.execute("DELETE FROM t")
                self._cache.update((w, tuple(got[j])) for j, w in enumerate(part, 1))
            return {w: self._cache[w] for w in words}

    def of(self, text: str) -> list[str]:
        """The term sequence FTS5 indexes for a lexical text (words are whitespace-separated,
        and whitespace always separates FTS5 tokens, so per-word terms concatenate exactly)."""
        words = text.split()
        table = self.of_words(words)
        return [t for w in words for t in table[w]]


_TERMS = _Fts5Terms()


def _key(term: str) -> str:
    """The postings key of a term: the term, or a hash for absurdly long ones."""
    if len(term) * 4 <= MAX_TERM_BYTES or len(term.encode()) <= MAX_TERM_BYTES:
        return term
    return "#" + hashlib.sha256(term.encode()).hexdigest()


def _idf(n_rows: int, n_hit: int) -> float:
    """FTS5's idf: log((N - n + 0.5) / (n + 0.5)), floored at 1e-6 for very common terms."""
    idf = math.log((n_rows - n_hit + 0.5) / (n_hit + 0.5))
    return idf if idf > 0.0 else 1e-6


def _clean(text: str) -> str:
    return text.replace("\x00", "") if "\x00" in text else text  # PostgreSQL text has no NUL
