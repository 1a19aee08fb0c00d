"""English Self-QA rules: one sentence in, the questions the rules can write from it out, each
with an answer span copied verbatim from the sentence.

A question keeps only the clause that holds its answer and is made grammatical by
`finetune.grammar` ("the tower was completed in 1189" -> "In what year was the tower completed?",
"William invaded Scotland in 1072" -> "In what year did William invade Scotland?"). Kinds: who
(a sentence-opening name), what (definitions, objects, "known as"), when, where, how many / how
much, why, by whom; the questions about a clause's subject or object ("Who ...?", "What did X
<verb>?") are in `finetune.english_roles`, the figures reports state ("What was interest
expense during Q1 2023?") in `finetune.english_figures`. A sentence that would give a fragment, or an answer
cut out of a phrase, gives no question.
"""

from __future__ import annotations

import re

from finetune.english_figures import stated_figures
from finetune.english_roles import (
    CLAUSE_SPLIT,
    JOINERS,
    PRONOUNS,
    SUBORDINATORS,
    Asked,
    later_clauses,
    what_object,
    what_was,
    who_did,
)
from finetune.grammar import PARTICLES, common_lower, invert, verb_form
from ragchat.text import EN_STOP

_DEFINITION = re.compile(
    r"^(?P<art>The |An? )?(?P<x>[A-Z][\w'\-]*(?: [\w'\-]+){0,5}) (?P<v>is|was|are|were) "
    r"(?P<y>(?:a|an|the) [^,;.]{3,80})"
)
# "A computational problem is understood to be a task ...", "a problem refers to the abstract
# question ...", "Other complexity measures ... include communication complexity, ...": a
# common-noun subject of two or more words (after its article) and a defining verb
_DEFINE = re.compile(
    r"^(?P<art>The |An? )?(?P<x>[a-z][\w'\-]*(?: [\w'\-]+){1,6}?) "
    r"(?P<v>(?:is|are|was|were) (?:understood to be|defined as|referred to as|known as|called"
    r"|considered|regarded as)|refers to|refer to|includes?|included|consists? of|is|are|was|were) "
    r"(?P<y>[^,;.()]{3,90})"
)
_LIST = re.compile(r"[\w'\- ]+(?:, [\w'\- ]+)*,? and [\w'\- ]+")
_DISCOURSE = re.compile(
    r"^(?:For (?:example|instance)|In contrast|However|Thus|In particular|Usually|In general"
    r"|Similarly|Formally|Today|Informally|By contrast|In practice),? (?=\S)"
)
_YEAR = re.compile(
    r"\b(?:in|In|since|Since|by|By|until|Until|from|From) (?P<a>1[0-9]{3}|20[0-9]{2})\b"
)
_PERIOD = re.compile(
    r"\b(?:in|In|during|During) (?P<a>the (?:(?:early|late|mid-?) )?(?:1[0-9]{3}s|[1-9][0-9]?(?:st|nd|rd|th) century))\b"
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


def english_questions(s: str) -> list[Asked]:
    """Every question the rules can write from one English sentence, best kind first."""
    out: list[Asked] = stated_figures(s)
    first = s.split()[0].lower() if s.split() else ""
    if (m := _DEFINITION.match(s)) and first not in PRONOUNS | SUBORDINATORS | JOINERS:
        answer = _trimmed(m["y"].split()[:10])
        answer = "" if re.search(r"\b[A-Z]$", answer) else answer  # "an Australian public X"
        subject = (m["art"] or "").lower() + _lower_first(m["x"])
        if answer and _named(m["x"]) and not (m["art"] and len(m["x"].split()) == 1):
            out.append(Asked(f"What {m['v']} {subject}?", answer, "definition"))
    if not out and (qa := _defined(s)):
        out.append(qa)
    for pattern, wh, kind in (
        (_DATE, "When", "date"),
        (_YEAR, "In what year", "year"),
        (_PERIOD, "When", "date"),
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
    for i, part in enumerate([s, *later_clauses(s)]):  # "..., and the Court rejected X"
        if qa := who_did(part) or what_was(part):
            out.insert(0, qa) if i == 0 else out.append(qa)
        if qa := what_object(part):
            out.append(qa)
    return out


def _defined(s: str) -> Asked | None:
    """ "A computational problem is understood to be a task ..." -> "What is a computational
    problem understood to be?"; "In computational complexity theory, a problem refers to the
    abstract question ..." keeps no leading phrase, so it gives no question; "For example, ..."
    drops the marker."""
    s = _DISCOURSE.sub("", s)
    s = s[:1].upper() + s[1:]
    first, _, rest_of_s = s.partition(" ")
    if first not in ("The", "A", "An"):
        s = common_lower(first) + " " + rest_of_s  # "Decision problems"; "Harvard's" stays
    m = _DEFINE.match(s)
    if not m or m["x"].split()[0] in PRONOUNS | SUBORDINATORS | JOINERS | EN_STOP:
        return None
    subject = (m["art"] or "").lower() + m["x"]
    words = m["x"].split()
    participle = ("in", "by", "with", "for", "to", "on", "at", "as", "from", "of")
    nexts = [*words[2:], ""]
    if not _named(subject) or any(
        verb_form(w) and nexts[i] not in participle for i, w in enumerate(words[1:])
    ):
        return None  # "the machine makes ...": a clause; "measures used in X" is a name
    verb, rest = m["v"], m["y"].split()
    listed = s[m.start("y") :].rstrip(" .")
    if verb in ("are", "were") and _LIST.fullmatch(listed) and len(listed.split()) <= 12:
        return Asked(f"What {verb} {subject}?", listed, "definition")  # "are A, B and C."
    if verb in ("is", "are", "was", "were") and (
        rest[0].lower() not in ("a", "an", "the", "one")
        or verb_form(rest[1] if len(rest) > 1 else "")
    ):
        return None  # "is usually taken", "is interested in": not a definition
    answer = _trimmed(rest[:12])
    if not answer or re.search(r"\b[A-Z]$", answer):
        return None  # cut at an abbreviation's dot: "eight U" of "eight U.S. presidents"
    aux = verb.split()[0]
    if aux in ("is", "are", "was", "were"):
        tail = verb[len(aux) :].strip()
        q = f"What {aux} {subject}{' ' + tail if tail else ''}?"
    else:
        do = "does" if verb.endswith("s") else ("did" if verb.endswith("ed") else "do")
        base = {"refers to": "refer to", "includes": "include", "included": "include"}.get(
            verb, verb
        )
        base = base.replace("consists", "consist")
        q = f"What {do} {subject} {base}?"
    return Asked(q, answer, "definition")


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
    return Asked(q, answer, kind) if q else None


def _trimmed(words: list[str]) -> str:
    """An answer cut to its first words, without a dangling "of"/"the" at the end."""
    while words and words[-1].lower().strip(",;:") in JOINERS | EN_STOP:
        words = words[:-1]
    answer = " ".join(words).rstrip(" ,;:")
    return answer if len([w for w in words if w.lower() not in EN_STOP]) >= 2 else ""


def _named(subject: str) -> bool:
    """A subject a question can name without its context: "Tymnet", "the integer factorization
    problem"; not "the result", "Deciding whether" or "the fact that ..."."""
    words = subject.split()
    if any(
        w.lower() in ("that", "which", "who", "these", "this", "those", "whether") for w in words
    ):
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
        if word and word not in EN_STOP and word not in JOINERS:
            return False  # the answer modifies the next word
    if kind == "name" and m.re is _BY_NAME:
        forms = [verb_form(w.strip(",")) for w in s[: m.start()].split()[-3:]]
        if not any(f and f[1] in ("VBN", "VBD") for f in forms):
            return False  # "by" after a verb: passive ("signed in 911 by"), not "ranked by X"
    return True


def _subject_amount(s: str, span: tuple[int, int], wh: str) -> str | None:
    """ "20% of American gasoline stations had no fuel" -> "What percentage of American gasoline
    stations had no fuel?": an amount that opens its clause is asked about as the subject."""
    start, end = clause(s, span, CLAUSE_SPLIT)
    if s[start : span[0]].strip(" ,;") or wh == "How much":
        return None
    after = s[span[1] : end].strip(" ,;.").split()
    if len(after) < 4 or after[0] != "of" or not any(verb_form(w) for w in after[2:]):
        return None
    if after[-1].lower() in JOINERS | EN_STOP or not after[-1][-1].isalnum():
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


def _ask(s: str, span: tuple[int, int], wh: str) -> str | None:
    """The clause holding `span`, with the span removed and the auxiliary verb fronted."""
    clause_start, clause_end = clause(s, span, CLAUSE_SPLIT)
    before = s[clause_start : span[0]].strip(" ,;")
    after = s[span[1] : clause_end].strip(" ,;.")
    words = (before + " " + after).split()
    while words and words[0].lower() in JOINERS:
        words = words[1:]
    if len(words) < 3 or words[0].lower() in PRONOUNS or not re.match(r"[A-Za-z]", words[0]):
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
    if words[1].lower() in PARTICLES or not words[2:3] or not words[2][:1].isupper():
        words[1] = common_lower(words[1])  # "did Some Huguenots" -> "did some Huguenots";
        # a title before a name keeps its capital: "did Duke William II"
    last = words[-1].lower()
    if last in JOINERS | EN_STOP and not (wh == "What" and last == "as") and last != "have":
        return None  # cut mid-phrase ("... the royal army and?")
    if not words[-1][-1:].isalnum() and words[-1][-1:] not in "\"”'’":
        return None  # "... for about 4 ×?": a formula or a lost superscript
    if any(ch in w for w in words for ch in "()[];,"):
        return None  # brackets, notes ("[further explanation needed]"), appositive fragments
    body = " ".join(words).rstrip(" ,;:.")
    return f"{wh} {_lower_first(body)}?"


def clause(s: str, span: tuple[int, int], splitter: re.Pattern[str]) -> tuple[int, int]:
    """Start and end of the clause around `span`, widened to the previous one when short."""
    cuts = [0] + [m.end() for m in splitter.finditer(s)] + [len(s)]
    start = max(c for c in cuts if c <= span[0])
    end = min((c for c in cuts if c >= span[1]), default=len(s))
    if len(s[start:end].split()) < 6 and start > 0:  # too short: keep the clause before too
        start = max((c for c in cuts if c < start), default=0)
    elif len(s[start:end].split()) < 4 and start == 0:  # "In 1066, William conquered England"
        end = min((c for c in cuts if c > end), default=len(s))
    return start, end


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first.isupper() or not first[1:].islower()):
        return text
    second = text.split(" ", 2)[1:2]
    if second and second[0][:1].isupper():
        return text  # a name: "European Union law" keeps its capitals
    return common_lower(first) + text[len(first) :]  # "Normandy" stays, "Computational" not
