"""Calibrate the coverage gate: pick, per language, the threshold that best separates questions
the KB answers from questions it does not, and store it in the KB manifest."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragchat.gate import GATE_FEATURES


def choose_threshold(
    answerable: Sequence[float], unanswerable: Sequence[float]
) -> dict[str, float]:
    """The threshold that minimises (answerable refused) + (out-of-domain accepted).

    Ties are broken toward the middle of the gap. Returns the threshold and both error rates.
    """
    if not answerable or not unanswerable:
        raise ValueError("need gate scores for both answerable and out-of-domain questions")
    pos = sorted(answerable)
    neg = sorted(unanswerable)
    cands = sorted(set(pos) | set(neg))
    best: tuple[float, float] | None = None
    best_t = cands[0]
    for j, t in enumerate(cands):
        refused = sum(1 for s in pos if s < t) / len(pos)
        accepted = sum(1 for s in neg if s >= t) / len(neg)
        cost = refused + accepted
        if best is None or cost < best[0] - 1e-12:
            best = (cost, t)
            prev = cands[j - 1] if j else t
            best_t = (prev + t) / 2 if j else t
    refused = sum(1 for s in pos if s < best_t) / len(pos)
    accepted = sum(1 for s in neg if s >= best_t) / len(neg)
    return {
        "threshold": round(best_t, 4),
        "answerable_refused": round(refused, 4),
        "out_of_domain_accepted": round(accepted, 4),
        "n_answerable": len(pos),
        "n_out_of_domain": len(neg),
    }


def load_questions(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def calibrate_kb(
    chat: Any, questions: Path, *, max_per_kind: int = 300, seed: int = 0, store: bool = True
) -> dict[str, Any]:
    """Score labelled questions with the KB's retriever and store one threshold per language."""
    rows = load_questions(questions)
    rng = random.Random(seed)
    rng.shuffle(rows)
    scores: dict[str, dict[str, list[float]]] = {}
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        kind = row.get("kind")
        if kind not in {"answerable", "out_of_domain"}:
            continue
        lang = row.get("lang") or "en"
        key = (lang, kind)
        if counts.get(key, 0) >= max_per_kind:
            continue
        counts[key] = counts.get(key, 0) + 1
        score = chat.search(row["question"]).gate_score
        scores.setdefault(lang, {"answerable": [], "out_of_domain": []})[kind].append(score)
    result: dict[str, Any] = {}
    gate = dict(chat.kb.manifest.gate)
    for lang, by_kind in scores.items():
        if by_kind["answerable"] and by_kind["out_of_domain"]:
            result[lang] = choose_threshold(by_kind["answerable"], by_kind["out_of_domain"])
            gate[lang] = result[lang]["threshold"]
            gate[f"{lang}_features"] = GATE_FEATURES.get(lang, 1)
    if store and gate:
        chat.kb.update_manifest(gate=gate)
    return {"kb": chat.kb.name, "gate": gate, "per_language": result}
