"""Where knowledge bases live: one switch, `settings.store`, read by every caller.

    ""                                  FAISS + SQLite files under home/kb (ragchat.store)
    postgresql://user@host:port/db      PostgreSQL + pgvector (ragchat.store_pg)

Both implement `KBStore`; the ingestor, the retriever, the CLIs and the app see only that.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ragchat.settings import Settings
from ragchat.store import FileRecord, KBStats, Manifest
from ragchat.types import Chunk

PG_SCHEMES = ("postgresql://", "postgres://")


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
    def writer(self) -> AbstractContextManager[Any]: ...
    def save_vectors(self) -> None: ...
    def close(self) -> None: ...


def is_postgres(settings: Settings) -> bool:
    return settings.store.startswith(PG_SCHEMES)


def describe_store(settings: Settings) -> str:
    """Where the KBs are, for messages (passwords masked)."""
    if is_postgres(settings):
        from ragchat.settings import mask_url

        return f"PostgreSQL at {mask_url(settings.store)}"
    return str(settings.kb_root)


def open_kb(
    settings: Settings,
    name: str,
    *,
    embedder: str | None = None,
    dim: int | None = None,
    create: bool = False,
) -> KBStore:
    """Open (with `create`, make) the KB `name` in the configured store. `embedder` and `dim`
    name the embedder that will write or query it; a KB built with another is an error."""
    if is_postgres(settings):
        from ragchat.store_pg import PgKnowledgeBase

        return PgKnowledgeBase.open(
            settings.store,
            name,
            embedder=embedder,
            dim=dim,
            create=create,
            lock_timeout=settings.lock_timeout,
            root=settings.kb_root / name,
        )
    from ragchat.store import KnowledgeBase

    return KnowledgeBase.open(
        settings.kb_root,
        name,
        embedder=embedder,
        dim=dim,
        create=create,
        lock_timeout=settings.lock_timeout,
    )


def list_kbs(settings: Settings) -> list[str]:
    if is_postgres(settings):
        from ragchat.store_pg import list_kbs as pg_list

        return pg_list(settings.store)
    from ragchat.store import list_kbs as file_list

    return file_list(settings.kb_root)


def delete_kb(settings: Settings, name: str) -> None:
    """Delete a KB (waiting briefly for a running ingest). For PostgreSQL KBs, the local folder
    of uploads and adapters goes too (unless a file KB of the same name lives there)."""
    if is_postgres(settings):
        from ragchat.store import validate_kb_name
        from ragchat.store_pg import delete_kb as pg_delete

        pg_delete(settings.store, name)
        local = settings.kb_root / validate_kb_name(name)
        if local.is_dir() and not (local / "manifest.json").exists():
            shutil.rmtree(local, ignore_errors=True)
        return
    from ragchat.store import delete_kb as file_delete

    file_delete(settings.kb_root, name)
