"""What the user sees: the verified draft, a quote of the best evidence, or a refusal.

1. The model's draft, sentence by sentence verified (`ragchat.verify`): what is supported is
   the answer, cited.
2. Nothing supported (or no model): the best evidence sentence, quoted and cited, if it scores
   well enough to answer the question (`QUOTE_THRESHOLD`).
3. Otherwise a refusal. When the model itself said the evidence does not answer, quoting needs
   stronger evidence (`QUOTE_OVER_REFUSAL`).

Thresholds are on the evidence score of `ragchat.evidence`, calibrated on the dev sets
(answerable vs unanswerable questions; see bench/answer.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ragchat.prompt import is_refusal
from ragchat.types import Evidence, SentenceCheck
from ragchat.verify import extractive_answer, verify

QUOTE_THRESHOLD = {"en": 0.3, "zh": 0.3}
QUOTE_OVER_REFUSAL = {"en": 0.65, "zh": 0.75}


@dataclass(frozen=True, slots=True)
class Decision:
    text: str
    refused: bool
    fallback: bool = False
    cited: tuple[int, ...] = ()
    checks: tuple[SentenceCheck, ...] = ()


def decide(draft: str, question: str, evidence: Sequence[Evidence], lang: str) -> Decision:
    if not evidence:
        return Decision("", refused=True)
    model_refused = bool(draft.strip()) and is_refusal(draft)
    checks: tuple[SentenceCheck, ...] = ()
    if draft.strip() and not model_refused:
        verified = verify(draft, question, evidence, lang)
        if verified.text:
            return Decision(verified.text, False, False, verified.cited, verified.checks)
        checks = verified.checks
    best = evidence[0]
    needed = (QUOTE_OVER_REFUSAL if model_refused else QUOTE_THRESHOLD).get(lang, 0.5)
    if best.score >= needed:
        return Decision(extractive_answer(evidence, lang), False, True, (best.n,), checks)
    return Decision("", refused=True, checks=checks)
