"""Self-QA: questions written from a chunk's own sentences, each with an answer span copied
verbatim from the chunk (no labels and no model needed).

A question must not copy its sentence: a model trained on "sentence with one word replaced by
'how much'" learns string matching, not reading. So the question keeps only the clause that holds
the answer, fronts the auxiliary verb ("the tower was completed in 1889" -> "In what year was the
tower completed?") and asks with a wh-word; `copy_overlap` measures what is left of the sentence.
Kinds: definition, year, amount, name, place, reason, table cell, and the Chinese equivalents.
`swap_entity` makes an unanswerable twin (another entity of the KB in place of the asked one).
A configured generator can write further questions through `finetune.writer`.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from finetune.grammar import PARTICLES, common_lower, invert, main_verb, verb_form
from ragchat.evidence import table_rows
from ragchat.text import EN_STOP, lexical_tokens, split_sentences

COPY_THRESHOLD = 0.7  # a question holding more than 70 % of its sentence's words is a copy


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    kind: str  # definition | year | amount | name | person | place | reason | table | zh-* | llm
    sentence: str = ""


_AUX = {"is", "was", "are", "were", "has", "had", "have", "can", "could", "will", "would"}
_PRONOUNS = {"this", "that", "it", "he", "she", "they", "these", "those", "there", "its", "his"}
_PRONOUNS |= {"her", "their", "such", "which", "who"}
_JOINERS = {"and", "or", "but", "where", "which", "who", "that", "while", "when", "as", "of"}
_JOINERS |= {"for", "to", "with", "by", "in", "on", "at", "from", "however", "then", "also"}
_DEFINITION = re.compile(
    r"^(?P<art>The |An? )?(?P<x>[A-Z][\w'\-]*(?: [\w'\-]+){0,5}) (?P<v>is|was|are|were) "
    r"(?P<y>(?:a|an|the) [^,;.]{3,80})"
)
_YEAR = re.compile(
    r"\b(?:in|In|since|Since|by|By|until|Until|from|From) (?P<a>1[0-9]{3}|20[0-9]{2})\b"
)
_AMOUNT = re.compile(
    r"(?P<a>\$\s?\d+(?:[,.]\d+)*(?: (?:million|billion|thousand))?|\b\d[\d,.]*(?:%| percent| million|"
    r" billion| km| miles| kilometres| kilometers| metres| meters| people| years| feet| tons|"
    r" square miles| inhabitants| students| members))"
)
_COUNT = re.compile(
    r"\b(?P<a>(?:two|three|four|five|six|seven|eight|nine|ten|\d{1,4})"
    r" (?!(?:says|is|was|has|does|goes|makes|gives|takes|seems|means)\b)[a-z]+s)\b"
)
_BY_NAME = re.compile(
    r"\b(?:by) (?P<a>[A-Z][^\W\d_]+(?: (?:the |de |von |van |of )?[A-Z][^\W\d_]+){0,3})"
    r"(?!['’]s|[\w'’])"
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_PLACE = re.compile(
    rf"\b(?:in|at|near) (?!(?:{_MONTHS}|Spring|Summer|Autumn|Winter)\b)"
    r"(?P<a>(?:the )?[A-Z][a-z]{2,}(?: [A-Z][a-z]+){0,2})\b(?! [A-Z]| ?\d)"
)
_DATE = re.compile(
    rf"\b(?:on |in )?(?P<a>(?:{_MONTHS}) \d{{1,2}}, \d{{4}}|\d{{1,2}} (?:{_MONTHS}) \d{{4}}"
    rf"|(?:{_MONTHS}) \d{{4}})\b"
)
_CALLED = re.compile(
    r"\b(?:known as|called) (?P<a>(?:the )?[A-Z][\w'\-]+(?: [A-Z][\w'\-]+){0,3})"
    r"(?![\w'’])"
)
_REASON = re.compile(r"\b(?:because(?: of)?|due to|as a result of) (?P<a>[^,;.]{6,80})")
_SUBJECT_NAME = re.compile(
    r"^(?P<a>[A-Z][^\W\d_]+(?: (?:[A-Z][^\W\d_]+|de|von|van|of|the)){1,4}) (?P<v>[a-z]+) (?P<rest>.+)$"
)
_NOT_PEOPLE = {"University", "College", "Court", "Company", "Council", "Commission", "Church"}
_NOT_PEOPLE |= {"Parliament", "Government", "Union", "Library", "Railway", "Corporation", "Act"}
_NOT_PEOPLE |= {"Treaty", "Republic", "Kingdom", "Empire", "States", "Association", "Institute"}
_NOT_PEOPLE |= {"Society", "Party", "Army", "Navy", "Bank", "Group", "Board", "Office", "Agency"}
_NOT_PEOPLE |= {"Department", "Ministry", "Committee", "Service", "System", "Network", "School"}
_NOT_PEOPLE |= {"Museum", "Station", "River", "City", "County", "Province", "War", "Revolution"}
_ZH_IS = re.compile(r"^(?P<x>[\u4e00-\u9fff《》·]{2,16})(?:是|为)(?P<y>[^，。；]{2,30})")
_ZH_YEAR = re.compile(r"(?P<a>\d{3,4}年)")
_ZH_NUM = re.compile(r"(?P<a>\d[\d.,]*(?:公里|万|亿|米|人|个|%|平方公里|千米|吨|岁))")
_ZH_BY = re.compile(r"由(?P<a>[\u4e00-\u9fff·]{2,10}?)(?:所|于|在|主持|创办|设计|开发|发行|出版)")
_ZH_PRONOUN_START = ("此", "这", "该", "其", "本", "以下", "他", "她", "它", "但", "而", "并")
_SUBORDINATORS = {"while", "when", "although", "though", "if", "because", "since", "as"}
_SUBORDINATORS |= {"after", "before", "once", "unless", "whereas", "whether"}
_CLAUSE_SPLIT = re.compile(r", | and | which | while | whereas | but |; ")
_ZH_CLAUSE_SPLIT = re.compile(r"[，；、]")
_ZH_ZH_PRONOUN_START = ("此", "这", "该", "其", "本", "以下", "他", "她", "它", "但", "而", "并")


def questions_for(text: str, rng: random.Random, limit: int = 3, table: bool = False) -> list[QA]:
    """Up to `limit` question/answer pairs whose answers occur verbatim in `text`."""
    if table or text.lstrip().startswith("|"):
        return table_questions(text, rng, limit)
    out: list[QA] = []
    sentences = [" ".join(text[a:b].split()) for a, b in split_sentences(text)]
    rng.shuffle(sentences)
    for s in sentences:
        if len(s) < 15 or len(s) > 400 or "|" in s:
            continue
        answers: set[str] = set()
        for qa in _candidates(s):  # up to two questions per sentence, with different answers
            if qa.answer in text and qa.answer.lower() not in qa.question.lower():
                if _clean_answer(qa.answer) and qa.answer not in answers:
                    out.append(qa)
                    answers.add(qa.answer)
                if len(answers) >= 2:
                    break
        if len(out) >= limit:
            break
    return out


def _candidates(s: str) -> list[QA]:
    """Every question the rules can write from one sentence, best kind first."""
    out: list[QA] = []
    first = s.split()[0].lower() if s.split() else ""
    if (m := _DEFINITION.match(s)) and first not in _PRONOUNS | _SUBORDINATORS:
        answer = _trimmed(m["y"].split()[:10])
        subject = (m["art"] or "").lower() + _lower_first(m["x"])
        if answer and _named(m["x"]) and not (m["art"] and len(m["x"].split()) == 1):
            out.append(QA(f"What {m['v']} {subject}?", answer, "definition", s))
    for pattern, wh, kind in (
        (_DATE, "When", "date"),
        (_YEAR, "In what year", "year"),
        (_AMOUNT, "How much or how many", "amount"),
        (_COUNT, "How many", "amount"),
        (_BY_NAME, "By whom", "name"),
        (_REASON, "Why", "reason"),
        (_PLACE, "Where", "place"),
        (_CALLED, "What", "name"),
    ):
        for m in pattern.finditer(s):  # the first match that makes a question
            if qa := _question_at(s, m, wh, kind, pattern):
                out.append(qa)
                break
    if qa := _who_did(s):
        out.insert(0, qa)
    if qa := _what_object(s):
        out.append(qa)
    if not re.search(r"[\u4e00-\u9fff]", s):
        return out
    if (m := _ZH_IS.match(s)) and not m["x"].startswith(_ZH_PRONOUN_START):
        out.append(QA(f"{m['x']}是什么？", m["y"], "zh-definition", s))
    for pattern, wh, kind in ((_ZH_YEAR, "哪一年", "zh-year"), (_ZH_NUM, "多少", "zh-amount")):
        if (m := pattern.search(s)) and (q := _zh_ask(s, m.span("a"), wh)):
            out.append(QA(q, m["a"], kind, s))
    if (m := _ZH_BY.search(s)) and (q := _zh_ask(s, m.span("a"), "谁")):
        out.append(QA(q, m["a"], "zh-name", s))
    return out


def _question_at(s: str, m: re.Match[str], wh: str, kind: str, pattern: re.Pattern[str]):
    whole = kind not in ("amount",) and pattern is not _CALLED
    span = (m.start(), m.end()) if whole else (m.start("a"), m.end("a"))
    answer = m["a"].strip()
    if not _whole_phrase(s, m, kind):
        return None
    if kind == "amount":
        q = _subject_amount(s, span, _amount_wh(answer)) or _ask(s, span, _amount_wh(answer))
    else:
        q = _ask(s, span, wh)
    return QA(q, answer, kind, s) if q else None


def _trimmed(words: list[str]) -> str:
    """An answer cut to its first words, without a dangling "of"/"the" at the end."""
    while words and words[-1].lower().strip(",;:") in _JOINERS | EN_STOP:
        words = words[:-1]
    answer = " ".join(words).rstrip(" ,;:")
    return answer if len([w for w in words if w.lower() not in EN_STOP]) >= 2 else ""


def _named(subject: str) -> bool:
    """A subject a question can name without its context: "Tymnet", "the integer factorization
    problem"; not "the result", "Deciding whether" or "the fact that ..."."""
    words = subject.split()
    if any(w.lower() in ("that", "which", "who", "these", "this", "those") for w in words):
        return False
    if words[0].lower() in ("the", "a", "an"):
        words = words[1:]
    if not words or words[0].lower().endswith(("ing", "ly")):
        return False
    return len(words) >= 2 or words[0][:1].isupper()


