"""Could a linear probe on the generator's hidden state tell people's unanswerable questions from
answerable ones, where the refusal marker cannot?

    python -m bench.answerability_probe [--kb squad-en] [--n 200] [--layers 8,12,16,20,24]

Research benchmark behind the adapter's refusal goal (docs/adapter-history.md). For n answerable
and n unanswerable dev questions of ../shared/eval/<kb> outside the adapter evaluation's samples
(`bench.refusal_marker.dev_questions`), it builds the real prompt (retrieval, gate, evidence
sentences) and reads the base generator's hidden state at the last prompt token — where the
first answer token, and the refusal marker, is decided — at each layer asked for. A logistic
regression (L2, standardised inputs) is fitted on the questions of all documents but one and
scores the questions of that one (leave-one-document-out: the probe must work on documents it
never saw). Reported per layer: the AUC (an unanswerable question scored above an answerable
one) and the unanswerable share caught when 5 % / 10 % of answerable ones are refused. Baseline,
same run: the best evidence score (lower = less answerable), the signal `ragchat.decide` uses.
Prints one JSON object (also bench/results/answerability-probe-<kb>.json) and a table.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from bench.common import RESULTS
from bench.refusal_marker import auc, dev_questions

# L2 weights 3 to 3000 were tried on one run of 775 questions: the best layer's held-out AUC
# moved between 0.60 and 0.64, so the choice does not decide the answer.
L2 = 30.0


def features(kb: str, rows: list[dict[str, Any]], layers: Sequence[int]) -> tuple[Any, list]:
    """Hidden states [question, layer, dim] of the base generator, and per question its label,
    document and best evidence score. Questions the gate refuses are left out."""
    import torch

    from ragchat.generation import render_chat
    from ragchat.pipeline import NO_ADAPTER, RagChat
    from ragchat.prompt import build_evidence_messages
    from ragchat.settings import Settings

    chat = RagChat.open(Settings.load(), kb, adapter=NO_ADAPTER)  # not the KB's default adapter
    model, tok = chat.generator.model, chat.generator.tokenizer
    states, meta = [], []
    for i, q in enumerate(rows):
        print(f"\rquestions {i + 1}/{len(rows)}", end="", file=sys.stderr)
        found = chat.search(q["question"])
        evidence = chat._evidence(q["question"], found.hits, found.lang) if found.covered else []
        if not evidence:
            continue
        messages = build_evidence_messages(q["question"], evidence, found.lang)
        ids = tok(render_chat(tok, messages), return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model(**ids, output_hidden_states=True, logits_to_keep=1)
        states.append(torch.stack([out.hidden_states[n][0, -1].float() for n in layers]))
        best = max(e.score for e in evidence)
        meta.append({"unanswerable": q["kind"] == "unanswerable", "file": q["file"], "best": best})
    print(file=sys.stderr)
    chat.kb.close()
    return torch.stack(states), meta


def fit(x: Any, y: Any, l2: float = L2) -> tuple[Any, Any]:
    """Logistic regression by full-batch L-BFGS: weight and bias."""
    import torch

    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> Any:
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y)
        loss = loss + l2 * (w * w).sum() / len(y)
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def held_out_scores(x: Any, y: Any, files: list[str]) -> list[float]:
    """Each question scored by a probe fitted on the other documents' questions."""
    import torch

    scores = torch.zeros(len(files))
    for f in sorted(set(files)):
        test = torch.tensor([g == f for g in files])
        mean, std = x[~test].mean(0), x[~test].std(0) + 1e-6
        w, b = fit((x[~test] - mean) / std, y[~test])
        scores[test] = (x[test] - mean) / std @ w + b
    return scores.tolist()


def caught(scores: list[float], labels: list[bool], wrong: float) -> float:
    """Share of unanswerable questions scored above the threshold that refuses `wrong` of the
    answerable ones."""
    neg = sorted((s for s, u in zip(scores, labels, strict=True) if not u), reverse=True)
    pos = [s for s, u in zip(scores, labels, strict=True) if u]
    threshold = neg[min(int(wrong * len(neg)), len(neg) - 1)]
    return round(sum(s > threshold for s in pos) / len(pos), 3)


def summary(scores: list[float], labels: list[bool]) -> dict[str, Any]:
    pos = [s for s, u in zip(scores, labels, strict=True) if u]
    neg = [s for s, u in zip(scores, labels, strict=True) if not u]
    return {
        "auc": auc(pos, neg),
        "caught_at_5pct_wrong": caught(scores, labels, 0.05),
        "caught_at_10pct_wrong": caught(scores, labels, 0.10),
    }


def main(argv: list[str] | None = None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default="squad-en", help="a KB holding the set's PDFs")
    ap.add_argument("--n", type=int, default=200, help="answerable and unanswerable questions each")
    ap.add_argument("--layers", default="8,12,16,20,24")
    args = ap.parse_args(argv)
    layers = [int(v) for v in args.layers.split(",")]
    x, meta = features(args.kb, dev_questions(args.kb, args.n, seed=11), layers)
    labels = [m["unanswerable"] for m in meta]
    y = torch.tensor(labels, dtype=torch.float32)
    files = [m["file"] for m in meta]
    result: dict[str, Any] = {
        "kb": args.kb,
        "n": {"answerable": labels.count(False), "unanswerable": labels.count(True)},
        "documents": len(set(files)),
        "baseline_low_evidence": summary([-m["best"] for m in meta], labels),
        "probe": {
            str(L): summary(held_out_scores(x[:, i], y, files), labels)
            for i, L in enumerate(layers)
        },
    }
    best = max(result["probe"].values(), key=lambda r: r["auc"] or 0)
    base = result["baseline_low_evidence"]["auc"]
    result["best_probe_auc_to_baseline"] = round(best["auc"] / base, 3) if base else None
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"answerability-probe-{args.kb}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))
    print(f"\n{args.kb}: {result['n']} questions from {result['documents']} documents")
    print(f"{'signal':<22}{'AUC':>7}{'caught @5% wrong':>18}{'caught @10% wrong':>19}")
    rows = [("low evidence (base)", result["baseline_low_evidence"])]
    rows += [(f"probe, layer {k}", v) for k, v in result["probe"].items()]
    for name, r in rows:
        print(
            f"{name:<22}{r['auc'] or 0:>7.3f}{r['caught_at_5pct_wrong']:>18.3f}"
            f"{r['caught_at_10pct_wrong']:>19.3f}"
        )
    print(f"best probe AUC / baseline: {result['best_probe_auc_to_baseline']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
