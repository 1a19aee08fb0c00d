"""Grounded answers on ../shared/eval: what a user reads, per stage.

    python -m bench.grounded                       # 40 questions per kind and set
    python -m bench.grounded --n 10 --sets squad-en # quick
    python -m bench.grounded --generator packaged:qwen2.5-coder-0.5b-instruct

For each set it builds (or reuses, under --home) a KB from the set's PDFs and asks answerable,
unanswerable (squad-en) and out-of-domain questions through the real pipeline: retrieval, gate,
evidence sentences, the generator's draft, verification, fallback. Reported:
- answer contains a gold answer, token F1 (Chinese by character) — for the final answer and for
  the extractive answer alone (the best evidence sentence), so the gain of each stage shows;
- answers with a valid citation (the cited evidence holds the gold; sec10q-en: cites the right
  filing), numbers in answers that are in no cited source;
- refusals by kind, the extractive fallback share, time to first token and to the answer.
Per-question records go to <out>.jsonl for calibration. Prints JSON and a table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import RESULTS, SHARED, load_questions, peak_rss_mb, sample
from ragchat.metrics import answer_in, f1_score, percentile

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_LEAD = re.compile(r"^(?:The document says:|文档原文：)\s*[“\"]?|[”\"]\s*$")


def plain(text: str) -> str:
    """The answer as words: no [n] markers, no quote label."""
    text = re.sub(r"\[\d+\]", "", text).strip()
    return _LEAD.sub("", text).strip()


def build_kb(settings: Any, name: str) -> Any:
    from ingestion.index import Ingestor
    from ragchat.embedder import load_embedder
    from ragchat.kb import open_kb

    embedder = load_embedder(settings)
    kb = open_kb(settings, name, embedder=embedder.name, dim=embedder.dim, create=True)
    Ingestor(kb, settings, embedder).ingest([SHARED / name / "pdfs"])
    return kb, embedder


def record(row: dict[str, Any], answer: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "lang": row.get("lang", "en"),
        "question": row["question"],
        "gold": row.get("answers", []),
        "file": row.get("file"),
        "text": answer.text,
        "refused": answer.refused,
        "fallback": answer.fallback,
        "draft": answer.draft,
        "evidence": [
            {"n": e.n, "text": e.text, "file": e.file, "page": e.page, "score": e.score}
            for e in answer.evidence
        ],
        "cited": [
            {"n": c.n, "file": c.file, "page": c.page, "quote": c.quote} for c in answer.citations
        ],
        "checks": [
            {"text": c.text, "supported": c.supported, "score": c.score, "reason": c.reason}
            for c in answer.checks
        ],
        "gate": answer.gate_score,
        "timings": answer.timings,
    }


def metrics(records: list[dict[str, Any]], long_answers: bool) -> dict[str, Any]:
    """Aggregate per-question records (see `record`) of one set."""

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 3) if xs else None

    ans = [r for r in records if r["kind"] == "answerable"]
    out: dict[str, Any] = {
        "n": {
            k: sum(r["kind"] == k for r in records)
            for k in ("answerable", "unanswerable", "out_of_domain")
        }
    }
    contains, f1, valid, ex_contains, ex_f1, invented, fallback = [], [], [], [], [], [], []
    for r in ans:
        lang, gold = r["lang"], r["gold"]
        text = "" if r["refused"] else plain(r["text"])
        best = r["evidence"][0]["text"] if r["evidence"] else ""
        if long_answers:  # file-level evidence: does the answer cite the right filing?
            if r["file"]:
                valid.append(
                    float(not r["refused"] and any(c["file"] == r["file"] for c in r["cited"]))
                )
        else:
            contains.append(float(bool(text) and any(answer_in(g, text, lang) for g in gold)))
            f1.append(max((f1_score(text, g, lang) for g in gold), default=0.0) if text else 0.0)
            valid.append(
                float(any(answer_in(g, c["quote"], lang) for c in r["cited"] for g in gold))
            )
            ex_contains.append(float(bool(best) and any(answer_in(g, best, lang) for g in gold)))
            ex_f1.append(max((f1_score(best, g, lang) for g in gold), default=0.0) if best else 0.0)
        if not r["refused"]:
            quotes = " ".join(c["quote"] for c in r["cited"]).replace(",", "")
            nums = {n.replace(",", "") for n in _NUMBER.findall(plain(r["text"]))}
            invented.append(float(sum(n not in quotes and n not in r["question"] for n in nums)))
            fallback.append(float(r["fallback"]))
    out["answerable"] = {
        "contains_gold": mean(contains),
        "f1": mean(f1),
        "valid_citation": mean(valid),
        "wrongly_refused": mean([float(r["refused"]) for r in ans]),
        "fallback_share": mean(fallback),
        "numbers_in_no_cited_source": sum(invented),
        "extractive_alone": {"contains_gold": mean(ex_contains), "f1": mean(ex_f1)},
    }
    for kind in ("unanswerable", "out_of_domain"):
        rs = [r for r in records if r["kind"] == kind]
        if rs:
            out[f"{kind}_refused"] = mean([float(r["refused"]) for r in rs])
    ttft = [r["timings"]["first_token"] for r in records if r["timings"].get("first_token")]
    total = [r["timings"]["total"] for r in records if not r["refused"]]
    out["latency_s"] = {
        "first_token_p50": round(percentile(ttft, 50), 2) if ttft else None,
        "answer_p50": round(percentile(total, 50), 2) if total else None,
    }
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from ragchat.pipeline import DEFAULT_ADAPTER, NO_ADAPTER, RagChat
    from ragchat.settings import Settings

    overrides = {"home": args.home, "answer_mode": args.mode}
    if args.generator:
        overrides["generator"] = args.generator
    settings = Settings.load(overrides)
    results: dict[str, Any] = {
        "generator": settings.generator,
        "adapter": args.adapter,
        "mode": settings.answer_mode,
        "sets": {},
    }
    jsonl = args.out.with_suffix(".jsonl")
    jsonl.parent.mkdir(parents=True, exist_ok=True)
    with open(jsonl, "w", encoding="utf-8") as fh:
        for name in args.sets.split(","):
            kb, embedder = build_kb(settings, name)
            # the base model unless asked: a KB trained with ragchat-finetune has a default adapter
            adapter = DEFAULT_ADAPTER if args.adapter == "kb" else NO_ADAPTER
            chat = RagChat(settings, kb, embedder, adapter=adapter)
            rows = load_questions(name)
            kinds = args.kinds.split(",")
            asked = [q for kind in kinds for q in sample(rows, kind, args.n, args.seed)]
            recs = []
            t0 = time.perf_counter()
            for i, row in enumerate(asked, 1):
                rec = record(row, chat.ask(row["question"]))
                recs.append(rec)
                fh.write(json.dumps({"set": name, **rec}, ensure_ascii=False) + "\n")
                fh.flush()
                if i % 20 == 0 or i == len(asked):
                    print(f"{name}: {i}/{len(asked)}", file=sys.stderr)
            print(file=sys.stderr)
            results["sets"][name] = metrics(recs, long_answers=name == "sec10q-en")
            results["sets"][name]["seconds"] = round(time.perf_counter() - t0, 1)
    return results


def table(results: dict[str, Any]) -> str:
    lines = [
        "| set | contains gold | F1 | extractive alone (contains / F1) | valid citation |"
        " wrongly refused | unanswerable / OOD refused | fallback | invented numbers |"
        " first token / answer p50 (s) |",
        "|" + "---|" * 10,
    ]
    for name, m in results["sets"].items():
        a, lat = m["answerable"], m["latency_s"]
        ex = a["extractive_alone"]
        lines.append(
            f"| {name} | {a['contains_gold']} | {a['f1']} | {ex['contains_gold']} / {ex['f1']} |"
            f" {a['valid_citation']} | {a['wrongly_refused']} |"
            f" {m.get('unanswerable_refused', '–')} / {m.get('out_of_domain_refused', '–')} |"
            f" {a['fallback_share']} | {a['numbers_in_no_cited_source']} |"
            f" {lat['first_token_p50']} / {lat['answer_p50']} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sets", default="squad-en,cmrc-zh,sec10q-en")
    ap.add_argument("--n", type=int, default=40, help="questions per kind and set")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--home",
        type=Path,
        default=Path("/tmp/ragchat-bench-home"),
        help="where the eval KBs are built (reused across runs)",
    )
    ap.add_argument("--kinds", default="answerable,unanswerable,out_of_domain")
    ap.add_argument("--generator", default=None)
    ap.add_argument("--mode", default="generate", choices=["generate", "extractive"])
    ap.add_argument(
        "--adapter",
        default="none",
        choices=["none", "kb"],
        help="kb: answer with each KB's default adapter (ragchat-finetune); none: the base model",
    )
    ap.add_argument("--out", type=Path, default=RESULTS / "grounded.json")
    args = ap.parse_args()
    results = run(args)
    results["peak_rss_mb"] = round(peak_rss_mb())
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(json.dumps(results, ensure_ascii=False))
    print(table(results))


if __name__ == "__main__":
    main()
