"""Where knowledge bases live: one switch, `settings.store`, read by every caller.

    ""                                  FAISS + SQLite files under home/kb (ragchat.kb.files)
    postgresql://user@host:port/db      PostgreSQL + pgvector (ragchat.kb.pg)

Both implement `KBStore` (ragchat.kb.base); the ingestor, the retriever, the CLIs and the app
see only that. The backend modules are imported only when their store is used.
"""

from __future__ import annotations

import shutil

from ragchat.kb.base import (
    FileRecord,
    KBStats,
    KBStore,
    KBStoreWriter,
    Manifest,
    validate_kb_name,
)
from ragchat.settings import Settings

PG_SCHEMES = ("postgresql://", "postgres://")

__all__ = [
    "PG_SCHEMES",
    "FileRecord",
    "KBStats",
    "KBStore",
    "KBStoreWriter",
    "Manifest",
    "delete_kb",
    "describe_store",
    "is_postgres",
    "list_kbs",
    "open_kb",
    "validate_kb_name",
]


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
        from ragchat.kb.pg import PgKnowledgeBase

        return PgKnowledgeBase.open(
            settings.store,
            name,
            embedder=embedder,
            dim=dim,
            create=create,
            lock_timeout=settings.lock_timeout,
            root=settings.kb_root / name,
        )
    from ragchat.kb.files import KnowledgeBase

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
        from ragchat.kb.pg_schema import list_kbs as pg_list

        return pg_list(settings.store)
    from ragchat.kb.files import list_kbs as file_list

    return file_list(settings.kb_root)


def delete_kb(settings: Settings, name: str) -> None:
    """Delete a KB (waiting briefly for a running ingest). For PostgreSQL KBs, the local folder
    of uploads and adapters goes too (unless a file KB of the same name lives there)."""
    if is_postgres(settings):
        from ragchat.kb.pg_schema import delete_kb as pg_delete

        pg_delete(settings.store, name)
        local = settings.kb_root / validate_kb_name(name)
        if local.is_dir() and not (local / "manifest.json").exists():
            shutil.rmtree(local, ignore_errors=True)
        return
    from ragchat.kb.files import delete_kb as file_delete

    file_delete(settings.kb_root, name)
