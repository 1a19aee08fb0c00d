"""Who and what: English Self-QA questions about a clause's subject or object.

"Denis Papin conceptualized the piston" -> "Who conceptualized the piston?"; "The French
Protestant Church of London was established by Royal Charter" -> "What was established by Royal
Charter?"; "The Edict reaffirmed Catholicism as ..." -> "What did the Edict reaffirm as ...?".
Each answer is the whole subject or object, or there is no question: not "Rollo" of "Rollo and
his men", not the first item of a list, not a phrase a relative clause continues. Also the
sentence's shared vocabulary (`Asked`, pronouns, clause splitting) for `finetune.english`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from finetune.grammar import AUXILIARIES, PARTICLES, common_lower, main_verb, verb_form
from ragchat.text import EN_STOP


class Asked(NamedTuple):
    question: str
    answer: str
    kind: str


PRONOUNS = {"this", "that", "it", "he", "she", "they", "these", "those", "there", "its", "his"}
PRONOUNS |= {"her", "their", "such", "which", "who"}
JOINERS = {"and", "or", "but", "where", "which", "who", "that", "while", "when", "as", "of"}
JOINERS |= {"for", "to", "with", "by", "in", "on", "at", "from", "however", "then", "also"}


_SUBJECT_NAME = re.compile(
    r"^(?P<a>[A-Z][^\W\d_]+(?: (?:[A-Z][^\W\d_]+|de|von|van|of|the)){1,4}) (?P<v>[a-z]+) (?P<rest>.+)$"
)
_NOT_PEOPLE = {"University", "College", "Court", "Company", "Council", "Commission", "Church"}
_NOT_PEOPLE |= {"Parliament", "Government", "Union", "Library", "Railway", "Corporation", "Act"}
_NOT_PEOPLE |= {"Treaty", "Republic", "Kingdom", "Empire", "States", "Association", "Institute"}
_NOT_PEOPLE |= {"Society", "Party", "Army", "Navy", "Bank", "Group", "Board", "Office", "Agency"}
_NOT_PEOPLE |= {"Department", "Ministry", "Committee", "Service", "System", "Network", "School"}
_NOT_PEOPLE |= {"Museum", "Station", "River", "City", "County", "Province", "War", "Revolution"}
SUBORDINATORS = {"while", "when", "although", "though", "if", "because", "since", "as"}
SUBORDINATORS |= {"after", "before", "once", "unless", "whereas", "whether"}
_NEW_CLAUSE = re.compile(r"(?:,? and|,? but|;|, while|, whereas) (?=\S)")
CLAUSE_SPLIT = re.compile(r", | and | which | while | whereas | but |; ")


def later_clauses(s: str) -> list[str]:
    """The sentence from each later clause that has its own subject ("Article 65 banned
    cartels and article 66 made provisions for ..." -> "Article 66 made provisions for ..."),
    capitalised like a sentence."""
    out = []
    for m in _NEW_CLAUSE.finditer(s):
        rest, before = s[m.end() :], s[: m.start()].split()
        first = rest.split(" ", 1)[0]
        if not any(w.lower() in AUXILIARIES or verb_form(w) for w in before[1:]):
            continue  # "ARPANET and SITA HLN became ...": one subject of two, not a clause
        if first[:1].isupper() or first.lower() in ("the", "a", "an"):
            out.append(rest[:1].upper() + rest[1:])
    return out


def who_did(s: str) -> Asked | None:
    """ "Denis Papin conceptualized the piston." -> "Who conceptualized the piston?" for a
    sentence that opens with a person's name (two or more capitalised words, no "University")
    and a past-tense verb; the question ends with the first clause."""
    first = CLAUSE_SPLIT.split(s, maxsplit=1)[0].rstrip(" .;:")
    m = _SUBJECT_NAME.match(first)
    if m is None or m["a"].split()[0].lower() in EN_STOP | PRONOUNS:
        return None
    name = m["a"].split()
    if name[0].lower().endswith("ly"):
        return None  # "Initially the Normans maintained ..."
    if any(w in _NOT_PEOPLE for w in name) or not name[-1][:1].isupper():
        return None
    form = verb_form(m["v"])
    rest = m["rest"].split()
    if form is None or form[1] != "VBD" or form[0] in ("be", "have") or not 2 <= len(rest) <= 14:
        return None
    if rest[-1].lower() in JOINERS | EN_STOP:
        return None
    return Asked(f"Who {m['v']} {' '.join(rest)}?", m["a"], "person")


_PREPOSITIONS = {"in", "on", "at", "for", "from", "with", "by", "to", "into", "during", "after"}
_PREPOSITIONS |= {"before", "since", "until", "through", "under", "over", "between", "across"}
_PREPOSITIONS |= {"upon", "about", "around", "along", "against", "among", "within", "without"}
_PREPOSITIONS |= {"toward", "towards", "beyond", "behind", "below", "above", "throughout", "via"}
_PREPOSITIONS |= {"onto", "off", "out", "up", "down", "near", "like"}
# where an object ends: a preposition, a conjunction or a relative pronoun
_PASSIVE = re.compile(
    r"^(?P<a>(?:The )?[A-Z][\w'’\-]*(?: (?:of|de|the|[A-Z][\w'’\-]*)){0,5})"
    r" (?P<aux>was|were|is|are) (?P<rest>.+)$"
)
_OBJECT_END = _PREPOSITIONS | {"and", "or", "but", "which", "that", "who", "as", "because"}
_OBJECT_END |= {"while", "when", "where"}


def what_was(s: str) -> Asked | None:
    """ "The Edict of Nantes was revoked by Louis XIV in 1685." -> "What was revoked by Louis
    XIV in 1685?" (answer "The Edict of Nantes"): the named subject of a passive first clause;
    "Who" for a person's name."""
    clause1 = CLAUSE_SPLIT.split(s, maxsplit=1)[0]
    m = _PASSIVE.match(clause1.rstrip(" .;:"))
    if m is None:
        return None
    name, rest = m["a"].split(), m["rest"].split()
    if {"both", "either"} & set(rest) or re.match(r",?\s*and [A-Z]", s[len(clause1) :]):
        return None  # "both for their culture" without its "and ...", or a name cut at "and"
    if name[-1][:1].islower() or (name[0] != "The" and common_lower(name[0]) != name[0]):
        return None  # "Steam was ...": a common word capitalised by the sentence, not a name
    if not 2 <= len(rest) <= 14 or rest[-1].lower() in JOINERS | EN_STOP:
        return None
    form = verb_form(rest[0])
    if form is None or form[1] not in ("VBD", "VBN") or any(c in m["rest"] for c in "()[];,"):
        return None  # not passive ("was a duke"), or brackets and notes
    person = name[0] != "The" and len(name) >= 2 and not any(w in _NOT_PEOPLE for w in name)
    return Asked(f"{'Who' if person else 'What'} {m['aux']} {m['rest']}?", m["a"], "subject")


_LINKING = {"remain", "seem", "appear", "stay", "prove", "sound", "look", "feel", "grow", "turn"}
# a list goes on after the first clause ("operates several arts, cultural, and ..."), or the
# object is coordinated ("offered Rollo and his men"); the near one cuts a phrase in two
_AND_NEXT = re.compile(r"\s+(?:and|or)\s+(?P<w>[\w'’\-]+)")
_LIST_NEXT = re.compile(r",\s*(?P<w>[\w'’\-]+)(?:\s+[\w'’\-]+){0,4}?(?:,|\s+(?:and|or)\s)")
_NOT_AFTER = {"to", "and", "or", "who", "that", "which", "whom"}
_NOT_LIST = {"which", "who", "whom", "where", "when", "while", "but", "as", "such", "so", "then"}
_NOT_LIST |= {"and", "or", "including", "whose"}
_LIST_NEAR = re.compile(r",\s*(?P<w>[\w'’\-]+)(?:\s+[\w'’\-]+){0,2}?,")


def what_object(s: str) -> Asked | None:
    """ "Oliver Evans introduced high-pressure engines in 1801." -> "What did Oliver Evans
    introduce in 1801?" (answer "high-pressure engines"): the object of the first clause's
    past-tense or present-tense verb ("What does complexity theory study?"), up to the next
    preposition or conjunction."""
    first = CLAUSE_SPLIT.split(s, maxsplit=1)[0]
    words = first.rstrip(" .;:").split()
    if len(words) < 4 or words[0].lower() in PRONOUNS | SUBORDINATORS | JOINERS:
        return None
    if not (words[0][:1].isupper() and words[0].isalpha()):
        return None
    found = main_verb(words)
    if found is None or found[1] not in ("VBD", "VBZ"):
        return None
    at, aux = found[0], "did" if found[1] == "VBD" else "does"
    subject, lemma = words[:at], verb_form(words[at])[0]  # type: ignore[index]
    rest = words[at + 1 :]
    end = next((i for i, w in enumerate(rest) if w.lower() in _OBJECT_END), len(rest))
    obj, tail = rest[:end], rest[end:]
    if not 1 <= len(obj) <= 8 or not _noun_phrase(obj):
        return None
    if obj[0].lower() in _PREPOSITIONS | {"of"} or (tail and tail[0].lower() in _NOT_AFTER):
        return None  # "acts upon": no object; "requires the node to"; "the number who ..."
    after = s[len(first) :]
    if _list_goes_on(after, near=bool(tail)):
        return None  # a list or a coordinated object: "operates several arts, cultural, and"
    if words[0].lower().endswith("ing") or lemma in _LINKING:
        return None  # "Having obtained ...", "most knights remained poor"
    if words[0].lower().endswith("ly") or any(w.lower() in AUXILIARIES for w in words):
        return None  # "Initially the Normans ...", a clause with an auxiliary elsewhere
    if any(w.lower() in ("in", "on", "at", "during") for w in subject):
        return None
    if lemma in ("be", "have", "do", "become") or obj[-1].lower() in EN_STOP:
        return None
    if any(ch in w for w in words for ch in "()[];,"):
        return None
    answer = " ".join(obj)
    if answer.lower() in ("place", "suit", "part", "effect", "action", "hold", "a role", "use"):
        return None  # "took place", "followed suit": a fixed phrase, no object to ask about
    keep = len(subject) > 1 and subject[1][:1].isupper() and subject[0].lower() not in PARTICLES
    if not keep:
        subject[0] = common_lower(subject[0])  # a title before a name keeps it: "King Malcolm"
    question = " ".join(["What", aux, *subject, lemma, *tail]).strip()
    if tail and tail[-1].lower() in JOINERS | EN_STOP:
        return None
    return Asked(question + "?", answer, "object")


def _list_goes_on(after: str, near: bool = False) -> bool:
    """Does the object go on after its clause ends: "Rollo| and his men", "several arts|,
    cultural, and ..."? (`near`: after an object with words after it, a list only when the
    next item is short: "for a large-scale|, distributed, survivable ...".) Not when a verb follows ("forbade Protestant services, required ...,
    and prohibited ...": a list of actions, the object is whole) or a relative clause."""
    m = _LIST_NEAR.match(after) if near else _AND_NEXT.match(after) or _LIST_NEXT.match(after)
    if m is None:
        return False
    w = m["w"].lower()
    return not (w in AUXILIARIES | _NOT_LIST or w.endswith("ing") or verb_form(w))


def _noun_phrase(words: list[str]) -> bool:
    """Do `words` look like a noun phrase: no verb inside, a noun (or name, or number) last?"""
    from lemminflect import getAllLemmas

    first, last = words[0].lower(), words[-1]
    if first in PRONOUNS | JOINERS | {"to", "not", "also", "via", "mostly"} or first.endswith("ly"):
        return False
    if any(
        w.lower() in AUXILIARIES or (verb_form(w) or ("", ""))[1] in ("VBD", "VBZ")
        for w in words[1:]
    ):
        return False
    return last[:1].isupper() or last[:1].isdigit() or "NOUN" in getAllLemmas(last.lower())
