"""ragchat: private chat with your PDFs."""

from ragchat.errors import RagchatError
from ragchat.settings import Settings
from ragchat.types import Answer, Block, Chunk, Citation, Document, Hit, Page

__all__ = [
    "Answer",
    "Block",
    "Chunk",
    "Citation",
    "Document",
    "Hit",
    "Page",
    "RagchatError",
    "Settings",
]
__version__ = "0.1.0"