def _whole_phrase(s: str, m: re.Match[str], kind: str) -> bool:
    """Is the answer a whole phrase of the sentence? Not "the German" of "the German
    territories", "$3" of "US$3", "25 networks" of "X.25 networks", "3600 revolutions" of
    "3600 revolutions per minute", and not a hyphenated word broken by the PDF's line end."""
    a, b = m.span("a")
    answer = s[a:b]
    nxt = s[b:].split()[:1]
    if answer.lower() in EN_STOP or answer.endswith("-") or (nxt and nxt[0].endswith("-")):
        return False
    if a > 0 and (s[a - 1].isalnum() or s[a - 1] in ".$"):
        return False
    if nxt and nxt[0].lower() == "per":
        return False
    if kind in ("place", "name") and nxt and nxt[0][:1].islower():
        word = nxt[0].strip(",;.:").lower()
        if word and word not in EN_STOP and word not in _JOINERS:
            return False  # the answer modifies the next word
    if kind == "name" and m.re is _BY_NAME:
        forms = [verb_form(w.strip(",")) for w in s[: m.start()].split()[-3:]]
        if not any(f and f[1] in ("VBN", "VBD") for f in forms):
            return False  # "by" after a verb: passive ("signed in 911 by"), not "ranked by X"
    return True


def _subject_amount(s: str, span: tuple[int, int], wh: str) -> str | None:
    """ "20% of American gasoline stations had no fuel" -> "What percentage of American gasoline
    stations had no fuel?": an amount that opens its clause is asked about as the subject."""
    start, end = _clause(s, span, _CLAUSE_SPLIT)
    if s[start : span[0]].strip(" ,;") or wh == "How much":
        return None
    after = s[span[1] : end].strip(" ,;.").split()
    if len(after) < 4 or after[0] != "of" or not any(verb_form(w) for w in after[2:]):
        return None
    if after[-1].lower() in _JOINERS | EN_STOP or not after[-1][-1].isalnum():
        return None
    head = wh if wh in ("What percentage", "How many") else "How many"
    return f"{head} {' '.join(after)}?"


