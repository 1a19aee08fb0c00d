"""The Python API: one object that the CLI, the Streamlit app, LangChain and the benchmarks call.

chat = RagChat.open(Settings.load(), "manuals")
answer = chat.ask("How do I reset the device?")
stream = chat.stream("And the warranty?", history=[("How do I reset it?", answer.text)])
for piece in stream: print(piece, end="")
stream.answer.citations

`RagChat.open` is the seam callers configure: `embedder=` reuses a loaded embedder,
`generator=` a loaded generator, and `adapter=` picks the LoRA adapter: a directory,
`DEFAULT_ADAPTER` (settings.adapter, else the KB manifest's default_adapter) or `NO_ADAPTER`
(the base model, even when the KB has a default adapter).
"""

from __future__ import annotations

import enum
import inspect
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ragchat.acronyms import spelled_out
from ragchat.citations import citations_for, distinct_places, locate_evidence
from ragchat.confidence import answer_confidence
from ragchat.decide import decide, points_only, refusal_overridden
from ragchat.evidence import select_evidence
from ragchat.expansion import asked_acronym, expansion_answer, spelled_out_in
from ragchat.guard import finished_part, refusal_gate, refuse, settle_draft, stop_drafting
from ragchat.kb import FileRecord, KBStore, open_kb
from ragchat.neighbours import sentences_before, tables_introduced
from ragchat.overview import asks_about_the_documents, overview
from ragchat.prompt import EXAMPLE_ANSWER, build_evidence_messages
from ragchat.retrieval import Retrieval, Retriever
from ragchat.rewrite import rewrite_followup, weigh_followup
from ragchat.settings import Settings
from ragchat.table_text import is_table, names_a_row
from ragchat.text import detect_lang
from ragchat.types import Answer, Evidence, Hit

History = Sequence[tuple[str, str]]  # (question, answer) pairs, oldest first
ROWS_NAMED = 2  # tables from below the hits whose row the question names (`rows_named`)
STOP_SEQUENCES = ("\nQuestion:", "<source", "<evidence", "\nEvidence:", "\n\n", "<|im_end|>")


class AdapterChoice(enum.Enum):
    """The adapter choices that are not a directory."""

    KB_DEFAULT = "the KB default"  # settings.adapter, else the manifest's default_adapter
    NONE = "no adapter"  # the base model

    def __repr__(self) -> str:
        return f"<{self.value}>"


