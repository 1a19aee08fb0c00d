"""Typed errors. Messages say what went wrong, where, and how to fix it."""

from __future__ import annotations


class RagchatError(Exception):
    """Base class for every error ragchat raises on purpose."""


class ConfigError(RagchatError):
    """A setting has an invalid value."""


class DocumentError(RagchatError):
    """A single input file cannot be ingested. `path` names the file."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # survives a trip between processes
        return (type(self), (self.path, self.problem))


class UnreadablePdf(DocumentError):
    """Not a PDF, truncated, or damaged beyond repair."""


class EncryptedPdf(DocumentError):
    """Encrypted and no (correct) password was given."""


class EmptyPdf(DocumentError):
    """Zero pages, or no text at all."""


class NeedsOcr(DocumentError):
    """Every page is image-only and OCR is not installed."""


class LimitExceeded(DocumentError):
    """A per-file limit (size, pages, seconds) was hit."""


class KBError(RagchatError):
    """A knowledge base cannot be opened or written."""


class KBNotFound(KBError):
    pass


class EmbedderMismatch(KBError):
    """The KB was built with another embedder than the one configured."""


class KBLocked(KBError):
    """Another process is writing to this KB."""


class ModelError(RagchatError):
    """A model cannot be found, loaded or run."""


class AdapterError(ModelError):
    """A LoRA adapter cannot be loaded (missing files, other base model, unsafe format)."""


class AppServerError(RagchatError):
    """The Streamlit app server did not start: its process ended, or its port did not answer in
    time. The message ends with the tail of its log."""