def _amount_wh(answer: str) -> str:
    """ "How many miles" for "three miles", "What percentage" for "5.3%", "How much" for money."""
    if answer.startswith("$"):
        return "How much"
    if answer.endswith(("%", "percent")):
        return "What percentage"
    unit = answer.split()[-1]
    if unit.isalpha() and unit not in ("million", "billion", "thousand"):
        return f"How many {unit}"
    return "How many"


def _who_did(s: str) -> QA | None:
    """ "Denis Papin conceptualized the piston." -> "Who conceptualized the piston?" for a
    sentence that opens with a person's name (two or more capitalised words, no "University")
    and a past-tense verb; the question ends with the first clause."""
    first = _CLAUSE_SPLIT.split(s, maxsplit=1)[0].rstrip(" .;:")
    m = _SUBJECT_NAME.match(first)
    if m is None or m["a"].split()[0].lower() in EN_STOP | _PRONOUNS:
        return None
    name = m["a"].split()
    if any(w in _NOT_PEOPLE for w in name) or not name[-1][:1].isupper():
        return None
    form = verb_form(m["v"])
    rest = m["rest"].split()
    if form is None or form[1] != "VBD" or form[0] in ("be", "have") or not 2 <= len(rest) <= 14:
        return None
    if rest[-1].lower() in _JOINERS | EN_STOP:
        return None
    return QA(f"Who {m['v']} {' '.join(rest)}?", m["a"], "person", s)


