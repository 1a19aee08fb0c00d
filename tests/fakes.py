"""A fake generator that honours the Generator interface, for fast app and pipeline tests."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from ragchat.prompt import REFUSAL_MARKER


class FakeGenerator:
    """Answers with the first sentence of evidence (or source) [1] and cites it; refuses when
    told to."""

    name = "fake"

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.calls: list[list[dict[str, str]]] = []

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
        user = messages[-1]["content"]
        m = re.search(r"^\[1\] (.+)$", user, re.M) or re.search(
            r'<source id="1".*?">\n(.*?)\n</source>', user, re.S
        )
        first = re.split(r"(?<=[.。!?])\s", m.group(1).strip())[0] if m else "No sources."
        for word in f"{first} [1]".split(" "):
            yield word + " "


def make_fake_generator(settings: Any = None, adapter: Any = None) -> FakeGenerator:
    return FakeGenerator()
