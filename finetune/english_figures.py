"""Figures in reports and manuals: "Our interest income was $611 million during Q1 2023" ->
"What was the interest income during Q1 2023?" (answer "$611 million").

Corporate filings, regulations and manuals state most of their facts as "<subject> was <figure>
<as of / during / for period>", usually in the first person ("our", "we") or after a fronted
date ("As of March 31, 2023, ..."), which `finetune.english`'s clause rules skip. The question
names the subject (with "our" read as "the") and keeps the period; the answer is the figure
exactly as written. Two figures for two periods ("$13.7 billion and $13.1 billion during Q1 2022
and Q1 2023") give a question each; when the periods do not read apart ("for fiscal years 2023
and 2022, respectively") they give none.
"""

from __future__ import annotations

import re

from finetune.english_roles import PRONOUNS, SUBORDINATORS, Asked
from finetune.grammar import common_lower
from ragchat.verbs import verb_form

_FIGURE = (
    r"\$\s?\d[\d,]*(?:\.\d+)?(?: (?:million|billion|thousand|trillion))?"
    r"|\d[\d,]*(?:\.\d+)?(?:%| percent| (?:million|billion|thousand) (?:shares|units|customers|users|employees))"
)
_LEAD = re.compile(
    r"^(?:(?:In addition|Additionally|Furthermore|Overall|Accordingly),? )?"
    r"(?P<lead>(?:As of|As at|At|During|For|In|Through|Since) (?:[^,;]|, (?=\d{4}))+?, (?!\d{4}))?"
    r"(?P<rest>.+)$"
)
_STATED = re.compile(
    rf"^(?P<x>[^;:()\[\]]{{3,110}}?) (?P<v>was|were|is|are|totaled|totalled|amounted to) "
    rf"(?:approximately |about |nearly |over |an estimated )?(?P<a>{_FIGURE})(?: and (?P<b>{_FIGURE}))?"
    r"(?P<tail>(?: (?:as of|as at|during|for|in|at|through|on) (?:[^,;.]|\.\d|, \d{4})+?)?)"
    r"(?P<end>,(?! \d{4})|;|\.(?!\d)|$"
    r"| (?:compared|primarily|due|up|down|an increase|a decrease|from|which))"
)
_APPOSITIVE = re.compile(
    r", (?:which|representing|including|consisting|excluding|net of|primarily)\b[^,]*,"
)
_OPENERS = {"we", "i", "you", "it", "there", "here", "for", "in", "during", "at", "through"}
_OPENERS |= {"by", "on", "with", "from", "of", "to", "under", "within", "and", "or", "but"}
_FIRST_PERSON = re.compile(r"\b(?:[Oo]ur)\b")


def stated_figures(s: str) -> list[Asked]:
    """Questions about the figures a sentence states for its subject: one, or one per period
    when two figures stand for two periods ("were $13.7 billion and $13.1 billion during Q1
    2022 and Q1 2023")."""
    lead = _LEAD.match(s)
    if lead is None:
        return []
    m = _STATED.match(lead["rest"])
    if m is None or re.match(r"\s*(?:and|or|to|-|–)\s*\$?\d", lead["rest"][m.end() :]):
        return []  # "between $127.0 billion and $133.0 billion and ..."
    x = _APPOSITIVE.sub("", m["x"])
    x = re.sub(r"^.* (?=Our )", "", x)  # a heading run into the sentence: "Income Taxes Our ..."
    words = x.split()
    first = words[0].lower()
    if first in PRONOUNS | SUBORDINATORS | _OPENERS:
        return []  # "For the 2012-13 school year annual tuition was": no subject to name
    if len(words) > 14 or any(w in ("we", "they", "you", "it") for w in words):
        return []  # a clause, not a subject
    if (form := verb_form(words[0])) and form[1] in ("VBN", "VBG") and first != "total":
        return []  # "Included in other liabilities was ...": inverted, no subject to name
    if any(w in ("that", "which", "who", "whom", "whose", "when", "if") for w in words):
        return []  # "sales that grew was": a relative clause
    subject = _FIRST_PERSON.sub("the", x)
    head = re.match(r"[A-Za-z]+", subject)
    if head:
        subject = common_lower(head[0]) + subject[head.end() :]
    verb = m["v"]
    if verb in ("totaled", "totalled", "amounted to"):
        ask = f"What did {subject} {'amount to' if verb == 'amounted to' else 'total'}"
    else:
        ask = f"What {verb} {subject}"
    tail = m["tail"].strip()
    if lead["lead"]:
        fronted = lead["lead"].strip(" ,")
        tail = (tail + " " if tail else "") + fronted[0].lower() + fronted[1:]
    if not m["b"]:
        return [Asked(f"{ask}{' ' + tail if tail else ''}?", m["a"], "figure")]
    prep, _, periods = tail.partition(" ")
    if prep == "as":  # "as of"
        extra, _, periods = periods.partition(" ")
        prep = f"as {extra}"
    pair = periods.split(" and ")
    if len(pair) != 2 or not all(len(p.split()) >= 2 and re.search(r"\d", p) for p in pair):
        return []  # "for fiscal years 2023 and 2022": the periods do not read apart
    return [
        Asked(f"{ask} {prep} {period}?", figure, "figure")
        for figure, period in zip((m["a"], m["b"]), pair, strict=True)
    ]