_OBJECT_END = {"in", "on", "at", "for", "from", "with", "by", "to", "into", "during", "after"}
_OBJECT_END |= {"before", "since", "until", "and", "or", "but", "which", "that", "who", "as"}
_OBJECT_END |= {"because", "while", "when", "where", "through", "under", "over", "between"}


def _what_object(s: str) -> QA | None:
    """ "Oliver Evans introduced high-pressure engines in 1801." -> "What did Oliver Evans
    introduce in 1801?" (answer "high-pressure engines"): the object of the first clause's
    past-tense verb, up to the next preposition or conjunction."""
    words = _CLAUSE_SPLIT.split(s, maxsplit=1)[0].rstrip(" .;:").split()
    if len(words) < 4 or words[0].lower() in _PRONOUNS | _SUBORDINATORS | _JOINERS:
        return None
    if not (words[0][:1].isupper() and words[0].isalpha()):
        return None
    found = main_verb(words)
    if found is None or found[1] != "VBD":
        return None
    at = found[0]
    subject, lemma = words[:at], verb_form(words[at])[0]  # type: ignore[index]
    rest = words[at + 1 :]
    end = next((i for i, w in enumerate(rest) if w.lower() in _OBJECT_END), len(rest))
    obj, tail = rest[:end], rest[end:]
    if not 1 <= len(obj) <= 8 or not _noun_phrase(obj):
        return None
    if words[0].lower().endswith("ly") or any(w.lower() in _FRONTED_ALL for w in words):
        return None  # "Initially the Normans ...", a clause with an auxiliary elsewhere
    if any(w.lower() in ("in", "on", "at", "during") for w in subject):
        return None
    if lemma in ("be", "have", "do", "become") or obj[-1].lower() in EN_STOP:
        return None
    if any(ch in w for w in words for ch in "()[];,"):
        return None
    answer = " ".join(obj)
    if answer.lower() in ("place", "suit", "part", "effect", "action", "hold"):
        return None  # "took place", "followed suit": a fixed phrase, no object to ask about
    subject[0] = common_lower(subject[0])
    question = " ".join(["What did", *subject, lemma, *tail]).strip()
    if tail and tail[-1].lower() in _JOINERS | EN_STOP:
        return None
    return QA(question + "?", answer, "object", s)


