"""Chinese Self-QA rules: 哪一年 / 什么时候, 多少 with its unit, 谁, 是什么.

Each question keeps the clause that holds the answer, cut at word boundaries (jieba), with the
sentence's subject in front when the clause lacks it ("广茂铁路全长多少公里？", not "全长多少公
里？"). The answer is the whole phrase a reader expects: a date with its month and day
("1997年11月" for 什么时候), a number with its unit ("364公里", "650头"), the way Chinese
reading-comprehension answers are written, so the adapter learns to copy whole phrases.
"""

from __future__ import annotations

import re

from ragchat.span import UNIT, pos_tags

_IS = re.compile(r"^(?P<x>[\u4e00-\u9fff《》·]{2,16})(?:是|为)(?P<y>[^，。；]{2,30})")
_DATE = re.compile(  # not a decade ("1980年代") nor one end of a range ("1847年至1862年")
    r"(?<![\d.至到])(?P<a>\d{3,4}年(?:\d{1,2}月(?:\d{1,2}日(?:\d{1,2}时)?)?)?)(?![代至到—－~-])"
)
_AMOUNT = re.compile(rf"(?<![\d.])(?P<n>\d[\d.,]*)(?P<u>{UNIT.pattern})")
# after a year: its Chinese month, a range, or a duration ("200年前"): not asked as 哪一年
_NOT_A_DATE = re.compile(r"\d{1,2}月|[一二三四五六七八九十正冬腊闰]{1,3}月|[至到—－~\-前后间内多]")
_BY = re.compile(
    r"由(?!于)(?P<a>[\u4e00-\u9fff·]{2,10}?)(?:所|于|在|主持|创办|设计|开发|发行|出版)"
)
PRONOUN_START = ("此", "这", "该", "其", "本", "以下", "他", "她", "它", "但", "而", "并")
_SPLIT = re.compile(r"[，；、]")
_BEFORE, _AFTER = 20, 20  # characters of context kept around the answer


def chinese_questions(s: str) -> list[tuple[str, str, str]]:
    """(question, answer, kind) for every Chinese rule that fires on sentence `s`."""
    out: list[tuple[str, str, str]] = []
    if (m := _IS.match(s)) and _names_a_thing(s, m["x"]):
        out.append((f"{m['x']}是什么？", m["y"], "zh-definition"))
    if (m := _DATE.search(s)) and not _NOT_A_DATE.match(s[m.end() :]):
        wh, kind = ("什么时候", "zh-date") if "月" in m["a"] else ("哪一年", "zh-year")
        if q := ask(s, m.span("a"), wh):
            out.append((q, m["a"], kind))
    for m in _AMOUNT.finditer(s):
        if re.fullmatch(r"\d{3,4}年", m[0]) or m["u"] in ("号", "号线"):
            continue  # a year (asked above), a line's number
        unit = m["u"]  # the question keeps the unit: "全长多少公里", "总投资多少亿元"
        asked = m.end() if unit in ("%", "％", "‰") or "人民币" in unit else m.end("n")
        if q := ask(s, (m.start(), asked), "多少"):
            out.append((q, m[0], "zh-amount"))
            break
    if (m := _BY.search(s)) and (q := ask(s, m.span("a"), "谁")):
        out.append((q, m["a"], "zh-name"))
    return out


def ask(s: str, span: tuple[int, int], wh: str) -> str | None:
    """The clause around `span` with the answer replaced by `wh`, cut at word boundaries and led
    by the sentence's subject; None when what is left is too short, starts with a pronoun or
    cuts a bracket or quote."""
    start, end = _clause(s, span)
    before = s[start : span[0]]
    if len(before) > _BEFORE and (comma := max(before.rfind("，"), before.rfind("；"))) >= 0:
        before = before[comma + 1 :]  # the answer's own clause rather than a cut one
    before = _tail_words(before, _BEFORE).lstrip("0123456789年月日时号")
    after = _head_words(s[span[1] : end], _AFTER)
    body = (before + wh + after).strip("，；。：:、 ").lstrip(".．0123456789")
    subject = _subject(s)
    if subject and not body.startswith(subject) and s.find(before) > 0 and subject not in body:
        body = subject + body
    if len(body) < len(wh) + 5 or body.startswith(PRONOUN_START):
        return None
    if any(body.count(a) != body.count(b) for a, b in ("（）", "()", "“”", "《》")):
        return None  # cut inside brackets or quotes
    return body + "？"


def _names_a_thing(s: str, x: str) -> bool:
    """Is `x`, before "是/为" at the start of `s`, a noun phrase of whole words ("武穴酥糖是…"),
    not a clause cut inside a word ("一般认为…", "部份则为了…")?"""
    if x.startswith(PRONOUN_START):
        return False
    at, noun = 0, False
    for word, flag in pos_tags(s[: len(x) + 4]):
        if at == len(x):
            return noun and word in ("是", "为")
        if at > len(x) or flag == "v" or flag[:1] in ("d", "p", "c", "u", "r", "a"):
            return False
        at += len(word)
        noun = noun or flag[:1] == "n" or flag in ("eng", "j")
    return False


def _clause(s: str, span: tuple[int, int]) -> tuple[int, int]:
    """The comma-delimited part of `s` that holds `span`, with the part before it when what is
    left around the answer is short ("于1997年" → "广茂铁路，于1997年")."""
    cuts = [0] + [m.end() for m in _SPLIT.finditer(s)] + [len(s)]
    start = max(c for c in cuts if c <= span[0])
    end = min((c for c in cuts if c >= span[1]), default=len(s))
    if (end - start) - (span[1] - span[0]) < 6 and start > 0:
        start = max(c for c in cuts if c < start)
    return start, end


def _tail_words(text: str, limit: int) -> str:
    """The last whole words of `text` within `limit` characters."""
    kept = ""
    for word, _ in reversed(pos_tags(text)):
        if len(kept) + len(word) > limit:
            break
        kept = word + kept
    return kept


def _head_words(text: str, limit: int) -> str:
    kept = ""
    for word, _ in pos_tags(text):
        if len(kept) + len(word) > limit:
            break
        kept += word
    return kept


def _subject(s: str) -> str:
    """The noun phrase a sentence opens with ("广茂铁路" of "广茂铁路于1997年…"), up to 12
    characters and ended by a verb, a preposition, an adverb, a particle or a comma; "" when
    the sentence opens otherwise."""
    kept, ended = "", False
    for word, flag in pos_tags(s[:24]):
        if flag.startswith("n") or flag in ("eng", "j"):
            if len(kept + word) > 12:
                break
            kept += word
            continue
        ended = flag[:1] in ("v", "p", "d", "c") or word in ("的", "是", "为", "，", ",")
        break
    if not ended or len(kept) < 2 or kept.startswith(PRONOUN_START):
        return ""
    return kept
