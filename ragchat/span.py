"""A short answer widened to the whole phrase its sentence states.

A small model copies the start of an answer and stops: the first item of a list ("the courts
of member states" when the sentence names two courts; "472路" of "472路、763路、786区间"), a
number without its unit ("650" of "650头", "3600" of "3600 revolutions per minute"), a year
without its month and day ("396年" of "396年五月初九"), the first clause of a reason ("由于A" of
"由于A，B，因此C"). The reader needs the whole phrase. `whole_phrase` widens a verified short
answer along the sentence it cites when what follows is plainly more of the same phrase, and
leaves it alone otherwise (a new clause, a verb, a second object). A time an answer dates
from keeps its "since". An answer copied not quite word for word ("浙江杭州市" for "浙江省杭州市",
"Article 106" for "Articles 106 and 107") is first placed in the sentence and shown in the
sentence's own words (`ragchat.place`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragchat.place import place_answer
from ragchat.text import EN_STOP, NUMBER_WORDS, pos_tags
from ragchat.types import Evidence
from ragchat.verbs import verb_form

_ANSWER = re.compile(r"(?P<body>[^\[\]]+?)\s*(?P<refs>(?:\[\d{1,2}\])+)")


def whole_phrase(text: str, evidence: Sequence[Evidence], lang: str, question: str = "") -> str:
    """`text` ("650 [1]") widened along its first cited sentence, or unchanged (`question`: a
    unit it already names is not repeated)."""
    m = _ANSWER.fullmatch(text.strip())
    if not m:
        return text
    body = m["body"].strip().rstrip(" .。")
    cited = int(re.search(r"\d+", m["refs"])[0])  # type: ignore[index]
    source = next((e.text for e in evidence if e.n == cited), "")
    span = place_answer(body, source)
    if span is None:
        return text
    start, end = span
    if lang == "zh":
        start, end = _zh_era(source, start, end)
        start, end = _zh_list_back(source, _zh_from(source, start, end)), _zh_widen(source, end)
        end = _zh_reason(source, start, end)
    else:
        start, end = (
            _titled(source, _since(source, start), question),
            max(
                _en_list(source, start, end),
                _en_numbers(source, start, end),
                _en_unit(source, start, end, question),
            ),
        )
    if source[start:end] == body:
        return text
    return f"{source[start:end]} {m['refs']}"


# --- English: the first item of a list -------------------------------------------------------

_ITEM = r"(?:(?!\b(?:and|or)\b)[^,])+"  # a list item holds no "and" of its own
_LIST_TAIL = re.compile(rf"(?:, {_ITEM})*,? (?:and|or) {_ITEM}")
_CLAUSE_END = re.compile(
    r"[.;:(]| (?:which|who|that|whose|where)\b|, (?!and |or )[^,]+ (?:is|are|was|were)\b"
)
_VERBISH = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|did|does|do|will|would|can|could|may|might)\b"
)


# digits or a number in words ("six months" is an amount, not a list item)
_NUMBER = re.compile(rf"\d|\b(?:{NUMBER_WORDS})\b", re.IGNORECASE)


def _en_list(source: str, start: int, end: int) -> int:
    """A short answer that is the first item of a list, widened to the whole list: "the
    courts of member states" when the sentence says "... applied by the courts of member states
    and the Court of Justice of the European Union." Numbers (in digits or words: "six months")
    and answers of a clause are left alone."""
    body = source[start:end]
    if _NUMBER.search(body) or len(body.split()) > 10 or len(body) < 3:
        return end
    rest = source[end:]
    tail = rest[: m.start()] if (m := _CLAUSE_END.search(rest)) else rest
    tail = tail.rstrip()
    if not _LIST_TAIL.fullmatch(tail) or len(tail.split()) > 16 or _VERBISH.search(tail):
        return end
    if any(_tensed(w) for w in re.findall(r"[a-z]+", tail)):
        return end  # "Scotland and the king fled north": a new clause, not a list
    if body[:1].isupper() and not all(_names_a_thing(item) for item in _ITEMS.split(tail) if item):
        return end  # "stored in Pusey Library and open to the public": a second predicate
    return end + len(tail)


_ITEMS = re.compile(r",?\s*\b(?:and|or)\b\s*|,\s*")
_DETERMINERS = frozenset(
    {"the", "a", "an", "his", "her", "its", "their", "our", "my", "your", "this", "that"}
    | {"these", "those", "several", "many", "some", "all", "both", "other", "others", "various"}
)


def _names_a_thing(item: str) -> bool:
    """Does a list item after a name start like a name or a noun phrase (a capital, a number or
    a determiner: "the Netherlands", "his son", "several barons"), not an adjective or a verb
    ("open to the public")?"""
    first = item.split()[0]
    return first[:1].isupper() or first[:1].isdigit() or first.lower() in _DETERMINERS


_DESIGNATED = re.compile(r"(?P<head>[A-Z][a-z]+)\s+(?P<first>\d+[A-Za-z]?(?:\.\d+)*)")
_MORE_NUMBERS = re.compile(
    r"(?:,\s*\d+[A-Za-z]?(?:\.\d+)*)*,?\s+(?:and|or|to)\s+\d+[A-Za-z]?(?:\.\d+)*"
)


_DASH_RANGE = re.compile(r"[ \u2009]?[–—-][ \u2009]?\d[\d,]*(?:\.\d+)?(?!\d)")


def _en_numbers(source: str, start: int, end: int) -> int:
    """A numbered item under a plural heading ("Articles 106", "Sections 3.1") widened to all
    the numbers the heading names: "Articles 106 and 107", "Sections 3, 4 and 7"; a number that
    opens a dash range to the range ("1763" of "(1763–1775)"). A number alone ("1072" of "in
    1072 and 1073") is left alone: only the heading or the dash says the numbers belong together."""
    if source[start:end][-1:].isdigit() and (dash := _DASH_RANGE.match(source, end)):
        return dash.end()
    m = _DESIGNATED.fullmatch(source[start:end])
    if m is None or not m["head"].endswith("s"):
        return end
    more = _MORE_NUMBERS.match(source, end)
    return more.end() if more else end


_BARE_NUMBER = re.compile(r"[$£€]?\d[\d,]*(?:\.\d+)?")
_YEAR = re.compile(r"1\d{3}|20\d{2}")
_UNIT_WORD = re.compile(r"\s*(?P<w>°\s?[CF]\b|[A-Za-z][A-Za-z/-]*)")
_NOT_UNIT = re.compile(r"(?:.*ly|AD|BC|BCE|CE)$")


def _en_unit(source: str, start: int, end: int, question: str) -> int:
    """A bare number widened to the unit the sentence gives it: "3600" → "3600 revolutions per
    minute", "30" → "30 °C", "200,000" → "200,000 Danish krone" (up to three words, through
    "per"; a function word, a verb, an adverb or punctuation ends it). Years are left alone, and
    so is a unit the question already names ("1,000" for "How many people ...")."""
    body = source[start:end]
    if not _BARE_NUMBER.fullmatch(body) or _YEAR.fullmatch(body):
        return end
    words: list[str] = []
    pos = stop = end
    while len([w for w in words if w != "per"]) < 3 and (m := _UNIT_WORD.match(source, pos)):
        w = m["w"]
        if w != "per" and (w.lower() in EN_STOP or _NOT_UNIT.match(w) or _tensed(w.lower())):
            break
        words.append(w)
        pos = m.end()
        if w != "per":
            stop = pos
    named = [w for w in words if w != "per"]
    if not named or {w.lower() for w in named} <= set(re.findall(r"[a-z°]+", question.lower())):
        return end
    return stop


def _since(source: str, start: int) -> int:
    """A time an answer dates from keeps its "since": "since the 1960s", not "the 1960s"
    (which says when, not how long); an amount keeps its hedge: "nearly 3,000", not "3,000"."""
    m = re.search(r"\bsince\s+$", source[:start], flags=re.IGNORECASE)
    if m is None and re.match(r"[$£€]?\d", source[start:]):
        m = _EN_HEDGE.search(source[:start])
    return m.start() if m else start


_EN_HEDGE = re.compile(
    r"\b(?:about|nearly|almost|over|more than|less than|fewer than|approximately|around|roughly"
    r"|up to|at least|at most|some|circa|c\.)\s+$",
    re.IGNORECASE,
)


# a title that is part of how a name is said ("Saint Nicolas", "King Harold II", "Count Ludwig")
_TITLE = re.compile(
    r"(?:^|(?<=[\s(“\"]))(?P<title>Saint|St\.|Sint|Sainte|King|Queen|Pope|Emperor|Empress|Tsar"
    r"|Prince|Princess|Duke|Duchess|Count|Countess|Earl|Baron|Lord|Lady|Sir|Dame|Archbishop"
    r"|Bishop|Cardinal|President|General|Admiral|Captain|Dr\.|Professor) $"
)


def _titled(source: str, start: int, question: str) -> int:
    """A name keeps the title its sentence gives it ("Nicolas" of "their patron Saint Nicolas"
    → "Saint Nicolas", "Harold II" → "King Harold II"), unless the question names the title
    itself ("What president transformed it?" → "Charles W. Eliot") or the title has two words
    ("Vice President Joe Biden" → "Joe Biden"); a saint's is always kept."""
    if not source[start : start + 1].isupper():
        return start
    m = _TITLE.search(source[:start])
    if m is None:
        return start
    title = m["title"]
    is_saint = title in ("Saint", "St.", "Sint", "Sainte")
    if not is_saint and re.search(rf"\b{re.escape(title)}", question, re.IGNORECASE):
        return start
    if re.search(r"\b[A-Z][\w.-]* $", source[: m.start()]):
        return start  # a title of two words ("Vice President", "First Lady"): the name alone
    return m.start()


def _tensed(word: str) -> bool:
    """A past-tense or third-person verb form that is not also a noun or adjective ("fled",
    "provides"; not "enhanced", "open", "states")."""
    form = verb_form(word, only_verb=True)
    return form is not None and form[1] in ("VBD", "VBZ")


# --- Chinese: units, dates and lists ---------------------------------------------------------

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
