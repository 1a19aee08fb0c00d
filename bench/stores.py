"""Store benchmark: FAISS + SQLite files vs PostgreSQL + pgvector, same synthetic chunks, one run.

    python -m bench.stores                         # 100,000 chunks, a local pgserver PostgreSQL
    python -m bench.stores --chunks 20000 --queries 50
    python -m bench.stores --store postgresql://me@db.example:5432/ragchat   # your PostgreSQL

The chunks are those of bench/synthetic.py (150 words drawn from real SQuAD text), made once in
memory, with vectors that are real passage embeddings plus noise (`--vectors random`: the random
unit vectors of bench/synthetic.py, on which no graph index finds neighbours well); only the writes are timed (put_file in files of 2,000 chunks,
including the commit and, for FAISS, writing the index). Queries are SQuAD questions. Per store:
dense search (the k=30 candidates, query embedding excluded), lexical search (BM25 over the
rarest query terms, as the retriever asks it) and the full hybrid search `ragchat search` runs
(Retriever.search: embedding, doc_freq, dense + BM25, fusion, document bonus, gate). Also how
often the two stores return the same candidates, and dense recall@30 against exact search.
Prints one JSON object (saved to docs/results/stores.json), a table, and a PNG chart.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPO, SHARED, chart_figure, load_questions, sample, synthetic_file
from ragchat.metrics import percentile

RESULTS = REPO / "docs" / "results"
PER_FILE = 2000
K = 30


def real_bases(embedder: Any, n: int = 4000) -> np.ndarray:
    """Embeddings of up to n real passages (40-word windows of the SQuAD PDFs)."""
    import pymupdf

    words: list[str] = []
    for pdf in sorted((SHARED / "squad-en" / "pdfs").glob("*.pdf")):
        with pymupdf.open(pdf) as doc:
            words.extend(w for page in doc for w in page.get_text().split())
    passages = [" ".join(words[i : i + 40]) for i in range(0, len(words) - 40, 40)][:n]
    return embedder.embed(passages)


def synthetic_vectors(
    count: int, dim: int, nrng: np.random.Generator, bases: np.ndarray | None
) -> np.ndarray:
    """Random unit vectors (bench/synthetic.py), or mixtures of three real passage embeddings
    (random weights) plus a little noise: points on the manifold real chunk embeddings lie on,
    whose structure graph indexes like HNSW rely on."""
    noise = nrng.normal(size=(count, dim)).astype(np.float32)
    if bases is None:
        vecs = noise
    else:
        weights = nrng.dirichlet([0.5, 0.5, 0.5], size=count).astype(np.float32)
        picks = nrng.integers(0, len(bases), size=(count, 3))
        vecs = np.einsum("nk,nkd->nd", weights, bases[picks]) + 0.3 * noise / np.sqrt(dim)
    return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def synthetic_files(
    n_chunks: int, dim: int, seed: int = 0, bases: np.ndarray | None = None
) -> list[tuple[Any, ...]]:
    """(record, chunks, vectors, text hashes, lexical texts) per file, as bench/synthetic.py."""
    from bench.synthetic import _vocabulary
    from ragchat.text import lexical_tokens

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    words = _vocabulary()
    files = []
    for f in range(0, n_chunks, PER_FILE):
        count = min(PER_FILE, n_chunks - f)
        texts = [" ".join(rng.choices(words, k=150)) for _ in range(count)]
        # ids unique across files (bench/synthetic.py's repeat)
        rec, chunks = synthetic_file(f, texts, f"{f:012d}")
        vecs = synthetic_vectors(count, dim, nrng, bases)
        hashes = [f"synthetic:{f}:{i}" for i in range(count)]
        lexical = [" ".join(lexical_tokens(t)) for t in texts]
        files.append((rec, chunks, vecs, hashes, lexical))
    return files


def ingest(kb: Any, files: list[tuple[Any, ...]]) -> dict[str, float]:
    t = time.perf_counter()
    with kb.writer() as w:
        for rec, chunks, vecs, hashes, lexical in files:
            w.put_file(rec, chunks, vecs, hashes, lexical)
    seconds = time.perf_counter() - t
    n = sum(len(f[1]) for f in files)
    return {"seconds": round(seconds, 1), "chunks_per_s": round(n / seconds, 1)}


def latency(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(1000 * percentile(values, 50), 2),
        "p95_ms": round(1000 * percentile(values, 95), 2),
        "mean_ms": round(1000 * float(np.mean(values)), 2),
    }


def measure(kb: Any, settings: Any, embedder: Any, questions: list[str], qvecs: np.ndarray):
    """Latencies of dense, lexical and hybrid search on one store, and what each returned."""
    from ragchat.retrieval import Retriever, query_terms
    from ragchat.text import lexical_tokens

    retriever = Retriever(kb, embedder, settings)
    retriever.search(questions[0])  # load indexes, warm caches
    out: dict[str, Any] = {"dense": [], "lexical": [], "hybrid": []}
    seen: dict[str, list[Any]] = {"dense": [], "lexical": [], "hybrid": []}
    total = kb.size()
    for q, qvec in zip(questions, qvecs, strict=True):
        tokens = lexical_tokens(q)
        terms = query_terms(tokens, retriever._doc_freq(tokens), total)
        t = time.perf_counter()
        with kb.snapshot():
            dense = kb.dense_search(qvec, K)
        out["dense"].append(time.perf_counter() - t)
        t = time.perf_counter()
        with kb.snapshot():
            lexical = kb.lexical_search(terms, K)
        out["lexical"].append(time.perf_counter() - t)
        r = Retriever(kb, embedder, settings).search(q)  # fresh: pays doc_freq like a new process
        out["hybrid"].append(r.seconds)
        ids = kb.chunks([i for i, _ in dense + lexical])
        seen["dense"].append([ids[i].chunk_id for i, _ in dense])
        seen["lexical"].append([ids[i].chunk_id for i, _ in lexical])
        seen["hybrid"].append([h.chunk.chunk_id for h in r.hits])
    return {k: latency(v) for k, v in out.items()}, seen


def ef_sweep(kb: Any, qvecs: np.ndarray, truth: list[set[str]]) -> list[dict[str, float]]:
    """Dense recall@30 and latency of the HNSW index at several ef_search values."""
    default = kb.ef_search, kb.ef_per_k
    rows = []
    for ef in (60, 120, 250, 500, 1000):
        kb.ef_search, kb.ef_per_k = ef, 0
        lat, recall = [], []
        for q, t in zip(qvecs, truth, strict=True):
            s = time.perf_counter()
            with kb.snapshot():
                hits = kb.dense_search(q, K)
            lat.append(time.perf_counter() - s)
            found = kb.chunks([i for i, _ in hits])
            recall.append(len({c.chunk_id for c in found.values()} & t) / K)
        rows.append({"ef_search": ef, "recall_at_30": round(float(np.mean(recall)), 4)})
        rows[-1] |= latency(lat)
    kb.ef_search, kb.ef_per_k = default
    return rows


def start_pgserver(root: Path) -> tuple[Any, str]:
    try:
        import pgserver
    except ImportError:
        raise SystemExit(
            "give --store URL, or pip install pgserver for a local PostgreSQL"
        ) from None
    server = pgserver.get_server(root / "pgdata", cleanup_mode="delete")
    return server, server.get_uri()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--store", default=None, help="a postgresql:// URL (default: start pgserver)")
    ap.add_argument(
        "--vectors",
        choices=["real", "random"],
        default="real",
        help="chunk vectors: real passage embeddings plus noise, or random unit vectors",
    )
    ap.add_argument("--ef-search", type=int, default=None, help="HNSW ef_search floor")
    ap.add_argument("--out", type=Path, default=RESULTS / "stores.json")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from ragchat.embedder import load_embedder
    from ragchat.kb import open_kb
    from ragchat.kb.pg import PgKnowledgeBase
    from ragchat.settings import Settings

    home = Path(tempfile.mkdtemp(prefix="ragchat-stores-"))
    server, url = (None, args.store) if args.store else start_pgserver(home)
    if args.ef_search:
        PgKnowledgeBase.ef_search = args.ef_search
    base = Settings.load({"home": home})
    embedder = load_embedder(base)
    questions = [
        r["question"] for r in sample(load_questions("squad-en"), "answerable", args.queries, 1)
    ]
    qvecs = np.stack([embedder.embed_query(q) for q in questions])
    t = time.perf_counter()
    bases = real_bases(embedder) if args.vectors == "real" else None
    files = synthetic_files(args.chunks, embedder.dim, bases=bases)
    print(f"made {args.chunks} chunks in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    exact = np.concatenate([f[2] for f in files]) @ qvecs.T  # exact cosine, for dense recall
    ids = [c.chunk_id for f in files for c in f[1]]
    truth = [{ids[j] for j in np.argsort(-exact[:, i])[:K]} for i in range(len(questions))]
    t = time.perf_counter()
    for q in questions[:20]:
        embedder.embed_query(q)
    embed_ms = 1000 * (time.perf_counter() - t) / 20

    results: dict[str, Any] = {
        "chunks": args.chunks,
        "queries": len(questions),
        "k": K,
        "vectors": args.vectors,
        "embed_query_ms": round(embed_ms, 2),
        "stores": {},
    }
    seen = {}
    for store, settings in (("faiss", base), ("pg", base.replace(store=url))):
        name = f"bench{args.chunks}"
        kb = open_kb(settings, name, embedder=embedder.name, dim=embedder.dim, create=True)
        if kb.chunk_count():
            raise SystemExit(f"KB {name!r} in {store} is not empty")
        print(f"{store}: ingesting", file=sys.stderr)
        res = {"ingest": ingest(kb, files)}
        print(f"{store}: {res['ingest']}; querying", file=sys.stderr)
        res["latency"], seen[store] = measure(kb, settings, embedder, questions, qvecs)
        res["dense_recall_at_30"] = round(
            float(
                np.mean(
                    [len(set(s) & t) / K for s, t in zip(seen[store]["dense"], truth, strict=True)]
                )
            ),
            4,
        )
        res["bytes"] = kb.stats().bytes_on_disk
        if store == "pg":
            res["hnsw_ef_search"] = kb.ef_for(K)
            res["dense_index"] = "hnsw" if kb.size() > kb.exact_limit else "exact"
            if res["dense_index"] == "hnsw":
                res["ef_search_sweep"] = ef_sweep(kb, qvecs, truth)
        results["stores"][store] = res
        kb.close()
    pairs = {k: list(zip(seen["faiss"][k], seen["pg"][k], strict=True)) for k in seen["pg"]}
    results["same_results"] = {  # share of queries with the very same ranked list
        kind: round(float(np.mean([a == b for a, b in p])), 4) for kind, p in pairs.items()
    }
    results["overlap"] = {  # mean share of one store's results the other also returned
        kind: round(float(np.mean([_overlap(a, b) for a, b in p])), 4) for kind, p in pairs.items()
    }
    results["machine"] = {"cpus": os.cpu_count()}
    if server is not None:
        server.cleanup()
    shutil.rmtree(home, ignore_errors=True)  # the FAISS KB (hundreds of MB at 100k chunks)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
    print_table(results)
    chart(results, args.out.with_suffix(".png"))


def _overlap(a: list[str], b: list[str]) -> float:
    return len(set(a) & set(b)) / len(a) if a else float(not b)


def print_table(r: dict[str, Any]) -> None:
    f, p = r["stores"]["faiss"], r["stores"]["pg"]
    print(f"\n{r['chunks']:,} chunks, {r['queries']} queries, k={r['k']}")
    print(f"{'measure':<28} {'FAISS':>10} {'pgvector':>10} {'pg/FAISS':>9}")
    rows = [("ingest chunks/s", f["ingest"]["chunks_per_s"], p["ingest"]["chunks_per_s"])]
    for kind in ("dense", "lexical", "hybrid"):
        for q in ("p50_ms", "p95_ms"):
            rows.append((f"{kind} {q}", f["latency"][kind][q], p["latency"][kind][q]))
    rows.append(("dense recall@30", f["dense_recall_at_30"], p["dense_recall_at_30"]))
    rows.append(("MB on disk", f["bytes"] / 1e6, p["bytes"] / 1e6))
    for label, a, b in rows:
        print(f"{label:<28} {a:>10.2f} {b:>10.2f} {b / a if a else float('nan'):>9.2f}")
    for row in p.get("ef_search_sweep", []):
        print(
            f"pgvector HNSW ef_search={row['ef_search']:<5} recall@30 {row['recall_at_30']:.3f}"
            f"  p50 {row['p50_ms']:.2f} ms  p95 {row['p95_ms']:.2f} ms"
        )
    same, over = r["same_results"], r["overlap"]
    print(
        f"identical lists: dense top-{r['k']} {same['dense']:.0%}, lexical top-{r['k']}"
        f" {same['lexical']:.0%}, hybrid top-5 {same['hybrid']:.0%}; overlap: dense"
        f" {over['dense']:.0%}, lexical {over['lexical']:.0%}, hybrid {over['hybrid']:.0%}"
    )


def chart(r: dict[str, Any], path: Path) -> None:
    kinds = ["dense", "lexical", "hybrid"]
    with chart_figure(path, figsize=(7, 3.5)) as ax:
        x = np.arange(len(kinds))
        for off, (store, label) in (
            (-0.2, ("faiss", "FAISS + SQLite")),
            (0.2, ("pg", "pgvector")),
        ):
            latencies = [r["stores"][store]["latency"][k]["p50_ms"] for k in kinds]
            ax.bar(x + off, latencies, 0.4, label=label)
        ax.set_xticks(x, [f"{k} p50" for k in kinds])
        ax.set_ylabel("ms per query")
        ax.set_title(f"{r['chunks']:,} chunks")
        ax.legend()


if __name__ == "__main__":
    main()
