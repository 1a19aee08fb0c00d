"""Do the near-miss checks refuse SQuAD 2.0's near misses without refusing answerable questions?

    python -m bench.near_miss --kb squad-en --check years   # or negation, opposites, names,
                                                            # acronyms, order, all

For every question of ../shared/eval/<kb> the check applies to — one naming a year the way
`ragchat.near_miss.QUESTION_YEAR` reads one ("in 1781", "December 2008"), a negated one
(`NEGATED_QUESTION`: "not", "never", "fail to"), or one asking with a word that has an opposite
(`asks_with_an_opposite`: "most", "increase"), or one naming a proper name past its first word
(`question_names`: "San Juan"), or one naming a short acronym ("QP", `ACRONYM`), or asking for "the first" or "the last" one
(`THE_FIRST`); with `--check all`, every question and all four checks —
answerable and unanswerable, runs retrieval, the gate and evidence selection (no answering
model) and decides the shown answer from the evidence alone (a quote or a refusal), once with
the check and once without it — the baseline, measured in the same run on the same evidence.
Reports per kind the share refused and, for answerable questions, the share whose shown answer
holds a gold answer. The KB must hold the set's PDFs. Prints one JSON object (also saved to
bench/results/near-miss-<check>-<kb>.json) and a table.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any
from unittest import mock

from bench.common import RESULTS, load_questions

CHECKS = {
    "years": "names_the_years",
    "negation": "keeps_the_negation",
    "opposites": "keeps_the_sense",
    "names": "names_the_names",
    "acronyms": "names_the_acronyms",
    "order": "keeps_the_order",
}


def measure(
    chat: Any, rows: list[dict[str, Any]], lang: str, check: str
) -> dict[str, dict[str, float]]:
    from ragchat import decide as decide_mod
    from ragchat import near_miss
    from ragchat.metrics import answer_in

    counts = {arm: {"refused": 0, "holds_gold": 0} for arm in ("with_check", "without_check")}
    for r in rows:
        found = chat.search(r["question"])
        evidence = (
            chat._evidence(r["question"], found.hits, lang) if found.covered and found.hits else []
        )
        for arm in counts:
            if arm == "with_check":
                d = decide_mod.decide("", r["question"], evidence, lang)
            else:
                with (
                    mock.patch.object(near_miss, "on_point", lambda *a: True)
                    if check == "all"
                    else mock.patch.object(near_miss, CHECKS[check], lambda *a: True)
                ):
                    d = decide_mod.decide("", r["question"], evidence, lang)
            text = re.sub(r"\[\d+\]", "", d.text)
            counts[arm]["refused"] += d.refused
            counts[arm]["holds_gold"] += not d.refused and any(
                answer_in(g, text, lang) for g in r.get("answers", [])
            )
    n = max(1, len(rows))
    return {
        arm: {"questions": len(rows), **{k: round(v / n, 3) for k, v in c.items()}}
        for arm, c in counts.items()
    }


def _applies(near_miss: Any, check: str, question: str) -> bool:
    """Does the check read anything in this question? ("all": every question)"""
    if check == "all":
        return True
    if check == "years":
        return bool(near_miss.QUESTION_YEAR.search(question))
    if check == "negation":
        return bool(near_miss.NEGATED_QUESTION.search(question))
    if check == "names":
        return bool(near_miss.question_names(question))
    if check == "acronyms":
        return bool(near_miss.ACRONYM.search(question[1:]))
    if check == "order":
        return bool(near_miss.THE_FIRST.search(question))
    return near_miss.asks_with_an_opposite(question)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default="squad-en")
    ap.add_argument("--check", choices=[*sorted(CHECKS), "all"], default="years")
    args = ap.parse_args(argv)
    from ragchat import near_miss
    from ragchat.pipeline import NO_ADAPTER, RagChat
    from ragchat.settings import Settings

    chat = RagChat.open(Settings.load(), args.kb, load_generator=False, adapter=NO_ADAPTER)
    lang = "zh" if args.kb.startswith("cmrc") else "en"
    rows = [r for r in load_questions(args.kb) if _applies(near_miss, args.check, r["question"])]
    result: dict[str, Any] = {"kb": args.kb, "check": args.check}
    for kind in ("answerable", "unanswerable"):
        picked = [r for r in rows if r["kind"] == kind]
        if picked:
            result[kind] = measure(chat, picked, lang, args.check)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"near-miss-{args.check}-{args.kb}.json"
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    print(f"\n{'':28} {'questions':>9} {'without':>8} {'with':>8} {'x without':>10}")
    for kind in ("answerable", "unanswerable"):
        if kind not in result:
            continue
        keys = ("refused", "holds_gold") if kind == "answerable" else ("refused",)
        for key in keys:
            base, new = result[kind]["without_check"][key], result[kind]["with_check"][key]
            ratio = new / base if base else float("nan")
            n = result[kind]["with_check"]["questions"]
            print(f"{kind + ' ' + key:28} {n:9d} {base:8.3f} {new:8.3f} {ratio:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
