"""The Python API: one object that the CLI, the Streamlit app, LangChain and the benchmarks call.

chat = RagChat.open(Settings.load(), "manuals")
answer = chat.ask("How do I reset the device?")
stream = chat.stream("And the warranty?", history=[("How do I reset it?", answer.text)])
for piece in stream: print(piece, end="")
stream.answer.citations
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ragchat.decide import decide
from ragchat.evidence import select_evidence
from ragchat.generate import RefusalGate, refusal_threshold_for
from ragchat.kb import KBStore, open_kb
from ragchat.locate import locate_all
from ragchat.prompt import (
    REFUSAL_MARKER,
    REFUSAL_MESSAGES,
    build_evidence_messages,
    echoes_rules,
    is_refusal,
)
from ragchat.retrieval import Retrieval, Retriever
from ragchat.rewrite import rewrite_followup
from ragchat.settings import Settings
from ragchat.text import detect_lang
from ragchat.types import Answer, Citation, Evidence, Hit

History = Sequence[tuple[str, str]]  # (question, answer) pairs, oldest first
STOP_SEQUENCES = ("\nQuestion:", "<source", "<evidence", "\nEvidence:", "\n\n", "<|im_end|>")


class AnswerStream:
    """Iterate for text pieces as they are generated; `.answer` is set when iteration ends."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        yield from self._pieces


class RagChat:
    """Question answering over one knowledge base with cited, gated answers."""

    def __init__(
        self,
        settings: Settings,
        kb: KBStore,
        embedder: Any,
        generator: Any = None,
        reranker: Any = None,
    ) -> None:
        self.settings = settings
        self.kb = kb
        self.embedder = embedder
        self._generator = generator
        self._gen_lock = threading.Lock()
        self.retriever = Retriever(kb, embedder, settings, reranker)

    @classmethod
    def open(
        cls, settings: Settings, kb_name: str, *, generator: Any = None, load_generator: bool = True
    ) -> RagChat:
        """Open a KB with the configured embedder (and, lazily, the generator)."""
        from ragchat.embedder import load_embedder

        embedder = load_embedder(settings)
        kb = open_kb(settings, kb_name, embedder=embedder.name, dim=embedder.dim)
        reranker = _load_reranker(settings.reranker) if settings.reranker else None
        chat = cls(settings, kb, embedder, generator, reranker)
        if load_generator and generator is None:
            _ = chat.generator
        return chat

    @property
    def adapter(self) -> Path | None:
        if self.settings.adapter is not None:
            return Path(self.settings.adapter)
        default = self.kb.manifest.default_adapter
        return Path(default) if default else None

    @property
    def generator(self) -> Any:
        with self._gen_lock:
            if self._generator is None:
                from ragchat.generate import load_generator

                self._generator = load_generator(self.settings, self.adapter)
            return self._generator

    # ------------------------------------------------------------------ answering
    def search(self, question: str, *, k: int | None = None) -> Retrieval:
        return self.retriever.search(question, k=k)

    def ask(self, question: str, *, history: History = ()) -> Answer:
        stream = self.stream(question, history=history)
        for _ in stream:
            pass
        assert stream.answer is not None
        return stream.answer

    def stream(self, question: str, *, history: History = ()) -> AnswerStream:
        holder = AnswerStream(iter(()))
        holder._pieces = self._run(question, history, holder)
        return holder

    def _run(self, question: str, history: History, holder: AnswerStream) -> Iterator[str]:
        t0 = time.perf_counter()
        standalone = (
            rewrite_followup(question, history) if self.settings.rewrite_followups else question
        )
        retrieval = self.search(standalone)
        timings = {"retrieval": retrieval.seconds}
        lang = detect_lang(question) if question.strip() else retrieval.lang
        base = Answer(
            question=question,
            text="",
            refused=True,
            hits=retrieval.hits,
            gate_score=retrieval.gate_score,
            standalone_question=standalone if standalone != question else None,
            lang=lang,
        )
        refusal = REFUSAL_MESSAGES.get(lang, REFUSAL_MESSAGES["en"])
        if not retrieval.covered or not retrieval.hits:
            timings["total"] = time.perf_counter() - t0
            holder.answer = replace(
                base, text=refusal, timings=timings, hits=distinct_places(retrieval.candidates)
            )
            yield refusal
            return
        evidence = select_evidence(
            standalone,
            [*retrieval.hits, *self._tables_introduced(retrieval.hits)],
            lang=lang,
            weights=self.retriever.term_weights(standalone),
            embedder=self.embedder,
            k=self.settings.evidence_sentences,
        )
        timings["evidence"] = time.perf_counter() - t0 - retrieval.seconds
        if not evidence:  # everything retrieved was addressed to the assistant, or empty
            timings["total"] = time.perf_counter() - t0
            holder.answer = replace(base, text=refusal, timings=timings)
            yield refusal
            return
        draft, first = "", None
        if self.settings.answer_mode != "extractive":
            draft, first = self._draft(standalone, evidence, lang, t0)
        result = decide(draft, standalone, evidence, lang)
        timings["first_token"] = first if first is not None else 0.0
        timings["total"] = time.perf_counter() - t0
        if result.refused:
            holder.answer = replace(
                base,
                text=refusal,
                timings=timings,
                evidence=tuple(evidence),
                checks=result.checks,
                draft=draft,
            )
            yield refusal
            return
        evidence = locate_all(evidence, {e.chunk_id: self._source(e) for e in evidence})
        by_n = {e.n: e for e in evidence}
        citations = tuple(evidence_citation(by_n[n]) for n in result.cited if n in by_n)
        holder.answer = replace(
            base,
            text=result.text,
            refused=False,
            citations=citations,
            timings=timings,
            evidence=tuple(evidence),
            checks=result.checks,
            fallback=result.fallback,
            draft=draft,
        )
        yield result.text

    def _draft(
        self, question: str, evidence: Sequence[Evidence], lang: str, t0: float
    ) -> tuple[str, float | None]:
        """The model's short answer over the evidence (stopped early once it refuses or starts
        reciting its rules)."""
        messages = build_evidence_messages(question, evidence, lang)
        kwargs: dict[str, Any] = {}
        gate = self._refusal_gate()
        if gate is not None:
            kwargs["refusal_gate"] = gate
        stream = iter(
            self.generator.stream(
                messages,
                max_new_tokens=self.settings.max_new_tokens,
                temperature=self.settings.temperature,
                stop=STOP_SEQUENCES,
                **kwargs,
            )
        )
        first, text = None, ""
        for piece in stream:
            if first is None:
                first = time.perf_counter() - t0
            text += piece
            if is_refusal(text[: len(REFUSAL_MARKER) + 4]) or echoes_rules(text[-400:]):
                close = getattr(stream, "close", None)
                if close:
                    close()  # stops the generation thread
                break
        if echoes_rules(text) or (gate is not None and (gate.probability or 0.0) >= gate.threshold):
            text = REFUSAL_MARKER
        return text, first

    def _refusal_gate(self) -> RefusalGate | None:
        """A first-token refusal gate for local models that have a calibrated threshold."""
        import inspect

        if "refusal_gate" not in inspect.signature(self.generator.stream).parameters:
            return None
        threshold = self.settings.refusal_threshold
        if threshold is None:
            threshold = refusal_threshold_for(self.generator, self.adapter)
        return RefusalGate(REFUSAL_MARKER, threshold) if threshold is not None else None

    def _tables_introduced(self, hits: Sequence[Hit]) -> list[Hit]:
        """The table that follows a hit ending in "...as follows (in millions):" or a header
        line: the figures a question asks for are often in the next chunk."""
        wanted = {
            f"{h.chunk.doc_id[:16]}:{h.chunk.ordinal + 1}": h
            for h in hits
            if h.chunk.kind != "table" and _INTRODUCES_TABLE.search(h.chunk.text[-200:])
        }
        have = {h.chunk.chunk_id for h in hits}
        finder = getattr(self.kb, "chunks_by_id", None)
        if not wanted or finder is None:
            return []
        return [
            Hit(c, wanted[c.chunk_id].score, wanted[c.chunk_id].rank)
            for c in finder([i for i in wanted if i not in have])
            if c.kind == "table" or c.text.lstrip().startswith("|")
        ]

    def _source(self, e: Evidence) -> str | None:
        finder = getattr(self.kb, "source_path", None)
        if finder is None:
            return None
        from ragchat.types import Chunk

        try:
            return finder(Chunk(e.chunk_id, "", e.file, "", (), e.page, e.page, (0, 0)))
        except Exception:  # a store that cannot say: highlight the chunk instead
            return None


