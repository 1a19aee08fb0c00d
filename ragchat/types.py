"""Typed, frozen records that flow between the stages.

Document -> Page -> Block -> Chunk -> Hit -> Answer(citations=[Citation]).
No untyped dicts cross a stage boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "text", "table", "list", "caption"]
BBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of a page in reading order."""

    kind: BlockKind
    text: str
    page: int  # 1-based
    bbox: BBox  # (x0, y0, x1, y1) in PDF points, origin top-left (PyMuPDF convention)
    level: int = 0  # heading level 1..6 for kind == "heading", else 0
    heading_path: tuple[str, ...] = ()  # headings above this block, outermost first


@dataclass(frozen=True, slots=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    blocks: tuple[Block, ...]
    needs_ocr: bool = False  # no text layer (image-only page)
    ocr_applied: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str  # sha256 of the file bytes
    path: str  # absolute path of the source file
    title: str
    pages: tuple[Page, ...]
    warnings: tuple[str, ...] = ()  # e.g. "page 4 has no text layer; needs OCR"
    running_title: str = ""  # the running header/footer text removed from the pages, if any

    @property
    def page_count(self) -> int:
        return len(self.pages)


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: str  # f"{doc_id[:16]}:{ordinal}"
    doc_id: str
    file: str  # file name shown to users (basename)
    text: str  # body text of the chunk (without the heading prefix)
    heading_path: tuple[str, ...]
    page_start: int
    page_end: int
    # offsets into the document's plain text (see ingestion.chunk.document_text)
    char_span: tuple[int, int]
    kind: str = "text"  # "text" | "table"
    bboxes: tuple[tuple[int, float, float, float, float], ...] = ()  # (page, x0, y0, x1, y1)
    ordinal: int = 0
    n_tokens: int = 0  # embedder tokens of embed_text()
    # what the document is (file name, running title): given to the embedder and the lexical
    # index with every chunk, because a page of a filing rarely names its company
    context: str = ""

    def embed_text(self) -> str:
        """What the embedder and the lexical index see: context, heading path, then the text."""
        head = [self.context] if self.context else []
        if self.heading_path:
            head.append(" > ".join(self.heading_path))
        return "\n".join([*head, self.text])


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float  # fused score (higher is better)
    rank: int  # 1-based
    dense_score: float | None = None  # cosine similarity
    lexical_score: float | None = None  # BM25


@dataclass(frozen=True, slots=True)
class Evidence:
    """One sentence (or table row) chosen from the retrieved chunks to answer from; the model
    sees these, numbered [n], and every answer sentence is checked against them."""

    n: int  # the [n] marker
    text: str
    chunk_id: str
    file: str
    page: int
    heading_path: tuple[str, ...]
    score: float
    # where the sentence sits on its page (page, x0, y0, x1, y1); the chunk's blocks if unknown
    bboxes: tuple[tuple[int, float, float, float, float], ...] = ()
    # the acronyms its chunk spells ("CJEU", "ENEL"): a sentence of a passage about the Court of
    # Justice (CJEU) is about it without saying so again (`ragchat.near_miss.names_the_acronyms`)
    acronyms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SentenceCheck:
    """The verification of one sentence of the model's draft against the evidence it cites."""

    text: str
    cited: tuple[int, ...]  # evidence numbers it cites after repair
    supported: bool
    score: float  # share of its content words found in the cited evidence
    reason: str = ""  # why it was removed, e.g. "number 1999 is in no source"


@dataclass(frozen=True, slots=True)
class Citation:
    n: int  # the [n] marker in the answer
    file: str
    page: int
    heading_path: tuple[str, ...]
    quote: str
    chunk_id: str
    page_end: int | None = None
    bboxes: tuple[tuple[int, float, float, float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    gate_score: float = 0.0
    standalone_question: str | None = None  # the rewritten follow-up, if any
    # seconds: retrieval, first_token, total
    timings: dict[str, float] = field(default_factory=dict)
    lang: str = "en"
    evidence: tuple[Evidence, ...] = ()  # the numbered sentences the model answered from
    checks: tuple[SentenceCheck, ...] = ()  # per sentence of the model's draft
    fallback: bool = False  # the text is a quote of the best evidence, not the model's words
    draft: str = ""  # what the model wrote, before verification
    confidence: float | None = None  # the model's confidence in its draft (ragchat.confidence)


@dataclass(frozen=True, slots=True)
class Decision:
    """What `ragchat.decide` shows: the answer, or a refusal; a quote is a fallback."""

    text: str
    refused: bool
    fallback: bool = False
    cited: tuple[int, ...] = ()
    checks: tuple[SentenceCheck, ...] = ()
