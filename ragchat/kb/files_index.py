"""The FAISS side of the file store: the vector index of a KB directory at one generation.

SQLite holds every chunk's embedding; `vectors-<gen>.faiss` is derived from it. A reader loads
the file of the current generation, or rebuilds the index from SQLite when that file is missing,
damaged or stale. Up to `EXACT_SEARCH_LIMIT` chunks the index is exact (inner product on unit
vectors is the cosine); above it, 8-bit scalar quantised. Files are written under a temp name and
renamed, so readers never see half an index.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from ragchat.kb.base import EXACT_SEARCH_LIMIT


class VectorIndex:
    """The FAISS index of one KB directory, cached for the generation it was read at. Not
    thread-safe by itself: the KB calls it under its own lock."""

    def __init__(self, root: Path, dim: int) -> None:
        self.root = root
        self.dim = dim
        self._index: Any = None
        self._gen = -1

    def current(self, db: sqlite3.Connection, gen: int) -> Any:
        """The index of generation `gen` (cached, loaded from its file, or rebuilt from `db`)."""
        import faiss

        if self._index is not None and self._gen == gen:
            return self._index
        path = self._path(gen)
        index = None
        if path.is_file():
            try:
                index = faiss.read_index(str(path))
            except RuntimeError:
                index = None  # damaged derived file: rebuild it below
        if index is None or index.ntotal != _count(db):
            index = self._build(db)
        self._index, self._gen = index, gen
        return index

    def save(self, db: sqlite3.Connection, gen: int) -> None:
        """Write the index for generation `gen` atomically (once); drop older ones."""
        import faiss

        path = self._path(gen)
        if not path.is_file():
            index = self.current(db, gen)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            faiss.write_index(index, str(tmp))
            os.replace(tmp, path)
        for old in self.root.glob("vectors-*.faiss"):
            if old != path:
                old.unlink(missing_ok=True)

    def _path(self, gen: int) -> Path:
        return self.root / f"vectors-{gen}.faiss"

    def _build(self, db: sqlite3.Connection) -> Any:
        import faiss

        dim = self.dim
        if _count(db) > EXACT_SEARCH_LIMIT:
            # 8-bit scalar quantisation: ~3x faster scans than exact search, no training data.
            inner = faiss.IndexScalarQuantizer(
                dim, faiss.ScalarQuantizer.QT_8bit_uniform, faiss.METRIC_INNER_PRODUCT
            )
            inner.train(np.array([[-1.0] * dim, [1.0] * dim], dtype=np.float32))
        else:
            inner = faiss.IndexFlatIP(dim)
        index = faiss.IndexIDMap2(inner)
        cur = db.execute("SELECT id, embedding FROM chunks")
        while batch := cur.fetchmany(4096):
            ids = np.fromiter((r["id"] for r in batch), dtype=np.int64, count=len(batch))
            vecs = np.frombuffer(b"".join(r["embedding"] for r in batch), dtype=np.float32)
            index.add_with_ids(vecs.reshape(len(batch), dim), ids)
        return index


def _count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
