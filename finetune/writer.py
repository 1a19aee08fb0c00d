"""Questions written by the configured generator, for variety beyond the rule templates.

The model gets one source sentence and the answer span and writes one question in its own
words. A question is kept only if it ends with a question mark, does not contain the answer,
does not copy its sentence (`copy_overlap`), is a plausible length, and its answer occurs
verbatim in the source chunk, and the answer has the type the question asks for
(`ragchat.answer_type`: no "When ...?" for the answer "Manakin Town"). Writing costs a
generation per question (about 2.5 s with the 0.5B default on 2 CPU cores, and about half the
questions pass the checks), so it runs within a time budget (`build-data --writer-minutes N`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from finetune.questions import COPY_THRESHOLD, QA, copy_overlap
from ragchat.answer_type import fits_question

PROMPT = {
    "en": (
        "You write one short exam question about a sentence. The given answer must answer it."
        " Use your own words; do not copy the sentence. Reply with the question only."
    ),
    "zh": "你根据一个句子出一道简短的考题，给定的答案必须能回答它。用自己的话，不要照抄句子。只回复问题本身。",
}


def write_question(generator: Any, qa: QA, lang: str) -> QA | None:
    """The generator's question for the same answer, or None if it fails the checks."""
    key = "zh" if lang == "zh" else "en"
    label = ("句子", "答案", "问题") if key == "zh" else ("Sentence", "Answer", "Question")
    messages = [
        {"role": "system", "content": PROMPT[key]},
        {
            "role": "user",
            "content": f"{label[0]}: {qa.sentence}\n{label[1]}: {qa.answer}\n{label[2]}:",
        },
    ]
    text = "".join(generator.stream(messages, max_new_tokens=48, temperature=0.0, stop=("\n",)))
    question = text.strip().strip('"“”')
    return checked(QA(question, qa.answer, "llm", qa.sentence), key)


def checked(qa: QA, lang: str) -> QA | None:
    q = qa.question
    words = len(q) if lang == "zh" else len(q.split())
    low, high = (6, 60) if lang == "zh" else (4, 30)
    if not q.endswith(("?", "？")) or not low <= words <= high:
        return None
    if qa.answer.lower() in q.lower() or re.search(r"\bsentence\b|句子", q, re.IGNORECASE):
        return None
    if copy_overlap(q, qa.sentence) > COPY_THRESHOLD:
        return None
    if not fits_question(qa.answer, q, lang):
        return None  # "When did ...?" written for the answer "Manakin Town"
    return qa


def written(
    generator: Any, pairs: Iterable[tuple[QA, str, str]], minutes: float
) -> Iterator[tuple[QA, str]]:
    """(question, chunk id) for (rule question, chunk text, chunk id) pairs, until the time
    budget is spent; only questions whose answer is in their chunk."""
    deadline = time.monotonic() + minutes * 60
    for qa, text, chunk_id in pairs:
        if time.monotonic() >= deadline:
            return
        lang = "zh" if re.search(r"[\u4e00-\u9fff]", qa.sentence) else "en"
        new = write_question(generator, qa, lang)
        if new is not None and new.answer in text:
            yield new, chunk_id
