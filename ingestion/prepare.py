"""The CPU work before embedding: parse, chunk and tokenise one file.

It runs in a helper process while the main process embeds the previous file, so parsing
overlaps with embedding instead of adding to it. Everything crossing the process boundary is a
frozen dataclass; errors are DocumentError subclasses that survive the trip.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingestion.chunk import ChunkConfig, chunk_document
from ragchat.settings import Settings
from ragchat.text import lexical_tokens
from ragchat.types import Chunk


@dataclass(frozen=True)
class Prepared:
    doc_id: str
    title: str
    pages: int
    warnings: tuple[str, ...]
    chunks: tuple[Chunk, ...]
    lexical: tuple[str, ...]  # space-joined lexical tokens per chunk
    parse_seconds: float
    chunk_seconds: float


def prepare_file(
    path: Path,
    settings: Settings,
    password: str | None,
    max_tokens: int,
    count_tokens: Callable[..., list[int]] | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> Prepared:
    import time

    from ingestion.parse import parse_pdf

    t = time.perf_counter()
    doc = parse_pdf(path, settings, password=password, on_page=on_page)
    t_parse = time.perf_counter() - t
    t = time.perf_counter()
    config = ChunkConfig.of(settings)
    config = replace(config, max_chunk_tokens=min(config.max_chunk_tokens, max_tokens))
    chunks = chunk_document(doc, count_tokens or _tokenizer_counter(settings.embedder), config)
    lexical = tuple(" ".join(lexical_tokens(c.embed_text())) for c in chunks)
    return Prepared(
        doc.doc_id,
        doc.title,
        doc.page_count,
        doc.warnings,
        tuple(chunks),
        lexical,
        t_parse,
        time.perf_counter() - t,
    )


@lru_cache(maxsize=2)
def _tokenizer_counter(spec: str) -> Callable[..., list[int]]:
    from transformers import AutoTokenizer

    from ragchat.embedder import resolve_embedder_path

    tok = AutoTokenizer.from_pretrained(resolve_embedder_path(spec))
    tok.model_max_length = 1_000_000  # we only count here; truncation is the embedder's job

    def count(texts: Any) -> list[int]:
        if not texts:
            return []
        return [
            len(x) for x in tok(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        ]

    return count


class Prefetcher:
    """Prepares files one ahead in a helper process (or inline for a single file)."""

    def __init__(
        self, settings: Settings, password: str | None, max_tokens: int, workers: int
    ) -> None:
        self.args = (settings, password, max_tokens)
        self.pool = (
            ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            if workers
            else None
        )

    def submit(self, path: Path) -> Future[Prepared] | None:
        if self.pool is None:
            return None
        return self.pool.submit(prepare_file, path, *self.args)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
