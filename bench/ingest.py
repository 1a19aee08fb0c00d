"""Ingestion benchmark: ragchat vs the plain LangChain pipeline, same PDFs, same embedder.

    python -m bench.ingest                    # ../shared/eval/sec10q-en/pdfs (20 filings, 1,037 pages)
    python -m bench.ingest --limit 3          # quick

The baseline is what most tutorials do: PyMuPDFLoader -> RecursiveCharacterTextSplitter(1000, 200)
-> HuggingFaceEmbeddings -> FAISS.from_documents. Each pipeline runs in its own process (so its
peak RSS is its own) after the embedder is loaded and warmed up (model load is not timed for
either). Both use all cores. Prints one JSON object and a table; writes a PNG chart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS,
    SHARED,
    baseline_embeddings,
    baseline_index,
    baseline_split,
    chart_figure,
    peak_rss_mb,
)

DEFAULT_PDFS = SHARED / "sec10q-en" / "pdfs"


def pdfs_of(folder: Path, limit: int | None) -> list[Path]:
    files = sorted(folder.glob("*.pdf"))
    return files[:limit] if limit else files


def worker_ragchat(files: list[Path], home: Path) -> dict[str, Any]:
    from ingestion.index import Ingestor
    from ragchat.embedder import load_embedder
    from ragchat.kb import open_kb
    from ragchat.settings import Settings

    settings = Settings.load({"home": home})
    embedder = load_embedder(settings)
    embedder.embed(["warm up the model"] * 4)
    kb = open_kb(settings, "bench", embedder=embedder.name, dim=embedder.dim, create=True)
    ingestor = Ingestor(kb, settings, embedder)
    t = time.perf_counter()
    first = ingestor.ingest(files)
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    again = ingestor.ingest(files)
    again_s = time.perf_counter() - t
    chunks = [c for f in kb.files() for c in kb.chunks_of(f.path)]
    tokens = [c.n_tokens for c in chunks]
    return {
        "seconds": first_s,
        "pages": first.pages_parsed,
        "chunks": first.chunks_total,
        "mean_chunk_tokens": sum(tokens) / max(1, len(tokens)),
        "truncated": first.chunks_truncated,
        "timings": first.timings,
        "reingest_seconds": again_s,
        "reingest_embedded": again.chunks_embedded,
        "failed": [f.file for f in first.failed],
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_baseline(files: list[Path]) -> dict[str, Any]:
    import pymupdf

    emb = baseline_embeddings()
    emb.embed_documents(["warm up the model"] * 4)
    t = time.perf_counter()
    splits = baseline_split(files)
    t_split = time.perf_counter() - t
    baseline_index(splits, emb)
    seconds = time.perf_counter() - t
    tok = emb._client.tokenizer
    lengths = [len(x) for x in tok([d.page_content for d in splits])["input_ids"]]
    pages = sum(pymupdf.open(f).page_count for f in files)
    return {
        "seconds": seconds,
        "pages": pages,
        "chunks": len(splits),
        "mean_chunk_tokens": sum(lengths) / max(1, len(lengths)),
        "truncated": sum(1 for n in lengths if n > 256),
        "timings": {"load_and_split": t_split, "embed_and_index": seconds - t_split},
        "peak_rss_mb": peak_rss_mb(),
    }


def run_worker(kind: str, files: list[Path], home: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.ingest",
        "--worker",
        kind,
        "--home",
        str(home),
        "--files",
        json.dumps([str(f) for f in files]),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--out", type=Path, default=RESULTS / "ingest.json")
    ap.add_argument("--worker", choices=["ragchat", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--files", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        files = [Path(f) for f in json.loads(args.files)]
        res = (
            worker_ragchat(files, args.home) if args.worker == "ragchat" else worker_baseline(files)
        )
        print(json.dumps(res))
        return
    files = pdfs_of(args.pdfs, args.limit)
    if not files:
        raise SystemExit(f"no PDFs under {args.pdfs}")
    home = Path(tempfile.mkdtemp(prefix="ragchat-ingest-bench-"))
    base = run_worker("baseline", files, home)
    rag = run_worker("ragchat", files, home)
    t = rag["timings"]
    outside = (rag["seconds"] - t.get("embed", 0.0)) / rag["seconds"]
    result = {
        "pdfs": str(args.pdfs),
        "files": len(files),
        "pages": rag["pages"],
        "ragchat": rag,
        "baseline": base,
        "pages_per_s": {
            "ragchat": rag["pages"] / rag["seconds"],
            "baseline": base["pages"] / base["seconds"],
        },
        "speedup": (rag["pages"] / rag["seconds"]) / (base["pages"] / base["seconds"]),
        "outside_embedding_share": outside,
        "reingest_ratio": rag["reingest_seconds"] / rag["seconds"],
        "goals": {
            "speedup": ">= 2.0",
            "outside_embedding_share": "<= 0.10",
            "reingest_ratio": "<= 0.02",
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    print_table(result)
    chart(result, args.out.with_suffix(".png"))


def print_table(r: dict[str, Any]) -> None:
    rag, base = r["ragchat"], r["baseline"]
    rows = [
        ("pages/s", r["pages_per_s"]["ragchat"], r["pages_per_s"]["baseline"]),
        ("seconds", rag["seconds"], base["seconds"]),
        ("chunks", rag["chunks"], base["chunks"]),
        ("mean chunk tokens", rag["mean_chunk_tokens"], base["mean_chunk_tokens"]),
        ("chunks truncated (>256 tok)", rag["truncated"], base["truncated"]),
        ("peak RSS MB", rag["peak_rss_mb"], base["peak_rss_mb"]),
    ]
    print(f"\n{r['files']} files, {r['pages']} pages")
    print(f"{'metric':<30}{'ragchat':>12}{'baseline':>12}{'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:<30}{a:>12.1f}{b:>12.1f}{(a / b if b else float('nan')):>8.2f}")
    print(f"{'time outside embedding':<30}{r['outside_embedding_share']:>12.1%}")
    print(f"{'re-ingest / first ingest':<30}{r['reingest_ratio']:>12.2%}")


def chart(r: dict[str, Any], path: Path) -> None:
    with chart_figure(path, 1, 2, figsize=(8, 3)) as ax:
        ax[0].bar(
            ["LangChain", "ragchat"],
            [r["pages_per_s"]["baseline"], r["pages_per_s"]["ragchat"]],
            color=["#999", "#2a7"],
        )
        ax[0].set_title("pages / s")
        ax[1].bar(
            ["LangChain", "ragchat"],
            [r["baseline"]["truncated"], r["ragchat"]["truncated"]],
            color=["#999", "#2a7"],
        )
        ax[1].set_title("chunks truncated by the embedder")


if __name__ == "__main__":
    main()
