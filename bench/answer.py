"""Answering benchmark: ragchat vs the plain LangChain pipeline on ../shared/eval, in one run.

    python -m bench.answer            # full run (~20 min on 2 cores)
    python -m bench.answer --quick    # a few questions per set, for development

Prints one JSON object (also saved to bench/results/answer.json), a table, and a PNG chart.
Retrieval is measured on both pipelines; the gate, answers, citations and latency on ragchat.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS,
    SHARED,
    baseline_embeddings,
    baseline_hits,
    baseline_index,
    baseline_split,
    chart_figure,
    load_questions,
    sample,
)
from ragchat.metrics import answer_in, percentile


# ---------------------------------------------------------------- the two pipelines
def build_ragchat(settings: Any, name: str) -> Any:
    from ingestion.index import Ingestor
    from ragchat.embedder import load_embedder
    from ragchat.kb import open_kb

    embedder = load_embedder(settings)
    kb = open_kb(settings, name, embedder=embedder.name, dim=embedder.dim, create=True)
    t = time.perf_counter()
    report = Ingestor(kb, settings, embedder).ingest([SHARED / name / "pdfs"])
    return kb, time.perf_counter() - t, report


def build_baseline(name: str) -> tuple[Any, float]:
    """The LangChain baseline's FAISS store of the set's PDFs (model load included in the time)."""
    t = time.perf_counter()
    splits = baseline_split(sorted((SHARED / name / "pdfs").glob("*.pdf")))
    store = baseline_index(splits, baseline_embeddings())
    return store, time.perf_counter() - t


def ragchat_hits(retrieval: Any) -> list[dict[str, Any]]:
    return [
        {
            "file": h.chunk.file,
            "page_start": h.chunk.page_start,
            "page_end": h.chunk.page_end,
            "text": h.chunk.text,
        }
        for h in retrieval.hits
    ]


# ---------------------------------------------------------------- metrics per question
def retrieval_metrics(row: dict[str, Any], hits: list[dict[str, Any]]) -> dict[str, float]:
    lang = row.get("lang", "en")
    evidence = row.get("evidence") or []
    files = {e["file"] for e in evidence}
    pages = {(e["file"], e["page"]) for e in evidence if e.get("page")}
    rank_answer = next(
        (
            i + 1
            for i, h in enumerate(hits)
            if (not files or h["file"] in files)
            and any(answer_in(a, h["text"], lang) for a in row["answers"])
        ),
        None,
    )
    file_hit = any(h["file"] in files for h in hits)
    page_hit = any(
        (h["file"], p) in pages for h in hits for p in range(h["page_start"], h["page_end"] + 1)
    )
    return {
        "answer_recall": float(rank_answer is not None),
        "mrr": 1.0 / rank_answer if rank_answer else 0.0,
        "file_recall": float(file_hit),
        "page_recall": float(page_hit) if pages else float("nan"),
        "context_chars": float(sum(len(h["text"]) for h in hits)),
    }


def mean(values: list[float]) -> float:
    vals = [v for v in values if v == v]
    return round(statistics.fmean(vals), 4) if vals else float("nan")


# ---------------------------------------------------------------- one evaluation set
def run_set(name: str, settings: Any, args: argparse.Namespace, generator: Any) -> dict[str, Any]:
    from ragchat.pipeline import RagChat

    rows = load_questions(name)
    n = args.n
    answerable = sample(rows, "answerable", n["answerable"], args.seed)
    unanswerable = sample(rows, "unanswerable", n["unanswerable"], args.seed)
    ood = sample(rows, "out_of_domain", n["ood"], args.seed)
    kb, t_rag, report = build_ragchat(settings, name)
    base_store, t_base = build_baseline(name) if not args.no_baseline else (None, 0.0)
    chat = RagChat(settings, kb, _embedder(settings), generator)
    res: dict[str, Any] = {
        "set": name,
        "ingest_seconds": {"ragchat": round(t_rag, 1), "baseline": round(t_base, 1)},
        "chunks": report.chunks_total,
    }

    # retrieval quality on answerable questions, both pipelines, same questions
    per = {"ragchat": [], "baseline": []}
    latencies = []
    for row in answerable:
        r = chat.search(row["question"])
        latencies.append(r.seconds)
        per["ragchat"].append(retrieval_metrics(row, ragchat_hits(r)))
        if base_store is not None:
            per["baseline"].append(
                retrieval_metrics(row, baseline_hits(base_store, row["question"]))
            )
    res["retrieval"] = {
        who: {
            k: mean([m[k] for m in ms])
            for k in ("answer_recall", "page_recall", "file_recall", "mrr", "context_chars")
        }
        for who, ms in per.items()
        if ms
    }
    res["retrieval_latency_ms"] = {
        "p50": round(1000 * percentile(latencies, 50), 2),
        "p95": round(1000 * percentile(latencies, 95), 2),
    }

    res["multi_turn"] = multi_turn(chat, rows, args.seed)

    # the gate alone, then full answers
    gate = {
        "answerable_refused": mean(
            [0.0 if chat.search(r["question"]).covered else 1.0 for r in answerable]
        ),
        "out_of_domain_refused": mean(
            [0.0 if chat.search(r["question"]).covered else 1.0 for r in ood]
        ),
    }
    if unanswerable:
        gate["unanswerable_refused"] = mean(
            [0.0 if chat.search(r["question"]).covered else 1.0 for r in unanswerable]
        )
    res["gate"] = gate
    if generator is not None and not args.no_generate:
        res["answers"] = answer_metrics(chat, answerable, unanswerable, ood, name, args)
    return res


def multi_turn(chat: Any, rows: list[dict[str, Any]], seed: int, n: int = 60) -> dict[str, Any]:
    """Does rewriting follow-ups help? Pairs of answerable questions about the same page: the
    second is cut to an elliptical follow-up ("and <last words>?") asked after the first.
    Answer-recall@5 for the bare follow-up, the rewritten one, and the full question."""
    from ragchat.rewrite import rewrite_followup

    by_page: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows:
        if r["kind"] == "answerable" and r.get("evidence") and r["evidence"][0].get("page"):
            by_page.setdefault((r["file"], r["evidence"][0]["page"]), []).append(r)
    pairs = [pair for qs in by_page.values() for pair in itertools.pairwise(qs)]
    random.Random(seed).shuffle(pairs)
    scores: dict[str, list[float]] = {"bare_followup": [], "rewritten": [], "full_question": []}
    for first, second in pairs[:n]:
        words = second["question"].rstrip("?？").split()
        if second.get("lang") == "zh" or len(words) < 4:
            continue
        follow = "and " + " ".join(words[-3:]) + "?"
        for key, q in (
            ("bare_followup", follow),
            ("rewritten", rewrite_followup(follow, [(first["question"], "")])),
            ("full_question", second["question"]),
        ):
            scores[key].append(
                retrieval_metrics(second, ragchat_hits(chat.search(q)))["answer_recall"]
            )
    return {k: mean(v) for k, v in scores.items()} | {"pairs": len(scores["rewritten"])}


def answer_metrics(
    chat: Any, answerable: list, unanswerable: list, ood: list, name: str, args: argparse.Namespace
) -> dict[str, Any]:
    """What a user reads, per stage (bench/grounded.py): contains gold, F1, the extractive answer
    alone, valid citations, invented numbers, refusals, fallback share, first-token time."""
    from bench.grounded import metrics, record

    n = args.n_generate
    rows = [*answerable[:n], *unanswerable[:n], *ood[:n]]
    out = metrics([record(r, chat.ask(r["question"])) for r in rows], name == "sec10q-en")
    lat = out.pop("latency_s")
    out["latency"] = {
        "first_token_p50_s": lat["first_token_p50"],
        "answer_p50_s": lat["answer_p50"],
    }
    return out


def _embedder(settings: Any) -> Any:
    from ragchat.embedder import load_embedder

    return load_embedder(settings)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sets", default="squad-en,cmrc-zh,sec10q-en")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-generate", action="store_true")
    ap.add_argument(
        "--synthetic",
        type=int,
        default=100_000,
        help="chunks in the synthetic latency KB (0 = skip)",
    )
    ap.add_argument("--store", default=None, help="KB store: a postgresql:// URL (default files)")
    ap.add_argument("--out", type=Path, default=RESULTS / "answer.json")
    args = ap.parse_args()
    args.n = (
        {"answerable": 200, "unanswerable": 100, "ood": 100}
        if not args.quick
        else {"answerable": 20, "unanswerable": 10, "ood": 10}
    )
    args.n_generate = 40 if not args.quick else 5
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import psutil

    from ragchat.settings import Settings

    home = Path(tempfile.mkdtemp(prefix="ragchat-bench-"))
    settings = Settings.load({"home": home, "store": args.store})
    generator = None
    if not args.no_generate:
        from ragchat.generation import load_generator

        generator = load_generator(settings)
    t0 = time.perf_counter()
    results = {
        "sets": [],
        "settings": {
            "top_k": settings.top_k,
            "fusion": settings.fusion,
        },
    }
    for name in args.sets.split(","):
        results["sets"].append(run_set(name, settings, args, generator))
    if args.synthetic:
        from bench.synthetic import synthetic_latency

        qs = [r["question"] for r in sample(load_questions("squad-en"), "answerable", 100, 1)]
        results["synthetic"] = synthetic_latency(settings, args.synthetic, qs)
    results["rss_mb"] = round(psutil.Process().memory_info().rss / 1e6, 1)
    if not args.no_generate:
        results["chat_process"] = chat_process_rss(settings, args.sets.split(",")[-1])
    results["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
    print_table(results)
    chart(results, args.out.with_suffix(".png"))


def chat_process_rss(settings: Any, kb_name: str) -> dict[str, Any]:
    """Peak RSS of one real `ragchat ask` process (embedder, KB, generator) on a bench KB: what
    a user's chat process holds, unlike this benchmark's process with every KB and the baseline."""
    import subprocess

    child = (
        "import resource, sys\n"
        "from ragchat.cli import main\n"
        "try:\n    main()\n"
        "finally:\n"
        "    print('RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    question = "What was the total net sales in the most recent quarter?"
    env = {**os.environ, "RAGCHAT_HOME": str(settings.home)}
    if settings.store:
        env["RAGCHAT_STORE"] = settings.store
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", child, "ask", question, "--kb", kb_name, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    peak = [ln.split()[1] for ln in proc.stderr.splitlines() if ln.startswith("RSS_KB ")]
    return {
        "kb": kb_name,
        "exit_code": proc.returncode,
        "peak_rss_mb": round(int(peak[-1]) / 1e3, 1) if peak else None,
        "seconds": round(time.perf_counter() - t, 1),
    }


def print_table(results: dict[str, Any]) -> None:
    print(f"\n{'set':<11} {'metric':<28} {'ragchat':>9} {'baseline':>9} {'ratio':>7}")
    for s in results["sets"]:
        r = s["retrieval"]
        for key in ("answer_recall", "file_recall", "page_recall", "mrr", "context_chars"):
            a = r["ragchat"][key]
            b = r.get("baseline", {}).get(key, float("nan"))
            ratio = a / b if b and b == b and a == a else float("nan")
            print(f"{s['set']:<11} {key + '@5':<28} {a:>9.3f} {b:>9.3f} {ratio:>7.2f}")
        for key, v in s["gate"].items():
            print(f"{s['set']:<11} {'gate ' + key:<28} {v:>9.3f}")
        for key, v in (s.get("answers") or {}).get("answerable", {}).items():
            if isinstance(v, float):
                print(f"{s['set']:<11} {'answer ' + key:<28} {v:>9.3f}")
            elif isinstance(v, dict):  # the extractive answer alone
                for k2, v2 in v.items():
                    if isinstance(v2, float):
                        print(f"{s['set']:<11} {'extractive ' + k2:<28} {v2:>9.3f}")
        ans = s.get("answers") or {}
        for key in ("unanswerable_refused", "out_of_domain_refused"):
            if key in ans:
                print(f"{s['set']:<11} {'answer ' + key:<28} {ans[key]:>9.3f}")
        mt = s.get("multi_turn") or {}
        if mt.get("pairs"):
            for key in ("bare_followup", "rewritten", "full_question"):
                print(f"{s['set']:<11} {'follow-up recall@5 ' + key:<28} {mt[key]:>9.3f}")
        lat = ans.get("latency", {})
        if lat.get("first_token_p50_s") is not None:
            print(f"{s['set']:<11} {'first token p50 (s)':<28} {lat['first_token_p50_s']:>9.2f}")
        print(
            f"{s['set']:<11} {'retrieval p50/p95 (ms)':<28} {s['retrieval_latency_ms']['p50']:>9.1f} {s['retrieval_latency_ms']['p95']:>9.1f}"
        )
    if "synthetic" in results:
        syn = results["synthetic"]
        print(
            f"{'synthetic':<11} {str(syn['chunks']) + ' chunks p50/p95 (ms)':<28} {syn['p50_ms']:>9.1f} {syn['p95_ms']:>9.1f}"
        )
    print(f"{'process':<11} {'bench RSS (MB)':<28} {results['rss_mb']:>9.0f}")
    if (results.get("chat_process") or {}).get("peak_rss_mb"):
        cp = results["chat_process"]
        print(f"{'chat':<11} {'ragchat ask peak RSS (MB)':<28} {cp['peak_rss_mb']:>9.0f}")


def chart(results: dict[str, Any], path: Path) -> None:
    sets = [s["set"] for s in results["sets"]]
    rag = [
        s["retrieval"]["ragchat"]["answer_recall"]
        if s["set"] != "sec10q-en"
        else s["retrieval"]["ragchat"]["file_recall"]
        for s in results["sets"]
    ]
    base = [
        s["retrieval"]
        .get("baseline", {})
        .get("answer_recall" if s["set"] != "sec10q-en" else "file_recall", 0)
        for s in results["sets"]
    ]
    with chart_figure(path, figsize=(7, 3.5)) as ax:
        x = range(len(sets))
        ax.bar([i - 0.2 for i in x], base, width=0.4, label="LangChain baseline")
        ax.bar([i + 0.2 for i in x], rag, width=0.4, label="ragchat")
        ax.set_xticks(list(x), sets)
        ax.set_ylim(0, 1)
        ax.set_ylabel("recall@5 (answer; file for sec10q)")
        ax.legend(loc="lower right")


if __name__ == "__main__":
    main()
