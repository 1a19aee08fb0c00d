"""What the benchmarks share: where things are, the eval sets' questions (JSON lines), the files
of a synthetic KB, the plain LangChain pipeline that ragchat is compared with, peak RSS, and the
chart figure.

The benchmarks run as modules from the repository root: `python -m bench.answer` etc.
"""

from __future__ import annotations

import json
import random
import resource
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "eval"  # the evaluation sets: <set>/pdfs, <set>/questions.jsonl
RESULTS = REPO / "bench" / "results"


# ---------------------------------------------------------------- evaluation sets
def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """One JSON object per non-blank line."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_questions(name: str) -> list[dict[str, Any]]:
    """The questions of one evaluation set (../shared/eval/<name>/questions.jsonl)."""
    return read_jsonl(SHARED / name / "questions.jsonl")


def sample(rows: list[dict[str, Any]], kind: str, n: int, seed: int) -> list[dict[str, Any]]:
    """Up to n rows of one kind (answerable, unanswerable, out_of_domain), in a seeded order."""
    pool = [r for r in rows if r["kind"] == kind]
    random.Random(seed).shuffle(pool)
    return pool[:n]


# ---------------------------------------------------------------- synthetic KBs
def synthetic_file(f: int, texts: list[str], id_prefix: str) -> tuple[Any, list[Any]]:
    """The record and chunks of synthetic file number f (the index of its first chunk in the KB)
    holding `texts`, five chunks a page; chunk i's id is "<id_prefix>:<i>"."""
    from ragchat.kb import FileRecord
    from ragchat.types import Chunk

    doc_id, name = f"{f:064d}", f"synthetic-{f}.pdf"
    chunks = [
        Chunk(
            f"{id_prefix}:{i}",
            doc_id,
            name,
            t,
            ("S",),
            1 + i // 5,
            1 + i // 5,
            (0, len(t)),
            ordinal=i,
            n_tokens=180,
        )
        for i, t in enumerate(texts)
    ]
    count = len(texts)
    record = FileRecord(f"/synthetic/{f}.pdf", name, doc_id, "synthetic", 0, count // 5, count, 0.0)
    return record, chunks


# ---------------------------------------------------------------- the LangChain baseline
# What most tutorials do: PyMuPDFLoader -> RecursiveCharacterTextSplitter(1000, 200)
# -> HuggingFaceEmbeddings (the same packaged embedder as ragchat) -> FAISS.from_documents.
BASELINE_CHUNK_SIZE = 1000
BASELINE_CHUNK_OVERLAP = 200


def baseline_split(pdfs: Iterable[Path]) -> list[Any]:
    """The PDFs' pages loaded by PyMuPDFLoader, split into LangChain documents."""
    from langchain_community.document_loaders import PyMuPDFLoader
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = []
    for pdf in pdfs:
        docs.extend(PyMuPDFLoader(str(pdf)).load())
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=BASELINE_CHUNK_SIZE, chunk_overlap=BASELINE_CHUNK_OVERLAP
    )
    return splitter.split_documents(docs)


def baseline_embeddings() -> Any:
    """The packaged embedder through LangChain's HuggingFaceEmbeddings."""
    from langchain_huggingface import HuggingFaceEmbeddings

    from ragchat.embedder import resolve_embedder_path
    from ragchat.settings import PACKAGED_EMBEDDER

    return HuggingFaceEmbeddings(model_name=resolve_embedder_path(PACKAGED_EMBEDDER))


def baseline_index(splits: list[Any], embeddings: Any) -> Any:
    """A FAISS vector store of the split documents."""
    from langchain_community.vectorstores import FAISS

    return FAISS.from_documents(splits, embeddings)


def baseline_hits(store: Any, question: str, k: int = 5) -> list[dict[str, Any]]:
    """The baseline's top k for a question, as {file, page_start, page_end, text}."""
    out = []
    for doc in store.similarity_search(question, k=k):
        page = int(doc.metadata.get("page", 0)) + 1
        out.append(
            {
                "file": Path(doc.metadata["source"]).name,
                "page_start": page,
                "page_end": page,
                "text": doc.page_content,
            }
        )
    return out


# ---------------------------------------------------------------- process and charts
def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def chart_figure(path: Path, nrows: int = 1, ncols: int = 1, **kwargs: Any) -> Iterator[Any]:
    """A matplotlib figure (headless) whose axes the caller draws on; saved as a PNG at `path`.

    with chart_figure(out.with_suffix(".png"), figsize=(7, 3.5)) as ax: ax.bar(...)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(nrows, ncols, **kwargs)
    yield ax
    fig.tight_layout()
    fig.savefig(path, dpi=110)
