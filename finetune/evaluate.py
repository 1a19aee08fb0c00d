"""Base model vs adapter on the same questions, through the real pipeline (retrieval, gate,
generation), in one run. Metrics per kind of question; JSON, a table and a PNG chart."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ragchat.metrics import answer_in, exact_match, f1_score


def sample_questions(path: Path, n: dict[str, int], seed: int = 7) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    rng = random.Random(seed)
    out = []
    for kind, count in n.items():
        pool = [r for r in rows if r["kind"] == kind]
        rng.shuffle(pool)
        out.extend(pool[:count])
    return out


def score(
    chat: Any, questions: list[dict[str, Any]], progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    f1, em, over, cited_ok, unans, ood = [], [], [], [], [], []
    for q in questions:
        a = chat.ask(q["question"])
        lang = q.get("lang", "en")
        if q["kind"] == "answerable":
            text = re.sub(r"\[\d+\]", "", a.text).strip()
            over.append(float(a.refused))
            f1.append(0.0 if a.refused else max(f1_score(text, g, lang) for g in q["answers"]))
            em.append(0.0 if a.refused else max(exact_match(text, g, lang) for g in q["answers"]))
            if not a.refused:
                cited_ok.append(
                    float(
                        any(answer_in(g, c.quote, lang) for c in a.citations for g in q["answers"])
                    )
                )
        elif q["kind"] == "unanswerable":
            unans.append(float(a.refused))
        else:
            ood.append(float(a.refused))
        if progress:
            progress(1)

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 4) if xs else None

    return {
        "answerable_f1": mean(f1),
        "answerable_em": mean(em),
        "over_refusal": mean(over),
        "citation_validity": mean(cited_ok),
        "unanswerable_refused": mean(unans),
        "out_of_domain_refused": mean(ood),
        "n": {"answerable": len(f1), "unanswerable": len(unans), "out_of_domain": len(ood)},
    }


def compare(
    settings: Any,
    kb: str,
    adapter: Path,
    questions: list[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    import dataclasses

    from ragchat.pipeline import NO_ADAPTER, RagChat

    results = {}
    for name, adapter_dir in (("base", None), ("adapter", adapter)):
        s = dataclasses.replace(settings, adapter=adapter_dir)
        chat = RagChat.open(s, kb, adapter=adapter_dir or NO_ADAPTER)  # base: really no adapter
        results[name] = score(chat, questions, progress)
    return results


def table(results: dict[str, Any]) -> str:
    keys = [
        "answerable_f1",
        "answerable_em",
        "over_refusal",
        "citation_validity",
        "unanswerable_refused",
        "out_of_domain_refused",
    ]
    lines = [f"{'metric':<24}{'base':>10}{'adapter':>10}", "-" * 44]
    for k in keys:
        b, a = results["base"].get(k), results["adapter"].get(k)
        lines.append(
            f"{k:<24}{'-' if b is None else f'{b:.3f}':>10}{'-' if a is None else f'{a:.3f}':>10}"
        )
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [
        "answerable_f1",
        "over_refusal",
        "citation_validity",
        "unanswerable_refused",
        "out_of_domain_refused",
    ]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = range(len(keys))
    ax.bar([i - 0.2 for i in x], [results["base"].get(k) or 0 for k in keys], 0.4, label="base")
    ax.bar(
        [i + 0.2 for i in x], [results["adapter"].get(k) or 0 for k in keys], 0.4, label="adapter"
    )
    ax.set_xticks(list(x), [k.replace("_", "\n") for k in keys], fontsize=8)
    ax.set_ylim(0, 1)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
