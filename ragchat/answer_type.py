"""Does a short answer have the type its question asks for?

A small model that answers from the right sentence still often copies the wrong span of it (the
right sentence, the wrong part). The evidence supports such a span, so the support check keeps
it. This check catches only the clearest mismatches — a description for "Who ...?" (no name:
a capital inside a hyphenated modifier, "the first FCC-licensed network", names nobody) or for
"What entity / Which country ...?", a name for "How many ...?", no time at all for "When ...?", a noun phrase with no reason and no verb
in it for "Why ...?" ("the posted price of oil by 70%"), a bare date or amount for a Chinese
question that asks where, who, why or which thing ("2012年" for "在哪里", "112.7公里" for
"哪条铁路"), what a place is for where it is ("广州地铁五号线的车站" for "大沙地站在哪里") — and
`ragchat.decide` then quotes the sentence instead (the reader sees the answer in its context
rather than a wrong fragment). A wrong span of the right type ("1763" for "When
did ... finish?", gold 1775) passes. Only unambiguous question forms are checked; everything
else passes.

An answer made only of the question's own words, in any of their forms ("Edgar [1]" for "Who
married Edgar's sister Margaret?", "inflation" for "... inflationary and deflationary
impacts?", "前秦…灭国战争就是他主导的" for "…是谁主导的？") says nothing the reader did not know:
it fails too, unless the question offers a choice ("... in 911 or 912?").

Checks that read the answer's place in its sentence are in `ragchat.span_role`.
"""

from __future__ import annotations

import re

from ragchat import question_kind as qk
from ragchat.text import NUMBER_WORDS, lexical_tokens
from ragchat.verbs import verb_form
from ragchat.verify import MARKER

_NUMBER_WORDS = NUMBER_WORDS + "|half|several|few|many|single|double|twice|once|none|no"
# "one of the general principles" picks an item, it counts nothing ("hundreds of" does count)
_IN_WORDS = rf"\b(?!one of\b)(?:{_NUMBER_WORDS})\b"
_HAS_NUMBER = re.compile(rf"\d|{_IN_WORDS}", re.IGNORECASE)
MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
DATED = (
    rf"\d|\b(?:{MONTHS}|century|centuries|decade|era|age|period|war|reign|dynasty|spring|"
    r"summer|autumn|winter|today|yesterday|ago|modern|ancient|medieval"
)
_HAS_TIME = re.compile(
    DATED + r"|before|after|during|until|since|when|early|late|mid)\b", re.IGNORECASE
)
_HAS_REASON = re.compile(
    r"\b(?:because|due|since|as|so|to|for|order|response|result|owing|thanks|reason|caused|"
    r"led|after|lack|fear|need|avoid|prevent|allow|help)\b",
    re.IGNORECASE,
)
_HAS_NAME = re.compile(r"[A-Z]")  # a person or body is named with a capital somewhere
_ZH_NUMBER = re.compile(r"[\d零〇一二两三四五六七八九十百千万亿几多数半]")
_ZH_TIME = re.compile(r"[\d零〇一二三四五六七八九十年月日世纪代朝时期前后初末]")
_ZH_DATE = re.compile(r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月(?:\d{1,2}日)?|\d{1,2}日")
_ZH_ASKS_MEASURE = re.compile(
    r"多[长高远重深宽]|(?:长度|高度|面积|距离|重量|深度|宽度|海拔)是?多少"
)
_ZH_MEASURED = re.compile(
    r"\d|[零〇一二两三四五六七八九十百千万]+多?(?:公里|千米|米|厘米|吨|公斤|千克|克|平方|亩|公顷|英里|英尺|里|丈|尺)"
)
_ZH_BARE_TIME = re.compile(
    r"(?=.*[年月日纪])[\d零〇一二三四五六七八九十百千年月日号初旬起至到前后间约末中上下半叶世纪代\s-]+"
)


def fits_question(answer: str, question: str, lang: str) -> bool:
    """False when `answer` clearly lacks what `question` asks for (a number for "how many", a
    time for "when", a name for "who"; in Chinese, not a bare date for a question that asks a
    place, a person, a reason or a thing); True otherwise."""
    body = MARKER.sub("", answer).strip()
    if not body:
        return True
    if repeats_question(body, question, lang):
        return False
    if lang == "zh":
        if not counts_what_is_asked(body, question):
            return False
        if qk.ZH_ASKS_PERSON.search(question) and len(_ZH_CHARS.findall(body)) == 1:
            return False  # "蒙" for "受谁重用": one character names nobody
        if qk.ZH_ASKS_AMOUNT.search(question) or qk.ZH_ASKS_TIME.search(question):
            return states_what_is_asked(body, question, lang)
        if qk.ZH_ASKS_OTHER.search(question) and not qk.ZH_ASKS_SOME_TIME.search(question):
            # "2012年" for "在哪里", "1981年" for "哪个杂志", "112.7公里" for "哪条铁路"; and
            # "广州地铁五号线的车站" for "大沙地站在哪里" says what it is, not where
            return not (
                is_bare_time(body) or is_bare_quantity(body) or names_what_it_is(body, question)
            )
        return True
    if qk.OPENS_AMOUNT.search(question) or qk.OPENS_TIME.search(question):
        return states_what_is_asked(body, question, lang)
    if qk.OPENS_PERSON.search(question):  # a capital outside "FCC-licensed"-like modifiers
        if _WHO_IS_NAMED.match(question):  # "Who was Rollo?" asks what he was: "Danes" is
            # someone else, and "the famed Viking ruler Rollo" says what he was
            return not _only_names(body) and names_someone_new(body, question)
        return names_someone_new(body, question) and not names_the_subject(body, question)
    if qk.OPENS_NAMED_KIND.search(question):  # "What entity ...?" is answered by a name too
        return names_someone_new(body, question) and not names_the_subject(body, question)
    if qk.OPENS_REASON.search(question):  # a reason, or at least a clause that could give one
        return bool(_HAS_REASON.search(body)) or (len(body.split()) >= 6 and has_clause(body))
    return True


def names_someone_new(body: str, question: str) -> bool:
    """Does the answer hold a name (a capitalised word outside "FCC-licensed"-like modifiers)
    that the question does not already give? "the person named by Richard" for "Who was
    Richard's fiancee?" names nobody new. (Over the squad-en dev set, all 153 gold answers to
    who- and which-entity questions that hold a name hold one the question lacks.)"""
    asked = {_bare(w) for w in re.findall(r"[\w'’.-]+", question)}
    return any(
        _bare(w) not in asked for w in re.findall(r"[A-Z][\w'’.-]*", _HYPHENATED.sub(" ", body))
    )


# the name a short answer ends in: "Viking ruler Rollo" -> "Rollo", "the Court of Justice of the
# European Union" -> the whole name
_TRAILING_NAME = re.compile(
    r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|the|de|von|van|du|da|la|le|al|bin)\s+)*[A-Z][\w'’.-]*)*$"
)


