"""The decoding-time refusal threshold, chosen on the validation split of the generated data.

At inference `ragchat.generation.RefusalGate` reads the probability of the refusal marker's first
token at the first answer position: at or above the threshold the model refuses, below it the
marker is banned and the model answers. Here that probability is measured on validation examples
from documents the adapter never trained on. Of the thresholds that wrongly refuse at most
MAX_WRONG_REFUSALS of the answerable questions, the threshold is the highest that still refuses
TARGET_REFUSED of the unanswerable ones: a wrongly refused question costs the user a right
answer, while an unanswerable one answered still goes through the evidence checks
(`ragchat.decide`) and shows its citation. When none reaches the target, the lowest within the
budget. The shares it gives, and every probability measured, are reported with it;
`ragchat-finetune calibrate` chooses it again for a trained adapter (`recalibrate`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragchat.prompt import REFUSAL_MARKER

MAX_WRONG_REFUSALS = 0.08  # below the product's 0.10 budget: real questions are harder
TARGET_REFUSED = 0.60  # of the unanswerable validation questions (the product's goal)
# Why the highest such threshold, not the lowest: on squad-en, generated validation questions are
# easier than people's — the marker probability of the human answerable questions (not quoted
# anyway, evidence < 0.65) reached 0.81-0.88 where the generated ones stayed under 0.79, and
# the threshold at the lowest point (0.68) refused 4 of 60 of them.
MAX_EXAMPLES = 60  # per group: enough for the 8 % quantile (4 of 60), at a bounded cost
ANSWERABLE = ("grounded", "followup")
UNANSWERABLE = ("no_oracle", "swapped", "near_miss", "out_of_domain")


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
    target: float = TARGET_REFUSED,
) -> float:
    """The highest threshold that refuses `target` of the unanswerable questions, if it refuses
    at most `max_wrong` of the answerable ones; else the lowest that keeps to `max_wrong`."""
    if not answerable:
        return 0.5
    ranked = sorted(answerable, reverse=True)
    allowed = int(max_wrong * len(ranked))  # how many answerable ones may sit at or above it
    above = ranked[allowed] if allowed < len(ranked) else 0.0
    lowest = min(0.99, max(0.02, above + 1e-4))
    needed = math.ceil(target * len(unanswerable) - 1e-9)
    if needed < 1:
        return lowest
    highest = min(0.99, sorted(unanswerable, reverse=True)[needed - 1] - 1e-4)
    return highest if highest >= lowest else lowest


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
        "target_refused": TARGET_REFUSED,
        "val_answerable_wrongly_refused": share(probs["answerable"]),
        "val_unanswerable_refused": share(probs["unanswerable"]),
        "n": {k: len(v) for k, v in probs.items()},
        "probabilities": {k: sorted(round(p, 4) for p in v) for k, v in probs.items()},
    }


def recalibrate(settings: Any, adapter: Path) -> dict[str, Any]:
    """Calibrate a trained adapter again on its validation split (after the rule here changed,
    or to audit it) and store the new threshold in its training card; returns the calibration
    and the threshold it replaced."""
    from finetune.card import load_split
    from ragchat.errors import AdapterError
    from ragchat.generation import load_generator, unload_generator
    from ragchat.kb.files import atomic_write_text

    card_path = adapter / "training_card.json"
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        rows = load_split(Path(card["data"]), "val")
    except (OSError, ValueError, KeyError) as exc:
        raise AdapterError(
            f"{adapter}: no training card with its validation data to calibrate on ({exc})"
        ) from exc
    generator = load_generator(settings, adapter)
    model, tokenizer = getattr(generator, "model", None), getattr(generator, "tokenizer", None)
    if model is None or tokenizer is None or isinstance(model, str):
        raise AdapterError(f"{adapter}: only a local transformers model can be calibrated")
    try:
        calibration = calibrate(model, tokenizer, rows)
    finally:
        unload_generator(settings, adapter)
    previous = card.get("refusal_threshold")
    card["refusal_threshold"] = calibration["threshold"]
    card["calibration"] = calibration
    atomic_write_text(card_path, json.dumps(card, indent=2))
    return {**calibration, "previous_threshold": previous}
