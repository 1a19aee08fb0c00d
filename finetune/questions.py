"""Question generation from a chunk, offline and without a model (Self-QA style).

The packaged 135M model writes poor questions, so the default generator turns the chunk's own
sentences into the questions a reader would ask, with transparent cloze-to-wh rules: a phrase is
cut out of a clause (a date, a place, an amount, a name, an object, what something is called or
is) and the clause is turned around it (`finetune.grammar.front`):

    "The Normans were in Normandy in the 10th and 11th centuries."
    -> "When were the Normans in Normandy?"  "in the 10th and 11th centuries"

Every answer is copied verbatim from the chunk; pairs whose answer is not in the chunk are
dropped. A stronger model, when the user configures one, writes questions through
`llm_questions` instead (never the packaged model by default).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from finetune.grammar import (
    AUX,
    DETERMINERS,
    PARTICIPLE_PAST,
    PRONOUNS,
    clauses,
    cut_rest,
    finish,
    front,
    is_past,
    lemma,
    lower_first,
    parse_clause,
    remove,
)
from ingestion.chunk import split_sentences


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    kind: str  # when | where | how_many | how_much | who | what | called | definition | zh | llm


THING_HEADS = {
    "university", "college", "school", "court", "treaty", "act", "company", "corporation",
    "network", "foundation", "union", "commission", "council", "river", "church", "railway",
    "engine", "war", "party", "parliament", "committee", "agency", "institute", "museum",
    "library", "city", "state", "states", "kingdom", "empire", "republic", "bank", "project",
    "program", "programme", "system", "theory", "theorem", "law", "article", "directive",
    "convention", "protocol", "society", "association", "group", "army", "navy", "office",
    "department", "ministry", "government", "center", "centre", "hall", "house", "bridge",
    "island", "sea", "ocean", "mountain", "valley", "province", "county", "region", "crisis",
    "embargo", "organization", "organisation", "laboratory", "station", "press", "journal",
    "arpanet", "internet", "nsfnet", "eu", "ec", "ecj", "opec", "nasa", "oil", "steam",
}  # fmt: skip
MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
)
_ORD = r"\d{1,2}(?:st|nd|rd|th)"
_WHEN = re.compile(
    r"\b(?P<prep>[Ii]n|[Dd]uring|[Oo]n|[Bb]y|[Ss]ince|[Uu]ntil|[Bb]etween|[Ff]rom|[Aa]round) "
    r"(?P<t>(?:the )?(?:early |late |mid-|mid |first half of the |second half of the )?"
    rf"(?:{_ORD}(?: and {_ORD})? centur(?:y|ies)(?: (?:BC|AD|BCE|CE))?"
    rf"|(?:\d{{1,2}} )?{MONTH}(?: \d{{1,2}},?)? \d{{4}}"
    r"|1\d{3}s?|20\d{2}s?|\d{3}(?= AD| BC)"
    r")(?:(?: and| to|-|–) (?:1\d{3}|20\d{2}))?)\b"
)
_WHERE = re.compile(
    r"\b(?:in|at|near) (?P<p>(?:the )?[A-Z][\w'-]+(?: (?:of |de |the |upon )?[A-Z][\w'-]+){0,3})"
)
_NUMBER = re.compile(
    r"(?<![\w.,$£€])(?P<q>(?:(?:some|about|around|approximately|over|nearly|almost|more than|"
    r"fewer than|less than|at least|up to) )?(?P<cur>[$£€] ?)?(?P<n>\d[\d,]*(?:\.\d+)?)"
    r"(?P<pct> ?%| percent| per cent)?(?: (?:million|billion|thousand|hundred))?)"
    r"(?: (?P<noun>[a-z][a-z-]+s))?\b"
)
_CALLED = re.compile(
    r"^(?P<x>.{3,70}?) (?P<v>is|are|was|were) (?P<adv>(?:also |commonly |initially |often |"
    r"originally |sometimes |now |later |usually |first )?)(?:called|known as|named|"
    r"referred to as|termed) (?P<y>[\"“']?[A-Z0-9][^,;.()]{1,60})"
)
_DEFINITION = re.compile(
    r"^(?P<x>(?:(?:The|An?) )?[A-Z][\w'\-]*(?: [\w'\-]+){0,4}) (?P<v>is|was|are|were) "
    r"(?P<y>(?:a|an|the|one of the) [^,;.()]{3,80})"
)
_AGENT = re.compile(
    r"^(?P<x>.{3,80}?) (?P<v>was|were) (?P<p>[a-z]+) (?:[^,;]{0,40} )?by "
    r"(?P<who>(?:the )?[A-Z][\w.'-]*(?: (?:of |the |de |von |van |and )?[A-Z][\w.'-]*){0,4})"
)
_OBJECT_END = re.compile(
    r",|;| (?:in|on|at|to|for|from|with|by|during|after|before|which|that|who|and|as|"
    r"into|over|under|between|since|until|because|while|when|where|through)\b"
)


def when_questions(c: str) -> list[QA]:
    out = []
    for m in _WHEN.finditer(c):
        prep = m["prep"].lower()
        answer = m["t"] if prep in {"in", "on", "during", "around"} else f"{prep} {m['t']}"
        if "centur" in m["t"] and prep == "in":
            answer = f"in {m['t']}"
        if q := front(remove(c, m.start(), m.end()), "When"):
            out.append(QA(q, answer, "when"))
    return out


def where_questions(c: str) -> list[QA]:
    out = []
    for m in _WHERE.finditer(c):
        place = m["p"]
        if re.match(MONTH, place) or any(w.lower() in THING_HEADS for w in place.split()):
            continue  # a month, or an institution rather than a place
        if q := front(remove(c, m.start(), m.end()), "Where"):
            out.append(QA(q, place, "where"))
    return out


def number_questions(c: str) -> list[QA]:
    out = []
    for m in _NUMBER.finditer(c):
        n = m["n"].replace(",", "")
        if re.fullmatch(r"1\d{3}|20\d{2}", n) and not m["cur"] and not m["pct"]:
            continue  # a year: when_questions asks about it
        before = c[: m.start()].split()[-1:] or [""]
        if before[0][:1].isupper() and before[0].lower() not in {"the", "some", "about", "in"}:
            continue  # "Article 102", "Level 3": a name, not an amount
        if m["cur"]:
            wh, kind = "How much", "how_much"
        elif m["pct"]:
            wh, kind = "What percentage", "how_much"
        elif m["noun"]:
            wh, kind = f"How many {m['noun']}", "how_many"
        else:
            continue
        q = front(remove(c, m.start(), m.end()), wh)
        if q is None and len(c.split()) <= 20:  # keep the order: "The duchy had how many people?"
            q = finish(c[: m.start()] + wh.lower() + c[m.end() :])
        if q:
            out.append(QA(q, m["q"].strip(), kind))
    return out


def _who_or_what(np: str) -> str:
    head = np.split()[-1].lower().strip("'s")
    proper = all(w[:1].isupper() for w in np.split() if w not in {"of", "de", "the", "and"})
    if head in THING_HEADS or np.startswith(("The ", "the ")) or not proper:
        return "What"
    return "Who"


def subject_questions(c: str) -> list[QA]:
    """Who/What + the predicate: answer = the subject."""
    cl = parse_clause(c)
    if cl is None or len(cl.subject.split()) > 7:
        return []
    rest = cut_rest(f"{cl.verb} {cl.rest}", 16)
    first = cl.subject.split()[0].lower()
    if rest is None or first in PRONOUNS or (first == "the" and len(cl.subject.split()) < 2):
        return []
    verb = cl.verb if cl.aux or is_past(cl.verb) else cl.verb.lower()
    if cl.verb.lower() in {"are", "were", "have"}:  # agree with a singular wh-word
        verb = {"are": "is", "were": "was", "have": "has"}[cl.verb.lower()]
    rest = f"{verb}{rest[len(cl.verb) :]}"
    return [QA(finish(f"{_who_or_what(cl.subject)} {rest}"), cl.subject, "who")]


def object_questions(c: str) -> list[QA]:
    """What did X do? -> the direct object (for a main verb that is not an auxiliary)."""
    cl = parse_clause(c)
    if cl is None or (cl.aux and cl.verb.lower() not in {"had", "has", "have"}):
        return []
    if cl.verb.lower() in {"had", "has", "have"} and is_past(cl.rest.split()[0]):
        return []  # "had founded": a perfect tense, not possession
    obj = _OBJECT_END.split(cl.rest)[0].strip()
    words = obj.split()
    if not 1 <= len(words) <= 8 or words[0].lower() not in DETERMINERS | {"his", "her"}:
        if not (words and words[0][:1].isupper()):
            return []
    tail = cl.rest[len(obj) :].strip()
    tail = tail if re.match(r"(?:in|on|at|for|from|with|during|into) ", tail) else ""
    tail = (cut_rest(tail, 6) or "") if tail else ""
    verb = "have" if cl.verb.lower() in {"had", "has", "have"} else lemma(cl.verb)
    do = "did" if cl.verb.lower() == "had" else cl.tense_do
    wh = "Who" if _who_or_what(obj) == "Who" else "What"
    q = finish(f"{wh} {do} {lower_first(cl.subject)} {verb} {tail}")
    return [QA(q, obj, "what")]


def passive_questions(c: str) -> list[QA]:
    out = []
    if m := _AGENT.match(c):
        x = lower_first(m["x"])
        past = PARTICIPLE_PAST.get(m["p"], m["p"] if m["p"].endswith("ed") else "")
        if past and x.split()[0].lower() not in PRONOUNS:
            out.append(QA(finish(f"Who {past} {x}"), m["who"].removeprefix("the "), "who"))
    if m := _CALLED.match(c):
        x = lower_first(m["x"])
        if x.split()[0].lower() not in PRONOUNS and "," not in x:
            y = m["y"].strip(" \"“”'")
            out.append(QA(finish(f"What {m['v']} {x} {m['adv']}called"), y, "called"))
    if m := _DEFINITION.match(c):
        if m["x"].split()[0].lower() not in PRONOUNS:
            y = re.split(r" (?:and|which|that|who|whose|where|but) ", m["y"])[0].strip()
            if len(y.split()) > 12:
                return out
            out.append(QA(finish(f"What {m['v']} {lower_first(m['x'])}"), y, "definition"))
    return out


_ZH_IS = re.compile(r"^(?P<x>[\u4e00-\u9fff《》·]{2,16})(?:是|为)(?P<y>[^，。；]{2,30})")
_ZH_YEAR = re.compile(r"(?P<n>\d{3,4}年(?:\d{1,2}月)?(?:\d{1,2}日)?)")
_ZH_NUM = re.compile(r"(?P<n>\d[\d.,]*(?:公里|万|亿|米|人|个|%|平方公里|吨|元))")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def zh_questions(s: str) -> list[QA]:
    out = []
    if m := _ZH_IS.match(s):
        out.append(QA(f"{m['x']}是什么？", m["y"], "zh"))
    if m := _ZH_YEAR.search(s):
        out.append(QA(s[: m.start()] + "哪一年" + s[m.end() :].rstrip("。；，") + "？", m["n"], "zh"))
    elif m := _ZH_NUM.search(s):
        out.append(QA(s[: m.start()] + "多少" + s[m.end() :].rstrip("。；，") + "？", m["n"], "zh"))
    return out


RULES: tuple[Callable[[str], list[QA]], ...] = (
    when_questions,
    where_questions,
    number_questions,
    passive_questions,
    subject_questions,
    object_questions,
)


def sentence_questions(sentence: str) -> list[QA]:
    """Every question the rules can make from one sentence (not yet filtered)."""
    if len(_CJK.findall(sentence)) > 5:
        return zh_questions(" ".join(sentence.split()).rstrip("。；"))
    return [qa for c in clauses(sentence) for rule in RULES for qa in rule(c)]


_DANGLING = AUX | DETERMINERS | {
    "of", "to", "that", "because", "and", "or", "in", "on", "at", "by", "for", "with", "from",
    "than", "as", "if", "whether", "be", "been", "being", "not",
}  # fmt: skip
_VAGUE = re.compile(r"\[\d+\]|\b(?:he|she|it|they|him|them|his|her|its|their|this|these)\b", re.I)


def acceptable(qa: QA, text: str) -> bool:
    """The answer is in the chunk and short; the question is a question and does not give the
    answer away or lean on a pronoun."""
    a, q = qa.answer.strip(), qa.question
    if not a or a not in " ".join(text.split()) or a.lower() in q.lower():
        return False
    if not q.isascii():
        return 4 <= len(q) <= 80 and len(a) <= 40
    words = q.split()
    if not 4 <= len(words) <= 24 or len(a.split()) > 12 or q.count("?") != 1:
        return False
    if words[-1].rstrip("?").lower() in _DANGLING:
        return False  # "... because the law was?": a clause cut in the middle
    return not _VAGUE.search(q)


def questions_for(text: str, rng: random.Random, limit: int = 3) -> list[QA]:
    """Up to `limit` question/answer pairs for a chunk, answers verbatim from `text`, at most one
    per sentence and varied in kind."""
    candidates: list[list[QA]] = []
    for a, b in split_sentences(text):
        s = text[a:b]
        if not 25 <= len(s) <= 400 or "|" in s:
            continue
        found = [qa for qa in sentence_questions(s) if acceptable(qa, text)]
        if found:
            rng.shuffle(found)
            candidates.append(found)
    rng.shuffle(candidates)
    out: list[QA] = []
    kinds: dict[str, int] = {}
    for options in candidates:  # prefer the kind used least so far
        qa = min(options, key=lambda x: kinds.get(x.kind, 0))
        out.append(qa)
        kinds[qa.kind] = kinds.get(qa.kind, 0) + 1
        if len(out) >= limit:
            break
    return out


# ----------------------------------------------------------------------------- a stronger model
LLM_INSTRUCTIONS = (
    "Write {n} questions a reader could answer from the passage below, each followed by its "
    "answer: a short phrase copied exactly from the passage (a name, number, date or term).\n"
    "Use this format, one pair per two lines:\nQ: <question>\nA: <answer>\n\nPassage:\n{text}"
)
_QA_LINES = re.compile(r"^\s*Q\s*[:：]\s*(?P<q>.+?)\s*\n\s*A\s*[:：]\s*(?P<a>.+?)\s*$", re.M)


def llm_questions(generator: object, text: str, n: int = 3, max_new_tokens: int = 200) -> list[QA]:
    """Questions written by a configured (stronger) model; only pairs whose answer is copied
    from the passage survive. `generator` is any ragchat Generator."""
    messages = [{"role": "user", "content": LLM_INSTRUCTIONS.format(n=n, text=text)}]
    stream = generator.stream  # type: ignore[attr-defined]
    reply = "".join(stream(messages, max_new_tokens=max_new_tokens, temperature=0.0))
    out: list[QA] = []
    for m in _QA_LINES.finditer(reply):
        qa = QA(m["q"].strip(), m["a"].strip().strip("\"'“”").rstrip("."), "llm")
        if acceptable(qa, text) and qa.question not in {x.question for x in out}:
            out.append(qa)
    return out[:n]
