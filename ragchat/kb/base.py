"""What every knowledge-base backend shares: the `KBStore` protocol the ingestor, the retriever,
the CLIs and the app program against, the records a KB hands out (`Manifest`, `FileRecord`,
`KBStats`), and the checks and row decoding both backends would otherwise each repeat.

Rows are decoded by column name (`sqlite3.Row`, psycopg's `dict_row`), so a backend may select
its columns in any order and neither needs placeholder columns to fit the other's layout.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ragchat.errors import EmbedderMismatch, KBError
from ragchat.types import Chunk

SCHEMA_VERSION = 1
EXACT_SEARCH_LIMIT = 20_000  # above this many chunks, dense search is approximate
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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


class KBStoreWriter(Protocol):
    """Changes to a KB, from inside `KBStore.writer()`; each call is one transaction."""

    def cached_embeddings(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]: ...
    def put_file(
        self,
        record: FileRecord,
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
        text_hashes: Sequence[str],
        lexical: Sequence[str],
    ) -> None: ...
    def remove_file(self, path: str) -> bool: ...


class KBStore(Protocol):
    """A knowledge base: files, chunks, their embeddings and lexical index."""

    manifest: Manifest
    root: Path  # a local folder for uploads and adapters

    @property
    def name(self) -> str: ...

    def update_manifest(self, **changes: Any) -> Manifest: ...
    def generation(self) -> int: ...
    def files(self) -> list[FileRecord]: ...
    def file(self, path: str) -> FileRecord | None: ...
    def stats(self) -> KBStats: ...
    def chunk_count(self) -> int: ...
    def snapshot(self) -> AbstractContextManager[None]: ...
    def size(self) -> int: ...
    def dense_search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]: ...
    def lexical_search(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]: ...
    def doc_freq(self, token: str) -> int: ...
    def centroids(self) -> tuple[list[str], np.ndarray]: ...
    def chunks(self, row_ids: Sequence[int]) -> dict[int, Chunk]: ...
    def chunks_by_id(self, chunk_ids: Sequence[str]) -> list[Chunk]: ...
    def chunks_of(self, path: str) -> list[Chunk]: ...
    def source_path(self, chunk: Chunk) -> str | None: ...
    def writer(self) -> AbstractContextManager[KBStoreWriter]: ...
    def save_vectors(self) -> None: ...
    def close(self) -> None: ...


class Row(Protocol):
    """A database row read by column name (`sqlite3.Row`, a psycopg `dict_row`)."""

    def __getitem__(self, column: str) -> Any: ...


# ---------------------------------------------------------------- checks both backends make
def validate_kb_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise KBError(
            f"invalid KB name {name!r}: use 1-64 letters, digits, '_', '-' or '.', starting with a"
            " letter or digit"
        )
    return name


def new_manifest(name: str, embedder: str | None, dim: int | None) -> Manifest:
    """The manifest of a KB about to be created (which needs its embedder's name and size)."""
    if embedder is None or dim is None:
        raise KBError(f"creating KB {name!r} needs the embedder name and dimension")
    return Manifest(name=name, embedder=embedder, dim=dim, created_at=time.time())


def checked_manifest(
    data: Any, where: str, name: str, *, embedder: str | None, dim: int | None
) -> Manifest:
    """The stored manifest `data` of KB `name` (found at `where`, for messages), checked: readable,
    of this schema version, and built with `embedder` (when one is given)."""
    try:
        manifest = Manifest(**data)
    except TypeError as exc:
        raise KBError(f"{where}: unreadable manifest ({exc})") from exc
    if manifest.schema != SCHEMA_VERSION:
        raise KBError(f"{where}: schema {manifest.schema}, this ragchat reads {SCHEMA_VERSION}")
    if embedder is not None and (manifest.embedder != embedder or manifest.dim != dim):
        raise EmbedderMismatch(
            f"KB {name!r} was built with embedder {manifest.embedder} ({manifest.dim} dims),"
            f" but {embedder} ({dim} dims) is configured; use the same embedder or rebuild"
            f" the KB under a new name"
        )
    return manifest


def checked_embeddings(
    manifest: Manifest,
    chunks: Sequence[Chunk],
    embeddings: np.ndarray,
    text_hashes: Sequence[str],
    lexical: Sequence[str],
) -> np.ndarray:
    """The embeddings of a `put_file` as contiguous float32, after checking that every chunk has
    one embedding, hash and lexical text, and that the embeddings have the KB's dimension."""
    if not (len(chunks) == len(embeddings) == len(text_hashes) == len(lexical)):
        raise KBError("put_file: chunks, embeddings, hashes and lexical texts differ in length")
    if len(chunks) and embeddings.shape[1] != manifest.dim:
        raise EmbedderMismatch(
            f"embeddings have {embeddings.shape[1]} dims, KB {manifest.name!r} holds {manifest.dim}"
        )
    return np.ascontiguousarray(embeddings, dtype=np.float32)


# ---------------------------------------------------------------- encoding and decoding
def centroid(vectors: np.ndarray) -> np.ndarray:
    """The unit-length mean of a document's chunk embeddings."""
    mean = vectors.mean(axis=0)
    return (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)


def file_record(row: Row) -> FileRecord:
    """A `files` row (path, name, doc_id, title, size, pages, chunks, ingested_at, warnings,
    chunking) as a FileRecord."""
    return FileRecord(
        path=row["path"],
        name=row["name"],
        doc_id=row["doc_id"],
        title=row["title"],
        size=row["size"],
        pages=row["pages"],
        chunks=row["chunks"],
        ingested_at=row["ingested_at"],
        warnings=tuple(json.loads(row["warnings"])),
        chunking=row["chunking"],
    )


def chunk_from_row(row: Row) -> Chunk:
    """A `chunks` row (chunk_id, doc_id, file, text, heading_path, page_start, page_end,
    char_start, char_end, kind, bboxes, ordinal, n_tokens, context) as a Chunk."""
    return Chunk(
        chunk_id=row["chunk_id"],
        doc_id=row["doc_id"],
        file=row["file"],
        text=row["text"],
        heading_path=tuple(json.loads(row["heading_path"])),
        page_start=row["page_start"],
        page_end=row["page_end"],
        char_span=(row["char_start"], row["char_end"]),
        kind=row["kind"],
        bboxes=tuple(tuple(b) for b in json.loads(row["bboxes"])),
        ordinal=row["ordinal"],
        n_tokens=row["n_tokens"],
        context=row["context"],
    )


def chunk_fields(chunk: Chunk) -> dict[str, Any]:
    """The stored columns of a chunk (the inverse of `chunk_from_row`)."""
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "file": chunk.file,
        "text": chunk.text,
        "heading_path": json.dumps(list(chunk.heading_path), ensure_ascii=False),
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "char_start": chunk.char_span[0],
        "char_end": chunk.char_span[1],
        "kind": chunk.kind,
        "bboxes": json.dumps([list(b) for b in chunk.bboxes]),
        "ordinal": chunk.ordinal,
        "n_tokens": chunk.n_tokens,
        "context": chunk.context,
    }
