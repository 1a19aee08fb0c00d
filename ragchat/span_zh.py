"""A Chinese short answer widened to the whole phrase its sentence states (`zh_phrase`, used by
`ragchat.span.whole_phrase`): a number with its unit ("650" → "650头"), a year with its month,
day and hour, a range or a period with its first half ("2至23公尺", "后汉到东晋时期"), an amount
with its hedge ("近5.6万平方米"), an era's year with the era ("天命六年(1621年)"), the earlier and
later items of a list, a reason with all its clauses up to 因此 / 所以 (`zh_widened`) — less what
the question itself says ("近多少" → "500万元") — and a purpose with its 为 … verb frame
("为开发茂名的石油工业服务" for "…是为什么服务的？", `zh_purpose`)."""

from __future__ import annotations

import re

from ragchat.text import pos_tags


def zh_widened(source: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) of the answer source[start:end] widened along its sentence."""
    start, end = _zh_era(source, start, end)
    start, end = _zh_list_back(source, _zh_from(source, start, end)), _zh_widen(source, end)
    return start, _zh_reason(source, start, end)


def zh_phrase(source: str, start: int, end: int, question: str) -> tuple[int, int]:
    """`zh_widened` for the question asked: without what the question itself says
    (`_not_asked`), and a purpose with its 为 … frame (`zh_purpose`)."""
    return zh_purpose(source, *_not_asked(source, start, end, question), question)


def _not_asked(source: str, start: int, end: int, question: str) -> tuple[int, int]:
    """`zh_widened`, without what the question itself says: "年创利税近多少元？" asks for the
    number after 近 ("500万元", not "近500万元"), "哪一年12月19日18时…？" for the year, not the
    date and hour it already names. A unit stays: "多少平方米？" is answered "1.7万平方米"."""
    wide_start, wide_end = zh_widened(source, start, end)
    hedge = source[wide_start:start]
    if hedge and re.search(rf"{re.escape(hedge)}(?:多少|几|何)", question):
        wide_start = start
    if wide_end - end >= 3 and source[end:wide_end] in question and not UNIT.match(source, end):
        wide_end = end
    return wide_start, wide_end


# "是为什么服务的？": 为 … 服务, the question's verb after 为什么 closing the frame
_FOR_WHAT = re.compile(r"为(?:什么|了什么|何)(?P<verb>[\u4e00-\u9fff]{2})")


def zh_purpose(source: str, start: int, end: int, question: str) -> tuple[int, int]:
    """An answer to "…为什么<verb>…？" that its sentence frames as "为<answer><verb>" widened to
    the whole frame: the purpose reads "为开发茂名的石油工业服务", not "开发茂名的石油工业服务"."""
    m = _FOR_WHAT.search(question)
    if m is None or start < 1 or source[start - 1] != "为":
        return start, end
    verb = m["verb"]
    if source[end : end + len(verb)] == verb:
        end += len(verb)
    if not source[start:end].endswith(verb):
        return start, end
    return start - 1, end


_DIGITS = "0123456789０１２３４５６７８９"
_NUMERAL = _DIGITS + "零〇一二三四五六七八九十百千万亿两"
UNIT = re.compile(
    r"[万亿]?(?:平方公里|平方千米|平方米|公里|千米|千克|公斤|公顷|厘米|毫米|英里|英哩|英尺"
    r"|美元|港元|欧元|日元|小时|分钟|号线|个月|米|克|吨|元|头|只|匹|个|人|名|位|座|家|条|项|次|岁"
    r"|天|周|年|倍|层|户|所|部|本|种|场|届|期|辆|艘|架|门|件|册|卷|篇|首|集|枚|颗|趟|台|株|棵|间|份|批|支|张|块|根|%|％|‰)"
    r"(?:人民币)?"
)
_DAY = r"(?:(?:[0-9]{1,2}|[一二三四五六七八九十廿卅]{1,3})[日号]|初[一二三四五六七八九十]{1,2})"
_MONTH_DAY = re.compile(rf"(?:[0-9]{{1,2}}|[一二三四五六七八九十正冬腊闰]{{1,3}})月{_DAY}?")
_DAY_AT = re.compile(_DAY)
_SEP = re.compile(r"、|以及|和|与|及|或")
_ITEM_STOP = set("、，。；：！？,;:等")
_FUNCTION = set("所的在被把将于对从向是为")  # a word that ends a noun phrase ("与B所命名")
_NAMING = {"又名", "又称", "亦称", "别名", "别称", "简称", "俗称", "名为", "称为", "叫做"}
_MAX_ITEM = 24


_RANGE = re.compile(rf"(?:至|到|～|~|—|－|-)[{_NUMERAL}]+")
_AMOUNT_END = re.compile(rf"(?:[{_NUMERAL}月日号]|{UNIT.pattern})$")


def _zh_widen(source: str, end: int) -> int:
    end = _date(source, _unit(source, end))
    if _AMOUNT_END.search(source[:end]) and (m := _RANGE.match(source, end)):
        end = _date(source, _unit(source, m.end()))  # "475年" → "475年至477年"
    return _zh_list(source, end)


# what closes a range's first half ("2至", "1807－", "后汉到"), and a hedge on an amount ("近")
_RANGE_BEFORE = re.compile(rf"(?P<first>[{_NUMERAL}.]+(?:{UNIT.pattern})?)(?:至|到|～|~|—|－|-)$")
_PERIOD_BEFORE = re.compile(r"(?P<first>[\u4e00-\u9fff]{2,4})(?:至|到)$")
_PERIOD = re.compile(r"(?:时期|时代|朝|代|纪|世纪|年间|年代)$")
_DYNASTY = set("夏商周秦汉晋隋唐宋辽金元明清")
_HEDGE_BEFORE = re.compile(
    r"(?:将近|接近|大约|超过|多达|不足|不到|至少|最多|(?<![附最邻])近|约|逾)$"
)


def _zh_from(source: str, start: int, end: int) -> int:
    """Where an amount or a period starts that the model copied only the end of: the first
    half of its range ("23公尺" of "2至23公尺" → "2至23公尺", "东晋时期" of "后汉到东晋时期" →
    the whole period) and its hedge ("5.6万平方米" of "近5.6万平方米")."""
    if start < end and source[start] in _NUMERAL:
        if m := _RANGE_BEFORE.search(source, 0, start):
            start = m.start("first")
        if m := _HEDGE_BEFORE.search(source, 0, start):
            start = m.start()
    elif _PERIOD.search(source[start:end]) and (m := _PERIOD_BEFORE.search(source, 0, start)):
        words = pos_tags(source[max(0, m.start() - 4) : m.end() - 1])
        first, flag = words[-1] if words else ("", "")
        if len(first) >= 2 and (flag == "t" or _PERIOD.search(first) or first[-1] in _DYNASTY):
            start = m.end() - 1 - len(first)  # the period's first half, a word of its own
    return start


_ERA_YEAR = re.compile(r"[元正零〇一二两三四五六七八九十廿百]{1,4}年\s*[（(]$")


def _zh_era(source: str, start: int, end: int) -> tuple[int, int]:
    """A year the sentence gives in brackets after an era's year, shown with it: "1621年" of
    "天命六年(1621年)" → "天命六年(1621年)" (the era is how the source dates it). (A Latin name
    in brackets after a Chinese one is left alone: the word segmenter cuts such terms wrong,
    "受勋员佐勋章" → "勋章".)"""
    close = re.match(r"\s*[)）]", source[end:])
    if close is None:
        return start, end
    if m := _ERA_YEAR.search(source, 0, start):
        era = _noun_tail(source[max(0, m.start() - 6) : m.start()])
        if era and len(era) <= 6:
            return m.start() - len(era), end + close.end()
    return start, end


def _unit(source: str, end: int) -> int:
    """ "650" → "650头", "2.38" → "2.38亿元人民币": a whole number followed by its unit."""
    if end == 0 or source[end - 1] not in _NUMERAL:
        return end
    if end < len(source) and source[end] in _DIGITS + ".,":
        return end  # the number itself goes on: not the model's answer
    m = UNIT.match(source, end)
    return m.end() if m else end


def _date(source: str, end: int) -> int:
    """ "396年" → "396年五月初九", "2008年" → "2008年11月12日", "2017年12月19日" →
    "2017年12月19日18时" (a day with its hour)."""
    before = source[max(0, end - 2) : end]
    if len(before) == 2 and before[1] == "年" and before[0] in _NUMERAL + "元":
        m = _MONTH_DAY.match(source, end)
        end = m.end() if m else end
    elif before.endswith("月"):
        m = _DAY_AT.match(source, end)
        end = m.end() if m else end
    if source[end - 1 : end] in ("日", "号") and (m := _CLOCK.match(source, end)):
        end = m.end()
    return end


_CLOCK = re.compile(
    r"(?:凌晨|早上|上午|中午|下午|傍晚|晚上)?(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})[时点]"
    r"(?:(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})分|半)?"
)


_ZH_BECAUSE = ("由于", "因为")
_ZH_THEREFORE = re.compile(r"[，,]\s*(?:因此|所以|因而|故而|于是|从而)")


def _zh_reason(source: str, start: int, end: int) -> int:
    """A reason the model cut after its first clause, widened to all of it: "由于A，B，因此C" →
    "由于A，B" (the reason runs to "因此"/"所以"). Only an answer that opens with "由于"/"因为",
    and only within its sentence."""
    if not source.startswith(_ZH_BECAUSE, start):
        return end
    m = _ZH_THEREFORE.search(source, end)
    if m is None or any(c in source[end : m.start()] for c in "。；;！？") or m.start() - end > 60:
        return end
    return max(end, m.start())


def _zh_list(source: str, end: int) -> int:
    """The first items of a list widened to all of it: "、" items always, "和/与/及/或" items
    only while they stay noun phrases ("他和她结婚": not a list); up to a verb, a preposition
    or a particle that ends the phrase ("、786区间在此始发" → "、786区间"). A list closed by
    "等" ("X、Y等") is taken whole."""
    items: list[tuple[str, int, int]] = []  # (separator, item start, item end)
    pos = end
    while (sep := _SEP.match(source, pos)) is not None:
        k = sep.end()
        while k < len(source) and source[k] not in _ITEM_STOP and not _SEP.match(source, k):
            k += 1
        if k == sep.end() or k - sep.end() > _MAX_ITEM:
            break
        items.append((sep.group(), sep.end(), k))
        pos = k
    if not items:
        return end
    if source.startswith("等", pos):
        return pos
    widened = end
    for separator, start, stop in items:
        cut, noun = _phrase_end(source[start:stop])
        if cut == stop - start:
            widened = stop
            continue
        if cut > 0 and (separator == "、" or noun or source[start + cut] in _FUNCTION):
            widened = start + cut
        break
    return widened


def _zh_list_back(source: str, start: int) -> int:
    """Earlier "、" items of the list an answer ends ("拟黑雀鲷" of "又名黑褐副雀鲷、拟黑雀鲷"
    → "黑褐副雀鲷、拟黑雀鲷"), back to the verb or particle before the list."""
    while start > 1 and source[start - 1] == "、":
        k = start - 1
        while k > 0 and source[k - 1] not in _ITEM_STOP and start - 1 - (k - 1) <= _MAX_ITEM:
            k -= 1
        item = _noun_tail(source[k : start - 1])
        if len(item) < 2:
            break
        start = start - 1 - len(item)
    return start


def _noun_tail(text: str) -> str:
    """The words of text after its last verb, preposition, particle or naming word ("又名")."""
    words = pos_tags(text)
    keep = 0
    for i, (word, flag) in enumerate(words):
        if _ends_phrase(word, flag) or word in _NAMING or flag.startswith("u"):
            keep = i + 1  # "u": a particle, "了" of "去了伊朗"
    return "".join(w for w, _ in words[keep:])


def _phrase_end(item: str) -> tuple[int, bool]:
    """Where a list item's noun phrase ends: at the first verb, preposition or adverb word,
    or at a particle after its first character (len(item) when it runs to the end); and
    whether the phrase ends in a noun ("鹿地塘河" of "和鹿地塘河提供", not the "她" of
    "和她结婚")."""
    at, noun = 0, False
    for word, flag in pos_tags(item):
        if at > 0 and _ends_phrase(word, flag):
            return at, noun
        at += len(word)
        noun = (flag.startswith("n") and not flag.startswith("nr")) or flag == "eng"
    return len(item), noun


def _ends_phrase(word: str, flag: str) -> bool:
    """A verb, preposition or adverb word, or a particle: no part of a noun phrase."""
    return flag.startswith("v") or flag in ("p", "d") or word[0] in _FUNCTION