def names_the_subject(body: str, question: str) -> bool:
    """Is a short answer (up to six words) a description of a name the question already gives
    — "Viking ruler Rollo" for "Who did Rollo sign the treaty with?" names the one who asks,
    not the one asked about? (Of the 159 squad-en gold answers to who- and which-entity
    questions, none ends in a name its question holds.)"""
    body = body.strip().rstrip(".")
    m = _TRAILING_NAME.search(body)
    return len(body.split()) <= 6 and m is not None and m.group(0).lower() in question.lower()


def _bare(word: str) -> str:
    """ "Richard's" -> "richard"."""
    return re.sub(r"['’]s?$", "", word.rstrip(".")).lower()


# "Who was Rollo?", "Who is Tim Cook?": a question that names its subject asks who the subject
# is — a description ("a Viking ruler"); "Who was Guy's rival?" asks for a name
_WHO_IS_NAMED = re.compile(
    r"^\s*(?i:who)\s+(?i:is|was|are|were)\s+(?:[A-Z][\w.-]*\s+){0,3}[A-Z][\w.-]*\s*\?\s*$"
)
_NAME_GLUE = frozenset({"and", "or", "of", "the", "de", "von", "van", "da", "del", "la", "le"})


def _only_names(body: str) -> bool:
    """Is the answer nothing but names ("Danes", "Conrad of Montferrat")?"""
    words = re.findall(r"[^\W\d_][\w'’.-]*", body)
    return bool(words) and all(w[0].isupper() or w.lower() in _NAME_GLUE for w in words)


