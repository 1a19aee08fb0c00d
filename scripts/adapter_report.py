"""Write the domain-adapter results (docs/finetune.md, docs/results/adapter-*.json, the charts, and
the README table between its markers) from real `ragchat-finetune` runs.

    RAGCHAT_HOME=/tmp/ragchat-bench-home ragchat-finetune run --kb squad-en
    ragchat-finetune evaluate --kb squad-en --questions ../shared/eval/squad-en/questions.jsonl \\
        --answerable 60 --unanswerable 40 --out-of-domain 40
    python scripts/adapter_report.py --home /tmp/ragchat-bench-home --kbs squad-en,cmrc-zh --write

Nothing here trains or answers: it reads the adapters' training cards, data cards and evaluation
reports, so the published numbers are exactly what the commands printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- adapter-results:start -->", "<!-- adapter-results:end -->"
ROWS = (
    ("answerable_f1", "answerable F1", "≥ base + 0.10"),
    ("answerable_contains_gold", "answer contains gold", "≥ base"),
    ("citation_validity", "citation validity (cited sentence holds the gold)", "≥ base"),
    ("over_refusal", "answerable wrongly refused", "≤ 0.10"),
    ("unanswerable_refused", "unanswerable refused", "≥ 0.60 (squad-en)"),
    ("out_of_domain_refused", "out-of-domain refused", "≥ 0.95"),
)


def load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def met(key: str, base: float | None, tuned: float | None, kb: str) -> str:
    if tuned is None:
        return ""
    ok = {
        "answerable_f1": base is not None and tuned >= base + 0.10,
        "answerable_contains_gold": base is not None and tuned >= base,
        "citation_validity": base is not None and tuned >= base,
        "over_refusal": tuned <= 0.10,
        "unanswerable_refused": tuned >= 0.60 if kb.startswith("squad") else True,
        "out_of_domain_refused": tuned >= 0.95,
    }[key]
    return "met" if ok else "**missed**"


def table(kb: str, report: dict[str, Any], with_goal: bool) -> list[str]:
    n = report["base"]["n"]
    head = f"| {kb}: {n['answerable']} answerable / {n['unanswerable']} unanswerable / "
    head += f"{n['out_of_domain']} out-of-domain | base | adapter |"
    lines = [
        head + (" goal |" if with_goal else ""),
        "|---|---|---|" + ("---|" if with_goal else ""),
    ]
    for key, label, goal in ROWS:
        b, a = report["base"].get(key), report["adapter"].get(key)
        if b is None and a is None:
            continue
        cells = f"| {label} | {_f(b)} | {_f(a)} |"
        if with_goal:
            cells += f" {goal}: {met(key, b, a, kb)} |"
        lines.append(cells)
    return lines


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _budget(card: dict[str, Any]) -> str:
    """The training budget the whole-run --budget left, and the time after training estimated
    against measured (cards written before the budget have neither)."""
    after = card.get("after_training_seconds") or {}
    if card.get("train_budget_seconds") is None or after.get("estimated") is None:
        return ""
    return (
        f"; the budget left {card['train_budget_seconds'] / 60:.1f} min for training, and the"
        f" time after training was estimated at {after['estimated'] / 60:.1f} min"
        f" (measured {after['measured'] / 60:.1f})"
    )


def card_line(kb: str, card: dict[str, Any], data: dict[str, Any] | None) -> str:
    cal = card.get("calibration", {})
    parts = [
        f"**{kb}**: {card['examples']['train']} training examples",
        f"{card.get('steps_done')} steps in {card.get('train_seconds', 0) / 60:.1f} min of training"
        f" ({card.get('seconds', 0) / 60:.1f} min with loading and calibration)" + _budget(card),
        f"peak RSS {card.get('peak_rss_mb', 0) / 1024:.2f} GiB",
        f"refusal threshold {card.get('refusal_threshold')} (validation: answerable wrongly refused"
        f" {cal.get('val_answerable_wrongly_refused')}, unanswerable refused"
        f" {cal.get('val_unanswerable_refused')}, n = {cal.get('n')})",
        f"data sha256 {card.get('data_sha256', {}).get('train', '')[:12]}",
    ]
    if data:
        ov = data["copy_overlap"]
        parts.append(
            f"questions copying their sentence: {ov['share_over_threshold']:.1%} of"
            f" {ov['questions']}; kinds {data['by_kind']}"
        )
        if every := data.get("per_document", {}).get("(all)"):
            parts.append(
                f"grounded questions {every['questions']} from {every['pages']} pages"
                f" ({every['per_10_pages']} per 10 pages)"
            )
    return "; ".join(parts) + "."


def build(home: Path, kbs: list[str], provenance: str = "") -> tuple[str, str, dict[str, Path]]:
    readme, doc, files = [], ["# Domain adapter results", ""], {}
    if provenance:  # which commits and which machine the runs come from
        doc += [provenance, ""]
    for kb in kbs:
        adapter = home / "kb" / kb / "adapter"
        card = load(adapter / "training_card.json")
        data = load(home / "kb" / kb / "adapter-data" / "card.json")
        labelled = load(adapter / "evaluation" / "labelled.json")
        free = load(adapter / "evaluation" / "report.json")
        if card is None:
            raise SystemExit(
                f"{adapter}: no training_card.json; run ragchat-finetune run --kb {kb}"
            )
        if labelled:
            readme += [*table(kb, labelled, with_goal=True), ""]
            files[f"adapter-{kb}-labelled.png"] = adapter / "evaluation" / "labelled.png"
        doc += [f"## {kb}", "", card_line(kb, card, data), ""]
        if labelled:
            doc += ["Labelled human questions (`--questions`):", ""]
            doc += [
                *table(kb, labelled, with_goal=True),
                "",
                f"![{kb} labelled](adapter-{kb}-labelled.png)",
                "",
            ]
        if free:
            doc += [
                "Label-free (held-out generated questions, `evaluate --kb` without labels):",
                "",
            ]
            doc += [
                *table(kb, free, with_goal=False),
                "",
                f"![{kb} label-free](adapter-{kb}-label-free.png)",
                "",
            ]
            files[f"adapter-{kb}-label-free.png"] = adapter / "evaluation" / "report.png"
            doc += ["Examples (base vs adapter, same question):", ""]
            for ex in (labelled or free).get("examples", [])[:5]:
                gold = f" (gold: {ex['gold'][0]})" if ex.get("gold") else ""
                doc += [
                    f"- *{ex['question']}*{gold}",
                    f"  - base: {ex['base']}",
                    f"  - adapter: {ex['adapter']}",
                ]
            doc.append("")
        for name, rep in (("labelled", labelled), ("label-free", free)):
            if rep:
                slim = {k: v for k, v in rep.items() if k not in ("base", "adapter")}
                slim |= {
                    k: {m: x for m, x in rep[k].items() if m != "records"}
                    for k in ("base", "adapter")
                }
                files[f"results/adapter-{kb}-{name}.json"] = slim  # type: ignore[assignment]
        files[f"results/adapter-{kb}-training-card.json"] = card  # type: ignore[assignment]
    return "\n".join(readme).strip(), "\n".join(doc).strip() + "\n", files


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--kbs", default="squad-en,cmrc-zh")
    ap.add_argument("--write", action="store_true", help="write docs/ and the README table")
    ap.add_argument(
        "--provenance", default="", help="a paragraph under the title: commits, date, machine"
    )
    args = ap.parse_args()
    readme, doc, files = build(args.home, args.kbs.split(","), args.provenance)
    print(readme)
    if not args.write:
        return
    docs = REPO / "docs"
    (docs / "finetune.md").write_text(doc, encoding="utf-8")
    for name, src in files.items():
        target = docs / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, Path):
            if src.is_file():
                shutil.copyfile(src, target)
        else:
            target.write_text(json.dumps(src, indent=2, ensure_ascii=False), encoding="utf-8")
    path = REPO / "README.md"
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        path.write_text(f"{head}{START}\n{readme}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
