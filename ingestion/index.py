"""Ingest files into a knowledge base: parse -> chunk -> embed (skipping known text) -> commit.

Each file is committed on its own, so a failure or a crash costs at most the file in flight.
Files are keyed by path and content hash: an unchanged file costs one hash, and the embedder is
not even loaded until some file needs parsing (pass `embedder_loader` instead of an embedder).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ingestion.chunk import ChunkConfig, truncated
from ingestion.prepare import Prefetcher, Prepared, prepare_file
from ragchat.errors import DocumentError, EmbedderMismatch, RagchatError
from ragchat.kb import FileRecord, KBStore
from ragchat.settings import Settings

Stage = Literal["hash", "parse", "embed", "commit", "skip", "fail", "remove"]


@dataclass(frozen=True)
class Progress:
    """One event for progress bars: which file, what stage, how far the batch is."""

    stage: Stage
    file: str
    files_done: int
    files_total: int
    pages: int = 0  # pages of this file parsed so far
    chunks: int = 0  # chunks of this file embedded so far
    message: str = ""
    pages_total: int = 0  # pages of this file (0 = not known yet)


@dataclass(frozen=True)
class FileFailure:
    file: str
    error: str


@dataclass(frozen=True)
class IngestReport:
    kb: str
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    failed: tuple[FileFailure, ...] = ()
    warnings: tuple[str, ...] = ()
    chunks_total: int = 0
    pages_parsed: int = 0
    chunks_written: int = 0
    chunks_embedded: int = 0  # new embeddings computed (the rest were reused by text hash)
    chunks_truncated: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The `--json` summary of the ingest CLI."""
        return {
            "kb": self.kb,
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "failed": [{"file": f.file, "error": f.error} for f in self.failed],
            "warnings": list(self.warnings),
            "chunks_total": self.chunks_total,
            "chunks_written": self.chunks_written,
            "chunks_embedded": self.chunks_embedded,
            "chunks_truncated": self.chunks_truncated,
            "pages_parsed": self.pages_parsed,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def find_pdfs(paths: Iterable[Path]) -> tuple[list[Path], list[FileFailure]]:
    """Expand files and folders (recursively) into PDF paths; report paths that do not exist."""
    found: list[Path] = []
    missing: list[FileFailure] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())
            )
        elif path.is_file():
            found.append(path)
        else:
            missing.append(FileFailure(str(path), "no such file or folder"))
    seen: set[Path] = set()
    unique = []
    for p in found:
        rp = p.resolve()
        if rp not in seen:
            seen.add(rp)
            unique.append(rp)
    return unique, missing


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def text_hash(embedder_name: str, text: str) -> str:
    return hashlib.sha1(f"{embedder_name}\0{text}".encode()).hexdigest()


