"""Calibrating the answer-confidence threshold (`ragchat.confidence.CONFIDENCE_THRESHOLD`).

    python -m bench.confidence --kb squad-en --adapter ~/.ragchat/kb/squad-en/adapter
    python -m bench.confidence --kb cmrc-zh --n 100

Answers dev questions of ../shared/eval/<kb> that are NOT in the adapter evaluation's samples
(`finetune.evaluate.sample_questions`, seed 7) with the base model and, if given, the adapter,
through the real pipeline with the confidence check off. For each threshold it then scores what
the reader would see: a verified short answer whose confidence is below it replaced by the
quote of its best evidence sentence. The baseline is threshold 0 (no check), measured in the
same run. The KB must hold the set's PDFs (`ragchat-ingest add ../shared/eval/<kb>/pdfs --kb
<kb>`). Prints one JSON object (also saved to bench/results/confidence-<kb>.json) and a table.

The threshold maximises answer F1 + answer-contains-gold: a quote that holds the answer serves
the reader about as well as the exact short answer, and a wrong short answer serves nobody.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Any

from bench.common import RESULTS, SHARED, load_questions

THRESHOLDS = (0.0, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def dev_questions(kb: str, n: int, seed: int = 3) -> list[dict[str, Any]]:
    """n answerable questions of the set outside the evaluation samples."""
    import random

    from finetune.evaluate import sample_questions

    path = SHARED / kb / "questions.jsonl"
    held = {"answerable": 60, "unanswerable": 40, "out_of_domain": 40}
    evaluated = {r["id"] for r in sample_questions(path, held)}
    pool = [r for r in load_questions(kb) if r["kind"] == "answerable" and r["id"] not in evaluated]
    random.Random(seed).shuffle(pool)
    return pool[:n]


def answer_all(settings: Any, kb: str, adapter: Path | None, rows: list[dict[str, Any]]) -> list:
    """Per question: the shown answer's F1/contains, its kind, the confidence, and the F1/contains
    of the quote that would replace it (confidence check off)."""
    import ragchat.decide as decide_mod
    from ragchat.generation import unload_generator
    from ragchat.metrics import answer_in, f1_score
    from ragchat.pipeline import NO_ADAPTER, RagChat
    from ragchat.verify import extractive_answer

    decide_mod.CONFIDENCE_THRESHOLD = 0.0  # measure every answer unchecked
    s = dataclasses.replace(settings, adapter=adapter)
    chat = RagChat.open(s, kb, adapter=adapter or NO_ADAPTER)
    out = []
    try:
        for i, r in enumerate(rows):
            a = chat.ask(r["question"])
            lang = r.get("lang", "en")
            text = re.sub(r"\[\d+\]", "", a.text).strip()
            quote = extractive_answer(a.evidence, lang) if a.evidence else ""
            quote = re.sub(r"\[\d+\]", "", quote).strip()
            golds = r["answers"]
            out.append(
                {
                    "short": not a.refused and not a.fallback and a.confidence is not None,
                    "confidence": a.confidence,
                    "f1": 0.0 if a.refused else max(f1_score(text, g, lang) for g in golds),
                    "has": 0.0
                    if a.refused
                    else float(any(answer_in(g, text, lang) for g in golds)),
                    "quote_f1": max(f1_score(quote, g, lang) for g in golds) if a.evidence else 0.0,
                    "quote_has": float(any(answer_in(g, quote, lang) for g in golds))
                    if a.evidence
                    else 0.0,
                }
            )
            print(
                f"\r{'adapter' if adapter else 'base'} {i + 1}/{len(rows)}", end="", file=sys.stderr
            )
        print(file=sys.stderr)
    finally:
        chat.kb.close()
        unload_generator(s, adapter)
    return out


def at_threshold(records: list[dict[str, Any]], t: float) -> dict[str, float]:
    n = max(1, len(records))
    swapped = [r["short"] and r["confidence"] < t for r in records]
    f1 = sum(r["quote_f1"] if sw else r["f1"] for r, sw in zip(records, swapped, strict=True))
    has = sum(r["quote_has"] if sw else r["has"] for r, sw in zip(records, swapped, strict=True))
    return {"f1": round(f1 / n, 3), "contains_gold": round(has / n, 3), "quoted": sum(swapped)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", required=True)
    ap.add_argument("--n", type=int, default=120)
    ap.add_argument("--adapter", type=Path)
    args = ap.parse_args(argv)
    from ragchat.settings import Settings

    settings = Settings.load()
    rows = dev_questions(args.kb, args.n)
    models = {"base": None, **({"adapter": args.adapter} if args.adapter else {})}
    result: dict[str, Any] = {"kb": args.kb, "questions": len(rows), "models": {}}
    for name, adapter in models.items():
        records = answer_all(settings, args.kb, adapter, rows)
        base = at_threshold(records, 0.0)
        rows_t = {}
        for t in THRESHOLDS:
            m = at_threshold(records, t)
            m["f1_ratio"] = round(m["f1"] / base["f1"], 3) if base["f1"] else None
            m["contains_ratio"] = (
                round(m["contains_gold"] / base["contains_gold"], 3)
                if base["contains_gold"]
                else None
            )
            rows_t[f"{t:.2f}"] = m
        best = max(rows_t, key=lambda k: rows_t[k]["f1"] + rows_t[k]["contains_gold"])
        result["models"][name] = {"thresholds": rows_t, "best": best}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"confidence-{args.kb}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    print(
        f"\n{'model':8} {'thr':>5} {'F1':>6} {'x base':>7} {'contains':>9} {'x base':>7} {'quoted':>6}"
    )
    for name, m in result["models"].items():
        for t, v in m["thresholds"].items():
            mark = " <- best F1+contains" if t == m["best"] else ""
            print(
                f"{name:8} {t:>5} {v['f1']:6.3f} {v['f1_ratio'] or 0:7.2f} {v['contains_gold']:9.3f}"
                f" {v['contains_ratio'] or 0:7.2f} {v['quoted']:6d}{mark}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
