"""How sure the model was of the short answer it wrote.

A small model that picks the right sentence still often copies the wrong span of it, and the
evidence supports the wrong span as well as the right one, so `ragchat.verify` keeps it. The
model's own token probabilities tell them apart better than the evidence can: a span it copies
with little confidence is more often the wrong one. `ragchat.decide` quotes the sentence
instead of such an answer (the reader then sees the answer in its context).

The confidence is the geometric mean probability of the answer's tokens before its first [n]
marker (greedy decoding: each token is the most probable one, so this is how clearly it won).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Below this confidence a verified short answer is replaced by the quote of its sentence. Chosen
# by `python -m bench.confidence` on dev questions outside the adapter evaluation's samples
# (squad-en 120, cmrc-zh 100 answerable; Qwen2.5-0.5B base and each set's adapter): 0.7
# maximises answer F1 + answer-contains-gold summed over the four, 4.07 -> 4.24 (0.6: 4.11,
# 0.8: 4.21). The adapters' F1 stays level (0.450 -> 0.441, 0.470 -> 0.479) while contains-gold
# rises 0.550 -> 0.617 and 0.520 -> 0.580; the base's F1 falls (0.354 -> 0.302, 0.465 -> 0.420)
# as contains-gold rises (0.558 -> 0.650, 0.700 -> 0.750).
CONFIDENCE_THRESHOLD = 0.7


def answer_confidence(steps: Sequence[tuple[int, float]], tokenizer: Any) -> float | None:
    """Geometric mean probability of the answer tokens before the first "[" (None: no tokens)."""
    probs: list[float] = []
    for token, p in steps:
        if "[" in tokenizer.decode([token]):
            break
        probs.append(max(p, 1e-9))
    if not probs:
        return None
    return math.exp(sum(math.log(p) for p in probs) / len(probs))
