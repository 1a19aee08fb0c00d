"""A short answer widened to the whole phrase its sentence states.

A small model copies the start of an answer and stops: the first item of a list ("the courts
of member states" when the sentence names two courts; "472路" of "472路、763路、786区间"), a
number without its unit ("650" of "650头", "3600" of "3600 revolutions per minute"), a year
without its month and day ("396年" of "396年五月初九"), the first clause of a reason ("由于A" of
"由于A，B，因此C"). The reader needs the whole phrase. `whole_phrase` widens a verified short
answer along the sentence it cites when what follows is plainly more of the same phrase, and
leaves it alone otherwise (a new clause, a verb, a second object). A time an answer dates
from keeps its "since", a part its whole ("one of the founders"). An answer copied not quite
word for word ("浙江杭州市" for "浙江省杭州市", "Article 106" for "Articles 106 and 107") is first
placed in the sentence and shown in the sentence's own words (`ragchat.place`). Chinese answers
are widened by `ragchat.span_zh`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragchat.place import place_answer
from ragchat.span_zh import zh_phrase
from ragchat.text import EN_STOP, NUMBER_WORDS
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
        start, end = zh_phrase(source, start, end, question)
    else:
        start, end = (
            _titled(source, _part_of(source, _since(source, start)), question),
            max(
                _en_list(source, start, end),
                _en_numbers(source, start, end),
                _en_unit(source, start, end, question),
                _en_people(source, start, end, question),
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
    # ", as governors of Cyprus": a list ends where a phrase about all its items starts
    r"|, (?:as|in|at|on|for|to|from|by|with|during|after|before|since|until)\b"
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


# "one of the founders", "a function of the size of the instance": the part, not the whole
_PART_OF = re.compile(
    r"\b(?:one|some|many|most|each|all|several|none|(?:a|an)\s+[a-z]+)\s+of\s+$", re.IGNORECASE
)


def _part_of(source: str, start: int) -> int:
    """An answer that names a whole its sentence takes a part of keeps the part: "one of the
    founders of the Bank of Ireland" (D'Olier Street was named after one of them), "a function
    of the size of the instance", not "the founders …" or "the size …"."""
    if not re.match(r"the\b", source[start:], flags=re.IGNORECASE):
        return start
    m = _PART_OF.search(source[:start])
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


_WHO = re.compile(r"^\s*(?:who|whom)\b", re.IGNORECASE)
_NEXT_WORD = re.compile(r" ([a-z]+)\b")


def _en_people(source: str, start: int, end: int, question: str) -> int:
    """For "Who …?", a single capitalised word the sentence uses as a modifier keeps its noun:
    "Norman" of "Norman adventurers founded the Kingdom of Sicily" names nobody, "Norman
    adventurers" does. Only a noun that is no verb form and that the question does not name."""
    word = source[start:end]
    if not _WHO.match(question) or not re.fullmatch(r"[A-Z][a-z]+", word):
        return end
    m = _NEXT_WORD.match(source, end)
    if m is None or m[1] in EN_STOP or re.search(rf"\b{m[1]}\b", question, re.IGNORECASE):
        return end
    from lemminflect import getAllLemmas

    lemmas = getAllLemmas(m[1])
    return m.end() if "NOUN" in lemmas and "VERB" not in lemmas else end


def _tensed(word: str) -> bool:
    """A past-tense or third-person verb form that is not also a noun or adjective ("fled",
    "provides"; not "enhanced", "open", "states")."""
    form = verb_form(word, only_verb=True)
    return form is not None and form[1] in ("VBD", "VBZ")