def states_what_is_asked(sentence: str, question: str, lang: str) -> bool:
    """Can a quoted sentence answer a question that asks for a time or an amount? Only if it
    holds one: "Instead, the Lisbon Treaty was enacted." cannot say when the treaty was
    established, while a later sentence, "The 2007 Lisbon Treaty …", can. Other questions pass
    (a sentence is not held to `fits_question`'s other short-answer rules, which use this one)."""
    if lang == "zh":
        if qk.ZH_ASKS_AMOUNT.search(question):
            undated = _ZH_DATE.sub("", sentence)
            if _ZH_ASKS_MEASURE.search(question):  # a date, or the 三 of "三茂铁路", measures
                # nothing: "广茂铁路多长" was quoted "广茂铁路是在2004年2月29日起…三茂铁路…"
                return bool(_ZH_MEASURED.search(undated))
            return bool(_ZH_NUMBER.search(undated))
        if qk.ZH_ASKS_TIME.search(question):
            return bool(_ZH_TIME.search(sentence))
        return True
    if qk.OPENS_AMOUNT.search(question):
        return bool(_HAS_NUMBER.search(sentence))
    if qk.OPENS_TIME.search(question):
        return bool(_HAS_TIME.search(sentence))
    return True


_ZH_CHARS = re.compile(r"[\u4e00-\u9fff]")
_ZH_ASKED_UNIT = re.compile(
    r"(?:几|多少)(?P<unit>公里|千米|英里|公尺|英尺|公斤|千克|[\u4e00-\u9fff])"
)
# a unit of two characters counts as its measure's character: "多少公里" asks for 里
_ZH_COUNTED = re.compile(
    r"[\d.,零〇一二两三四五六七八九十百千万亿]+(?P<unit>(?![零〇一二两三四五六七八九十百千万亿])[\u4e00-\u9fff])"
)
# What a number counts (the character after it, when that is a unit: not the 汽 of "一汽").
UNIT_CHARS = "年岁月日天周人名位口米里尺吨克斤元钱头只匹座家条项届期辆艘架门件册卷篇首集枚颗朝代任话章季层户所部本场倍"
# Units that measure the same thing: "多少钱" is answered by "5元", "多少人" by "300名".
_SAME_MEASURE = ("米里尺", "吨克斤", "元钱", "年岁", "人名位口", "天日")


def counts_what_is_asked(body: str, question: str) -> bool:
    """Does a Chinese answer that counts something count what "几X" / "多少X" asks for? "1635年"
    does not answer "历仕几朝" (dynasties, not years); "三朝", "3万" (no unit) and "5元" for
    "多少钱" do. Generic counters (个, 种, 次) and answers without a counted unit pass."""
    asked = _ZH_ASKED_UNIT.search(question)
    if asked is None or asked["unit"][-1] not in UNIT_CHARS:
        return True
    unit = asked["unit"][-1]
    counted = {m["unit"] for m in _ZH_COUNTED.finditer(body)} & set(UNIT_CHARS)
    if not counted or unit in counted:
        return True
    same = next((g for g in _SAME_MEASURE if unit in g), unit)
    return bool(counted & set(same))


def is_bare_time(body: str) -> bool:
    """Is a Chinese answer nothing but a date or time ("2012年10月18日起", "1981年（昭和56年）")?"""
    core = _unbracketed(body)
    return bool(core) and _ZH_BARE_TIME.fullmatch(core) is not None


def _unbracketed(body: str) -> str:
    return re.sub(r"[（(][^）)]*[）)]", "", body).strip()


_ZH_BARE_QUANTITY = re.compile(
    r"约?\d[\d.,]*\s*[万亿]?\s*(?:平方|立方)?(?:公里|千米|米|公顷|亩|吨|公斤|千克|克|人|名|元|美元|个|座|条|"
    r"项|次|%|％)?[多余]?"
)
# "大沙地站在哪里" asks where the thing named before 在/位于 is: its last character (站).
_ZH_WHERE_IS = re.compile(
    r"(?P<head>[\u4e00-\u9fff])(?:目前)?(?:位于|坐落于|座落于|在)(?:哪里|哪儿|哪|何处|何地|什么地方)"
)
_ZH_ONE_OF = re.compile(r"(?:之一|的一部分|的一个|的一座|[，。；、\s])+$")


def is_bare_quantity(body: str) -> bool:
    """Is a Chinese answer nothing but an amount ("112.7公里", "170万平方公里")?"""
    core = _unbracketed(body)
    return bool(core) and _ZH_BARE_QUANTITY.fullmatch(core) is not None


def names_what_it_is(body: str, question: str) -> bool:
    """Does a Chinese answer to "X在哪里?" say what X is instead of where: it ends in the kind
    of thing X's name ends in ("香港最著名天后庙" for "佛堂门天后古庙在哪里", "香港主要明渠之一" for
    "观塘明渠位于哪里")? A place ends otherwise ("…路口西侧的地底")."""
    asked = _ZH_WHERE_IS.search(question)
    if asked is None:
        return False
    core = _ZH_ONE_OF.sub("", MARKER.sub("", body)).strip()
    return len(core) >= 2 and core[-1] == asked["head"]