DEFAULT_ADAPTER = AdapterChoice.KB_DEFAULT
NO_ADAPTER = AdapterChoice.NONE
Adapter = AdapterChoice | Path | str  # what `adapter=` accepts


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
        *,
        adapter: Adapter = DEFAULT_ADAPTER,
    ) -> None:
        self.settings = settings
        self.kb = kb
        self.embedder = embedder
        self._generator = generator
        self._adapter = adapter
        self._gen_lock = threading.Lock()
        self.retriever = Retriever(kb, embedder, settings, reranker)

    @classmethod
    def open(
        cls,
        settings: Settings,
        kb: str,
        *,
        embedder: Any = None,
        generator: Any = None,
        adapter: Adapter = DEFAULT_ADAPTER,
        load_generator: bool = True,
    ) -> RagChat:
        """Open the KB named `kb` with `embedder` (default: the configured one) and, unless
        `load_generator` is false (then on the first answer that needs it), the generator for
        `adapter`; a given `generator` is used as it is."""
        if embedder is None:
            from ragchat.embedder import load_embedder

            embedder = load_embedder(settings)
        store = open_kb(settings, kb, embedder=embedder.name, dim=embedder.dim)
        reranker = _load_reranker(settings.reranker) if settings.reranker else None
        chat = cls(settings, store, embedder, generator, reranker, adapter=adapter)
        if load_generator and generator is None:
            _ = chat.generator
        return chat

    @property
    def adapter(self) -> Path | None:
        """The adapter directory the generator runs with (None: the base model)."""
        if self._adapter is NO_ADAPTER:
            return None
        if not isinstance(self._adapter, AdapterChoice):
            return Path(self._adapter)
        if self.settings.adapter is not None:
            return Path(self.settings.adapter)
        default = self.kb.manifest.default_adapter
        return Path(default) if default else None

    @property
    def generator(self) -> Any:
        with self._gen_lock:
            if self._generator is None:
                from ragchat.generation import load_generator

                self._generator = load_generator(self.settings, self.adapter)
            return self._generator

    # ------------------------------------------------------------------ answering
    def search(self, question: str, *, k: int | None = None) -> Retrieval:
        """The question's passages and gate score; its acronyms are searched spelled out too
        ("R&D (research and development)", `ragchat.acronyms`)."""
        return self.retriever.search(spelled_out(question), k=k)

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
        holder.answer = self._answer(question, history)
        yield holder.answer.text

    def _answer(self, question: str, history: History) -> Answer:
        """Retrieve, gate, select evidence, draft, verify and decide: the finished answer."""
        t0 = time.perf_counter()
        if asks_about_the_documents(question) and (files := self.kb.files()):
            return self._overview(question, files, t0)
        standalone = (
            rewrite_followup(question, history) if self.settings.rewrite_followups else question
        )
        if (acronym := asked_acronym(standalone)) and (
            spelled := spelled_out_in(self.kb, acronym)
        ):  # "What does DER stand for?": where the documents spell it out (`ragchat.expansion`)
            answer = expansion_answer(question, standalone, spelled, self.kb)
            return replace(answer, timings={"total": time.perf_counter() - t0})
        retrieval = self.search(standalone)
        timings = {"retrieval": retrieval.seconds}
        base = _unanswered(question, standalone, retrieval)
        if not retrieval.covered or not retrieval.hits:
            timings["total"] = time.perf_counter() - t0
            return refuse(base, timings, hits=distinct_places(retrieval.candidates))
        evidence = self._evidence(standalone, retrieval.hits, base.lang, retrieval.candidates)
        timings["evidence"] = time.perf_counter() - t0 - retrieval.seconds
        if not evidence:  # everything retrieved was addressed to the assistant, or empty
            timings["total"] = time.perf_counter() - t0
            return refuse(base, timings)
        draft, first, confidence = "", None, None
        if self.settings.answer_mode != "extractive":
            draft, first, confidence = self._draft(standalone, evidence, base.lang, t0)
        result = decide(draft, standalone, evidence, base.lang, confidence=confidence)
        timings["first_token"] = first if first is not None else 0.0
        timings["total"] = time.perf_counter() - t0
        if result.refused:
            return refuse(
                base,
                timings,
                evidence=tuple(evidence),
                checks=result.checks,
                draft=draft,
                confidence=confidence,
            )
        located = locate_evidence(self.kb, evidence)
        return replace(
            base,
            text=result.text,
            refused=False,
            citations=citations_for(located, result.cited),
            timings=timings,
            evidence=tuple(located),
            checks=result.checks,
            fallback=result.fallback,
            draft=draft,
            confidence=confidence,
        )

    def _overview(self, question: str, files: Sequence[FileRecord], t0: float) -> Answer:
        """The documents listed (`ragchat.overview`) for a question about them, not their text."""
        lang = detect_lang(question)
        text, citations = overview(files, self.kb.chunks_of, lang)
        return Answer(
            question=question,
            text=text,
            refused=False,
            citations=citations,
            timings={"total": time.perf_counter() - t0},
            lang=lang,
        )

    def _evidence(
        self, question: str, hits: Sequence[Hit], lang: str, candidates: Sequence[Hit] = ()
    ) -> list[Evidence]:
        """The numbered evidence sentences of the hits, of the tables they introduce, and of
        the tables further down the candidates that hold a row the question names."""
        searched = spelled_out(question)  # "R&D" names the "Research and development" row
        return select_evidence(
            searched,
            [*hits, *tables_introduced(self.kb, hits), *rows_named(searched, hits, candidates)],
            lang=lang,
            weights=weigh_followup(self.retriever.term_weights(searched), searched),
            embedder=self.embedder,
            k=self.settings.evidence_sentences,
            before=sentences_before(self.kb, hits, lang),
        )

    def _draft(
        self, question: str, evidence: Sequence[Evidence], lang: str, t0: float
    ) -> tuple[str, float | None, float | None]:
        """The model's short answer over the evidence (stopped early once it refuses or starts
        reciting its rules), when its first token came, and how sure the model was of it (local
        models: `ragchat.confidence`). A draft that only copied the prompt's example answer is
        drafted again with that answer banned (`copied_example`)."""
        messages = build_evidence_messages(question, evidence, lang)
        gate = refusal_gate(
            self.generator,
            self.settings.refusal_threshold,
            self.adapter,
            may_refuse=not refusal_overridden(evidence, lang),
        )
        text, first, confidence = self._generate(messages, gate, None, t0)
        banned: tuple[str, ...] = ()
        if copied_example(text, question, evidence, lang):
            banned = (EXAMPLE_ANSWER[lang],)
        elif (pointer := points_only(text, evidence)) is not None:
            banned = ("[", pointer)
        if banned and _takes(self.generator, "ban"):
            from ragchat.generation import FirstTokenBan

            again, _, again_confidence = self._generate(messages, gate, FirstTokenBan(banned), t0)
            if again.strip() and points_only(again, evidence) is None:
                text, confidence = again, again_confidence
        return settle_draft(text, gate), first, confidence

    def _generate(
        self, messages: list[dict[str, str]], gate: Any, ban: Any, t0: float
    ) -> tuple[str, float | None, float | None]:
        kwargs: dict[str, Any] = {} if gate is None else {"refusal_gate": gate}
        if ban is not None:
            kwargs["ban"] = ban
        trace = _token_trace(self.generator)
        if trace is not None:
            kwargs["trace"] = trace
        stream = iter(
            self.generator.stream(
                messages,
                max_new_tokens=self.settings.max_new_tokens,
                temperature=self.settings.temperature,
                stop=STOP_SEQUENCES,
                **kwargs,
            )
        )
        first, text, stopped = None, "", False
        for piece in stream:
            if first is None:
                first = time.perf_counter() - t0
            text += piece
            if stopped := stop_drafting(text):
                close = getattr(stream, "close", None)
                if close:
                    close()  # stops the generation thread
                break
        confidence = None
        if trace is not None:
            confidence = answer_confidence(trace.steps, self.generator.tokenizer)
            if not stopped and len(trace.steps) >= self.settings.max_new_tokens:
                text = finished_part(text)  # the token limit cut it off
        return text, first, confidence


