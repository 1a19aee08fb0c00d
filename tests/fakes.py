"""Test doubles shared by the tests: a fake generator that honours the Generator interface
(installed by the `fake_generator` fixture in conftest.py), a fake embedder, and makers of
chunks and hits."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from ragchat.prompt import REFUSAL_MARKER
from ragchat.types import Chunk, Hit


class FakeGenerator:
    """Answers with the first sentence of evidence (or source) [1] and cites it; refuses when
    told to (`refuse`); says exactly `pieces` when given them."""

    name = "fake"

    def __init__(self, refuse: bool = False, pieces: Sequence[str] | None = None) -> None:
        self.refuse = refuse
        self.pieces = pieces
        self.calls: list[list[dict[str, str]]] = []
        self.adapters: list[Any] = []  # the adapter of each load through the settings

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def render_prompt(self, messages: list[dict[str, str]]) -> str:
        return "\n".join(f"<{m['role']}>{m['content']}" for m in messages)

    def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        self.calls.append(messages)
        if self.refuse:
            yield REFUSAL_MARKER
            return
        if self.pieces is not None:
            yield from self.pieces
            return
        user = messages[-1]["content"]
        m = re.search(r"^\[1\] (.+)$", user, re.M) or re.search(
            r'<source id="1".*?">\n(.*?)\n</source>', user, re.S
        )
        first = re.split(r"(?<=[.。!?])\s", m.group(1).strip())[0] if m else "No sources."
        for word in f"{first} [1]".split(" "):
            yield word + " "


def make_fake_generator(settings: Any = None, adapter: Any = None) -> FakeGenerator:
    """The `module:tests.fakes:make_fake_generator` generator, for app and CLI subprocesses."""
    return FakeGenerator()


class FakeEmbedder:
    """An embedder of zero vectors: enough where only the calls matter."""

    name = "fake"
    dim = 3

    def embed(self, texts: Sequence[str], **kwargs: Any) -> list[list[float]]:
        return [[0.0] * self.dim for _ in texts]


def make_chunk(
    text: str = "Always wear gloves.",
    n: int = 0,
    *,
    file: str = "a.pdf",
    page: int | None = None,
    heading: tuple[str, ...] = ("Sec",),
    kind: str = "text",
) -> Chunk:
    """The n-th chunk of a file ("c:<n>", on page n + 1 unless given), with one rectangle."""
    page = n + 1 if page is None else page
    return Chunk(
        f"c:{n}",
        "d" * 64,
        file,
        text,
        heading,
        page,
        page,
        (0, len(text)),
        kind=kind,
        bboxes=((page, 10.0, 20.0, 300.0, 80.0),),
    )


def make_hit(
    text: str = "Always wear gloves.", n: int = 0, *, score: float | None = None, **chunk: Any
) -> Hit:
    """A hit at rank n + 1 (score 1 / (n + 1) unless given) on `make_chunk(text, n, **chunk)`."""
    return Hit(make_chunk(text, n, **chunk), 1.0 / (n + 1) if score is None else score, n + 1)