_FRONTED_ALL = _AUX | {"do", "does", "did", "should", "may", "might", "must"}


def _noun_phrase(words: list[str]) -> bool:
    """Do `words` look like a noun phrase: no verb inside, a noun (or name, or number) last?"""
    from lemminflect import getAllLemmas

    first, last = words[0].lower(), words[-1]
    if first in _PRONOUNS | _JOINERS | {"to", "not", "also", "via", "mostly"} or first.endswith(
        "ly"
    ):
        return False
    if any(
        w.lower() in _FRONTED_ALL or (verb_form(w) or ("", ""))[1] in ("VBD", "VBZ")
        for w in words[1:]
    ):
        return False
    return last[:1].isupper() or last[:1].isdigit() or "NOUN" in getAllLemmas(last.lower())


def _clean_answer(answer: str) -> bool:
    """An answer span that was not cut inside brackets or quotes ("a number (e")."""
    return all(answer.count(a) == answer.count(b) for a, b in ("()", "“”", "（）", "《》"))


def _ask(s: str, span: tuple[int, int], wh: str) -> str | None:
    """The clause holding `span`, with the span removed and the auxiliary verb fronted."""
    clause_start, clause_end = _clause(s, span, _CLAUSE_SPLIT)
    before = s[clause_start : span[0]].strip(" ,;")
    after = s[span[1] : clause_end].strip(" ,;.")
    words = (before + " " + after).split()
    while words and words[0].lower() in _JOINERS:
        words = words[1:]
    if len(words) < 3 or words[0].lower() in _PRONOUNS or not re.match(r"[A-Za-z]", words[0]):
        return None
    if not (words[0][:1].isupper() or words[0].lower() in ("the", "a", "an")):
        return None  # the clause does not start with its subject: a fragment, not a question
    if len(words) > 18:
        return None  # too long to stay a readable question
    cut_before, cut_after = before.split()[-1:], after.split()[:1]
    if (
        cut_before
        and cut_after
        and (cut_before[0].lower() in PARTICLES or cut_after[0].lower() == "of")
    ):
        return None  # the answer was cut out of a phrase: "the of", "accepted of applicants"
    inverted = invert(words)
    if inverted is None:
        return None  # no verb the question could ask about
    words = inverted
    words[1] = common_lower(words[1])  # "did Some Huguenots" -> "did some Huguenots"
    last = words[-1].lower()
    if last in _JOINERS | EN_STOP and not (wh == "What" and last == "as") and last != "have":
        return None  # cut mid-phrase ("... the royal army and?")
    if not words[-1][-1:].isalnum() and words[-1][-1:] not in "\"”'’":
        return None  # "... for about 4 ×?": a formula or a lost superscript
    if any(ch in w for w in words for ch in "()[];,"):
        return None  # brackets, notes ("[further explanation needed]"), appositive fragments
    body = " ".join(words).rstrip(" ,;:.")
    return f"{wh} {_lower_first(body)}?"


