"""Does the adapter's refusal marker tell people's unanswerable questions from answerable ones as
well as it tells the generated ones apart?

    python -m bench.refusal_marker --kb squad-en [--adapter DIR] [--n 80]

`ragchat-finetune` chooses the refusal threshold (`finetune.calibrate`) on the validation split
of its generated data. This measures the marker's probability at the first answer token
(`finetune.calibrate.marker_probability`, the value `RefusalGate` reads) on dev questions of
../shared/eval/<kb> that are NOT in the adapter evaluation's samples (n answerable, n
unanswerable), through the real retrieval and evidence selection, and compares it with the
same adapter on its own validation examples in the same run (the baseline). Reported for each:
the AUC (the chance that an unanswerable question scores above an answerable one), and the
shares refused at the adapter's stored threshold; for people's questions also among those the
marker decides (best evidence below `QUOTE_OVER_REFUSAL`, where a model refusal is not
overruled by a quote). Prints one JSON object (also saved to
bench/results/refusal-marker-<kb>.json) and a table. The KB must hold the set's PDFs and an
adapter (`ragchat-finetune run --kb <kb>`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
from pathlib import Path
from typing import Any

from bench.common import RESULTS, SHARED, load_questions


def dev_questions(kb: str, n: int, seed: int = 5) -> list[dict[str, Any]]:
    """n answerable and n unanswerable questions of the set outside the evaluation samples."""
    from finetune.evaluate import sample_questions

    held = {"answerable": 60, "unanswerable": 40, "out_of_domain": 40}
    evaluated = {r["id"] for r in sample_questions(SHARED / kb / "questions.jsonl", held)}
    rows = [r for r in load_questions(kb) if r["id"] not in evaluated]
    out = []
    for kind in ("answerable", "unanswerable"):
        pool = [r for r in rows if r["kind"] == kind]
        random.Random(seed).shuffle(pool)
        out += pool[:n]
    return out


def auc(positives: list[float], negatives: list[float]) -> float | None:
    """P(a positive scores above a negative), ties counted half."""
    if not positives or not negatives:
        return None
    wins = sum((p > q) + 0.5 * (p == q) for p in positives for q in negatives)
    return round(wins / (len(positives) * len(negatives)), 3)


def shares(records: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    ans = [r["p"] for r in records if r["answerable"]]
    una = [r["p"] for r in records if not r["answerable"]]

    def at(xs: list[float]) -> float | None:
        return round(sum(p >= threshold for p in xs) / len(xs), 3) if xs else None

    return {
        "n": {"answerable": len(ans), "unanswerable": len(una)},
        "auc": auc(una, ans),
        "answerable_refused": at(ans),
        "unanswerable_refused": at(una),
    }


def measure(settings: Any, kb: str, adapter: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from finetune.calibrate import ANSWERABLE, calibration_rows, marker_probability
    from finetune.card import load_split
    from ragchat.decide import refusal_overridden
    from ragchat.pipeline import RagChat
    from ragchat.prompt import build_evidence_messages

    s = dataclasses.replace(settings, adapter=adapter)
    chat = RagChat.open(s, kb, adapter=adapter)
    model, tok = chat.generator.model, chat.generator.tokenizer
    card = json.loads((adapter / "training_card.json").read_text(encoding="utf-8"))
    people = []
    for q in rows:
        found = chat.search(q["question"])
        if not (found.covered and found.hits):
            continue  # the retrieval gate refuses before the model is asked
        evidence = chat._evidence(q["question"], found.hits, found.lang)
        if not evidence:
            continue
        messages = build_evidence_messages(q["question"], evidence, found.lang)
        people.append(
            {
                "answerable": q["kind"] == "answerable",
                "p": marker_probability(model, tok, messages),
                "decides": not refusal_overridden(evidence, found.lang),
            }
        )
    generated = [
        {"answerable": r["kind"] in ANSWERABLE, "p": marker_probability(model, tok, r["messages"])}
        for r in calibration_rows(load_split(Path(card["data"]), "val"))
    ]
    chat.kb.close()
    t = float(card["refusal_threshold"])
    result = {
        "threshold": t,
        "generated_validation": shares(generated, t),
        "people": shares(people, t),
        "people_where_the_marker_decides": shares([r for r in people if r["decides"]], t),
    }
    base, ours = result["generated_validation"]["auc"], result["people"]["auc"]
    result["auc_ratio_people_to_generated"] = round(ours / base, 3) if base and ours else None
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", required=True)
    ap.add_argument("--adapter", type=Path, help="default: <RAGCHAT_HOME>/kb/<kb>/adapter")
    ap.add_argument("--n", type=int, default=80, help="answerable and unanswerable questions each")
    args = ap.parse_args(argv)
    from ragchat.settings import Settings

    settings = Settings.load()
    adapter = args.adapter or Path(settings.home) / "kb" / args.kb / "adapter"
    result = {"kb": args.kb, "adapter": str(adapter)}
    result |= measure(settings, args.kb, adapter, dev_questions(args.kb, args.n))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"refusal-marker-{args.kb}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    print(f"\nrefusal marker of {args.kb}'s adapter, threshold {result['threshold']}")
    print(
        f"{'questions':<34}{'n (ans/unans)':>14}{'AUC':>7}{'ans refused':>13}{'unans refused':>15}"
    )
    for key in ("generated_validation", "people", "people_where_the_marker_decides"):
        r = result[key]
        n = f"{r['n']['answerable']}/{r['n']['unanswerable']}"
        print(
            f"{key:<34}{n:>14}{r['auc'] or 0:>7.3f}{r['answerable_refused'] or 0:>13.3f}"
            f"{r['unanswerable_refused'] or 0:>15.3f}"
        )
    print(f"AUC people / generated: {result['auc_ratio_people_to_generated']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
