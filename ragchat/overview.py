"""What the documents are: the answer to "What is this document about?".

A user's first question is often about the documents themselves ("What is this document
about?", "Which files do you have?", "这份文档讲了什么？"). Retrieval has nothing to match there
— every chunk is about something else — so without this the answer was a quote of whatever line
scored best (an exhibit list of the Apple 10-Q). Such a question is answered from the KB's own
records instead: each file with its title, pages and section headings (or, with none that tell
its parts apart, its opening sentence), cited to its first page. No model is involved, and the
text says it lists the documents rather than answering from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ragchat.kb.base import FileRecord
from ragchat.sentences import split_sentences
from ragchat.types import Chunk, Citation

_DOCS = r"(?:documents?|files?|pdfs?|papers?|texts?|sources?|knowledge base|kb|collection)"
_ABOUT_EN = re.compile(
    rf"^\s*(?:(?:what|which)(?:'s| is| are)\s+(?:this|these|the|my|your|those)\s+{_DOCS}"
    rf"\s+(?:about|on)|(?:what|which)\s+(?:{_DOCS}|topics?)\s+(?:do|can)\s+you\s+(?:have|know|see|cover)"
    rf"|(?:what|which)\s+{_DOCS}\s+(?:are|were|have been)\s+(?:loaded|indexed|ingested|here|there)"
    rf"|(?:summari[sz]e|describe|give\s+(?:me\s+)?an?\s+overview\s+of|tell\s+me\s+about)\s+"
    rf"(?:this|these|the|my|your|those)\s+{_DOCS}|what\s+can\s+i\s+ask(?:\s+you)?(?:\s+about)?)"
    r"\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_ABOUT_ZH = re.compile(
    r"^\s*(?:(?:这|这份|这篇|这个|这些|本|该|你的|我的)?(?:文档|文件|资料|知识库|材料)"
    r"(?:里|中)?(?:讲|说|写|介绍|包含|涉及|有)了?(?:些)?(?:什么|哪些)(?:内容|东西|主题)?"
    r"|(?:这|这份|这篇|这个|这些|本|该)(?:文档|文件|资料|材料)(?:是)?关于什么(?:的)?"
    r"|(?:你|知识库)(?:有|里有)哪些(?:文档|文件|资料)|我可以问(?:你)?(?:些)?什么)"
    r"\s*[？?。！!]*\s*$"
)
MAX_FILES = 10
MAX_SECTIONS = 8
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*[.、)]?|[IVX]+\.)\s+")
_PART = re.compile(r"\s*[(（]part \d+[)）]\s*$", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]{2,}")


def asks_about_the_documents(question: str) -> bool:
    """Is the question about the documents themselves rather than about what they say?"""
    return bool(_ABOUT_EN.match(question) or _ABOUT_ZH.match(question))


def sections(title: str, chunks: Sequence[Chunk]) -> list[str]:
    """The file's section headings in reading order, numbering and "(part n)" dropped: the ones
    under its title that tell its parts apart (no digits: "California 94-2404110" and "For the
    Fiscal Quarter Ended June 25, 2022" — a run of three digits — are cover-page lines)."""
    seen: list[str] = []
    for chunk in chunks:
        for heading in chunk.heading_path:
            name = _PART.sub("", _NUMBERING.sub("", heading)).strip()
            if (
                name
                and name.lower() != title.lower()
                and not re.search(r"\d{3,}", name)
                and _WORDS.search(name)
                and name not in seen
            ):
                seen.append(name)
    return seen


def opening(chunks: Sequence[Chunk]) -> str:
    """The file's first sentence of prose (eight words or a Chinese sentence of 15 characters
    and more), or ""."""
    for chunk in chunks[:5]:
        for a, b in split_sentences(chunk.text):
            sentence = " ".join(chunk.text[a:b].split())
            if len(sentence.split()) >= 8 or len(re.findall(r"[\u4e00-\u9fff]", sentence)) >= 15:
                return sentence
    return ""


def overview(
    files: Sequence[FileRecord], chunks_of: Callable[[str], Sequence[Chunk]], lang: str
) -> tuple[str, tuple[Citation, ...]]:
    """The answer text listing the files and the citation of each (its first page); only the
    files shown (MAX_FILES) have their chunks read (`chunks_of(path)`)."""
    shown = sorted(files, key=lambda f: f.name.lower())[:MAX_FILES]
    zh = lang == "zh"
    lines = [
        f"知识库中有 {len(files)} 份文档："
        if zh
        else f"This knowledge base holds {len(files)} document{'s' if len(files) != 1 else ''}:"
    ]
    citations = []
    for n, record in enumerate(shown, start=1):
        chunks = chunks_of(record.path)
        title = record.title.strip() or record.name
        parts = sections(title, chunks)
        begins = opening(chunks)
        if zh:
            line = f"[{n}] {record.name}（《{title}》，{record.pages} 页）"
            line += f"，包括：{'、'.join(parts[:MAX_SECTIONS])}" if len(parts) > 1 else ""
            line += f"；开头：“{begins}”" if len(parts) <= 1 and begins else ""
        else:
            pages = f"{record.pages} page{'s' if record.pages != 1 else ''}"
            line = f"[{n}] {record.name} (“{title}”, {pages})"
            line += (
                f"; sections include: {'; '.join(parts[:MAX_SECTIONS])}" if len(parts) > 1 else ""
            )
            line += f"; it begins: “{begins}”" if len(parts) <= 1 and begins else ""
        lines.append(line + ("…" if len(parts) > MAX_SECTIONS else ""))
        first = chunks[0] if chunks else None
        citations.append(
            Citation(
                n=n,
                file=record.name,
                page=first.page_start if first else 1,
                heading_path=(title,),
                quote=begins,
                chunk_id=first.chunk_id if first else "",
            )
        )
    if len(files) > len(shown):
        more = len(files) - len(shown)
        lines.append(
            f"……另有 {more} 份（ragchat-ingest list 列出全部）。"
            if zh
            else f"… and {more} more (`ragchat-ingest list` shows them all)."
        )
    lines.append("可以就其中任何内容提问。" if zh else "Ask a question about any of them.")
    return "\n".join(lines), tuple(citations)
