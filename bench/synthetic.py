"""A synthetic KB of N chunks (random unit vectors, text drawn from real vocabulary) for latency."""

from __future__ import annotations

import random
from typing import Any

import numpy as np


def build_synthetic_kb(
    settings: Any, n_chunks: int, *, name: str = "synthetic", seed: int = 0
) -> Any:
    from bench.common import synthetic_file
    from ingestion.index import text_hash
    from ragchat.embedder import load_embedder
    from ragchat.kb import open_kb
    from ragchat.text import lexical_tokens

    embedder = load_embedder(settings)
    kb = open_kb(settings, name, embedder=embedder.name, dim=embedder.dim, create=True)
    if kb.chunk_count() >= n_chunks:
        return kb
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    words = _vocabulary()
    per_file = 2000
    with kb.writer() as w:
        for f in range(0, n_chunks, per_file):
            count = min(per_file, n_chunks - f)
            doc_id = f"{f:064d}"
            texts = [" ".join(rng.choices(words, k=150)) for _ in range(count)]
            rec, chunks = synthetic_file(f, texts, doc_id[:16])
            vecs = nrng.normal(size=(count, embedder.dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            w.put_file(
                rec,
                chunks,
                vecs,
                [text_hash("synthetic", f"{f}:{i}") for i in range(count)],
                [" ".join(lexical_tokens(t)) for t in texts],
            )
    return kb


def _vocabulary() -> list[str]:
    """Real words (Zipf-like frequencies come from repetition in real text)."""
    import pymupdf

    from bench.common import SHARED

    shared = SHARED / "squad-en" / "pdfs"
    words: list[str] = []
    for pdf in sorted(shared.glob("*.pdf"))[:4]:
        with pymupdf.open(pdf) as doc:
            for page in doc:
                words.extend(page.get_text().split())
    return words or ["lorem", "ipsum", "dolor", "sit", "amet"]


def synthetic_latency(settings: Any, n_chunks: int, queries: list[str]) -> dict[str, float]:
    """Retrieval latency (p50, p95) on a synthetic KB of n_chunks."""
    from ragchat.embedder import load_embedder
    from ragchat.metrics import percentile
    from ragchat.retrieval import Retriever

    kb = build_synthetic_kb(settings, n_chunks)
    retriever = Retriever(kb, load_embedder(settings), settings)
    retriever.search(queries[0])  # load the index once
    lat = []
    for q in queries:
        lat.append(retriever.search(q).seconds)
    return {
        "chunks": n_chunks,
        "p50_ms": round(1000 * percentile(lat, 50), 2),
        "p95_ms": round(1000 * percentile(lat, 95), 2),
    }
