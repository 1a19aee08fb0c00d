"""What every generator is: the Generator protocol, the stop-sequence cut they all make, and
the registry that turns `settings.generator` into one generator per process.

    generator = load_generator(settings, adapter)   # HFGenerator, OpenAIGenerator, your own
    for piece in generator.stream(messages, max_new_tokens=160, temperature=0.0, stop=STOPS):
        ...

`settings.generator` is a transformers model (a packaged name, a .gguf path, a model directory
or a hub id) unless it has a registered `kind:` prefix: `openai:<model>` (an OpenAI-compatible
server), `module:package.module:factory` (a generator of your own), or one a test registers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from ragchat.errors import ModelError
from ragchat.settings import Settings


class Generator(Protocol):
    """Streams an answer for chat messages ({"role", "content"} dicts)."""

    name: str

    def count_tokens(self, text: str) -> int: ...

    def render_prompt(self, messages: list[dict[str, str]]) -> str: ...

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int,
        temperature: float,
        stop: Sequence[str] = (),
    ) -> Iterator[str]: ...


# ---------------------------------------------------------------------- stop sequences
def first_stop(text: str, stop: Sequence[str]) -> int | None:
    """Where the earliest stop sequence in `text` begins, or None if none occurs."""
    found = [text.find(s) for s in stop if s and s in text]
    return min(found) if found else None


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """`text` up to its first stop sequence (all of it when none occurs)."""
    cut = first_stop(text, stop)
    return text if cut is None else text[:cut]


class StopCutter:
    """Cuts a stream of text pieces at the first stop sequence, even one split across pieces.

    Text already passed on before a stop sequence was complete stays passed on (a stream cannot
    take it back); the piece that completes it is cut where the sequence begins.
    """

    def __init__(self, stop: Sequence[str]) -> None:
        self.stop = tuple(s for s in stop if s)
        self.text = ""
        self.stopped = False

    def feed(self, piece: str) -> str:
        """The part of `piece` to pass on; after a stop sequence, `stopped` is True."""
        self.text += piece
        cut = first_stop(self.text, self.stop)
        if cut is None:
            return piece
        self.stopped = True
        return piece[: max(0, len(piece) - (len(self.text) - cut))]

    def cut(self, pieces: Iterable[str]) -> Iterator[str]:
        """The non-empty pieces up to the first stop sequence; reading ends there."""
        for piece in pieces:
            if not piece:
                continue
            kept = self.feed(piece)
            if kept:
                yield kept
            if self.stopped:
                return


# ---------------------------------------------------------------------- the registry
GeneratorFactory = Callable[[Settings, Path | None], Generator]


def _hf_generator(settings: Settings, adapter: Path | None) -> Generator:
    """A local transformers model (packaged, a .gguf file, a model directory or a hub id)."""
    from ragchat.generation.local import hf_generator

    return hf_generator(settings, adapter)


def _module_generator(settings: Settings, adapter: Path | None) -> Generator:
    """`module:package.module:factory` — a generator of your own (any object with the
    Generator methods), e.g. a client for a model server. The factory gets (settings, adapter)."""
    import importlib

    _, module, attr = [*settings.generator.split(":", 2), "", ""][:3]
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ModelError(
            f"generator {settings.generator!r}: cannot import {module}:{attr} ({exc})"
        ) from exc
    generator: Generator = factory(settings, adapter)
    return generator


def _openai_generator(settings: Settings, adapter: Path | None) -> Generator:
    """`openai:<model>` — a client for an OpenAI-compatible server (settings.openai_base_url)."""
    from ragchat.generation.openai import openai_generator

    return openai_generator(settings, adapter)


GENERATORS: dict[str, GeneratorFactory] = {
    "hf": _hf_generator,
    "module": _module_generator,
    "openai": _openai_generator,
}
_CACHE: dict[tuple[str, str], Generator] = {}
_CACHE_LOCK = threading.Lock()


def load_generator(settings: Settings, adapter: Path | None = None) -> Generator:
    """The generator for these settings, loaded once per process. `kind:name` specs pick a
    registered factory (e.g. a test fake); anything else is a transformers model."""
    kind = settings.generator.split(":", 1)[0] if ":" in settings.generator else "hf"
    factory = GENERATORS.get(kind, GENERATORS["hf"])
    key = (settings.generator, str(adapter or ""))
    if kind == "openai":  # the same model name on another server is another generator
        key = (f"{settings.generator}@{settings.openai_base_url}", key[1])
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = factory(settings, adapter)
        return _CACHE[key]


def clear_generator_cache() -> None:
    """Forget the loaded generators: the next load_generator loads afresh (as a new process)."""
    with _CACHE_LOCK:
        _CACHE.clear()
