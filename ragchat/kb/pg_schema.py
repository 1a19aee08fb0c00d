"""The PostgreSQL layout of ragchat's knowledge bases: a registry table, then one schema per KB
(so every KB has its own `vector(dim)` column and HNSW index).

    ragchat.kbs               registry: name, manifest (jsonb), generation, chunk and token counts
    ragchat_kb<id>.files      one row per source file (path unique), centroid as float32 bytes
    ragchat_kb<id>.chunks     chunk fields, text hash, the chunk's BM25 terms in order, their count
    ragchat_kb<id>.embeddings vector(dim) with an HNSW index (inner product: vectors are unit length)
    ragchat_kb<id>.postings   per (term, file): chunk ids, term frequencies, chunk lengths

Also what acts on the database rather than on one open KB: connecting (errors never show the
password), and making, finding, listing and dropping KBs in the registry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from ragchat.errors import ConfigError, KBError, KBLocked, KBNotFound
from ragchat.kb.base import Manifest, validate_kb_name
from ragchat.settings import mask_url

try:  # the `pg` extra; ragchat.kb imports the PostgreSQL modules only for a PostgreSQL URL
    import psycopg
except ImportError:  # pragma: no cover - reported by connect
    psycopg = None  # type: ignore[assignment]

LOCK_CLASS = 0x52414743  # "RAGC": first key of every advisory lock ragchat takes
HNSW_M, HNSW_EF_CONSTRUCTION = 16, 64
FILE_COLUMNS = "path, name, doc_id, title, size, pages, chunks, ingested_at, warnings, chunking"
CHUNK_COLUMNS = (
    "c.id, c.chunk_id, c.doc_id, c.file, c.text, c.heading_path, c.page_start, c.page_end,"
    " c.char_start, c.char_end, c.kind, c.bboxes, c.ordinal, c.n_tokens, c.context"
)
# the columns a writer copies into `chunks`, in order
CHUNK_COPY_COLUMNS = (
    "id",
    "file_id",
    "chunk_id",
    "doc_id",
    "file",
    "text",
    "heading_path",
    "page_start",
    "page_end",
    "char_start",
    "char_end",
    "kind",
    "bboxes",
    "ordinal",
    "n_tokens",
    "text_hash",
    "context",
    "terms",
    "n_terms",
)

REGISTRY = """
CREATE SCHEMA IF NOT EXISTS ragchat;
CREATE TABLE IF NOT EXISTS ragchat.kbs (
    id serial PRIMARY KEY, name text UNIQUE NOT NULL, manifest jsonb NOT NULL,
    generation bigint NOT NULL DEFAULT 0, n_chunks bigint NOT NULL DEFAULT 0,
    n_tokens bigint NOT NULL DEFAULT 0
);
"""
KB_SCHEMA = """
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


def schema_name(kb_id: int) -> str:
    """The schema holding the tables of the KB with registry id `kb_id`."""
    return f"ragchat_kb{int(kb_id)}"


def clean(text: str) -> str:
    """Text PostgreSQL can store (its text type has no NUL)."""
    return text.replace("\x00", "") if "\x00" in text else text


# ---------------------------------------------------------------- connections and the registry
def scrub(text: str, url: str) -> str:
    """Remove the URL's password from a message (driver errors may quote the connection)."""
    try:
        secret = urlsplit(url).password
    except ValueError:
        secret = None
    text = text.replace(url, mask_url(url))
    return text.replace(secret, "***") if secret else text


def connect(url: str) -> Any:
    if psycopg is None:
        raise ConfigError(
            f"store={mask_url(url)} needs the PostgreSQL driver: pip install 'ragchat[pg]'"
        )
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=15, application_name="ragchat")
    except psycopg.Error as exc:
        raise KBError(
            f"cannot connect to PostgreSQL at {mask_url(url)}: {scrub(str(exc).strip(), url)}"
        ) from exc


def failed(url: str, exc: Exception) -> KBError:
    return KBError(f"PostgreSQL at {mask_url(url)}: {scrub(str(exc).strip(), url)}")


def kb_names(conn: Any) -> list[str]:
    if not registry_exists(conn):
        return []
    return sorted(r[0] for r in conn.execute("SELECT name FROM ragchat.kbs"))


def registry_exists(conn: Any) -> bool:
    return conn.execute("SELECT to_regclass('ragchat.kbs') IS NOT NULL").fetchone()[0]


def find_kb(conn: Any, name: str) -> tuple[int, dict[str, Any]] | None:
    if not registry_exists(conn):
        return None
    return conn.execute("SELECT id, manifest FROM ragchat.kbs WHERE name = %s", (name,)).fetchone()


def create_kb(conn: Any, url: str, manifest: Manifest) -> tuple[int, dict[str, Any]]:
    from psycopg.types.json import Jsonb

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_CLASS,))  # one creator
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.Error as exc:
            raise KBError(
                f"PostgreSQL at {mask_url(url)} has no pgvector extension, or this user may"
                f" not create it ({scrub(str(exc).strip(), url)}); install pgvector and run"
                " `CREATE EXTENSION vector;` as a superuser, or use the pgvector/pgvector"
                " Docker image"
            ) from exc
        conn.execute(REGISTRY)
        row = find_kb(conn, manifest.name)
        if row is not None:  # made by another process meanwhile
            return row
        kb_id = conn.execute(
            "INSERT INTO ragchat.kbs (name, manifest) VALUES (%s, %s) RETURNING id",
            (manifest.name, Jsonb(asdict(manifest))),
        ).fetchone()[0]
        conn.execute(KB_SCHEMA.format(s=schema_name(kb_id), dim=int(manifest.dim)))
    return kb_id, asdict(manifest)


def list_kbs(url: str) -> list[str]:
    conn = connect(url)
    try:
        return kb_names(conn)
    except psycopg.Error as exc:
        raise failed(url, exc) from exc
    finally:
        conn.close()


def delete_kb(url: str, name: str, *, timeout: float = 5.0) -> None:
    """Drop a KB's schema and registry row (after taking its write lock: no ingest is running)."""
    validate_kb_name(name)
    conn = connect(url)
    try:
        row = find_kb(conn, name)
        if row is None:
            raise KBNotFound(f"no knowledge base {name!r} in PostgreSQL at {mask_url(url)}")
        with conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(timeout * 1000)}",))
            if not wait_for(
                lambda: conn.execute(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)", (LOCK_CLASS, row[0])
                ).fetchone()[0],
                timeout,
            ):
                raise KBLocked(f"KB {name!r} is being written; try deleting it again later")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema_name(row[0])} CASCADE")
            conn.execute("DELETE FROM ragchat.kbs WHERE id = %s", (row[0],))
    except psycopg.errors.LockNotAvailable as exc:
        raise KBLocked(f"KB {name!r} is in use; try deleting it again later") from exc
    except psycopg.Error as exc:
        raise failed(url, exc) from exc
    finally:
        conn.close()


def wait_for(attempt: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pause = 0.02
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.25)
    return True
