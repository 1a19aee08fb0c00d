"""LangChain integration: a retriever over a ragchat KB, and the answer pipeline as a Runnable.

from ragchat.langchain import RagchatRetriever, answer_runnable
retriever = RagchatRetriever(kb="manuals", k=4)
docs = retriever.invoke("How do I reset the device?")
chain = answer_runnable(kb="manuals")      # str -> ragchat.types.Answer
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict, Field

from ragchat.settings import Settings
from ragchat.types import Hit


class RagchatRetriever(BaseRetriever):
    """Hybrid (dense + BM25) retrieval over a ragchat knowledge base."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kb: str = Field(description="Knowledge base name.")
    k: int = Field(default=4, description="Number of documents to return.")
    home: str | None = Field(default=None, description="Data home (default: settings/env).")
    include_uncovered: bool = Field(
        default=True,
        description="Return hits even when the coverage gate says the KB does not cover the query.",
    )

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        chat = _open(self.home, self.kb, load_generator=False)
        result = chat.retriever.search(query, k=max(k, 1))
        if not result.covered and not self.include_uncovered:
            return []
        return [hit_to_document(h, result.gate_score) for h in result.candidates[:k]]


def hit_to_document(hit: Hit, gate_score: float | None = None) -> Document:
    c = hit.chunk
    return Document(
        page_content=c.text,
        id=c.chunk_id,
        metadata={
            "file": c.file,
            "page_start": c.page_start,
            "page_end": c.page_end,
            "heading_path": list(c.heading_path),
            "score": hit.score,
            "rank": hit.rank,
            "chunk_id": c.chunk_id,
            "gate_score": gate_score,
        },
    )


def answer_runnable(kb: str, home: str | None = None) -> Runnable[Any, Any]:
    """The full pipeline (retrieve, gate, generate, cite) as a Runnable: question -> Answer.

    Input is a question string, or a dict with "question" and optional "history"
    ([(question, answer), ...]).
    """

    def run(inp: Any) -> Any:
        chat = _open(home, kb, load_generator=True)
        if isinstance(inp, dict):
            return chat.ask(str(inp["question"]), history=inp.get("history", ()))
        return chat.ask(str(inp))

    return RunnableLambda(run, name="ragchat_answer")


@lru_cache(maxsize=8)
def _open(home: str | None, kb: str, *, load_generator: bool) -> Any:
    from ragchat.pipeline import RagChat

    settings = Settings.load({"home": home})
    return RagChat.open(settings, kb, load_generator=load_generator)
