"""ragchat: private chat with your PDFs.

`RagChat` and its adapter choices (`DEFAULT_ADAPTER`, `NO_ADAPTER`) load from ragchat.pipeline
on first use, so that `import ragchat` (and every CLI start) stays fast.
"""

from typing import TYPE_CHECKING, Any

from ragchat.errors import RagchatError
from ragchat.settings import Settings
from ragchat.types import Answer, Block, Chunk, Citation, Document, Hit, Page

if TYPE_CHECKING:
    from ragchat.pipeline import DEFAULT_ADAPTER, NO_ADAPTER, RagChat

__all__ = [
    "DEFAULT_ADAPTER",
    "NO_ADAPTER",
    "Answer",
    "Block",
    "Chunk",
    "Citation",
    "Document",
    "Hit",
    "Page",
    "RagChat",
    "RagchatError",
    "Settings",
]
__version__ = "0.1.0"
_FROM_PIPELINE = {"RagChat", "DEFAULT_ADAPTER", "NO_ADAPTER"}


def __getattr__(name: str) -> Any:
    if name in _FROM_PIPELINE:
        from ragchat import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'ragchat' has no attribute {name!r}")
