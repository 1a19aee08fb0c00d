"""Writing to the file store: each call is one SQLite transaction that also bumps the KB's
generation, so a crash leaves the KB as it was before or after a file, never half of one."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from ragchat.kb.base import FileRecord, Manifest, centroid, checked_embeddings, chunk_fields
from ragchat.types import Chunk

_INSERT_CHUNK = (
    "INSERT INTO chunks (chunk_id, doc_id, path, file, text, heading_path, page_start, page_end,"
    " char_start, char_end, kind, bboxes, ordinal, n_tokens, text_hash, embedding, context)"
    " VALUES (:chunk_id, :doc_id, :path, :file, :text, :heading_path, :page_start, :page_end,"
    " :char_start, :char_end, :kind, :bboxes, :ordinal, :n_tokens, :text_hash, :embedding,"
    " :context)"
)


class KBWriter:
    """Changes to a file KB (made by `KnowledgeBase.writer()`, which holds the write lock)."""

    def __init__(self, db: sqlite3.Connection, mutex: threading.RLock, manifest: Manifest) -> None:
        self._db = db
        self._mutex = mutex
        self._manifest = manifest

    def cached_embeddings(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Embeddings already in the KB for chunk texts with these hashes (skip re-embedding)."""
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(text_hashes), 500):
            part = list(text_hashes[i : i + 500])
            marks = ",".join("?" * len(part))
            with self._mutex:
                rows = self._db.execute(
                    f"SELECT text_hash, embedding FROM chunks WHERE text_hash IN ({marks})", part
                ).fetchall()
            for r in rows:
                out[r["text_hash"]] = np.frombuffer(r["embedding"], dtype=np.float32)
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
        emb = checked_embeddings(self._manifest, chunks, embeddings, text_hashes, lexical)
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
                    centroid(emb).tobytes() if len(emb) else None,
                ),
            )
            for chunk, vec, h, lex in zip(chunks, emb, text_hashes, lexical, strict=True):
                row = {
                    **chunk_fields(chunk),
                    "path": record.path,
                    "text_hash": h,
                    "embedding": vec.tobytes(),
                }
                cur = db.execute(_INSERT_CHUNK, row)
                db.execute(
                    "INSERT INTO lexical (rowid, tokens) VALUES (?, ?)", (cur.lastrowid, lex)
                )

    def remove_file(self, path: str) -> bool:
        """Remove a file and its chunks. Returns False when the KB did not hold it."""
        with self._transaction() as db:
            return self._delete(db, path)

    @staticmethod
    def _delete(db: sqlite3.Connection, path: str) -> bool:
        ids = [r["id"] for r in db.execute("SELECT id FROM chunks WHERE path=?", (path,))]
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            db.execute(f"DELETE FROM lexical WHERE rowid IN ({','.join('?' * len(part))})", part)
        db.execute("DELETE FROM chunks WHERE path=?", (path,))
        return db.execute("DELETE FROM files WHERE path=?", (path,)).rowcount > 0

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        with self._mutex:
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
