"""Does an answer to a Chinese why-question give the reason its sentence marks?

A small model asked "月代为什么被称为萝卜头？" often copies the sentence's effect rather than its
cause: "日本人为萝卜头" of "…乍看之下就如萝卜带点茎叶的头部，故称日本人为萝卜头", "国际田联取消成绩"
of "…但随后被国际田联取消成绩，原因是比赛过程中罗伯斯故意干扰…". Where the sentence marks its
reason — after 因为 / 由于 / 因 / 为了 / 原因是 up to the clause's end or the effect's marker, or
before 所以 / 因此 / 故 / 导致 — an answer that leaves that part out does not answer the question,
and `ragchat.decide` quotes the whole sentence instead. A sentence that marks no reason is not
judged. (On 40 cmrc-zh why-questions, base model and adapter, this caught 3 such answers and no
right one.)
"""

from __future__ import annotations

import re

from ragchat.verify import MARKER

# "为什么" that asks why — not "称为什么" / "改名为什么" / "为什么？" (become or be called what)
ZH_ASKS_REASON = re.compile(r"(?<![称名误改成作视当译认])为什么(?![？?])|为何|原因|因为什么")
_CAUSE = re.compile(r"因为|由于|原因是|原因在于|鉴于|(?<![成作称认视])为了|因(?![此而素子果为])")
_EFFECT = re.compile(r"所以|因此|因而|故而|故(?![事乡宫居意])|于是|从而|致使|导致|以致")
_CLAUSE_END = re.compile(r"[，,；;。！？]|而(?!且)")


def reason_parts(sentence: str) -> list[tuple[int, int]]:
    """Where `sentence` states a reason: after each cause marker up to the effect's marker (else
    the clause's end); with no cause marker, before each effect marker."""
    parts = []
    for m in _CAUSE.finditer(sentence):
        effect = _EFFECT.search(sentence, m.end())
        stop = _CLAUSE_END.search(sentence, m.end())
        end = effect.start() if effect else (stop.start() if stop else len(sentence))
        parts.append((m.start(), end))
    if not parts:
        parts = [(0, m.start()) for m in _EFFECT.finditer(sentence)]
    return [(a, b) for a, b in parts if b > a]


def gives_the_reason(answer: str, question: str, sentence: str) -> bool:
    """False when a Chinese why-question's answer, copied from `sentence`, misses the part of it
    that states the reason (it covers less than half of that part, or that part less than half
    of it); True otherwise, and for every other question."""
    if not ZH_ASKS_REASON.search(question):
        return True
    body = MARKER.sub("", answer).strip().rstrip("。.").strip()
    at = sentence.find(body) if body else -1
    parts = reason_parts(sentence)
    if at < 0 or not parts:
        return True
    a, b = at, at + len(body)
    return any(min(b, e) - max(a, s) >= 0.5 * min(b - a, e - s) for s, e in parts)