class Ingestor:
    """Adds, updates and removes files of one KB with one embedder.

    Give the embedder itself, or `embedder_loader`: a callable that loads it, called only when
    a file needs parsing (never for a re-ingest of unchanged files). A loaded embedder must be
    the one the KB was built with.
    """

    def __init__(
        self,
        kb: KBStore,
        settings: Settings,
        embedder: Any = None,
        *,
        embedder_loader: Callable[[], Any] | None = None,
    ) -> None:
        if embedder is None and embedder_loader is None:
            raise TypeError("Ingestor needs an embedder or an embedder_loader")
        self.kb = kb
        self.settings = settings
        self._embedder = embedder
        self._loader = embedder_loader

    @property
    def embedder(self) -> Any:
        """The embedder, loaded on first use."""
        if self._embedder is None:
            assert self._loader is not None
            loaded = self._loader()
            built = self.kb.manifest
            if (loaded.name, loaded.dim) != (built.embedder, built.dim):
                raise EmbedderMismatch(
                    f"KB {built.name!r} was built with embedder {built.embedder} ({built.dim}"
                    f" dims), but {loaded.name} ({loaded.dim} dims) is configured; use the same"
                    " embedder or rebuild the KB under a new name"
                )
            self._embedder = loaded
        return self._embedder

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        sync_root: Path | None = None,
        password: str | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> IngestReport:
        """Add or update the PDFs under `paths`. With `sync_root`, also remove files that are in
        the KB under that folder but no longer on disk (the KB mirrors the folder)."""
        t0 = time.perf_counter()
        emit = progress or (lambda _p: None)
        files, failures = find_pdfs(paths)
        failed = list(failures)
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        removed: list[str] = []
        warnings: list[str] = []
        counters = {"pages": 0, "written": 0, "embedded": 0, "truncated": 0}
        # parse and chunk run in a helper process (overlapping embedding) for batches; "wait" is
        # the time the main process actually waited for them
        timings = dict.fromkeys(("hash", "parse", "chunk", "embed", "commit", "wait"), 0.0)
        fingerprint = ChunkConfig.of(self.settings).fingerprint()

        def fail(path: Path, i: int, problem: str) -> None:
            failed.append(FileFailure(str(path), problem))
            emit(Progress("fail", path.name, i + 1, len(files), message=problem))

        with self.kb.writer() as writer:
            if sync_root is not None:
                root = Path(sync_root).expanduser().resolve()
                wanted = {str(p) for p in files}
                for rec in self.kb.files():
                    if Path(rec.path).is_relative_to(root) and rec.path not in wanted:
                        writer.remove_file(rec.path)
                        removed.append(rec.path)
                        emit(Progress("remove", rec.name, 0, len(files)))
            todo: list[_Todo] = []
            for i, path in enumerate(files):
                emit(Progress("hash", path.name, i, len(files)))
                try:
                    t = time.perf_counter()
                    doc_id = file_sha256(path)
                    timings["hash"] += time.perf_counter() - t
                except OSError as exc:
                    fail(path, i, f"cannot read file ({exc.strerror or exc})")
                    continue
                old = self.kb.file(str(path))
                fresh = old is not None and old.chunking == fingerprint
                if old is not None and old.doc_id == doc_id and fresh:
                    unchanged.append(str(path))
                    emit(Progress("skip", path.name, i + 1, len(files), message="unchanged"))
                else:
                    todo.append(_Todo(i, path, doc_id, old is not None))
            batch = _Batch(writer, password, len(files), emit, counters, timings, fingerprint)
            # the embedder (and the helper process) only when some file needs parsing
            prefetch = (
                Prefetcher(
                    self.settings, password, self.embedder.max_tokens, workers=int(len(todo) > 1)
                )
                if todo
                else None
            )
            try:
                futures = [prefetch.submit(todo[0].path)] if prefetch else []
                for k, item in enumerate(todo):
                    if prefetch and k + 1 < len(todo):
                        futures.append(prefetch.submit(todo[k + 1].path))
                    i, path, name = item.index, item.path, item.path.name
                    try:
                        rec = self._ingest_one(batch, item, futures[k])
                        warnings.extend(f"{name}: {w}" for w in rec.warnings)
                        (updated if item.is_update else added).append(str(path))
                    except DocumentError as exc:
                        fail(path, i, exc.problem)
                    except RagchatError:
                        raise  # KB-level trouble (locked, embedder mismatch): stop the batch
                    except OSError as exc:
                        fail(path, i, f"cannot read file ({exc.strerror or exc})")
            finally:
                if prefetch:
                    prefetch.close()
        return IngestReport(
            kb=self.kb.name,
            added=tuple(added),
            updated=tuple(updated),
            unchanged=tuple(unchanged),
            removed=tuple(removed),
            failed=tuple(failed),
            warnings=tuple(warnings),
            chunks_total=self.kb.chunk_count(),
            pages_parsed=counters["pages"],
            chunks_written=counters["written"],
            chunks_embedded=counters["embedded"],
            chunks_truncated=counters["truncated"],
            seconds=time.perf_counter() - t0,
            timings=timings,
        )

    def _ingest_one(
        self, batch: _Batch, item: _Todo, future: Future[Prepared] | None
    ) -> FileRecord:
        """Parse (or take from the helper process), embed and commit one file."""
        path, doc_id, i, total, emit = item.path, item.doc_id, item.index, batch.total, batch.emit
        name, timings = path.name, batch.timings
        emit(Progress("parse", name, i, total))
        t = time.perf_counter()
        if future is not None:
            prep = future.result()  # parsed in the helper process while we embedded
        else:
            prep = prepare_file(
                path,
                self.settings,
                batch.password,
                self.embedder.max_tokens,
                self.embedder.count_tokens,
                on_page=lambda done, n: emit(
                    Progress("parse", name, i, total, pages=done, pages_total=n)
                ),
            )
        timings["wait"] = timings.get("wait", 0.0) + time.perf_counter() - t
        if prep.doc_id != doc_id:  # the file changed while we read it
            raise DocumentError(str(path), "file changed while it was being read; try again")
        timings["parse"] += prep.parse_seconds
        timings["chunk"] += prep.chunk_seconds
        emit(Progress("parse", name, i, total, pages=prep.pages, pages_total=prep.pages))
        chunks = list(prep.chunks)
        texts = [c.embed_text() for c in chunks]
        vectors, n_new = self._embed(batch, texts, name, i)
        t = time.perf_counter()
        record = FileRecord(
            path=str(path),
            name=name,
            doc_id=doc_id,
            title=prep.title,
            size=os.path.getsize(path),
            pages=prep.pages,
            chunks=len(chunks),
            ingested_at=time.time(),
            warnings=prep.warnings,
            chunking=batch.fingerprint,
        )
        hashes = [text_hash(self.embedder.name, t) for t in texts]
        batch.writer.put_file(record, chunks, vectors, hashes, list(prep.lexical))
        timings["commit"] += time.perf_counter() - t
        batch.counters["pages"] += record.pages
        batch.counters["written"] += len(chunks)
        batch.counters["embedded"] += n_new
        batch.counters["truncated"] += truncated(chunks, self.embedder.max_tokens)
        n = record.pages
        emit(Progress("commit", name, i + 1, total, n, record.chunks, pages_total=n))
        return record

    def _embed(
        self, batch: _Batch, texts: Sequence[str], name: str, i: int
    ) -> tuple[np.ndarray, int]:
        """Embeddings for the texts, reusing any the KB already holds for identical text."""
        hashes = [text_hash(self.embedder.name, t) for t in texts]
        known = batch.writer.cached_embeddings(hashes)
        todo = [j for j, h in enumerate(hashes) if h not in known]
        vectors = np.zeros((len(texts), self.kb.manifest.dim), dtype=np.float32)
        for j, h in enumerate(hashes):
            if h in known:
                vectors[j] = known[h]
        if todo:
            t = time.perf_counter()
            done = 0

            def step(n: int) -> None:
                nonlocal done
                done += n
                batch.emit(Progress("embed", name, i, batch.total, chunks=done))

            new = self.embedder.embed([texts[j] for j in todo], progress=step)
            vectors[todo] = new
            batch.timings["embed"] += time.perf_counter() - t
        return vectors, len(todo)


