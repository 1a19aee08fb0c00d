"""Tables benchmark: do the tables of financial filings come out with their column headings?

    python -m bench.tables                   # ../shared/eval/sec10q-en/pdfs (20 filings, 1,037 pages)
    python -m bench.tables --limit 3         # quick

A table row is only an answer when its numbers stand under their periods ("Total net sales;
Three Months Ended June 25, 2022: $82,959"), so the main measure is the share of amounts (below
a table's first row) whose column heading names a period (a year, a month or "Ended"); beside
it, the tables whose first row holds data (amounts, "$", "%", "—") rather than headings, and
the tables with a "%" or "$" left in a cell of its own. ragchat (`ingestion.parse.parse_pdf`, ruled grids and
aligned text) is measured against PyMuPDF's own `page.find_tables()` markdown on the same pages
in the same run, the baseline a plain pipeline would use. Prints one JSON object (also saved
to bench/results/tables.json) and a table.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from bench.common import RESULTS, SHARED

DEFAULT_PDFS = SHARED / "sec10q-en" / "pdfs"
_DATA = re.compile(r"[-(\s$€£¥]*[\d.,]*\d[\d.,]*\s*%?\)?|[—–%$-]")
_YEAR = re.compile(r"(?:19|20)\d\d")
_AMOUNT = re.compile(r"[-(\s$€£¥]*\d[\d.,]*\s*%?\)?")
_PERIOD = re.compile(
    r"(?:19|20)\d\d|Ended|January|February|March|April|May|June|July|August|September|"
    r"October|November|December",
    re.IGNORECASE,
)


def md_rows(md: str) -> list[list[str]]:
    return [
        [c.replace("<br>", "").strip() for c in ln.strip().strip("|").split("|")]
        for ln in md.splitlines()
        if ln.startswith("|") and not ln.startswith("|--")
    ]


def judge(rows: list[list[str]]) -> dict[str, Any]:
    """Does the first row hold data rather than headings; is a sign left in a cell alone?"""
    values = [c for c in rows[0][1:] if c] if rows else []
    data = sum(1 for v in values if _DATA.fullmatch(v) and not _YEAR.fullmatch(v))
    lone = any(c in {"%", "$"} for r in rows for c in r)
    amounts = [
        (j, c)
        for r in rows[1:]
        for j, c in enumerate(r)
        if j and _AMOUNT.fullmatch(c) and not _YEAR.fullmatch(c)
    ]
    dated = sum(1 for j, _ in amounts if j < len(rows[0]) and _PERIOD.search(rows[0][j]))
    return {
        "data_first": bool(values) and data * 2 > len(values),
        "lone_sign": lone,
        "amounts": len(amounts),
        "dated": dated,
    }


def tally(judged: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(judged)
    amounts = sum(j["amounts"] for j in judged)
    first = sum(j["data_first"] for j in judged)
    lone = sum(j["lone_sign"] for j in judged)
    return {
        "tables": n,
        "data_first": first,
        "headed_share": round(1 - first / n, 3) if n else None,
        "lone_sign": lone,
        "amounts": amounts,
        "amounts_under_a_period": round(sum(j["dated"] for j in judged) / amounts, 3)
        if amounts
        else None,
    }


def ragchat_tables(pdf: Path) -> list[dict[str, Any]]:
    from ingestion.parse import parse_pdf
    from ragchat.settings import Settings

    doc = parse_pdf(pdf, Settings())
    return [judge(md_rows(b.text)) for p in doc.pages for b in p.blocks if b.kind == "table"]


def baseline_tables(pdf: Path) -> list[dict[str, Any]]:
    import pymupdf

    out = []
    with pymupdf.open(pdf) as doc:
        for page in doc:
            for tab in page.find_tables().tables:
                rows = md_rows(tab.to_markdown())
                if rows:
                    out.append(judge(rows))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pdfs", type=Path, default=DEFAULT_PDFS)
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args(argv)
    pdfs = sorted(args.pdfs.glob("*.pdf"))[: args.limit]
    ours = [j for p in pdfs for j in ragchat_tables(p)]
    base = [j for p in pdfs for j in baseline_tables(p)]
    result = {"pdfs": len(pdfs), "ragchat": tally(ours), "baseline": tally(base)}
    r, b = result["ragchat"], result["baseline"]
    if r["amounts_under_a_period"] and b["amounts_under_a_period"]:
        ratio = r["amounts_under_a_period"] / b["amounts_under_a_period"]
        result["amounts_under_a_period_ratio"] = round(ratio, 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tables.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    print(f"{'':<28}{'ragchat':>10}{'find_tables':>13}")
    for key in ("tables", "amounts", "amounts_under_a_period", "data_first", "lone_sign"):
        print(f"{key:<28}{r[key]!s:>10}{b[key]!s:>13}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
