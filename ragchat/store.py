"""The knowledge base on disk: one directory per KB.

    <home>/kb/<name>/
        manifest.json          embedder name and dimension, calibrated gate, default adapter
        kb.sqlite              files, chunks (with their embeddings) and the FTS5 lexical index
        vectors-<gen>.faiss    FAISS index of the chunk embeddings at generation <gen>
        .lock                  held by the one process that writes

SQLite is the source of truth and every file is committed in one transaction, so a crash leaves
the KB exactly as it was before or after some file. The FAISS file is derived: it is written
under a temp name and renamed, and carries the generation it was built from; a reader that finds
no file for the current generation rebuilds the index from SQLite. Nothing is ever pickled.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ragchat.errors import EmbedderMismatch, KBError, KBLocked, KBNotFound
from ragchat.types import Chunk

SCHEMA_VERSION = 1
EXACT_SEARCH_LIMIT = 20_000  # above this many chunks, the FAISS index is 8-bit quantised
_FILE_COLUMNS = "path, name, doc_id, title, size, pages, chunks, ingested_at, warnings, chunking"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, name TEXT NOT NULL, doc_id TEXT NOT NULL, title TEXT NOT NULL,
    size INTEGER NOT NULL, pages INTEGER NOT NULL, chunks INTEGER NOT NULL,
    ingested_at REAL NOT NULL, warnings TEXT NOT NULL, chunking TEXT NOT NULL DEFAULT '',
    centroid BLOB
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, doc_id TEXT NOT NULL,
    path TEXT NOT NULL REFERENCES files(path), file TEXT NOT NULL, text TEXT NOT NULL,
    heading_path TEXT NOT NULL, page_start INTEGER NOT NULL, page_end INTEGER NOT NULL,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, kind TEXT NOT NULL,
    bboxes TEXT NOT NULL, ordinal INTEGER NOT NULL, n_tokens INTEGER NOT NULL,
    text_hash TEXT NOT NULL, embedding BLOB NOT NULL, context TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
CREATE INDEX IF NOT EXISTS chunks_text_hash ON chunks(text_hash);
CREATE VIRTUAL TABLE IF NOT EXISTS lexical USING fts5(
    tokens, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


@dataclass(frozen=True)
class Manifest:
    name: str
    embedder: str
    dim: int
    schema: int = SCHEMA_VERSION
    created_at: float = 0.0
    gate: dict[str, float] = field(default_factory=dict)  # calibrated threshold per language
    default_adapter: str | None = None


@dataclass(frozen=True)
class FileRecord:
    path: str  # absolute source path (the key)
    name: str
    doc_id: str
    title: str
    size: int
    pages: int
    chunks: int
    ingested_at: float
    warnings: tuple[str, ...] = ()
    chunking: str = ""  # how the file was chunked; a file chunked differently is re-chunked


@dataclass(frozen=True)
class KBStats:
    name: str
    files: int
    pages: int
    chunks: int
    embedder: str
    dim: int
    generation: int
    bytes_on_disk: int


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def validate_kb_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise KBError(
            f"invalid KB name {name!r}: use 1-64 letters, digits, '_', '-' or '.', starting with a"
            " letter or digit"
        )
    return name


def list_kbs(kb_root: Path) -> list[str]:
    if not kb_root.is_dir():
        return []
    return sorted(p.name for p in kb_root.iterdir() if (p / "manifest.json").is_file())


def delete_kb(kb_root: Path, name: str) -> None:
    """Delete a KB directory (after taking its write lock, so no ingest is running)."""
    import shutil

    from filelock import FileLock, Timeout

    root = kb_root / validate_kb_name(name)
    if not (root / "manifest.json").is_file():
        raise KBNotFound(f"no knowledge base {name!r} under {kb_root}")
    try:
        with FileLock(str(root / ".lock"), timeout=5):
            trash = root.with_name(f".deleted-{name}-{os.getpid()}")
            os.replace(root, trash)  # atomic: the KB disappears at once
    except Timeout as exc:
        raise KBLocked(f"KB {name!r} is being written; try deleting it again later") from exc
    shutil.rmtree(trash, ignore_errors=True)


class KnowledgeBase:
    """A KB directory. Reading is safe from many threads and processes; one process writes."""

    def __init__(self, root: Path, manifest: Manifest, *, lock_timeout: float = 30.0) -> None:
        self.root = root
        self.manifest = manifest
        self.lock_timeout = lock_timeout
        self._mutex = threading.RLock()
        self._db = self._connect()
        self._index: Any = None
        self._index_gen = -1

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls,
        kb_root: Path,
        name: str,
        *,
        embedder: str | None = None,
        dim: int | None = None,
        create: bool = False,
        lock_timeout: float = 30.0,
    ) -> KnowledgeBase:
        """Open a KB; with `create`, make it if missing. A different embedder is an error."""
        root = kb_root / validate_kb_name(name)
        path = root / "manifest.json"
        if not path.is_file():
            if not create:
                known = ", ".join(list_kbs(kb_root)) or "none yet"
                raise KBNotFound(
                    f"no knowledge base {name!r} under {kb_root} (known: {known}); create it with"
                    f" `ragchat-ingest add PATH --kb {name}`"
                )
            if embedder is None or dim is None:
                raise KBError(f"creating KB {name!r} needs the embedder name and dimension")
            root.mkdir(parents=True, exist_ok=True)
            manifest = Manifest(name=name, embedder=embedder, dim=dim, created_at=time.time())
            atomic_write_text(path, json.dumps(asdict(manifest), indent=2))
        try:
            manifest = Manifest(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise KBError(f"{path}: unreadable manifest ({exc})") from exc
        if manifest.schema != SCHEMA_VERSION:
            raise KBError(f"{path}: schema {manifest.schema}, this ragchat reads {SCHEMA_VERSION}")
        if embedder is not None and (manifest.embedder != embedder or manifest.dim != dim):
            raise EmbedderMismatch(
                f"KB {name!r} was built with embedder {manifest.embedder} ({manifest.dim} dims),"
                f" but {embedder} ({dim} dims) is configured; use the same embedder or rebuild"
                f" the KB under a new name"
            )
        return cls(root, manifest, lock_timeout=lock_timeout)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.root / "kb.sqlite", timeout=60, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        db.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")
        # KBs made before chunks carried their document context: add the columns in place
        for table, column, kind in (
            ("chunks", "context", "TEXT NOT NULL DEFAULT ''"),
            ("files", "chunking", "TEXT NOT NULL DEFAULT ''"),
            ("files", "centroid", "BLOB"),
        ):
            if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        return db

    def close(self) -> None:
        with self._mutex:
            self._db.close()

    @property
    def name(self) -> str:
        return self.manifest.name

    def update_manifest(self, **changes: Any) -> Manifest:
        with self._mutex:
            self.manifest = replace(self.manifest, **changes)
            atomic_write_text(
                self.root / "manifest.json", json.dumps(asdict(self.manifest), indent=2)
            )
            return self.manifest

    # ------------------------------------------------------------------ reading
    def generation(self) -> int:
        with self._mutex:
            row = self._db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0])

    def files(self) -> list[FileRecord]:
        with self._mutex:
            rows = self._db.execute(
                f"SELECT {_FILE_COLUMNS} FROM files ORDER BY name, path"
            ).fetchall()
        return [_file_record(r) for r in rows]

    def file(self, path: str) -> FileRecord | None:
        with self._mutex:
            row = self._db.execute(
                f"SELECT {_FILE_COLUMNS} FROM files WHERE path=?", (path,)
            ).fetchone()
        return _file_record(row) if row else None

    def stats(self) -> KBStats:
        with self._mutex:
            files, pages = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(pages),0) FROM files"
            ).fetchone()
            chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        size = sum(p.stat().st_size for p in self.root.iterdir() if p.is_file())
        return KBStats(
            self.name,
            files,
            pages,
            chunks,
            self.manifest.embedder,
            self.manifest.dim,
            self.generation(),
            size,
        )

    def chunk_count(self) -> int:
        with self._mutex:
            return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A consistent read view: everything read inside sees one generation."""
        with self._mutex:
            self._db.execute("BEGIN")
            try:
                yield
            finally:
                self._db.execute("COMMIT")

    def size(self) -> int:
        """Chunks in the current generation (cheap: read off the loaded vector index)."""
        return int(self._vectors().ntotal)

    def dense_search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row id, cosine) of the k nearest chunks. Call inside `snapshot()` for consistency."""
        index = self._vectors()
        if index.ntotal == 0:
            return []
        scores, ids = index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def lexical_search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(row id, BM25) of the k best chunks for these lexical tokens."""
        terms = sorted({t.replace('"', "") for t in tokens if t.strip()})
        if not terms:
            return []
        query = " OR ".join(f'"{t}"' for t in terms)
        with self._mutex:
            rows = self._db.execute(
                "SELECT rowid, bm25(lexical) FROM lexical WHERE lexical MATCH ?"
                " ORDER BY bm25(lexical) LIMIT ?",
                (query, k),
            ).fetchall()
        return [(int(r), -float(s)) for r, s in rows]

    def doc_freq(self, token: str) -> int:
        """How many chunks contain this lexical token (after the index's stemming)."""
        with self._mutex:
            row = self._db.execute(
                "SELECT COUNT(*) FROM lexical WHERE lexical MATCH ?",
                (f'"{token.replace(chr(34), "")}"',),
            ).fetchone()
        return int(row[0])

    def centroids(self) -> tuple[list[str], np.ndarray]:
        """Each document's mean chunk embedding (unit length), keyed by doc_id: what the
        document is about as a whole, for ranking documents before chunks."""
        with self._mutex:
            rows = self._db.execute("SELECT path, doc_id, centroid FROM files").fetchall()
            ids: list[str] = []
            vecs: list[np.ndarray] = []
            for path, doc_id, blob in rows:
                if blob is None:  # written before centroids were stored
                    embs = [
                        np.frombuffer(b, dtype=np.float32)
                        for (b,) in self._db.execute(
                            "SELECT embedding FROM chunks WHERE path=?", (path,)
                        )
                    ]
                    if not embs:
                        continue
                    vec = _centroid(np.stack(embs))
                else:
                    vec = np.frombuffer(blob, dtype=np.float32)
                ids.append(doc_id)
                vecs.append(vec)
        dim = self.manifest.dim
        return ids, (np.stack(vecs) if vecs else np.zeros((0, dim), dtype=np.float32))

    def chunks(self, row_ids: Sequence[int]) -> dict[int, Chunk]:
        if not row_ids:
            return {}
        return {r[0]: _chunk(r) for r in self._chunk_rows("id", row_ids)}

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """Chunks by their chunk_id (f"{doc_id[:16]}:{ordinal}"), in no particular order."""
        if not chunk_ids:
            return []
        return [_chunk(r) for r in self._chunk_rows("chunk_id", chunk_ids)]

    def _chunk_rows(self, column: str, keys: Sequence[Any]) -> list[Any]:
        marks = ",".join("?" * len(keys))
        with self._mutex:
            return self._db.execute(
                f"SELECT id, chunk_id, doc_id, file, text, heading_path, page_start, page_end,"
                f" char_start, char_end, kind, bboxes, ordinal, n_tokens, path, context FROM chunks"
                f" WHERE {column} IN ({marks})",
                list(keys),
            ).fetchall()

    def chunks_of(self, path: str) -> list[Chunk]:
        with self._mutex:
            ids = [
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM chunks WHERE path=? ORDER BY ordinal", (path,)
                )
            ]
        found = self.chunks(ids)
        return [found[i] for i in ids]

    def source_path(self, chunk: Chunk) -> str | None:
        with self._mutex:
            row = self._db.execute(
                "SELECT path FROM chunks WHERE chunk_id=?", (chunk.chunk_id,)
            ).fetchone()
        return row[0] if row else None

    def _vectors(self) -> Any:
        """The FAISS index of the current generation (loaded, or rebuilt from SQLite)."""
        import faiss

        with self._mutex:
            gen = self.generation()
            if self._index is not None and self._index_gen == gen:
                return self._index
            path = self.root / f"vectors-{gen}.faiss"
            index = None
            if path.is_file():
                try:
                    index = faiss.read_index(str(path))
                except RuntimeError:
                    index = None  # damaged derived file: rebuild it below
            if index is None or index.ntotal != self.chunk_count():
                index = self._build_index()
            self._index, self._index_gen = index, gen
            return index

    def _build_index(self) -> Any:
        import faiss

        dim = self.manifest.dim
        if self.chunk_count() > EXACT_SEARCH_LIMIT:
            # 8-bit scalar quantisation: ~3x faster scans than exact search, no training data.
            inner = faiss.IndexScalarQuantizer(
                dim, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT
            )
            inner.train(np.array([[-1.0] * dim, [1.0] * dim], dtype=np.float32))
        else:
            inner = faiss.IndexFlatIP(dim)
        index = faiss.IndexIDMap2(inner)
        cur = self._db.execute("SELECT id, embedding FROM chunks")
        while batch := cur.fetchmany(4096):
            ids = np.fromiter((r[0] for r in batch), dtype=np.int64, count=len(batch))
            vecs = np.frombuffer(b"".join(r[1] for r in batch), dtype=np.float32)
            index.add_with_ids(vecs.reshape(len(batch), self.manifest.dim), ids)
        return index

    # ------------------------------------------------------------------ writing
    @contextmanager
    def writer(self) -> Iterator[KBWriter]:
        """Exclusive write access (a file lock across processes); saves the index at the end."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / ".lock"))
        try:
            lock.acquire(timeout=self.lock_timeout)
        except Timeout as exc:
            raise KBLocked(
                f"KB {self.name!r} is being written by another process (waited"
                f" {self.lock_timeout:.0f} s for {self.root / '.lock'}); try again when it ends"
            ) from exc
        try:
            yield KBWriter(self)
            self.save_vectors()
        finally:
            lock.release()

    def save_vectors(self) -> None:
        """Write the FAISS index for the current generation atomically; drop older ones."""
        import faiss

        with self._mutex:
            gen = self.generation()
            path = self.root / f"vectors-{gen}.faiss"
            if not path.is_file():
                index = self._vectors()
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                faiss.write_index(index, str(tmp))
                os.replace(tmp, path)
            for old in self.root.glob("vectors-*.faiss"):
                if old != path:
                    old.unlink(missing_ok=True)


class KBWriter:
    """Changes to a KB; each call is one transaction that bumps the generation."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def cached_embeddings(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings already in the KB for chunk texts with these hashes (skip re-embedding)."""
        out: dict[str, np.ndarray] = {}
        db = self.kb._db
        for i in range(0, len(text_hashes), 500):
            part = list(text_hashes[i : i + 500])
            marks = ",".join("?" * len(part))
            with self.kb._mutex:
                rows = db.execute(
                    f"SELECT text_hash, embedding FROM chunks WHERE text_hash IN ({marks})", part
                ).fetchall()
            for h, blob in rows:
                out[h] = np.frombuffer(blob, dtype=np.float32)
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
        if not (len(chunks) == len(embeddings) == len(text_hashes) == len(lexical)):
            raise KBError("put_file: chunks, embeddings, hashes and lexical texts differ in length")
        if len(chunks) and embeddings.shape[1] != self.kb.manifest.dim:
            raise EmbedderMismatch(
                f"embeddings have {embeddings.shape[1]} dims, KB {self.kb.name!r} holds"
                f" {self.kb.manifest.dim}"
            )
        emb = np.ascontiguousarray(embeddings, dtype=np.float32)
        with self._transaction() as db:
            self._delete(db, record.path)
            db.execute(
                "INSERT INTO files (path, name, doc_id, title, size, pages, chunks, ingested_at,"
                " warnings, chunking, centroid) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.path,
                    record.name,
                    record.doc_id,
                    record.title,
                    record.size,
                    record.pages,
                    len(chunks),
                    record.ingested_at,
                    json.dumps(list(record.warnings)),
                    record.chunking,
                    _centroid(emb).tobytes() if len(emb) else None,
                ),
            )
            for chunk, vec, h, lex in zip(chunks, emb, text_hashes, lexical, strict=True):
                cur = db.execute(
                    "INSERT INTO chunks (chunk_id, doc_id, path, file, text, heading_path,"
                    " page_start, page_end, char_start, char_end, kind, bboxes, ordinal, n_tokens,"
                    " text_hash, embedding, context) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        chunk.chunk_id,
                        chunk.doc_id,
                        record.path,
                        chunk.file,
                        chunk.text,
                        json.dumps(list(chunk.heading_path), ensure_ascii=False),
                        chunk.page_start,
                        chunk.page_end,
                        chunk.char_span[0],
                        chunk.char_span[1],
                        chunk.kind,
                        json.dumps([list(b) for b in chunk.bboxes]),
                        chunk.ordinal,
                        chunk.n_tokens,
                        h,
                        vec.tobytes(),
                        chunk.context,
                    ),
                )
                db.execute(
                    "INSERT INTO lexical (rowid, tokens) VALUES (?, ?)", (cur.lastrowid, lex)
                )

    def remove_file(self, path: str) -> bool:
        """Remove a file and its chunks. Returns False when the KB did not hold it."""
        with self._transaction() as db:
            return self._delete(db, path)

    @staticmethod
    def _delete(db: sqlite3.Connection, path: str) -> bool:
        ids = [r[0] for r in db.execute("SELECT id FROM chunks WHERE path=?", (path,))]
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            db.execute(f"DELETE FROM lexical WHERE rowid IN ({','.join('?' * len(part))})", part)
        db.execute("DELETE FROM chunks WHERE path=?", (path,))
        return db.execute("DELETE FROM files WHERE path=?", (path,)).rowcount > 0

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.kb._db
        with self.kb._mutex:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise


def _centroid(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    return (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)


def _file_record(r: Sequence[Any]) -> FileRecord:
    chunking = r[9] if len(r) > 9 else ""
    return FileRecord(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], tuple(json.loads(r[8])), chunking
    )


def _chunk(r: Sequence[Any]) -> Chunk:
    return Chunk(
        chunk_id=r[1],
        doc_id=r[2],
        file=r[3],
        text=r[4],
        heading_path=tuple(json.loads(r[5])),
        page_start=r[6],
        page_end=r[7],
        char_span=(r[8], r[9]),
        kind=r[10],
        bboxes=tuple(tuple(b) for b in json.loads(r[11])),
        ordinal=r[12],
        n_tokens=r[13],
        context=r[15] if len(r) > 15 else "",
    )
