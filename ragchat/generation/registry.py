"""The registry that turns `settings.generator` into one generator per process.

    generator = load_generator(settings, adapter)   # HFGenerator, OpenAIGenerator, your own
    for piece in generator.stream(messages, max_new_tokens=160, temperature=0.0, stop=STOPS):
        ...

`settings.generator` is a transformers model (a packaged name, a .gguf path, a model directory
or a hub id) unless it has a registered `kind:` prefix: `openai:<model>` (an OpenAI-compatible
server), `module:package.module:factory` (a generator of your own), or one a test registers.
The backends are imported only when chosen; they import `base`, never this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ragchat.errors import ModelError
from ragchat.generation.base import Generator
from ragchat.settings import Settings

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
    kind = _kind(settings)
    factory = GENERATORS.get(kind, GENERATORS["hf"])
    key = _key(settings, adapter)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = factory(settings, adapter)
        return _CACHE[key]


def unload_generator(settings: Settings, adapter: Path | None = None) -> None:
    """Forget this one loaded generator, so that its memory is freed once nothing else holds
    it: an evaluation that answers with the base model and then with an adapter keeps one
    model in memory, not two. The next load_generator for it loads afresh."""
    with _CACHE_LOCK:
        _CACHE.pop(_key(settings, adapter), None)


def _kind(settings: Settings) -> str:
    return settings.generator.split(":", 1)[0] if ":" in settings.generator else "hf"


def _key(settings: Settings, adapter: Path | None) -> tuple[str, str]:
    if _kind(settings) == "openai":  # the same model name on another server is another one
        return (f"{settings.generator}@{settings.openai_base_url}", str(adapter or ""))
    return (settings.generator, str(adapter or ""))


def clear_generator_cache() -> None:
    """Forget the loaded generators: the next load_generator loads afresh (as a new process)."""
    with _CACHE_LOCK:
        _CACHE.clear()
