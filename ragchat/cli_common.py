"""Pieces shared by the command-line tools: options, settings, one-line errors."""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ragchat.errors import RagchatError
from ragchat.settings import Settings

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


def open_kb(settings: Settings, name: str, *, embedder: Any = None, create: bool = False) -> Any:
    from ragchat import stores

    return stores.open_kb(
        settings,
        name,
        embedder=embedder.name if embedder is not None else None,
        dim=embedder.dim if embedder is not None else None,
        create=create,
    )
