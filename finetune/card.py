"""The generated training set on disk (train.jsonl, val.jsonl) and its data card: what it holds
(counts by kind, language and split, how much the questions copy their source sentences,
examples), as JSON and Markdown."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from finetune.questions import COPY_THRESHOLD, copy_overlap

_ASKED = ("grounded", "followup")


def data_card(
    examples: list[Any], config: Any, pages: dict[str, tuple[str, int]] | None = None
) -> dict[str, Any]:
    """`pages`: doc_id -> (file name, pages), for the grounded questions per 10 pages."""
    asked = [e for e in examples if e.source_sentence and e.kind in ("grounded", "no_oracle")]
    overlaps = [copy_overlap(e.question, e.source_sentence) for e in asked]
    counts = Counter((e.split, e.kind, e.lang) for e in examples)
    return {
        "config": asdict(config),
        "total": len(examples),
        "counts": {f"{s}/{k}/{lang}": n for (s, k, lang), n in sorted(counts.items())},
        "by_kind": dict(sorted(Counter(e.kind for e in examples).items())),
        "by_lang": dict(sorted(Counter(e.lang for e in examples).items())),
        "written_by_generator": sum(1 for e in examples if e.id.endswith("w")),
        "copy_overlap": {
            "threshold": COPY_THRESHOLD,
            "share_over_threshold": round(
                sum(o > COPY_THRESHOLD for o in overlaps) / max(1, len(overlaps)), 3
            ),
            "mean": round(sum(overlaps) / max(1, len(overlaps)), 3),
            "questions": len(overlaps),
        },
        "documents": {
            split: sorted(
                {e.doc_id for e in examples if e.split == split and e.kind != "out_of_domain"}
            )
            for split in ("train", "val")
        },
        "per_document": _per_document(examples, pages or {}),
        "examples": [
            {"kind": e.kind, "question": e.question, "target": e.target}
            for kind in (
                "grounded",
                "followup",
                "no_oracle",
                "swapped",
                "near_miss",
                "out_of_domain",
            )
            for e in [x for x in examples if x.kind == kind][:3]
        ],
    }


def _per_document(examples: list[Any], pages: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """Grounded questions (distinct, with follow-ups) per document and per 10 pages of it."""
    asked = Counter(
        e.doc_id for e in {(e.doc_id, e.question): e for e in examples if e.kind in _ASKED}.values()
    )
    out = {}
    for doc, (name, n_pages) in sorted(pages.items(), key=lambda kv: kv[1][0]):
        n = asked.get(doc, 0)
        out[name] = {
            "questions": n,
            "pages": n_pages,
            "per_10_pages": round(10 * n / max(1, n_pages), 1),
        }
    if out:
        n, p = sum(d["questions"] for d in out.values()), sum(d["pages"] for d in out.values())
        out["(all)"] = {"questions": n, "pages": p, "per_10_pages": round(10 * n / max(1, p), 1)}
    return out


def write_card(card: dict[str, Any], out: Path) -> None:
    tmp = out / ".card.json.tmp"
    tmp.write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(out / "card.json")
    ov = card["copy_overlap"]
    lines = [
        "# Training data card",
        "",
        f"{card['total']} examples. Questions copying over {ov['threshold']:.0%} of their source"
        f" sentence's words: {ov['share_over_threshold']:.1%} (mean overlap {ov['mean']:.2f},"
        f" {ov['questions']} questions).",
        "",
        "| split/kind/language | examples |",
        "|---|---|",
    ]
    lines += [f"| {k} | {n} |" for k, n in card["counts"].items()]
    if docs := card.get("per_document"):
        lines += [
            "",
            "| document | pages | grounded questions | per 10 pages |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {k} | {d['pages']} | {d['questions']} | {d['per_10_pages']} |"
            for k, d in docs.items()
        ]
    lines += ["", "## Examples", ""] + [
        f"- **{x['kind']}**: {x['question']} → `{x['target']}`" for x in card["examples"]
    ]
    (out / "card.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_dataset(
    examples: list[Any],
    out: Path,
    config: Any,
    pages: dict[str, tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """train.jsonl, val.jsonl and a data card (card.json, card.md) in `out`, atomically.
    `pages` (doc_id -> file name, pages) adds the questions per 10 pages to the card."""
    out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val"):
        rows = [asdict(e) for e in examples if e.split == split]
        tmp = out / f".{split}.jsonl.tmp"
        tmp.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        tmp.replace(out / f"{split}.jsonl")
    card = data_card(examples, config, pages)
    write_card(card, out)
    return card


def load_split(data: Path, split: str) -> list[dict[str, Any]]:
    with open(data / f"{split}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