def rows_named(question: str, hits: Sequence[Hit], candidates: Sequence[Hit]) -> list[Hit]:
    """Table chunks ranked below the hits that hold a row whose label the question names in
    full (`ragchat.table_text.names_a_row`), at most ROWS_NAMED, those whose row also names
    the question's date first. A statement's rows all share the question's period words
    ("Three Months Ended June 25, 2022"), so the chunk holding "Net income" can rank 17th of 30
    while four other tables fill the hits; the evidence scorer then weighs its row against
    theirs."""
    have = {h.chunk.chunk_id for h in hits}
    found = [
        (h, named)
        for h in candidates
        if h.chunk.chunk_id not in have
        and is_table(h.chunk)
        and (named := names_a_row(h.chunk.text, question))
    ]
    found.sort(key=lambda f: f[1] != "period")  # the row of the asked date first
    return [h for h, _ in found[:ROWS_NAMED]]


def copied_example(draft: str, question: str, evidence: Sequence[Evidence], lang: str) -> bool:
    """Is the draft only the prompt's example answer ("Rollo [1]") where it cannot be the answer:
    the best evidence sentence does not state it, or the question names it itself? A small model
    copies the example when it cannot find the answer (Qwen2.5-0.5B: four of six who-questions
    about the Normans' sample, whose answer the evidence held); drafted again without it, it
    mostly names the person the evidence gives."""
    body = re.sub(r"\[\d{1,2}\]", "", draft).strip().strip(".。 ").lower()
    example = EXAMPLE_ANSWER.get(lang, "").lower()
    if not example or body != example or not evidence:
        return False
    return example not in evidence[0].text.lower() or example in question.lower()


def _takes(generator: Any, parameter: str) -> bool:
    """Does the generator's stream() take this keyword (local generators do)?"""
    return parameter in inspect.signature(generator.stream).parameters


def _token_trace(generator: Any) -> Any:
    """A TokenTrace for a local generator that takes one (else None)."""
    if not _takes(generator, "trace"):
        return None
    from ragchat.generation import TokenTrace

    return TokenTrace()


def _unanswered(question: str, standalone: str, retrieval: Retrieval) -> Answer:
    """The answer before evidence and drafting: refused, with what retrieval found and the
    question's language."""
    return Answer(
        question=question,
        text="",
        refused=True,
        hits=retrieval.hits,
        gate_score=retrieval.gate_score,
        standalone_question=standalone if standalone != question else None,
        lang=detect_lang(question) if question.strip() else retrieval.lang,
    )


def _load_reranker(spec: str) -> Any:
    try:
        from sentence_transformers import CrossEncoder

        return CrossEncoder(spec, device="cpu")
    except Exception as exc:  # any load failure becomes one clear error
        from ragchat.errors import ModelError

        raise ModelError(f"reranker {spec!r} could not be loaded ({exc})") from exc