_INTRODUCES_TABLE = re.compile(
    r":\s*$|\b(?:as follows|following table|table below)\b|\b(?:Three|Six|Nine|Twelve) Months Ended"
    r"|如下[:：]?\s*$|见下表",
    re.IGNORECASE,
)


def distinct_places(hits: Sequence[Hit], n: int = 3) -> tuple[Hit, ...]:
    """The best hits on distinct (file, page) places: where to look after a refusal."""
    out: list[Hit] = []
    seen: set[tuple[str, int]] = set()
    for h in hits:
        key = (h.chunk.file, h.chunk.page_start)
        if key not in seen:
            seen.add(key)
            out.append(h)
        if len(out) == n:
            break
    return tuple(out)


def evidence_citation(e: Evidence) -> Citation:
    return Citation(
        n=e.n,
        file=e.file,
        page=e.page,
        heading_path=e.heading_path,
        quote=e.text,
        chunk_id=e.chunk_id,
        page_end=e.page,
        bboxes=e.bboxes,
    )


def _load_reranker(spec: str) -> Any:
    try:
        from sentence_transformers import CrossEncoder

        return CrossEncoder(spec, device="cpu")
    except Exception as exc:  # any load failure becomes one clear error
        from ragchat.errors import ModelError

        raise ModelError(f"reranker {spec!r} could not be loaded ({exc})") from exc
