"""Can retrieval and the evidence score tell SQuAD 2.0's unanswerable questions apart?

    python -m bench.unanswerable --kb squad-en [--n 250]

For n answerable and n unanswerable dev questions of ../shared/eval/<kb> outside the adapter
evaluation's samples, runs retrieval and evidence selection (no answering model) and reports,
per kind: the share refused by the retrieval gate, the share whose best evidence sentence
scores at or above `QUOTE_OVER_REFUSAL` (a model refusal is overruled there, so those cannot be
refused), and the median IDF-weighted share of the question's words in that sentence. The
baseline is the answerable questions, measured in the same run. The KB must hold the set's PDFs.
Prints one JSON object (also saved to bench/results/unanswerable-<kb>.json) and a table.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
from typing import Any

from bench.common import RESULTS, SHARED, load_questions


def dev_rows(kb: str, kind: str, n: int, seed: int = 1) -> list[dict[str, Any]]:
    from finetune.evaluate import sample_questions

    held = {"answerable": 60, "unanswerable": 40, "out_of_domain": 40}
    evaluated = {r["id"] for r in sample_questions(SHARED / kb / "questions.jsonl", held)}
    pool = [r for r in load_questions(kb) if r["kind"] == kind and r["id"] not in evaluated]
    random.Random(seed).shuffle(pool)
    return pool[:n]


_WORD = re.compile(r"[A-Za-z][\w'-]*")
_NUMBER = re.compile(r"\d[\d,.]*")
_NOT_NAMES = {"I", "The", "A", "An", "In", "On", "Of"}


def names(question: str) -> list[str]:
    """The question's capitalised words after the first (a rough list of the names it asks about)."""
    words = _WORD.findall(question)[1:]
    return [w for w in words if w[0].isupper() and w not in _NOT_NAMES]


def measure(chat: Any, rows: list[dict[str, Any]], lang: str) -> dict[str, float]:
    from ragchat.decide import QUOTE_OVER_REFUSAL
    from ragchat.evidence import term_share

    gated, strong, shares, no_name, no_number = 0, 0, [], 0, 0
    for r in rows:
        found = chat.search(r["question"])
        if not found.covered or not found.hits:
            gated += 1
            continue
        evidence = chat._evidence(r["question"], found.hits, lang)
        if not evidence:
            gated += 1
            continue
        strong += evidence[0].score >= QUOTE_OVER_REFUSAL[lang]
        seen = " ".join(e.text + " " + " ".join(e.heading_path) for e in evidence).lower()
        no_name += any(w.lower() not in seen for w in names(r["question"]))
        no_number += any(x not in evidence[0].text for x in _NUMBER.findall(r["question"]))
        shares.append(term_share(evidence[0].text, chat.retriever.term_weights(r["question"])))
    n = max(1, len(rows))
    return {
        "questions": len(rows),
        "gate_refused": round(gated / n, 3),
        "best_evidence_overrules_refusal": round(strong / n, 3),
        "median_question_words_in_best": round(statistics.median(shares), 3) if shares else 0.0,
        "name_missing_from_evidence": round(no_name / n, 3),
        "number_missing_from_best": round(no_number / n, 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default="squad-en")
    ap.add_argument("--n", type=int, default=250)
    args = ap.parse_args(argv)
    from ragchat.pipeline import NO_ADAPTER, RagChat
    from ragchat.settings import Settings

    chat = RagChat.open(Settings.load(), args.kb, load_generator=False, adapter=NO_ADAPTER)
    lang = "zh" if args.kb.startswith("cmrc") else "en"
    result = {
        "kb": args.kb,
        **{
            k: measure(chat, dev_rows(args.kb, k, args.n), lang)
            for k in ("answerable", "unanswerable")
        },
    }
    a, u = result["answerable"], result["unanswerable"]
    result["refusable_at_most"] = round(1 - u["best_evidence_overrules_refusal"], 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"unanswerable-{args.kb}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    print(f"\n{'':34} {'answerable':>11} {'unanswerable':>13} {'x answerable':>13}")
    for key in (
        "gate_refused",
        "best_evidence_overrules_refusal",
        "median_question_words_in_best",
        "name_missing_from_evidence",
        "number_missing_from_best",
    ):
        ratio = u[key] / a[key] if a[key] else float("nan")
        print(f"{key:34} {a[key]:11.3f} {u[key]:13.3f} {ratio:13.2f}")
    print(f"unanswerable questions refusable at most: {result['refusable_at_most']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