def _zh_ask(s: str, span: tuple[int, int], wh: str) -> str | None:
    start, end = _clause(s, span, _ZH_CLAUSE_SPLIT)
    start, end = max(start, span[0] - 16), min(end, span[1] + 12)  # the words nearest the answer
    body = (s[start : span[0]] + wh + s[span[1] : end]).strip("，；。：:、 ")
    if len(body) < len(wh) + 5 or body.startswith(_ZH_PRONOUN_START):
        return None
    if any(body.count(a) != body.count(b) for a, b in ("（）", "()", "“”", "《》")):
        return None  # cut inside brackets or quotes
    return body + "？"


def _clause(s: str, span: tuple[int, int], splitter: re.Pattern[str]) -> tuple[int, int]:
    """Start and end of the clause around `span`, widened to the previous one when short."""
    cuts = [0] + [m.end() for m in splitter.finditer(s)] + [len(s)]
    start = max(c for c in cuts if c <= span[0])
    end = min((c for c in cuts if c >= span[1]), default=len(s))
    if len(s[start:end].split()) < 6 and start > 0:  # too short: keep the clause before too
        start = max((c for c in cuts if c < start), default=0)
    return start, end


def table_questions(text: str, rng: random.Random, limit: int) -> list[QA]:
    """'What is the <column> of <row>?' for cells of a markdown table."""
    out: list[QA] = []
    rows = table_rows(text)
    rng.shuffle(rows)
    for row in rows:
        cells = [c.split(": ", 1) for c in row.split("; ") if ": " in c]
        if len(cells) < 2:
            continue
        label = cells[0][1]
        column, value = rng.choice(cells[1:])
        if not value.strip() or value in label or len(label) > 60:
            continue
        zh = bool(re.search(r"[\u4e00-\u9fff]", column + label))
        q = f"{label}的{column}是多少？" if zh else f"What is the {column} of {label}?"
        out.append(QA(q, value.strip(), "table", row))
        if len(out) >= limit:
            break
    return out


def swap_entity(qa: QA, entities: list[str], rng: random.Random) -> QA | None:
    """An unanswerable twin: a capitalised entity of the question replaced by another one from
    the knowledge base (SQuAD 2.0's commonest kind of unanswerable question)."""
    found = [m for m in re.finditer(r"(?<!^)\b[A-Z][a-z]{2,}(?: [A-Z][a-z]+)*", qa.question)]
    if not found or not entities:
        return None
    m = rng.choice(found)
    others = [e for e in entities if e.lower() not in qa.sentence.lower() and e != m.group(0)]
    if not others:
        return None
    new = rng.choice(others)
    question = qa.question[: m.start()] + new + qa.question[m.end() :]
    return QA(question, "", "swapped", qa.sentence)


def entities_of(text: str) -> list[str]:
    return re.findall(r"(?<=[a-z,] )[A-Z][a-z]{2,}(?: [A-Z][a-z]+)?", text)


def copy_overlap(question: str, sentence: str) -> float:
    """The share of the source sentence's content words (Chinese: characters) the question
    repeats. A question over COPY_THRESHOLD is a copy of its sentence."""
    src = {t for t in lexical_tokens(sentence) if t not in EN_STOP}
    if re.search(r"[\u4e00-\u9fff]", sentence):
        src = {ch for ch in sentence if "\u4e00" <= ch <= "\u9fff"}
        qset = {ch for ch in question if "\u4e00" <= ch <= "\u9fff"}
    else:
        qset = set(lexical_tokens(question))
    return len(src & qset) / len(src) if src else 0.0


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first.isupper() or not first[1:].islower()):
        return text
    second = text.split(" ", 2)[1:2]
    if second and second[0][:1].isupper():
        return text  # a name: "European Union law" keeps its capitals
    return common_lower(first) + text[len(first) :]  # "Normandy" stays, "Computational" not
