"""Where a short answer stands in the sentence it cites (`place_answer`): word for word
whatever the spaces, else a name the model swapped for another of the sentence's (`_renamed`),
else a close copy (`_snap`), else a list the model wrote in its own words (`_list_place`), else
a phrase whose name the model left out (`_unnamed`), else a Chinese answer with made-up edges
(`_zh_core`). `ragchat.span` widens what is found to the whole phrase."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from ragchat.text import CJK_IDEOGRAPHS, EN_STOP


def place_answer(body: str, source: str) -> tuple[int, int] | None:
    """(start, end) of the answer in its sentence, or None when it cannot be placed."""
    return (
        _locate(body, source)
        or _renamed(body, source)
        or _snap(body, source)
        or _list_place(body, source)
        or _unnamed(body, source)
        or _zh_core(body, source)
    )


_NAMED = re.compile(r"((?:[A-Z][\w'’.-]*\s+){1,3})((?:of|de|du|da|von|van|la|le|the)\s.*)")
_NAME_BEFORE = re.compile(r"((?:[A-Z][\w'’.-]*\s+){1,3})$")


def _renamed(body: str, source: str) -> tuple[int, int] | None:
    """Where an English answer stands whose name the model swapped for another of its
    sentence's: "Ralph of Jumièges archbishop of Canterbury" for "He appointed Robert of Jumièges
    archbishop of Canterbury and made Ralph the Timid earl of Hereford" (each word is in the
    sentence, so verification passed) — shown as the sentence's "Robert of Jumièges …". The rest
    of the answer ("of …", "de …", "the …": two words or more) must stand word for word right
    after another name."""
    m = _NAMED.fullmatch(body.strip())
    if m is None or len(m[2].split()) < 2:
        return None
    rest = _locate(m[2], source)
    if rest is None:
        return None
    name = _NAME_BEFORE.search(source[: rest[0]])
    words = name[1].split() if name else []
    if not words or words == m[1].split() or any(w.lower() in EN_STOP for w in words):
        return None  # the same name, or "He" of "He appointed …"
    return name.start(1), rest[1]


_CJK = re.compile(f"[{CJK_IDEOGRAPHS}]")
_NEGATION_OR_NUMBER = re.compile(r"[不没非无未否别勿\d一二三四五六七八九十百千万亿]")


def _zh_core(body: str, source: str) -> tuple[int, int] | None:
    """Where a Chinese answer stands whose edges the model made up: "国家光荣和ω-force" for the
    sentence's "光荣和ω-force" — one run of at least two thirds of the answer (four characters or
    more) that the sentence holds, with nothing but characters outside it that neither negate
    nor count ("不是光荣" is not "光荣")."""
    if not _CJK.search(body) or len(body) > 60:
        return None
    m = SequenceMatcher(None, source, body, autojunk=False).find_longest_match(
        0, len(source), 0, len(body)
    )
    if m.size < max(4, 2 * len(body) / 3):
        return None
    edges = body[: m.b] + body[m.b + m.size :]
    if _NEGATION_OR_NUMBER.search(edges) or _drops_a_word(edges):
        return None
    return m.a, m.a + m.size


def _locate(body: str, source: str) -> tuple[int, int] | None:
    """Where the answer stands in its sentence, whatever the spaces ("里奇 (Lionel" finds
    "里奇(Lionel"); None when it is not there word for word or is too short to place."""
    chars = [c for c in body if not c.isspace()]
    if len(chars) < 2 or len(chars) > 120:
        return None
    pattern = r"\s*".join(re.escape(c) for c in chars)
    found = re.search(pattern, source, flags=re.IGNORECASE)
    return (found.start(), found.end()) if found else None


_EDGE_WORD = re.compile(r"[A-Za-z]{3,}")


def _drops_a_word(left_out: str) -> bool:
    """Does what a placing leaves out of the answer hold an English word that tells something
    (not "the", "and")? Chinese is placed by its characters ("鸡蛋黄" finds "蛋黄")."""
    return any(w.lower() not in EN_STOP for w in _EDGE_WORD.findall(left_out))


def _snap(body: str, source: str) -> tuple[int, int] | None:
    """Where an answer the model copied not quite word for word stands in its sentence: "浙江杭州市
    余杭区" for "浙江省杭州市余杭区", "Article 106" for "Articles 106 and 107" (the reader is shown
    the sentence's own words). Only a close copy is placed: nearly all of the answer's characters
    matched in order, in a stretch hardly longer than the answer, with the same numbers."""
    if len(body) < 4 or len(body) > 120:
        return None
    blocks = [
        b
        for b in SequenceMatcher(None, source, body, autojunk=False).get_matching_blocks()
        if b.size
    ]
    limit = 1.25 * len(body) + 2
    # (matched, start, end, the answer's words left out at its edges) of the best-filled window
    best: tuple[int, int, int, str] | None = None
    for i, first in enumerate(blocks):  # a stray character matched far away ("£" of "£1") is
        run = [b for b in blocks[i:] if b.a + b.size - first.a <= limit]  # left out
        matched = sum(b.size for b in run)
        if best is None or matched > best[0]:
            edges = body[: first.b] + " " + body[run[-1].b + run[-1].size :]
            best = (matched, first.a, run[-1].a + run[-1].size, edges)
    if best is None:
        return None
    matched, start, end, edges = best
    if _drops_a_word(edges):  # "The Normans were the people who …" against "The Normans
        return None  # (Norman: …) were the people who …": not a copy that lost its subject
    while start < end and source[start].isspace():  # " former" of "(currently former": a
        start += 1  # matched space is no part of the answer
    while end > start and source[end - 1].isspace():
        end -= 1
    while start and _in_word(source, start - 1, start):  # whole words only
        start -= 1
    while end < len(source) and _in_word(source, end - 1, end):
        end += 1
    if matched < 0.85 * len(body) or end - start > limit:
        return None
    if re.findall(r"\d+", source[start:end]) != re.findall(r"\d+", body):
        return None
    return start, end


_LIST_SEP = re.compile(r"\s*(?:、|，|,|;|；|\band\b|\bor\b|和|及|与)\s*")
_NOTE = r"(?:\s*[（(][^（）()]{1,16}[）)])"  # an item's note: "蛋黄（黄色）"
_BETWEEN = re.compile(rf"{_NOTE}?\s*(?:、|，|,|;|；|\band\b|\bor\b|和|及|与)\s*")


def _list_place(body: str, source: str) -> tuple[int, int] | None:
    """Where a list the model wrote in its own words stands in its sentence: each item found in
    order (or the longest part of it the sentence holds: "鸡蛋黄" finds "蛋黄"), with only
    separators and the items' notes between them: "鸡蛋黄、柠檬、椰子、草莓" is shown as the
    sentence's "蛋黄（黄色）、柠檬（绿色）、椰子、草莓（粉色）". None unless every item is placed."""
    items = [i for i in _LIST_SEP.split(body) if i.strip()]
    if len(items) < 2 or len(body) > 120:
        return None
    start = end = -1
    for item in items:
        at = _find_item(item.strip(), source, max(end, 0))
        if at is None:
            return None
        if end >= 0 and not _BETWEEN.fullmatch(source[end : at[0]]):
            return None
        start, end = (at[0] if start < 0 else start), at[1]
    if note := re.match(_NOTE, source[end:]):
        end += note.end()
    return start, end


