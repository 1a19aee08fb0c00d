"""SQuAD-style answer metrics (Chinese by character) and small statistics helpers."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence

_PUNCT = set(string.punctuation) | set("，。！？；：、“”‘’（）《》「」【】—…·")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text: str, lang: str = "en") -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    if lang == "zh":
        return "".join(text.split())
    return " ".join(_ARTICLES.sub(" ", text).split())


def _tokens(text: str, lang: str) -> list[str]:
    norm = normalize(text, lang)
    return list(norm) if lang == "zh" else norm.split()


def f1_score(prediction: str, gold: str, lang: str = "en") -> float:
    pred, ref = _tokens(prediction, lang), _tokens(gold, lang)
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, gold: str, lang: str = "en") -> float:
    return float(normalize(prediction, lang) == normalize(gold, lang))


def answer_in(answer: str, text: str, lang: str = "en") -> bool:
    """Is the gold answer contained in a passage (after normalisation)?"""
    a, t = normalize(answer, lang), normalize(text, lang)
    if lang != "zh":
        a, t = f" {a} ", f" {t} "
    return bool(a.strip()) and a in t


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    vals = sorted(values)
    k = (len(vals) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)
