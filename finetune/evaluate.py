"""Base model vs adapter on the same questions, through the real pipeline (retrieval, gate,
evidence, generation, verification), in one run: metrics per kind of question, JSON, a table, a
PNG chart and a few example answers side by side.

Questions come from a labelled file (`--questions`), or, without labels, from the validation
split of the adapter's own training data: questions generated from documents the adapter never
trained on (answerable, and the unanswerable twins), plus held-out bundled out-of-domain ones.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ragchat.metrics import answer_in, exact_match, f1_score

METRICS = (
    "answerable_f1",
    "answerable_contains_gold",
    "answerable_em",
    "over_refusal",
    "citation_validity",
    "unanswerable_refused",
    "out_of_domain_refused",
)
CHART_METRICS = (
    "answerable_f1",
    "answerable_contains_gold",
    "over_refusal",
    "citation_validity",
    "unanswerable_refused",
    "out_of_domain_refused",
)


def sample_questions(path: Path, n: dict[str, int], seed: int = 7) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return _sample(rows, n, seed)


def _sample(rows: list[dict[str, Any]], n: dict[str, int], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for kind, count in n.items():
        pool = [r for r in rows if r["kind"] == kind]
        rng.shuffle(pool)
        out.extend(pool[:count])
    return out


def held_out_questions(data: Path, n: dict[str, int], seed: int = 7) -> list[dict[str, Any]]:
    """Label-free questions: the validation split of the generated data (unseen documents)."""
    from finetune.card import load_split

    # no_oracle questions are unanswerable only in their training example (the answer's sentences
    # were cut there); the KB itself still holds the answer, so they are not asked here
    kinds = {"grounded": "answerable", "swapped": "unanswerable", "near_miss": "unanswerable"}
    kinds["out_of_domain"] = "out_of_domain"
    rows = []
    for r in load_split(data, "val"):
        kind = kinds.get(r["kind"])
        if kind:
            answers = [r["answer"]] if r.get("answer") else []
            rows.append(
                {
                    "question": r["question"],
                    "kind": kind,
                    "answers": answers,
                    "lang": r.get("lang", "en"),
                    "source": "generated",
                }
            )
    return _sample(rows, n, seed)


def score(
    chat: Any, questions: list[dict[str, Any]], progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    f1, em, has, over, cited_ok, unans, ood = [], [], [], [], [], [], []
    records = []
    for q in questions:
        a = chat.ask(q["question"])
        lang = q.get("lang", "en")
        if q["kind"] == "answerable":
            text = re.sub(r"\[\d+\]", "", a.text).strip()
            over.append(float(a.refused))
            f1.append(0.0 if a.refused else max(f1_score(text, g, lang) for g in q["answers"]))
            em.append(0.0 if a.refused else max(exact_match(text, g, lang) for g in q["answers"]))
            has.append(
                0.0 if a.refused else float(any(answer_in(g, text, lang) for g in q["answers"]))
            )
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
        records.append(
            {
                "question": q["question"],
                "kind": q["kind"],
                "answers": q["answers"],
                "answer": a.text,
                "refused": a.refused,
                "fallback": a.fallback,
                "draft": a.draft,
            }
        )
        if progress:
            progress(1)

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 4) if xs else None

    return {
        "answerable_f1": mean(f1),
        "answerable_contains_gold": mean(has),
        "answerable_em": mean(em),
        "over_refusal": mean(over),
        "citation_validity": mean(cited_ok),
        "unanswerable_refused": mean(unans),
        "out_of_domain_refused": mean(ood),
        "n": {"answerable": len(f1), "unanswerable": len(unans), "out_of_domain": len(ood)},
        "records": records,
    }


def compare(
    settings: Any,
    kb: str,
    adapter: Path,
    questions: list[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
    *,
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Both models' scores on `questions` (`base`: the base model's, when already measured)."""
    results: dict[str, Any] = {
        "base": base if base is not None else score_model(settings, kb, None, questions, progress),
        "adapter": score_model(settings, kb, adapter, questions, progress),
    }
    results["examples"] = examples(results)
    return results


def score_model(
    settings: Any,
    kb: str,
    adapter: Path | None,
    questions: list[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """One model's scores (`adapter` None: the base model), then the model is unloaded: one
    model in memory at a time, not two."""
    import dataclasses

    from ragchat.generation import unload_generator
    from ragchat.pipeline import NO_ADAPTER, RagChat
    from ragchat.runtime_env import release_freed_memory

    s = dataclasses.replace(settings, adapter=adapter)
    chat = RagChat.open(s, kb, adapter=adapter or NO_ADAPTER)  # base: really no adapter
    try:
        return score(chat, questions, progress)
    finally:
        chat.kb.close()
        del chat
        unload_generator(s, adapter)
        release_freed_memory()


def better_than_base(results: dict[str, Any]) -> tuple[bool, str]:
    """Should the adapter answer by default? Not if it loses answer F1 or refuses more than a
    tenth of the answerable questions beyond what the base refuses."""
    base, tuned = results["base"], results["adapter"]
    f1_b, f1_a = base.get("answerable_f1") or 0.0, tuned.get("answerable_f1") or 0.0
    over_b, over_a = base.get("over_refusal") or 0.0, tuned.get("over_refusal") or 0.0
    if f1_a < f1_b:
        return False, f"answer F1 {f1_a:.2f} is below the base model's {f1_b:.2f}"
    if over_a > max(0.10, over_b):
        return False, f"it refuses {over_a:.0%} of answerable questions (base {over_b:.0%})"
    return True, f"answer F1 {f1_b:.2f} -> {f1_a:.2f}"


def examples(results: dict[str, Any], n: int = 5) -> list[dict[str, Any]]:
    """A few questions with both answers: answerable ones where they differ first."""
    base, adapted = results["base"]["records"], results["adapter"]["records"]
    pairs = [
        {
            "question": b["question"],
            "kind": b["kind"],
            "gold": b["answers"][:1],
            "base": b["answer"],
            "adapter": a["answer"],
        }
        for b, a in zip(base, adapted, strict=True)
    ]
    differ = [p for p in pairs if p["base"] != p["adapter"]]
    ordered = sorted(differ, key=lambda p: p["kind"] != "answerable") + [
        p for p in pairs if p not in differ
    ]
    picked = [p for p in ordered if p["kind"] == "answerable"][: n - 2]
    picked += [p for p in ordered if p["kind"] != "answerable"][: n - len(picked)]
    return picked


def table(results: dict[str, Any]) -> str:
    lines = [f"{'metric':<26}{'base':>10}{'adapter':>10}", "-" * 46]
    for k in METRICS:
        b, a = results["base"].get(k), results["adapter"].get(k)
        lines.append(
            f"{k:<26}{'-' if b is None else f'{b:.3f}':>10}{'-' if a is None else f'{a:.3f}':>10}"
        )
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path, title: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(CHART_METRICS)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = range(len(keys))
    ax.bar([i - 0.2 for i in x], [results["base"].get(k) or 0 for k in keys], 0.4, label="base")
    ax.bar(
        [i + 0.2 for i in x], [results["adapter"].get(k) or 0 for k in keys], 0.4, label="adapter"
    )
    ax.set_xticks(list(x), [k.replace("_", "\n") for k in keys], fontsize=8)
    ax.set_ylim(0, 1)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
