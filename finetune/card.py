"""The data card: what the generated training set holds (counts by kind, language and split, how
much the questions copy their source sentences, examples), as JSON and Markdown."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from finetune.questions import COPY_THRESHOLD, copy_overlap


def data_card(examples: list[Any], config: Any) -> dict[str, Any]:
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
        "examples": [
            {"kind": e.kind, "question": e.question, "target": e.target}
            for kind in ("grounded", "followup", "no_oracle", "swapped", "out_of_domain")
            for e in [x for x in examples if x.kind == kind][:3]
        ],
    }


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
    lines += ["", "## Examples", ""] + [
        f"- **{x['kind']}**: {x['question']} → `{x['target']}`" for x in card["examples"]
    ]
    (out / "card.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
