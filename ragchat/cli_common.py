"""Pieces shared by the command-line tools: options, settings, one-line errors, cheap checks.

Everything here is quick: no torch, no models. The checks a command can make before loading a
model (does the KB exist, is the question empty, which embedder built the KB) live here, so a
mistake costs a fraction of a second instead of a model load.
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

import ragchat.runtime_env  # noqa: F401  (sets OMP_WAIT_POLICY before anything loads torch)
from ragchat.errors import EmbedderMismatch, KBNotFound, RagchatError
from ragchat.settings import PACKAGED_EMBEDDER, Settings

# Quiet third-party loaders in the terminal: model-loading bars and deprecation chatter.
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)

kb_option = click.option(
    "--kb",
    envvar="RAGCHAT_KB",
    default="default",
    show_default=True,
    help="Knowledge base name (env RAGCHAT_KB).",
)
kb_adapter_option = click.option(
    "--adapter",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="Adapter directory (default: the KB's adapter).",
)


def common_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--home and --config, shared by every command."""

    @click.option(
        "--home",
        type=click.Path(path_type=Path),
        default=None,
        help="Data home (default ~/.ragchat, env RAGCHAT_HOME).",
    )
    @click.option(
        "--config",
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        default=None,
        help="A ragchat.toml settings file.",
    )
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


def settings_from(opts: dict[str, Any], **extra: Any) -> Settings:
    """The one Settings object of a CLI run: defaults < toml < env < options."""
    overrides = {"home": opts.get("home"), **extra}
    with fail_cleanly():
        return Settings.load(overrides, toml_path=opts.get("config"))


@contextmanager
def fail_cleanly() -> Iterator[None]:
    """Turn ragchat errors into one line on stderr and exit code 1.

    Under tests or with RAGCHAT_DEBUG=1 the exception propagates with its traceback.
    """
    try:
        yield
    except RagchatError as exc:
        if os.environ.get("RAGCHAT_DEBUG"):
            raise
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        raise click.Abort() from None


class OneLineUsageError(click.UsageError):
    """A usage mistake reported as one line (`Error: ...`, exit code 2), without the usage text."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def require_question(question: str | None, batch: Any = None) -> None:
    """An absent, empty or whitespace-only question is a usage error, found before any model loads."""
    if batch:
        if question:
            raise OneLineUsageError("give a QUESTION or --batch FILE, not both")
        return
    if question is None:
        raise OneLineUsageError("give a QUESTION or --batch FILE")
    if not question.strip():
        raise OneLineUsageError("the question is empty; give a QUESTION or --batch FILE")


def embedder_identity(settings: Settings) -> tuple[str, int | None]:
    """The configured embedder's name and dimension, found without loading it.

    The name is what `ragchat.embedder` records in KB manifests; the dimension is read from a
    local sentence-transformers directory's configuration (None when it cannot be known without
    loading the model, e.g. a hub id or an unusual module stack).
    """
    from ragchat.embedder import PACKAGED_NAME, resolve_embedder_path

    path = resolve_embedder_path(settings.embedder)
    name = PACKAGED_NAME if settings.embedder == PACKAGED_EMBEDDER else Path(path).name or path
    if settings.embedder_int8:
        name += "-int8"
    return name, _sentence_transformer_dim(Path(path).expanduser())


def _sentence_transformer_dim(path: Path) -> int | None:
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
            return None  # a Dense layer or another module may change the dimension
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((path / pooling_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return None
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True]
    dim = pooling.get("word_embedding_dimension")
    return int(dim) if len(modes) == 1 and isinstance(dim, int) else None


def check_embedder(settings: Settings, kb: Any) -> None:
    """Fail before loading any model when the KB was built by another embedder."""
    name, dim = embedder_identity(settings)
    built = kb.manifest
    if built.embedder != name or (dim is not None and built.dim != dim):
        shown = f"{name} ({dim} dims)" if dim is not None else name
        raise EmbedderMismatch(
            f"KB {built.name!r} was built with embedder {built.embedder} ({built.dim} dims), but"
            f" {shown} is configured; use the same embedder or rebuild the KB under a new name"
        )


def require_kb(settings: Settings, name: str) -> None:
    """Fail in a fraction of a second, naming the KB and the existing ones, when `name` does not
    exist or was built by another embedder than the configured one. Loads no model."""
    kb = open_kb(settings, name)
    try:
        check_embedder(settings, kb)
    finally:
        kb.close()


def open_or_create_kb(
    settings: Settings, name: str, load_embedder: Callable[[], Any]
) -> tuple[Any, bool]:
    """Open the KB `name` for writing, or create it and say so on stderr with the existing KBs
    (a new KB is often a typo). The embedder is loaded only when its dimension cannot be read
    from its files. Returns (kb, created)."""
    from ragchat import kb as stores

    try:
        kb = stores.open_kb(settings, name)
    except KBNotFound:
        existing = stores.list_kbs(settings)
        embedder, dim = embedder_identity(settings)
        if dim is None:
            loaded = load_embedder()
            embedder, dim = loaded.name, loaded.dim
        kb = stores.open_kb(settings, name, embedder=embedder, dim=dim, create=True)
        others = f" (existing: {', '.join(existing)})" if existing else ""
        click.echo(
            f"created new knowledge base {name!r} in {stores.describe_store(settings)}{others}",
            err=True,
        )
        return kb, True
    try:
        check_embedder(settings, kb)
    except EmbedderMismatch:
        kb.close()
        raise
    return kb, False


def open_kb(settings: Settings, name: str, *, embedder: Any = None, create: bool = False) -> Any:
    from ragchat import kb as stores

    return stores.open_kb(
        settings,
        name,
        embedder=embedder.name if embedder is not None else None,
        dim=embedder.dim if embedder is not None else None,
        create=create,
    )
