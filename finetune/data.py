"""Build a training set from a knowledge base alone (users have no labels).

- grounded: a question generated from a chunk (finetune.questions), the chunk among distractors
  from the real retriever in random order (RAFT); target = the answer quoted from the chunk
  plus its [n] marker, exactly as the inference prompt numbers sources;
- no_oracle: the same question with the chunk left out (only distractors): target = refusal;
- out_of_domain: bundled general questions over what the retriever finds for them: refusal.
Examples are split into train and validation by document, deterministically.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from finetune.questions import questions_for
from ragchat.prompt import build_messages, refusal_target
from ragchat.types import Chunk

OOD_FILE = Path(__file__).with_name("ood_questions.txt")
CONTEXT_CHARS = 480  # training contexts are trimmed so a step stays cheap on a CPU


@dataclass(frozen=True)
class Example:
    id: str
    kind: str  # grounded | no_oracle | out_of_domain
    doc_id: str
    question: str
    answer: str | None
    messages: list[dict[str, str]]
    target: str
    split: str = "train"


@dataclass(frozen=True)
class DataConfig:
    max_grounded: int = 360
    no_oracle_share: float = 0.15
    ood_share: float = 0.15
    distractors: int = 2
    val_share: float = 0.15
    seed: int = 0


def ood_questions() -> list[str]:
    return [q.strip() for q in OOD_FILE.read_text(encoding="utf-8").splitlines() if q.strip()]


def trim(chunk: Chunk, around: str | None = None, limit: int = CONTEXT_CHARS) -> Chunk:
    """A chunk cut to `limit` characters, keeping `around` (the answer) inside the window."""
    text = chunk.text
    if len(text) <= limit:
        return chunk
    start = 0
    if around and around in text:
        pos = text.index(around)
        start = max(0, min(pos - limit // 3, len(text) - limit))
    return replace(chunk, text=text[start : start + limit].strip())


def split_of(doc_id: str, val_share: float) -> str:
    bucket = int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 1000
    return "val" if bucket < val_share * 1000 else "train"


def build_examples(
    chat: Any, config: DataConfig = DataConfig(), progress: Callable[[int, int], None] | None = None
) -> list[Example]:
    rng = random.Random(config.seed)
    kb = chat.kb
    chunks = [c for f in kb.files() for c in kb.chunks_of(f.path) if c.kind == "text"]
    rng.shuffle(chunks)
    docs = sorted({c.doc_id for c in chunks})
    val_docs = {d for d in docs if split_of(d, config.val_share) == "val"}
    if not val_docs and len(docs) > 1:
        val_docs = {docs[0]}  # always validate on at least one unseen document
    examples: list[Example] = []
    for i, chunk in enumerate(chunks):
        if sum(1 for e in examples if e.kind != "out_of_domain") >= config.max_grounded:
            break
        for qa in questions_for(chunk.text, rng, limit=2):
            distractors = _distractors(chat, qa.question, chunk, qa.answer, config.distractors + 1)
            if len(distractors) < config.distractors:
                continue
            split = "val" if chunk.doc_id in val_docs else "train"
            if rng.random() < config.no_oracle_share:
                ctx = [trim(d) for d in distractors[: config.distractors + 1]]
                examples.append(
                    _example(
                        f"{chunk.chunk_id}:n",
                        "no_oracle",
                        chunk.doc_id,
                        qa.question,
                        None,
                        ctx,
                        refusal_target(),
                        split,
                    )
                )
            else:
                ctx = [trim(chunk, qa.answer)] + [
                    trim(d) for d in distractors[: config.distractors]
                ]
                rng.shuffle(ctx)
                n = next(j for j, c in enumerate(ctx) if c.chunk_id == chunk.chunk_id) + 1
                examples.append(
                    _example(
                        chunk.chunk_id,
                        "grounded",
                        chunk.doc_id,
                        qa.question,
                        qa.answer,
                        ctx,
                        f"{qa.answer} [{n}]",
                        split,
                    )
                )
        if progress:
            progress(i + 1, len(chunks))
    n_ood = int(len(examples) * config.ood_share / max(1e-9, 1 - config.ood_share))
    pool = ood_questions()
    rng.shuffle(pool)
    for j, q in enumerate(pool[:n_ood]):
        hits = chat.retriever.search(q).candidates[: config.distractors + 1]
        if not hits:
            continue
        split = split_of(q, config.val_share)
        examples.append(
            _example(
                f"ood:{j}",
                "out_of_domain",
                "ood",
                q,
                None,
                [trim(h.chunk) for h in hits],
                refusal_target(),
                split,
            )
        )
    return examples


def _distractors(chat: Any, question: str, oracle: Chunk, answer: str, n: int) -> list[Chunk]:
    out = []
    for hit in chat.retriever.search(question).candidates:
        c = hit.chunk
        if c.chunk_id != oracle.chunk_id and answer not in c.text:
            out.append(c)
        if len(out) >= n:
            break
    return out


def _example(
    id_: str, kind: str, doc: str, q: str, a: str | None, ctx: list[Chunk], target: str, split: str
) -> Example:
    return Example(id_, kind, doc, q, a, build_messages(q, ctx), target, split)


def write_dataset(examples: list[Example], out: Path, config: DataConfig) -> dict[str, Any]:
    """train.jsonl, val.jsonl and a data card (card.json, card.md) in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val"):
        rows = [asdict(e) for e in examples if e.split == split]
        tmp = out / f".{split}.jsonl.tmp"
        tmp.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        tmp.replace(out / f"{split}.jsonl")
    counts = Counter((e.split, e.kind) for e in examples)
    card = {
        "config": asdict(config),
        "counts": {f"{s}/{k}": n for (s, k), n in sorted(counts.items())},
        "documents": {
            "train": sorted(
                {e.doc_id for e in examples if e.split == "train" and e.kind != "out_of_domain"}
            ),
            "val": sorted(
                {e.doc_id for e in examples if e.split == "val" and e.kind != "out_of_domain"}
            ),
        },
        "examples": [
            {"kind": e.kind, "question": e.question, "target": e.target}
            for kind in ("grounded", "no_oracle", "out_of_domain")
            for e in [x for x in examples if x.kind == kind][:3]
        ],
    }
    (out / "card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = ["# Training data card", "", "| split/kind | examples |", "|---|---|"]
    lines += [f"| {k} | {n} |" for k, n in card["counts"].items()]
    lines += ["", "## Examples", ""] + [
        f"- **{x['kind']}**: {x['question']} → `{x['target']}`" for x in card["examples"]
    ]
    (out / "card.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return card


def load_split(data: Path, split: str) -> list[dict[str, Any]]:
    with open(data / f"{split}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
