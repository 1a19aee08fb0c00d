"""Which Self-QA questions the training data takes, in what order: documents in turn, so a
budget that runs out early still covers every document, and question kinds in turn, so that no
kind crowds out the others."""

from __future__ import annotations

import random
import re

from finetune.questions import QA, questions_for
from ragchat.types import Chunk

# A table chunk states one fact per row where a prose chunk of the same size holds a handful of
# sentences: it may give this many more questions (a 101-page 10-Q KB: 387 -> 416 questions,
# 39.6 -> 41 per 10 pages; its prose, "we regularly assess the likelihood of …", states few facts).
TABLE_EXTRA = 2


def round_robin(chunks: list[Chunk]) -> list[Chunk]:
    """One chunk of each document in turn, so a question budget that runs out early still
    covers every document, the validation ones included."""
    by_doc: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c)
    queues = list(by_doc.values())
    out: list[Chunk] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out += [q[i] for q in queues if i < len(q)]
    return out


def balanced(chunks: list[Chunk], per_chunk: int, rng: random.Random) -> list[tuple[Chunk, QA]]:
    """Every chunk's questions (`per_chunk`, `TABLE_EXTRA` more from a table), ordered so that
    no kind crowds out the others: the first question of each kind, then the second of each, and
    so on (chunks stay in their order within a round). Every kind whose answer holds a digit counts as one kind, "number": the Chinese
    rules have two number kinds (years, amounts) against few word kinds, and the adapter drafted a
    number for who- and what-questions (a Chinese KB gave 52 % year questions and its adapter
    answered "1990年" to who-questions; 71 % of its questions still asked for a number, against 19 %
    of human questions about the same pages)."""
    ranked: list[tuple[int, int, Chunk, QA]] = []
    per_kind: dict[str, int] = {}
    seen: set[str] = set()  # overlapping chunks share sentences: each question once
    for ci, chunk in enumerate(chunks):
        table = chunk.kind == "table"
        qas = questions_for(chunk.text, rng, per_chunk + TABLE_EXTRA * table, table)
        for qa in qas:
            if qa.question in seen:
                continue
            seen.add(qa.question)
            kind = "number" if re.search(r"\d", qa.answer) else qa.kind
            ranked.append((per_kind.get(kind, 0), ci, chunk, qa))
            per_kind[kind] = per_kind.get(kind, 0) + 1
    ranked.sort(key=lambda t: (t[0], t[1]))
    return [(chunk, qa) for _, _, chunk, qa in ranked]
