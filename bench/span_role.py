"""Do the wrong-part checks (`ragchat.span_role`) spare right answers and catch wrong ones?

    python -m bench.span_role --kb squad-en      # or cmrc-zh

For every answerable question of ../shared/eval/<kb>, runs retrieval, the gate and evidence
selection (no answering model) and takes each evidence sentence that holds a gold answer. In it
the gold answer is the right span; every other span of the sentence of the same length (in
words; in characters for Chinese) and not overlapping it is a wrong one — the baseline, a span a
small model might have copied instead, measured on the same sentences in the same run. Reports,
per check and for all of them, how many questions it applies to, the share of right spans it
rejects (its cost: such an answer becomes a quote of its sentence) and of wrong spans (its use),
and their ratio. The KB must hold the set's PDFs. Prints one JSON object (also saved to
bench/results/span-role-<kb>.json) and a table.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from bench.common import RESULTS, load_questions


def _checks(lang: str) -> dict[str, Any]:
    from ragchat import span_role as sr

    if lang == "zh":
        return {
            "cuts_a_word": lambda body, q, s: sr.cuts_a_word(body, s),
            "a_gloss_alone": lambda body, q, s: sr.a_gloss_alone(body, s),
            "misses_the_other_name": sr.misses_the_other_name,
            "describes_the_subject": sr.describes_the_subject,
        }
    return {
        "names_the_doer": sr.names_the_doer,
        "misses_the_since": sr.misses_the_since,
        "names_where_they_are": sr.names_where_they_are,
    }


def _other_spans(sentence: str, start: int, end: int, lang: str) -> list[str]:
    """Every span of the sentence as long as [start, end) (words; Chinese: characters) that does
    not overlap it."""
    if lang == "zh":
        n = end - start
        return [
            sentence[i : i + n]
            for i in range(0, len(sentence) - n + 1)
            if i + n <= start or i >= end
        ]
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", sentence)]
    n = len(sentence[start:end].split())
    spans = []
    for i in range(len(words) - n + 1):
        a, b = words[i][0], words[i + n - 1][1]
        if b <= start or a >= end:
            spans.append(sentence[a:b].strip(",.;:()\"'“”"))
    return [s for s in spans if s]


def _rejects(checks: list[Any], body: str, question: str, sentence: str) -> bool:
    return any(check(body, question, sentence) for check in checks)


def measure(chat: Any, rows: list[dict[str, Any]], lang: str) -> dict[str, dict[str, float]]:
    checks = _checks(lang)
    tally = {
        name: {"questions": 0, "right": 0, "right_rejected": 0, "wrong": 0, "wrong_rejected": 0}
        for name in (*checks, "all")
    }
    for r in rows:
        found = chat.search(r["question"])
        if not (found.covered and found.hits):
            continue
        evidence = chat._evidence(r["question"], found.hits, lang)
        pairs = []
        for e in evidence:
            for gold in r.get("answers", [])[:1]:
                at = e.text.find(gold)
                if at >= 0 and gold.strip():
                    pairs.append((e.text, at, at + len(gold), gold))
        if not pairs:
            continue
        for name in tally:
            only = [checks[name]] if name in checks else list(checks.values())
            t = tally[name]
            applies = False
            for sentence, start, end, gold in pairs:
                t["right"] += 1
                t["right_rejected"] += _rejects(only, gold, r["question"], sentence)
                for other in _other_spans(sentence, start, end, lang):
                    t["wrong"] += 1
                    hit = _rejects(only, other, r["question"], sentence)
                    t["wrong_rejected"] += hit
                    applies = applies or hit
            t["questions"] += applies or any(
                _rejects(only, g, r["question"], s) for s, _, _, g in pairs
            )
    out = {}
    for name, t in tally.items():
        right = t["right_rejected"] / max(1, t["right"])
        wrong = t["wrong_rejected"] / max(1, t["wrong"])
        out[name] = {
            "questions_where_it_rejects_something": t["questions"],
            "right_spans": t["right"],
            "right_rejected": round(right, 4),
            "wrong_spans": t["wrong"],
            "wrong_rejected": round(wrong, 4),
            "wrong_over_right": round(wrong / right, 2) if right else None,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default="squad-en")
    ap.add_argument("--limit", type=int, default=0, help="Only the first N answerable questions.")
    args = ap.parse_args(argv)
    from ragchat.pipeline import NO_ADAPTER, RagChat
    from ragchat.settings import Settings

    chat = RagChat.open(Settings.load(), args.kb, load_generator=False, adapter=NO_ADAPTER)
    lang = "zh" if args.kb.startswith("cmrc") else "en"
    rows = [r for r in load_questions(args.kb) if r["kind"] == "answerable"]
    rows = rows[: args.limit] if args.limit else rows
    result: dict[str, Any] = {"kb": args.kb, "questions": len(rows)}
    result["checks"] = measure(chat, rows, lang)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"span-role-{args.kb}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    print(
        f"\n{'check':24} {'questions':>9} {'right rej.':>10} {'wrong rej.':>10} {'wrong/right':>11}"
    )
    for name, c in result["checks"].items():
        ratio = c["wrong_over_right"]
        print(
            f"{name:24} {c['questions_where_it_rejects_something']:9d} {c['right_rejected']:10.4f}"
            f" {c['wrong_rejected']:10.4f} {ratio if ratio is not None else float('inf'):11.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
