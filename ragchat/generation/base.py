"""What every generator is: the Generator protocol and the stop-sequence cut they all make
(the registry that loads one is `ragchat.generation.registry`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol


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