@dataclass(frozen=True)
class _Todo:
    """A file that needs parsing: its place in the batch, path, content hash, and whether the KB
    holds an older version of it."""

    index: int
    path: Path
    doc_id: str
    is_update: bool


@dataclass(frozen=True)
class _Batch:
    """What every file of one ingest batch shares: the open KB writer, the password, the file
    count and progress callback, the running counters and timings, the chunking fingerprint."""

    writer: Any
    password: str | None
    total: int
    emit: Callable[[Progress], None]
    counters: dict[str, int]
    timings: dict[str, float]
    fingerprint: str


def remove_files(kb: KBStore, paths: Sequence[str]) -> tuple[list[str], list[FileFailure]]:
    """Remove files from the KB by path (or by unique file name)."""
    removed: list[str] = []
    missing: list[FileFailure] = []
    records = kb.files()
    with kb.writer() as writer:
        for raw in paths:
            target = str(Path(raw).expanduser().resolve())
            matches = [r for r in records if r.path == target] or [
                r for r in records if r.name == Path(raw).name
            ]
            if len(matches) != 1:
                problem = (
                    "not in this KB"
                    if not matches
                    else "several files have this name; give the full path"
                )
                missing.append(FileFailure(raw, problem))
                continue
            writer.remove_file(matches[0].path)
            removed.append(matches[0].path)
    return removed, missing
