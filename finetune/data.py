"""Training data from a knowledge base alone (users have no labels), in the grounded-answer
format the pipeline uses at inference.

Every example goes through the inference path: the question is retrieved, the evidence sentences
are chosen by `ragchat.evidence.select_evidence` and the messages are built by
`ragchat.prompt.build_evidence_messages`. Kinds:
- grounded: a Self-QA question (finetune.questions) whose source chunk is placed RAFT-style at a
  random rank among real retriever distractors; target = the short answer span + its [n];
- followup: the same with a follow-up turn, rewritten as the app rewrites it;
- no_oracle: the question with the answer's sentences cut from its chunk (same topic, answer
  absent, like SQuAD 2.0's unanswerable questions); target = the refusal marker;
- swapped: a question whose entity was swapped for another of the KB; target = refusal;
- out_of_domain: bundled general questions over what the retriever finds for them; refusal.
Examples are split into train and validation by document, so validation documents are unseen.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from finetune.near_miss import near_miss
from finetune.questions import (
    COPY_THRESHOLD,
    QA,
    copy_overlap,
    entities_of,
    swap_entity,
)
from finetune.selection import balanced, round_robin
from ragchat.evidence import select_evidence
from ragchat.prompt import build_evidence_messages, refusal_target
from ragchat.rewrite import rewrite_followup
from ragchat.sentences import split_sentences
from ragchat.text import detect_lang, lexical_tokens
from ragchat.types import Chunk, Evidence, Hit

OOD_FILE = Path(__file__).with_name("ood_questions.txt")
REFUSAL_KINDS = ("no_oracle", "swapped", "near_miss", "out_of_domain")


@dataclass(frozen=True)
class Example:
    id: str
    kind: str  # grounded | followup | no_oracle | swapped | near_miss | out_of_domain
    doc_id: str
    lang: str
    question: str
    answer: str | None
    messages: list[dict[str, str]]
    target: str
    split: str = "train"
    source_sentence: str = ""


@dataclass(frozen=True)
class DataConfig:
    questions_per_chunk: int = 4
    max_grounded: int = 420
    val_grounded: int = 120  # from validation documents before the training ones are used up
    no_oracle_share: float = 0.15  # of grounded questions, also asked with the answer cut out
    swapped_share: float = 0.20
    near_miss_share: float = 0.3  # of grounded questions, also asked with one detail changed
    followup_share: float = 0.10
    ood_share: float = 0.12  # of all examples
    distractors: int = 3
    shuffle_share: float = 0.5  # grounded examples whose evidence order is shuffled
    val_share: float = 0.2
    max_copy_share: float = 0.15  # questions over the copy threshold kept at most
    writer_minutes: float = 0.0  # > 0: the generator also writes questions (finetune.writer)
    seed: int = 0


def ood_questions() -> list[str]:
    return [q.strip() for q in OOD_FILE.read_text(encoding="utf-8").splitlines() if q.strip()]


def split_of(key: str, val_share: float) -> str:
    bucket = int(hashlib.sha1(key.encode()).hexdigest(), 16) % 1000
    return "val" if bucket < val_share * 1000 else "train"


class _Builder:
    """Holds the open pipeline (retriever, embedder, settings) while examples are made."""

    def __init__(self, chat: Any, config: DataConfig, val_docs: set[str]) -> None:
        self.chat, self.config, self.val_docs = chat, config, val_docs
        self.rng = random.Random(config.seed)
        self._found: dict[str, list[Hit]] = {}

    def candidates(self, question: str) -> list[Hit]:
        """The retriever's candidates, searched once per question (the grounded example, its
        answer-cut twin and the swap check all ask the same question)."""
        if question not in self._found:
            self._found[question] = list(self.chat.retriever.search(question).candidates)
        return self._found[question]

    def evidence(self, question: str, hits: list[Hit], lang: str) -> list[Evidence]:
        return select_evidence(
            question,
            hits,
            lang=lang,
            weights=self.chat.retriever.term_weights(question),
            embedder=self.chat.embedder,
            k=self.chat.settings.evidence_sentences,
        )

    def distractors(
        self, question: str, oracle: Chunk | None, answer: str, split: str
    ) -> list[Hit]:
        out = []
        for hit in self.candidates(question):
            c = hit.chunk
            if oracle is not None and c.chunk_id == oracle.chunk_id:
                continue
            if answer and answer in c.text:
                continue
            if split == "train" and c.doc_id in self.val_docs:
                continue  # validation documents stay unseen by training
            out.append(hit)
            if len(out) >= self.config.distractors:
                break
        return out

    def raft(self, oracle: Chunk, distractors: list[Hit]) -> list[Hit]:
        """The oracle among the distractors at a random rank (ranks renumbered)."""
        hits = list(distractors)
        top = hits[0].score if hits else 1.0
        hits.insert(self.rng.randint(0, len(hits)), Hit(oracle, top, 0))
        return [replace(h, rank=i + 1) for i, h in enumerate(hits)]

    def grounded(self, qa: QA, chunk: Chunk, split: str, question: str | None = None) -> Any:
        lang = detect_lang(qa.question)
        asked = question or qa.question
        hits = self.raft(chunk, self.distractors(asked, chunk, qa.answer, split))
        ev = self.shuffled(self.evidence(asked, hits, lang))
        n = next((e.n for e in ev if qa.answer in e.text), None)
        if n is None:  # the evidence selection missed the answer: not a clean example
            return None
        kind = "followup" if question else "grounded"
        return self.example(
            chunk.chunk_id + ":" + kind[0],
            kind,
            chunk,
            lang,
            asked,
            qa,
            ev,
            f"{qa.answer} [{n}]",
            split,
        )

    def shuffled(self, ev: list[Evidence]) -> list[Evidence]:
        """The evidence in a random order (renumbered) for a share of the examples. The best
        sentence comes first at inference, and a generated question shares words with its own
        sentence, so without this nearly every target cites [1] and the model learns to answer
        from the first sentence instead of the one that answers."""
        if len(ev) < 2 or self.rng.random() >= self.config.shuffle_share:
            return ev
        order = list(ev)
        self.rng.shuffle(order)
        return [replace(e, n=i + 1) for i, e in enumerate(order)]

    def no_oracle(self, qa: QA, chunk: Chunk, split: str) -> Any:
        lang = detect_lang(qa.question)
        sentences = [chunk.text[a:b] for a, b in split_sentences(chunk.text)]
        kept = [t for t in sentences if qa.answer not in t]
        cut = replace(chunk, text=" ".join(kept) if lang == "en" else "".join(kept))
        hits = self.raft(cut, self.distractors(qa.question, chunk, qa.answer, split))
        ev = self.evidence(qa.question, hits, lang)
        if not ev or any(qa.answer in e.text for e in ev):
            return None
        return self.example(
            chunk.chunk_id + ":n",
            "no_oracle",
            chunk,
            lang,
            qa.question,
            qa,
            ev,
            refusal_target(),
            split,
        )

    def swapped(self, qa: QA, chunk: Chunk, entities: list[str], split: str) -> Any:
        twin = swap_entity(qa, entities, self.rng)
        if twin is None:
            return None
        lang = detect_lang(twin.question)
        new = [e for e in entities if e in twin.question and e not in qa.question]
        if self.answerable_elsewhere(twin.question, new):
            return None  # the KB may answer the twin after all: not a clean refusal
        hits = self.distractors(twin.question, None, "", split)
        ev = self.evidence(twin.question, hits, lang)
        if not ev or any(w in e.text for e in ev for w in new):
            return None
        return self.example(
            chunk.chunk_id + ":s",
            "swapped",
            chunk,
            lang,
            twin.question,
            twin,
            ev,
            refusal_target(),
            split,
        )

    def near_miss(self, qa: QA, chunk: Chunk, split: str) -> Any:
        """The question with one detail changed (`finetune.near_miss`) over evidence that still
        holds its sentence: a refusal."""
        made = near_miss(qa.question, chunk.text, self.rng)
        if made is None:
            return None
        twin, new = made
        lang = detect_lang(twin)
        hits = self.raft(chunk, self.distractors(twin, chunk, qa.answer, split))
        ev = self.shuffled(self.evidence(twin, hits, lang))
        if not any(qa.answer in e.text for e in ev) or (new and any(new in e.text for e in ev)):
            return None  # the sentence that almost answers it is kept; the new value is nowhere
        return self.example(
            chunk.chunk_id + ":m", "near_miss", chunk, lang, twin, qa, ev, refusal_target(), split
        )

    def answerable_elsewhere(self, question: str, new: list[str]) -> bool:
        """Does a retrieved chunk hold the swapped-in entity together with most of the rest of
        the question ("hall number 3 of Caen" when Rouen's was asked)?"""
        rest = set(lexical_tokens(question)) - {t for w in new for t in lexical_tokens(w)}
        for hit in self.candidates(question):
            text = hit.chunk.text
            if any(w in text for w in new) and rest:
                have = set(lexical_tokens(text))
                if len(rest & have) / len(rest) >= 0.6:
                    return True
        return False

    def example(
        self,
        id_: str,
        kind: str,
        chunk: Chunk | None,
        lang: str,
        question: str,
        qa: QA | None,
        ev: list[Evidence],
        target: str,
        split: str,
    ) -> Example:
        return Example(
            id=id_,
            kind=kind,
            doc_id=chunk.doc_id if chunk else "ood",
            lang=lang,
            question=question,
            answer=qa.answer if qa and kind in ("grounded", "followup") else None,
            messages=build_evidence_messages(question, ev, lang),
            target=target,
            split=split,
            source_sentence=qa.sentence if qa else "",
        )


def build_examples(
    chat: Any, config: DataConfig = DataConfig(), progress: Callable[[int, int], None] | None = None
) -> list[Example]:
    rng = random.Random(config.seed)
    kb = chat.kb
    chunks = [c for f in kb.files() for c in kb.chunks_of(f.path)]
    rng.shuffle(chunks)
    chunks = round_robin(chunks)
    docs = sorted({c.doc_id for c in chunks})
    val_docs = {d for d in docs if split_of(d, config.val_share) == "val"}
    if not val_docs and len(docs) > 1:
        val_docs = {docs[0]}  # always validate on at least one unseen document
    if len(val_docs) == len(docs) and len(docs) > 1:
        val_docs.discard(docs[-1])
    b = _Builder(chat, config, val_docs)
    entities = sorted({e for c in chunks for e in entities_of(c.text)})
    examples: list[Example] = []
    sources: list[tuple[QA, Chunk, str]] = []  # grounded questions, for the writer
    made: dict[str, list[QA]] = {}  # grounded questions per chunk, for the follow-ups
    copies, grounded, in_val = 0, 0, 0
    order = balanced(chunks, config.questions_per_chunk, rng)
    later: list[tuple[Chunk, QA]] = []  # validation questions past the cap: if budget is left
    done = 0
    for first_pass, pairs in ((True, order), (False, later)):
        for chunk, qa in pairs:
            if grounded >= config.max_grounded:
                break
            split = "val" if chunk.doc_id in val_docs else "train"
            if first_pass and split == "val" and in_val >= config.val_grounded:
                later.append((chunk, qa))  # enough to calibrate and evaluate: training first
                continue
            done += 1
            if copy_overlap(qa.question, qa.sentence) > COPY_THRESHOLD:
                if copies + 1 > config.max_copy_share * (len(examples) + 10):
                    continue
                copies += 1
            if ex := b.grounded(qa, chunk, split):
                examples.append(ex)
                sources.append((qa, chunk, split))
                made.setdefault(chunk.chunk_id, []).append(qa)
                grounded += 1
                in_val += split == "val"
            if rng.random() < config.no_oracle_share and (ex := b.no_oracle(qa, chunk, split)):
                examples.append(ex)
            if rng.random() < config.swapped_share and (
                ex := b.swapped(qa, chunk, entities, split)
            ):
                examples.append(ex)
            if rng.random() < config.near_miss_share and (ex := b.near_miss(qa, chunk, split)):
                examples.append(ex)
            if progress:
                progress(done, len(order))
    examples += _followups(b, chunks, made, config, rng)
    if config.writer_minutes > 0:
        examples += _written(b, sources, config.writer_minutes, rng)
    examples += _out_of_domain(b, config, len(examples), rng)
    return examples


def _followups(
    b: _Builder,
    chunks: list[Chunk],
    made: dict[str, list[QA]],
    config: DataConfig,
    rng: random.Random,
) -> list[Example]:
    """A second question about the same chunk asked as a follow-up ("And when ...?"),
    rewritten as the app rewrites it."""
    out = []
    for chunk in chunks:
        qas = made.get(chunk.chunk_id, [])
        if len(qas) < 2 or rng.random() >= config.followup_share * 3:
            continue
        first, second = qas[0], qas[1]
        split = "val" if chunk.doc_id in b.val_docs else "train"
        lead = "And " if detect_lang(second.question) == "en" else "那"
        follow = lead + second.question[:1].lower() + second.question[1:]
        asked = rewrite_followup(follow, [(first.question, first.answer)])
        if ex := b.grounded(second, chunk, split, question=asked):
            out.append(ex)
    return out


def _written(
    b: _Builder, asked: list[tuple[QA, Chunk, str]], minutes: float, rng: random.Random
) -> list[Example]:
    """Grounded examples whose questions the base generator wrote (finetune.writer)."""
    from finetune.writer import written
    from ragchat.generation import load_generator

    generator = load_generator(b.chat.settings, None)  # the base model, never an old adapter
    by_id = {c.chunk_id: (c, split) for _, c, split in asked}
    order = list(asked)
    rng.shuffle(order)
    out = []
    for qa, chunk_id in written(generator, ((q, c.text, c.chunk_id) for q, c, _ in order), minutes):
        chunk, split = by_id[chunk_id]
        if ex := b.grounded(qa, chunk, split):
            out.append(replace(ex, id=ex.id + "w"))
    return out


def _out_of_domain(
    b: _Builder, config: DataConfig, n_before: int, rng: random.Random
) -> list[Example]:
    want = int(n_before * config.ood_share / max(1e-9, 1 - config.ood_share))
    langs = {e for e in ("en", "zh")}
    pool = [q for q in ood_questions() if detect_lang(q) in langs]
    rng.shuffle(pool)
    out: list[Example] = []
    for j, q in enumerate(pool):
        if len(out) >= want:
            break
        split = "val" if split_of(q, 0.3) == "val" else "train"  # eval keeps unseen ones
        hits = b.chat.retriever.search(q).candidates[: config.distractors + 1]
        if not hits:
            continue
        lang = detect_lang(q)
        ev = b.evidence(q, list(hits), lang)
        if ev:
            out.append(
                b.example(
                    f"ood:{j}", "out_of_domain", None, lang, q, None, ev, refusal_target(), split
                )
            )
    return out
