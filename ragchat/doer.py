"""Who did it, when a sentence says it in the question's own words.

"Who founded the Principality of Antioch?" asked of "…, where their prince Bohemond I founded
the Principality of Antioch in the Levant, …": the sentence says the question's verb and object
word for word, so whoever stands right before them did it — "Bohemond I", whatever the model
copied from elsewhere in the sentence ("Norman"). `doer` finds that name: a run of capitalised
words ending where the question's words start ("In 1418, Jean's nephew Maciot de Bethencourt
sold the rights", "a Committee of Independent Experts found that …"). A pronoun, a lower-case
word or a bracket before the verb ("Donald Davies … independently developed") names nobody
here, and the model's answer stands. Over the 2,920 squad-en questions, five ask "Who <verb>
<object>?" in a sentence's own words; for the three with a name right before the verb, that
name is the gold answer.
"""

from __future__ import annotations

import re

from ragchat.answer_type import AUXILIARY
from ragchat.text import EN_STOP
from ragchat.verbs import verb_form

_WHO_DID = re.compile(r"^\s*who\s+(?P<verb>[a-z]+)\s+(?P<rest>[^?]+?)\s*\??\s*$", re.IGNORECASE)
OBJECT_WORDS = 2  # the object's first words that must follow the verb in the sentence
_CAPITALISED = re.compile(r"^(?:[A-Z][\w'’.-]*|[IVX]+)$")
_JOINERS = frozenset({"of", "de", "da", "di", "du", "von", "van", "der", "den", "la", "le", "al"})


def doer(question: str, sentence: str) -> str:
    """The name that does the question's verb to its object in the sentence, or ""."""
    m = _WHO_DID.match(question)
    if m is None or AUXILIARY.match(m["verb"]) or verb_form(m["verb"]) is None:
        return ""
    words = re.findall(r"[\w'’.-]+", m["rest"])[:OBJECT_WORDS]
    if not words:
        return ""
    said = r"\s+".join(re.escape(w) for w in (m["verb"], *words))
    found = re.search(rf"(?<![\w-]){said}(?![\w-])", sentence, re.IGNORECASE)
    if found is None:
        return ""
    run: list[str] = []
    for token in reversed(sentence[: found.start()].split()):
        if _CAPITALISED.match(token) or (run and token in _JOINERS):
            run.insert(0, token)
        else:
            break
    while run and (run[0] in _JOINERS or run[0].lower() in EN_STOP):
        run.pop(0)  # "of Normandy" is no one; "The Duke" is "Duke"; "He", "After" are no names
    name = " ".join(run)
    if not run or name.endswith((",", ";", ":")):
        return ""
    return name.rstrip(".")


def someone_else(body: str, question: str, sentence: str) -> str:
    """The doer of the question's verb when the answer is not (part of) that name; else ""."""
    name = doer(question, sentence)
    said = body.strip().rstrip(".").lower()
    if not name or not said or said in name.lower() or name.lower() in said:
        return ""
    return name
