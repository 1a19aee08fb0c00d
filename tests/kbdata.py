"""Small knowledge bases for the store tests: chunks with seeded random unit embeddings, written
through the public writer, on whichever store the settings name."""

from __future__ import annotations

import hashlib

import numpy as np

from ragchat import kb as stores
from ragchat.kb import FileRecord, KBStore
from ragchat.settings import Settings
from ragchat.text import lexical_tokens
from ragchat.types import Chunk

DIM = 8


def make_chunks(
    path: str, texts: list[str], dim: int = DIM, seed: int | None = None
) -> tuple[FileRecord, list[Chunk], np.ndarray]:
    """A file record, its chunks (one per text) and their unit embeddings."""
    doc_id = hashlib.sha256(path.encode()).hexdigest()
    name = path.rsplit("/", 1)[-1]
    chunks = [
        Chunk(f"{doc_id[:16]}:{i}", doc_id, name, t, ("H",), i + 1, i + 1, (0, len(t)), ordinal=i)
        for i, t in enumerate(texts)
    ]
    rng = np.random.default_rng(seed if seed is not None else len(path) + len(texts))
    vecs = rng.normal(size=(len(texts), dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    rec = FileRecord(path, name, doc_id, "t", 10, len(texts), len(texts), 0.0, ())
    return rec, chunks, vecs


def put(kb: KBStore, path: str, texts: list[str], **kw) -> np.ndarray:
    """Write a file of these chunk texts (hashes "h<path><i>"); returns their embeddings."""
    rec, chunks, vecs = make_chunks(path, texts, **kw)
    with kb.writer() as w:
        w.put_file(
            rec,
            chunks,
            vecs,
            [f"h{path}{i}" for i in range(len(texts))],
            [" ".join(lexical_tokens(t)) for t in texts],
        )
    return vecs


def open_kb(settings: Settings, name: str = "docs", dim: int = DIM) -> KBStore:
    """Open (creating it) a KB built with the embedder "e" of `dim` dimensions."""
    return stores.open_kb(settings, name, embedder="e", dim=dim, create=True)


def unit_mean(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    return mean / np.linalg.norm(mean)