# "FCC-licensed", "US-based": a modifier, not a name; "Saint-Clair-sur-Epte" ends in a capital
_HYPHENATED = re.compile(r"\S+-[a-z][\w'’]*(?![\w-])")
AUXILIARY = re.compile(
    r"^(?:is|are|was|were|be|been|being|has|have|had|do|does|did|can|could|will|would|may|"
    r"might|must|should)$",
    re.IGNORECASE,
)
_DETERMINER = frozenset(
    [
        "the",
        "a",
        "an",
        "its",
        "their",
        "his",
        "her",
        "this",
        "that",
        "these",
        "those",
        "our",
        "your",
    ]
)


def has_clause(text: str) -> bool:
    """Does `text` hold a verb (an auxiliary, or a past or third-person form that is not after a
    determiner)? "the posted price of oil by 70%" and "the Michigan Educational Research
    Information Triad" are noun phrases; "demand fell as prices rose" is a clause."""
    words = re.findall(r"[A-Za-z]+", text)
    for i, w in enumerate(words):
        if AUXILIARY.match(w):
            return True
        if i and words[i - 1].lower() in _DETERMINER:
            continue
        form = verb_form(w.lower())
        if form is not None and form[1] in ("VBD", "VBZ"):
            return True
    return False


_CHOICE = re.compile(r"\bor\b|还是|或者|或", re.IGNORECASE)


def repeats_question(body: str, question: str, lang: str = "en") -> bool:
    """Is every content word of the answer already in the question (and no choice offered)?
    Chinese is compared by character (`restates_question_zh`)."""
    if lang == "zh" and restates_question_zh(body, question):
        return True
    said, asked = _words(body), _words(question)
    if not said or _CHOICE.search(question):
        return False
    return all(w in asked or _another_form(w, question, body) for w in said)


STEM = 6  # leading letters two forms of one word share ("inflat-ion", "inflat-ionary")
_LATIN_WORD = re.compile(r"[A-Za-z][\w'’-]*")


def _another_form(word: str, question: str, body: str) -> bool:
    """Is an answer's word one of the question's in another form ("inflation" for "inflationary
    and deflationary impacts", "continuous" for "continuously")? A name is compared as written:
    "Normandy" answers "Where did the Normans settle?" — a word either text capitalises past its
    first word counts as a name."""
    if not word.isascii() or len(word) < STEM:
        return False
    if _named(word, body):
        return False
    return any(
        len(u) >= STEM and u[:STEM].lower() == word[:STEM] and not _named(u.lower(), question)
        for u in _LATIN_WORD.findall(question)
    )


def _named(word: str, text: str) -> bool:
    """Does `text` write `word` capitalised anywhere but as its first word?"""
    return any(
        i > 0 and w[:1].isupper() and w.lower().startswith(word)
        for i, w in enumerate(_LATIN_WORD.findall(text))
    )


_ZH_UNIT = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]+")
# what a restated question adds in place of its answer: a pronoun, a copula, particles
_ZH_FILLER = frozenset("他她它其们就是的了也都即乃为")


def restates_question_zh(body: str, question: str) -> bool:
    """Is a Chinese answer the question said back, a pronoun where the answer belongs
    ("前秦对前燕发动灭国战争就是他主导的" for "前秦对前燕发动的灭国战争是谁主导的？")? Compared by
    character, as Chinese has no spaces to find words by (no choice offered: "还是")."""
    said = set(_ZH_UNIT.findall(body))
    new = said - set(_ZH_UNIT.findall(question)) - _ZH_FILLER
    return len(said) >= 2 and not new and not _CHOICE.search(question)


_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_DIGIT_OF = {w: str(i) for i, w in enumerate(_NUMBERS)}


def _words(text: str) -> set[str]:
    """Content words, each in one form: "Edgar's" is "Edgar", "divisions" is "division" and
    "three" is "3" ("three layers" repeats "3 layers")."""
    return {_one_form(re.sub(r"['’]s$", "", w)) for w in lexical_tokens(text)}


def _one_form(word: str) -> str:
    w = word.lower()
    if w in _DIGIT_OF:
        return _DIGIT_OF[w]
    if w.isascii() and len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if w.isascii() and len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w