def _find_item(item: str, source: str, after: int) -> tuple[int, int] | None:
    """The item, or its longest part of at least two characters (most of a word), in
    source[after:]."""
    for size in range(len(item), 1, -1):
        if size < 0.6 * len(item):
            break
        for i in range(len(item) - size + 1):
            part = item[i : i + size]
            at = source.find(part, after)
            if at >= 0 and not (at and _in_word(source, at - 1, at)):
                if _drops_a_word(item[:i] + " " + item[i + size :]):
                    return None  # an English item is placed whole or not at all
                return at, at + size
    return None


# "the Corliss steam engine": an article, then the name a small model leaves out of the phrase
_ARTICLE = re.compile(r"(?:the|a|an)\s+", re.IGNORECASE)
_NAMES_BEFORE = re.compile(r"(?:\b(?:[Tt]he|[Aa]n?)\s+)?((?:[A-Z][\w'’.-]*\s+){1,3})$")
_NOT_NAME = re.compile(
    r"the|a|an|this|that|these|those|its|his|her|their|in|on|at|by|of|for", re.IGNORECASE
)


def _unnamed(body: str, source: str) -> tuple[int, int] | None:
    """Where an English answer stands that put "the" in place of the name its sentence gives
    the thing: "the steam engine" is the sentence's "the Corliss steam engine", "the article 49"
    its "TFEU article 49" — the name is often what was asked. None unless the answer after its
    article stands word for word in the sentence right after one to three capitalised words."""
    article = _ARTICLE.match(body)
    if article is None or not body.isascii():
        return None
    rest = _locate(body[article.end() :], source)
    if rest is None or (rest[0] and _in_word(source, rest[0] - 1, rest[0])):
        return None
    before = _NAMES_BEFORE.search(source[: rest[0]])
    if before is None or not before.group(1)[:1].isupper():
        return None
    names = before.group(1).split()
    opening = before.start(1) == 0 and len(names) == 1 and sum(c.isupper() for c in names[0]) < 2
    if opening or any(_NOT_NAME.fullmatch(w) for w in names):
        return None  # "In"; a sentence's first word is capitalised anyway ("TFEU" is a name)
    return before.start(), rest[1]


def _in_word(text: str, left: int, right: int) -> bool:
    """Are text[left] and text[right] two letters or digits of one Latin-script word?"""
    pair = text[left] + text[right]
    return pair.isascii() and pair.isalnum()
