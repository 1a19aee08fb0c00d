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

from ragchat.evidence import table_rows
from ragchat.text import EN_STOP, lexical_tokens, split_sentences

COPY_THRESHOLD = 0.7  # a question holding more than 70 % of its sentence's words is a copy


@dataclass(frozen=True)
class QA:
    question: str
    answer: str
    kind: str  # definition | year | amount | name | place | reason | table | zh-* | llm
    sentence: str = ""


_AUX = {"is", "was", "are", "were", "has", "had", "have", "can", "could", "will", "would"}
_PRONOUNS = {"this", "that", "it", "he", "she", "they", "these", "those", "there", "its", "his"}
_PRONOUNS |= {"her", "their", "such", "which", "who"}
_JOINERS = {"and", "or", "but", "where", "which", "who", "that", "while", "when", "as", "of"}
_JOINERS |= {"for", "to", "with", "by", "in", "on", "at", "from", "however", "then", "also"}
_DEFINITION = re.compile(
    r"^(?:The |An? )?(?P<x>[A-Z][\w'\-]*(?: [\w'\-]+){0,5}) (?P<v>is|was|are|were) "
    r"(?P<y>(?:a|an|the) [^,;.]{3,80})"
)
_YEAR = re.compile(
    r"\b(?:in|In|since|Since|by|By|until|Until|from|From) (?P<a>1[0-9]{3}|20[0-9]{2})\b"
)
_AMOUNT = re.compile(
    r"(?P<a>\$\s?[\d,.]+(?: (?:million|billion|thousand))?|\b\d[\d,.]*(?:%| percent| million|"
    r" billion| km| miles| kilometres| kilometers| metres| meters| people| years| feet| tons|"
    r" square miles| inhabitants| students| members))"
)
_COUNT = re.compile(
    r"\b(?P<a>(?:two|three|four|five|six|seven|eight|nine|ten|\d{1,4})"
    r" (?!(?:says|is|was|has|does|goes|makes|gives|takes|seems|means)\b)[a-z]+s)\b"
)
_BY_NAME = re.compile(
    r"\b(?:by) (?P<a>[A-Z][a-z]+(?: (?:[A-Z][a-z]+|de|von|van|of)){0,3})(?!['’]s|[\w'’])"
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_PLACE = re.compile(
    rf"\b(?:in|at|near) (?!(?:{_MONTHS}|Spring|Summer|Autumn|Winter)\b)"
    r"(?P<a>(?:the )?[A-Z][a-z]{2,}(?: [A-Z][a-z]+){0,2})\b(?! [A-Z])"
)
_DATE = re.compile(
    rf"\b(?:on |in )?(?P<a>(?:{_MONTHS}) \d{{1,2}}, \d{{4}}|\d{{1,2}} (?:{_MONTHS}) \d{{4}}"
    rf"|(?:{_MONTHS}) \d{{4}})\b"
)
_CALLED = re.compile(
    r"\b(?:known as|called|named) (?P<a>(?:the )?[A-Z][\w'\-]+(?: [A-Z][\w'\-]+){0,3})"
    r"(?![\w'’])"
)
_REASON = re.compile(r"\b(?:because|due to) (?P<a>[^,;.]{6,80})")
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
        answer = " ".join(m["y"].split()[:10]).rstrip(" ,;:")
        out.append(QA(f"What {m['v']} {_lower_first(m['x'])}?", answer, "definition", s))
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
        m = pattern.search(s)
        if m is None:
            continue
        whole = kind not in ("amount",) and pattern is not _CALLED
        span = (m.start(), m.end()) if whole else (m.start("a"), m.end("a"))
        q = _ask(s, span, wh)
        if q:
            answer = m["a"].strip()
            if kind == "amount" and wh.startswith("How much"):
                wh = "How many" if re.search(r"[a-z]s$", answer) else "How much"
                q = _ask(s, span, wh)
            if q:
                out.append(QA(q, answer, kind, s))
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
    if not any(w.lower() in _AUX or w.endswith("ed") for w in words):
        return None  # no verb the question could ask about
    if len(words) > 18:
        return None  # too long to stay a readable question
    aux = next((i for i, w in enumerate(words[1:9], 1) if w.lower() in _AUX), None)
    if aux is not None:
        words = [words[aux].lower(), *words[:aux], *words[aux + 1 :]]
    words = [w.lower() if w in ("The", "A", "An") else w for w in words]
    if words[-1].lower() in _JOINERS | EN_STOP and not (wh == "What" and words[-1] == "as"):
        return None  # cut mid-phrase ("... the royal army and?")
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
    if first[:1].isupper() and first.lower() not in EN_STOP:
        return text  # a name: "Normandy was ..." keeps its capital
    return text[:1].lower() + text[1:]
