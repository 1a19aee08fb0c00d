"""Table answers: is a question about a line item answered from that line's row?

    python -m bench.table_answers --kb samples      # the bundled Apple 10-Q (28 pages)
    python -m bench.table_answers --kb sec10q --n 300   # after:
    ragchat-ingest add ../shared/eval/sec10q-en/pdfs --kb sec10q

For every labelled row of the KB's financial tables (a row whose first cell names it, under a
header of periods: "Net income; Three Months Ended June 25, 2022: $19,442; ..."), one question in a
user's words asks for one cell — "What was the company's net income for the three months ended June
25, 2022?" — in one of a few phrasings, seeded. Rows whose label appears in more than one table
with different values in that column are left out (the question would not say which table), and
so are a segment's rows ("Japan – Operating income", `ragchat.table_text` reads the section row
above them): they stay as distractors for the company's own line ("Operating income"). Each
question goes through retrieval, the gate, evidence selection and `decide` with no answering model
(the quote or refusal the user sees when the model says nothing useful), once as ragchat runs and
once without the row-label rules (`ragchat.table_text.label_named` bonus and `period_named` bonus,
`ragchat.pipeline.rows_named`, the named row's place among the evidence,
`ragchat.choice.with_the_named_row`) — the baseline, in the same run on the same KB. Reports the share of
questions whose shown answer holds the asked cell's value. The questions name the row's label by
construction, so this measures whether the right row of many alike is found and shown, not how
people phrase questions. Prints one JSON object (also saved to
bench/results/table-answers-<kb>.json) and a table.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from typing import Any
from unittest import mock

from bench.common import RESULTS

PHRASINGS = (
    "What was {label} for the {period}?",
    "What was the company's {label} in the {period}?",
    "How much was {label} for the {period}?",
    "{label} for the {period}?",
)
_PERIOD = re.compile(r"(?:three|six|nine|twelve) months ended \w+ \d{1,2}, (?:19|20)\d\d", re.I)
_AMOUNT = re.compile(r"\$?\(?\d[\d,.]*\)?%?")


def _as_chosen(question: str, scored: object, chosen: list, k: int) -> list:
    """The baseline's evidence: the sentences as scored, no place kept for the named row."""
    return chosen


def questions(chunks: list[Any], n: int, seed: int) -> list[dict[str, str]]:
    """One question per labelled row cell under a period heading, at most n, seeded."""
    from ragchat.table_text import SECTION_MARK, is_table, names_a_part, row_cells, table_rows

    cells: dict[tuple[str, str], set[str]] = defaultdict(set)
    for c in chunks:
        if not is_table(c):
            continue
        for row in table_rows(c.text):
            pairs = row_cells(row)
            if len(pairs) < 2 or pairs[0][0]:
                continue
            section, _, label = pairs[0][1].rpartition(SECTION_MARK)
            if names_a_part(section):
                continue  # a segment's line ("Japan – Net sales"): a distractor, not asked
            label = re.sub(r"\(\d{1,2}\)|[®™]", "", label).strip(" :")
            if not re.search(r"[A-Za-z]{3}", label) or len(label) > 60:
                continue
            for header, value in pairs[1:]:
                period = _PERIOD.search(header)
                if period and _AMOUNT.fullmatch(value) and re.search(r"\d", value):
                    cells[(label, period.group(0))].add(value.strip("$()"))
    rng = random.Random(seed)
    picked = sorted(k for k, v in cells.items() if len(v) == 1)
    rng.shuffle(picked)
    return [
        {
            "question": rng.choice(PHRASINGS).format(label=label.lower(), period=period.lower()),
            "gold": next(iter(cells[(label, period)])),
        }
        for label, period in picked[:n]
    ]


def measure(chat: Any, rows: list[dict[str, str]], lang: str) -> dict[str, dict[str, float]]:
    from ragchat import choice, pipeline
    from ragchat import evidence as evidence_mod
    from ragchat.decide import decide

    counts = {arm: {"holds_gold": 0, "refused": 0} for arm in ("ragchat", "without_row_labels")}
    for r in rows:
        found = chat.search(r["question"])
        for arm in counts:
            if not found.covered or not found.hits:
                counts[arm]["refused"] += 1
                continue
            if arm == "ragchat":
                ev = chat._evidence(r["question"], found.hits, lang, found.candidates)
            else:
                with (
                    mock.patch.object(evidence_mod, "ROW_LABEL_BONUS", 0.0),
                    mock.patch.object(pipeline, "ROWS_NAMED", 0),
                    mock.patch.object(choice, "with_the_named_row", _as_chosen),
                ):
                    ev = chat._evidence(r["question"], found.hits, lang, found.candidates)
            d = decide("", r["question"], ev, lang)
            counts[arm]["refused"] += d.refused
            counts[arm]["holds_gold"] += not d.refused and r["gold"] in d.text
    n = max(1, len(rows))
    return {
        arm: {"questions": len(rows), **{k: round(v / n, 3) for k, v in c.items()}}
        for arm, c in counts.items()
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default="samples")
    ap.add_argument("--n", type=int, default=200, help="questions at most")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    from ragchat.pipeline import NO_ADAPTER, RagChat
    from ragchat.settings import Settings

    chat = RagChat.open(Settings.load(), args.kb, load_generator=False, adapter=NO_ADAPTER)
    chunks = [c for f in chat.kb.files() for c in chat.kb.chunks_of(f.path)]
    rows = questions(chunks, args.n, args.seed)
    result: dict[str, Any] = {"kb": args.kb, "seed": args.seed, **measure(chat, rows, "en")}
    result["examples"] = rows[:5]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"table-answers-{args.kb}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    base, new = result["without_row_labels"], result["ragchat"]
    print(f"\n{'':26} {'questions':>9} {'without':>8} {'ragchat':>8} {'x without':>10}")
    for key in ("holds_gold", "refused"):
        ratio = new[key] / base[key] if base[key] else float("nan")
        print(f"{key:26} {new['questions']:9d} {base[key]:8.3f} {new[key]:8.3f} {ratio:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
