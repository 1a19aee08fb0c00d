"""The app's "Quality" view for a knowledge base with a domain adapter: the base model and the
adapter on the same questions (`ragchat-finetune evaluate`), as numbers, the chart, and a few
questions with both answers, plus what the training card records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from ragchat.app_support import escape_markdown

REPORTS = (
    ("report", "Held-out questions generated from documents the adapter never trained on"),
    ("labelled", "Labelled questions"),
)
LABELS = {
    "answerable_f1": "Answer F1 (answerable)",
    "answerable_contains_gold": "Answer contains the expected text",
    "answerable_em": "Exact match",
    "over_refusal": "Answerable but refused (lower is better)",
    "citation_validity": "Cited sentence holds the answer",
    "unanswerable_refused": "Unanswerable refused",
    "out_of_domain_refused": "Off-topic refused",
}


def read_reports(adapter_dir: Path) -> list[tuple[str, dict[str, Any], Path]]:
    """(title, report, chart path) for each evaluation the adapter has, newest kinds first."""
    out = []
    for name, title in REPORTS:
        path = adapter_dir / "evaluation" / f"{name}.json"
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append((f"{title} ({report.get('questions', name)})", report, path.with_suffix(".png")))
    return out


def metric_rows(report: dict[str, Any]) -> list[dict[str, str]]:
    def fmt(x: float | None) -> str:
        return "–" if x is None else f"{x:.2f}"

    return [
        {
            "metric": label,
            "base": fmt(report["base"].get(k)),
            "adapter": fmt(report["adapter"].get(k)),
        }
        for k, label in LABELS.items()
        if k in report["base"]
    ]


def quality_tab(adapter_dir: Path | None, kb_name: str) -> None:
    if adapter_dir is None:
        st.info(f"No domain adapter yet: `ragchat-finetune run --kb {kb_name}` trains one.")
        return
    reports = read_reports(adapter_dir)
    card = _training_card(adapter_dir)
    if card:
        minutes = (card.get("seconds") or 0) / 60
        st.caption(
            f"Adapter trained {card.get('steps_done', '?')} steps in {minutes:.0f} min on"
            f" {card.get('examples', {}).get('train', '?')} examples; refusal threshold"
            f" {card.get('refusal_threshold', '–')}; peak memory"
            f" {(card.get('peak_rss_mb') or 0) / 1024:.1f} GB."
        )
    if not reports:
        st.info(f"Not evaluated yet: `ragchat-finetune evaluate --kb {kb_name}`.")
        return
    for title, report, chart in reports:
        st.subheader(title)
        st.table(metric_rows(report))
        if chart.is_file():
            st.image(str(chart))
        for ex in report.get("examples", [])[:5]:
            gold = f" (expected: {escape_markdown(ex['gold'][0])})" if ex.get("gold") else ""
            st.markdown(f"**{escape_markdown(ex['question'])}**{gold}")
            left, right = st.columns(2)
            left.markdown(f"*Base:* {escape_markdown(ex['base'])}")
            right.markdown(f"*Adapter:* {escape_markdown(ex['adapter'])}")


def _training_card(adapter_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((adapter_dir / "training_card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
