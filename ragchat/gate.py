"""The coverage gate: does the KB cover a question at all? Decided before any generation.

The score blends the best dense cosine with how much of the question's informative vocabulary
the best passages contain (weighted term coverage). The embedder is English-only, so for Chinese
the lexical side carries the gate alone, and its term weights come from how rare a word is in
general Chinese (jieba's dictionary counts), not from the KB: a KB's own statistics say little
when it holds one book, and "公司" or "两个" in a question should not outweigh "战国无双".
Thresholds are calibrated per language (`ragchat.calibrate`) and stored in the KB manifest
together with the version of the features they were calibrated on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ragchat.text import general_rarity, lexical_tokens, term_present
from ragchat.types import Hit

# Used until a KB is calibrated (`ragchat calibrate` stores measured values in the KB).
# Calibrated on the squad-en and cmrc-zh dev sets (answerable vs out-of-domain questions); the
# Chinese value also on a one-book KB (the bundled samples): see README, "The coverage gate".
DEFAULT_GATE = {"en": 0.31, "zh": 0.55}
# Version of each language's features: a threshold calibrated on other features is not used.
# zh 3: a Chinese question's words that only ask ("哪一年", "几个") are no longer terms
# (`ragchat.text.question_tokens`); the best ten-book threshold stayed at 0.55 (README).
GATE_FEATURES = {"en": 1, "zh": 3}
# Blend of the two gate features per language: weight of the dense cosine. The embedder is
# English-only, so Chinese coverage rests on the lexical feature alone.
GATE_DENSE_WEIGHT = {"en": 0.5, "zh": 0.0}
# Word overlap alone is not support: "What is the capital of Australia?" shares "Australia" with
# a filing's list of sales regions. Where no chunk is semantically close (cosine below the floor,
# about the 2nd percentile of answerable dev questions), the score is capped at that cosine.
DENSE_FLOOR = {"en": 0.25}
# ...unless one of the top passages holds every term of the question and one of them is found in
# at most RARE_DF chunks of the KB: the embedder does not know names ("Who was Roussel de
# Bailleul?" has cosine 0.22 with the one passage about him). Over the squad-en questions on the
# squad-en KB, of 17 answerable, 35 unanswerable and 47 out-of-domain ones below the floor this
# lets 6, 1 and 0 through; on the bundled samples' KB 1 of 2 about its Normans book and none of
# the 2,824 about the other books or out of domain.
RARE_DF = 3
# Chinese term weight = general rarity ** RARITY_POWER: a name the dictionary has never seen
# counts more than its information alone (measured on cmrc-zh: 1.0 and 2.0 are close).
RARITY_POWER = 1.5


def idf(count: int, total: int) -> float:
    """Inverse document frequency of a term found in `count` of `total` chunks."""
    return math.log(1 + (total + 1) / (count + 0.5))


def stored_threshold(gate: dict[str, float], lang: str) -> float | None:
    """The KB's calibrated threshold for `lang`, if it was calibrated on today's features."""
    if lang not in gate:
        return None
    if int(gate.get(f"{lang}_features", 1)) != GATE_FEATURES.get(lang, 1):
        return None
    return float(gate[lang])


def finest(tokens: Sequence[str]) -> list[str]:
    """The question's terms without search-mode compounds ("合作开发" next to "合作" and
    "开发"): a compound whose characters its parts cover would count one missing word twice."""
    words = set(tokens)
    out = []
    for t in sorted(words):
        covered: set[int] = set()
        for u in words:
            if u != t and u in t:
                i = t.find(u)
                covered |= set(range(i, i + len(u)))
        if len(t) > 1 and len(covered) == len(t):
            continue
        out.append(t)
    return out


def term_weights(
    qtokens: Sequence[str], df: dict[str, int], total: int, lang: str
) -> dict[str, float]:
    """How much each question term counts toward coverage."""
    if lang == "zh":
        return {t: general_rarity(t) ** RARITY_POWER for t in finest(qtokens)}
    return {t: idf(df.get(t, 0), total) for t in set(qtokens)}


def gate_features(
    qtokens: Sequence[str],
    candidates: Sequence[Hit],
    dense: Sequence[tuple[int, float]],
    df: dict[str, int],
    total: int,
    lang: str,
) -> dict[str, float]:
    """Features of how well the KB covers a question.

    - dense: the best cosine between the question and any chunk;
    - coverage: the weighted share of the question's terms found in the best of the top
      candidates (terms that occur in no chunk count fully against coverage).
    """
    top_dense = max((s for _, s in dense), default=0.0)
    weights = term_weights(qtokens, df, total, lang)
    norm = sum(weights.values())
    coverage = 0.0
    anchored = 0.0
    rare = {t for t in weights if 0 < df.get(t, 0) <= RARE_DF}
    if norm > 0:
        for hit in candidates[:5]:
            text = hit.chunk.embed_text().lower()
            present = set(lexical_tokens(text, drop_stopwords=False))
            found = {t for t in weights if term_present(t, present, text)}
            got = sum(weights[t] for t in found)
            coverage = max(coverage, got / norm)
            if got / norm >= 0.99 and found & rare:
                anchored = 1.0
    return {
        "dense": float(top_dense),
        "coverage": float(coverage),
        "terms": float(len(weights)),
        "anchored": anchored,
    }


def gate_score(features: dict[str, float], lang: str) -> float:
    w = GATE_DENSE_WEIGHT.get(lang, 0.5)
    score = w * features["dense"] + (1 - w) * features["coverage"]
    if features["dense"] < DENSE_FLOOR.get(lang, 0.0) and not features.get("anchored"):
        score = min(score, features["dense"])
    return score
