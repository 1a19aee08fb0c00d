"""The Chinese coverage gate on a whole set and on a KB of one book, against the KB-IDF gate.

Builds two KBs from ../shared/eval/cmrc-zh: all ten books, and one book (baike_00.pdf, the
bundled Chinese sample). Every cmrc-zh question is scored by the gate, with today's term weights
(general-Chinese rarity) and, in the same run, with the previous ones (the KB's own IDF, the
baseline). On the ten-book KB the answerable questions should pass and the out-of-domain ones be
refused; on the one-book KB the questions about that book should pass and every other question
(about the nine missing books, or out of domain) be refused. Each gate is read at its own default
threshold and at the threshold best for the ten-book KB, carried to the one-book KB unchanged.

    python -m bench.gate            # prints JSON and a table; writes bench/results/gate.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.common import RESULTS, SHARED, load_questions

BOOK = "baike_00.pdf"
KB_IDF_DEFAULT = 0.51  # the previous gate's calibrated Chinese default


def kb_idf(qtokens: list[str], df: dict[str, int], total: int, lang: str) -> dict[str, float]:
    """The previous Chinese term weights: IDF in the KB, search-mode compounds included."""
    from ragchat.gate import idf

    return {t: idf(df.get(t, 0), total) for t in set(qtokens)}


def scores(chat: Any, rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Gate score of every question under both weightings (same retrieval)."""
    import ragchat.gate as gate

    out: dict[str, list[float]] = {"current": [], "kb_idf": []}
    current = gate.term_weights
    for row in rows:
        for name, weights in (("current", current), ("kb_idf", kb_idf)):
            gate.term_weights = weights  # gate_features looks the weighting up at call time
            try:
                out[name].append(chat.search(row["question"]).gate_score)
            finally:
                gate.term_weights = current
    return out


def errors(pos: list[bool], s: list[float], t: float) -> dict[str, float]:
    p = [x for x, ok in zip(s, pos, strict=True) if ok]
    n = [x for x, ok in zip(s, pos, strict=True) if not ok]
    return {
        "answerable_refused": round(sum(x < t for x in p) / len(p), 4),
        "others_accepted": round(sum(x >= t for x in n) / len(n), 4),
    }


def best_threshold(pos: list[bool], s: list[float]) -> float:
    def cost(t: float) -> float:
        e = errors(pos, s, t)
        return e["answerable_refused"] + e["others_accepted"]

    return min(sorted(set(s)), key=cost)


def split_halves(pos: list[bool], s: list[float], seeds: int = 3) -> list[dict[str, float]]:
    """Threshold chosen on a random half of the questions, errors on the other half."""
    import random

    out = []
    for seed in range(seeds):
        idx = list(range(len(s)))
        random.Random(seed).shuffle(idx)
        fit, held = idx[: len(idx) // 2], idx[len(idx) // 2 :]
        t = best_threshold([pos[i] for i in fit], [s[i] for i in fit])
        out.append(
            {"threshold": round(t, 4), **errors([pos[i] for i in held], [s[i] for i in held], t)}
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=RESULTS / "gate.json")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ingestion.index import Ingestor
    from ragchat.embedder import load_embedder
    from ragchat.gate import DEFAULT_GATE
    from ragchat.kb import open_kb
    from ragchat.pipeline import RagChat
    from ragchat.settings import Settings

    rows = [r for r in load_questions("cmrc-zh") if r["kind"] in {"answerable", "out_of_domain"}]
    home = Path(tempfile.mkdtemp(prefix="ragchat-gate-"))
    settings = Settings.load({"home": home})
    embedder = load_embedder(settings)
    one_book = home / "one-book"
    one_book.mkdir()
    shutil.copy(SHARED / "cmrc-zh" / "pdfs" / BOOK, one_book / BOOK)
    kbs = {"ten books": SHARED / "cmrc-zh" / "pdfs", "one book": one_book}
    results: dict[str, Any] = {"questions": len(rows), "kbs": {}}
    tuned: dict[str, float] = {}
    for label, folder in kbs.items():
        kb = open_kb(
            settings, label.replace(" ", "-"), embedder=embedder.name, dim=embedder.dim, create=True
        )
        Ingestor(kb, settings, embedder).ingest([folder])
        chat = RagChat(settings, kb, embedder)
        if label == "ten books":
            pos = [r["kind"] == "answerable" for r in rows]
        else:
            pos = [r.get("file") == BOOK for r in rows]
        s = scores(chat, rows)
        entry: dict[str, Any] = {"answerable": sum(pos), "others": len(pos) - sum(pos)}
        for name, defaults in (("current", DEFAULT_GATE["zh"]), ("kb_idf", KB_IDF_DEFAULT)):
            if label == "ten books":
                tuned[name] = best_threshold(pos, s[name])
            entry[name] = {
                "default_threshold": defaults,
                "at_default": errors(pos, s[name], defaults),
                "ten_book_best_threshold": round(tuned[name], 4),
                "at_ten_book_best": errors(pos, s[name], tuned[name]),
            }
            if label == "ten books":
                entry[name]["held_out_halves"] = split_halves(pos, s[name])
        results["kbs"][label] = entry
        kb.close()
    shutil.rmtree(home, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results))
    print(
        f"\n{'KB':<10} {'threshold':<14} {'gate':<8} {'answerable refused':>19} "
        f"{'others accepted':>16}"
    )
    for label, entry in results["kbs"].items():
        for at in ("at_default", "at_ten_book_best"):
            for name in ("current", "kb_idf"):
                e = entry[name][at]
                print(
                    f"{label:<10} {at[3:]:<14} {name:<8} {e['answerable_refused']:>19.3f} "
                    f"{e['others_accepted']:>16.3f}"
                )
    for label, entry in results["kbs"].items():
        c, b = entry["current"]["at_default"], entry["kb_idf"]["at_default"]
        ratio = (c["answerable_refused"] + c["others_accepted"]) / max(
            1e-9, b["answerable_refused"] + b["others_accepted"]
        )
        print(f"{label}: errors at default, current / KB-IDF baseline = {ratio:.2f}")


if __name__ == "__main__":
    main()
