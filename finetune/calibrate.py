"""The decoding-time refusal threshold, chosen on the validation split of the generated data.

At inference `ragchat.generation.RefusalGate` reads the probability of the refusal marker's first
token at the first answer position: at or above the threshold the model refuses, below it the
marker is banned and the model answers. Here that probability is measured on validation examples
from documents the adapter never trained on, and the threshold is set so that answerable
questions are wrongly refused at most MAX_WRONG_REFUSALS of the time; whatever share of the
unanswerable questions that threshold refuses is reported with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ragchat.prompt import REFUSAL_MARKER

MAX_WRONG_REFUSALS = 0.08  # below the product's 0.10 budget: real questions are harder
MAX_EXAMPLES = 60  # per group: enough for the 8 % quantile (4 of 60), at a bounded cost
ANSWERABLE = ("grounded", "followup")
UNANSWERABLE = ("no_oracle", "swapped", "out_of_domain")


def marker_probability(model: Any, tokenizer: Any, messages: list[dict[str, str]]) -> float:
    """P(first answer token starts the refusal marker) for one prompt."""
    import torch

    from ragchat.generation import render_chat

    ids = tokenizer(render_chat(tokenizer, messages), return_tensors="pt", add_special_tokens=False)
    marker = sorted(
        {
            tokenizer(v, add_special_tokens=False)["input_ids"][0]
            for v in (REFUSAL_MARKER, " " + REFUSAL_MARKER)
        }
    )
    ids = {k: v.to(model.device) for k, v in ids.items()}
    with torch.inference_mode():
        logits = model(**ids, logits_to_keep=1).logits[0, -1].float()
    return float(logits.softmax(-1)[marker].sum())


def choose_threshold(
    answerable: Sequence[float],
    unanswerable: Sequence[float],
    max_wrong: float = MAX_WRONG_REFUSALS,
) -> float:
    """The lowest threshold that refuses at most `max_wrong` of the answerable questions."""
    if not answerable:
        return 0.5
    ranked = sorted(answerable, reverse=True)
    allowed = int(max_wrong * len(ranked))  # how many answerable ones may sit at or above it
    above = ranked[allowed] if allowed < len(ranked) else 0.0
    return min(0.99, max(0.02, above + 1e-4))


def calibration_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The validation examples calibration reads: at most MAX_EXAMPLES of each group."""
    answerable = [r for r in rows if r["kind"] in ANSWERABLE][:MAX_EXAMPLES]
    return answerable + [r for r in rows if r["kind"] in UNANSWERABLE][:MAX_EXAMPLES]


def calibrate(model: Any, tokenizer: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Threshold and the validation rates it gives (rows: validation examples as dicts)."""
    was_training = model.training
    model.eval()
    probs: dict[str, list[float]] = {"answerable": [], "unanswerable": []}
    for r in calibration_rows(rows):
        group = "answerable" if r["kind"] in ANSWERABLE else "unanswerable"
        probs[group].append(marker_probability(model, tokenizer, r["messages"]))
    if was_training:
        model.train()
    t = choose_threshold(probs["answerable"], probs["unanswerable"])

    def share(xs: list[float]) -> float | None:
        return round(sum(p >= t for p in xs) / len(xs), 3) if xs else None

    return {
        "threshold": round(t, 4),
        "max_wrong_refusals": MAX_WRONG_REFUSALS,
        "val_answerable_wrongly_refused": share(probs["answerable"]),
        "val_unanswerable_refused": share(probs["unanswerable"]),
        "n": {k: len(v) for k, v in probs.items()},
    }
