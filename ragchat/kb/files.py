"""The knowledge base on disk (the default store): one directory per KB.

    <home>/kb/<name>/
        manifest.json          embedder name and dimension, calibrated gate, default adapter
        kb.sqlite              files, chunks (with their embeddings) and the FTS5 lexical index
        vectors-<gen>.faiss    FAISS index of the chunk embeddings at generation <gen>
        .lock                  held by the one process that writes

SQLite is the source of truth and every file is committed in one transaction, so a crash leaves
the KB exactly as it was before or after some file (writes: `ragchat.kb.files_write`). The FAISS
file is derived (`ragchat.kb.files_index`): it is written under a temp name and renamed, and
carries the generation it was built from; a reader that finds no file for the current generation
rebuilds the index from SQLite. Nothing is ever pickled.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from ragchat.errors import KBError, KBLocked, KBNotFound
from ragchat.kb.base import (
    FileRecord,
    KBStats,
    Manifest,
    centroid,
    checked_manifest,
    chunk_from_row,
    file_record,
    new_manifest,
    validate_kb_name,
)
from ragchat.kb.files_index import VectorIndex
from ragchat.kb.files_write import KBWriter
from ragchat.types import Chunk

_FILE_COLUMNS = "path, name, doc_id, title, size, pages, chunks, ingested_at, warnings, chunking"
_CHUNK_COLUMNS = (
    "id, chunk_id, doc_id, file, text, heading_path, page_start, page_end, char_start, char_end,"
    " kind, bboxes, ordinal, n_tokens, context"
)

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


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


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
        self._index = VectorIndex(root, manifest.dim)

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
            manifest = new_manifest(name, embedder, dim)
            root.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps(asdict(manifest), indent=2))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KBError(f"{path}: unreadable manifest ({exc})") from exc
        manifest = checked_manifest(data, str(path), name, embedder=embedder, dim=dim)
        return cls(root, manifest, lock_timeout=lock_timeout)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.root / "kb.sqlite", timeout=60, isolation_level=None, check_same_thread=False
        )
        db.row_factory = sqlite3.Row
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
            if column not in {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}:
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
        return int(row["value"])

    def files(self) -> list[FileRecord]:
        with self._mutex:
            rows = self._db.execute(
                f"SELECT {_FILE_COLUMNS} FROM files ORDER BY name, path"
            ).fetchall()
        return [file_record(r) for r in rows]

    def file(self, path: str) -> FileRecord | None:
        with self._mutex:
            row = self._db.execute(
                f"SELECT {_FILE_COLUMNS} FROM files WHERE path=?", (path,)
            ).fetchone()
        return file_record(row) if row else None

    def stats(self) -> KBStats:
        with self._mutex:
            files, pages = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(pages),0) FROM files"
            ).fetchone()
            chunks = self.chunk_count()
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

    def row_counts(self) -> dict[str, Any]:
        """What each part of the store holds, read in one view: vectors in the FAISS index,
        chunk rows, BM25 rows, chunks per file name, and the file records. All three totals
        agree in a sound KB."""
        with self.snapshot(), self._mutex:
            per_file = dict(
                self._db.execute("SELECT file, COUNT(*) FROM chunks GROUP BY path").fetchall()
            )
            return {
                "vectors": self.size(),
                "chunks": int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]),
                "lexical": int(self._db.execute("SELECT COUNT(*) FROM lexical").fetchone()[0]),
                "per_file": per_file,
                "files": self.files(),
            }

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
                "SELECT rowid, bm25(lexical) AS score FROM lexical WHERE lexical MATCH ?"
                " ORDER BY bm25(lexical) LIMIT ?",
                (query, k),
            ).fetchall()
        return [(int(r["rowid"]), -float(r["score"])) for r in rows]

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
            for row in rows:
                if row["centroid"] is None:  # written before centroids were stored
                    embs = [
                        np.frombuffer(r["embedding"], dtype=np.float32)
                        for r in self._db.execute(
                            "SELECT embedding FROM chunks WHERE path=?", (row["path"],)
                        )
                    ]
                    if not embs:
                        continue
                    vec = centroid(np.stack(embs))
                else:
                    vec = np.frombuffer(row["centroid"], dtype=np.float32)
                ids.append(row["doc_id"])
                vecs.append(vec)
        dim = self.manifest.dim
        return ids, (np.stack(vecs) if vecs else np.zeros((0, dim), dtype=np.float32))

    def chunks(self, row_ids: Sequence[int]) -> dict[int, Chunk]:
        if not row_ids:
            return {}
        return {r["id"]: chunk_from_row(r) for r in self._chunk_rows("id", row_ids)}

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """Chunks by their chunk_id (f"{doc_id[:16]}:{ordinal}"), in no particular order."""
        if not chunk_ids:
            return []
        return [chunk_from_row(r) for r in self._chunk_rows("chunk_id", chunk_ids)]

    def _chunk_rows(self, column: str, keys: Sequence[Any]) -> list[sqlite3.Row]:
        marks = ",".join("?" * len(keys))
        with self._mutex:
            return self._db.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE {column} IN ({marks})", list(keys)
            ).fetchall()

    def chunks_of(self, path: str) -> list[Chunk]:
        with self._mutex:
            ids = [
                r["id"]
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
        return row["path"] if row else None

    def _vectors(self) -> Any:
        """The FAISS index of the current generation (loaded, or rebuilt from SQLite)."""
        with self._mutex:
            return self._index.current(self._db, self.generation())

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
            yield KBWriter(self._db, self._mutex, self.manifest)
            self.save_vectors()
        finally:
            lock.release()

    def save_vectors(self) -> None:
        """Write the FAISS index for the current generation atomically; drop older ones."""
        with self._mutex:
            self._index.save(self._db, self.generation())
