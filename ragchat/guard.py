"""The refusal and leak guard around the answer: the refusal the user sees when the KB does not
cover a question, the first-token refusal gate of a calibrated local model, and when a draft is
cut short or replaced by the refusal marker (the model refused, or started reciting its rules).
"""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ragchat.generation import RefusalGate, refusal_threshold_for
from ragchat.prompt import REFUSAL_MARKER, REFUSAL_MESSAGES, echoes_rules, is_refusal
from ragchat.sentences import split_sentences
from ragchat.types import Answer
from ragchat.verify import MARKER


def refusal_text(lang: str) -> str:
    """What the user reads when ragchat refuses, in the question's language."""
    return REFUSAL_MESSAGES.get(lang, REFUSAL_MESSAGES["en"])


def refuse(base: Answer, timings: dict[str, float], **fields: Any) -> Answer:
    """`base` as a refusal in its language (with what led to it in `fields`)."""
    return replace(base, text=refusal_text(base.lang), refused=True, timings=timings, **fields)


def refusal_gate(
    generator: Any, threshold: float | None, adapter: Path | None, *, may_refuse: bool = True
) -> RefusalGate | None:
    """A first-token refusal gate for local models that take one and have a threshold: the
    configured one, else the adapter's or the model's calibrated one. With `may_refuse` off the
    gate bans the refusal marker (the evidence is strong enough that a refusal would be
    overridden by a quote anyway: `ragchat.decide.refusal_overridden`)."""
    if "refusal_gate" not in inspect.signature(generator.stream).parameters:
        return None
    if not may_refuse:
        return RefusalGate(REFUSAL_MARKER, math.inf)
    if threshold is None:
        threshold = refusal_threshold_for(generator, adapter)
    return RefusalGate(REFUSAL_MARKER, threshold) if threshold is not None else None


def stop_drafting(text: str) -> bool:
    """Stop the model now: its draft so far opens with a refusal or recites the rules."""
    return is_refusal(text[: len(REFUSAL_MARKER) + 4]) or echoes_rules(text[-400:])


def settle_draft(text: str, gate: RefusalGate | None) -> str:
    """The finished draft, or the refusal marker when it leaks the rules or the gate fired."""
    if echoes_rules(text) or (gate is not None and (gate.probability or 0.0) >= gate.threshold):
        return REFUSAL_MARKER
    return text


# a sentence end, then its markers ("… France. [1]"); the markers that open a part
_FINISHED = re.compile(rf"[.。!?！？…][”\"’'»)）」]*(?:\s*{MARKER.pattern})*[.。]?$")
_LEADING_MARKERS = re.compile(rf"^(?:{MARKER.pattern}\s*)+")


def finished_part(text: str) -> str:
    """A draft the token limit cut off mid-sentence without its unfinished last sentence ("…
    as some of the Huguenots were nobles trying to establish" is not shown); "" when no
    sentence was finished (then the best evidence is quoted whole). The markers that open the
    dropped part ("它是城市。[1]而且…") belong to the sentence before it and stay."""
    spans = split_sentences(text)
    if not spans or _FINISHED.search(text[spans[-1][0] : spans[-1][1]]):
        return text
    start = spans[-1][0]
    markers = _LEADING_MARKERS.match(text[start:])
    return (text[:start] + (markers.group(0) if markers else "")).rstrip()
