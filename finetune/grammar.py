"""Turning an English clause into a question: front its auxiliary verb, or add "did"/"does" when
it has none ("William invaded Scotland" -> "did William invade Scotland"). Verb forms come from
`ragchat.verbs` (lemminflect's dictionary): a word counts as a verb only when the dictionary
knows it as one, so an unknown clause gives no question rather than a wrong one.
"""

from __future__ import annotations

from ragchat.verbs import verb_form

_FRONTED = {"is", "was", "are", "were", "can", "could", "will", "would", "should", "may"}
_FRONTED |= {"might", "must", "does", "did", "do"}
_HAVE = {"has": "does", "have": "do", "had": "did"}
AUXILIARIES = _FRONTED | set(_HAVE)
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her"}
_DETERMINERS |= {"of", "to", "for", "with", "by", "in", "on", "at", "from", "other", "many"}
_DETERMINERS |= {"some", "several", "most", "all", "both", "each", "every", "two", "three"}
PARTICLES = _DETERMINERS | {"and", "or", "but", "as", "than", "into"}


def main_verb(words: list[str]) -> tuple[int, str] | None:
    """Where the clause's verb is and what it is: (i, "aux") for an auxiliary to front,
    (i, "have") for a main-verb have, (i, "VBD"/"VBZ") for a tensed verb that needs do-support.
    An auxiliary wins over an earlier past-tense form ("a two-volume illustrated folio was
    published": "was"). None when there is none among the first words, or only a participle
    (a fragment: "the book written in 1189")."""
    window = range(1, min(len(words), 9))
    for i in window:
        lw = words[i].lower()
        if lw in _FRONTED:
            return i, "aux"
        if lw in _HAVE:
            nxt = [x for x in words[i + 1 : i + 3] if not x.lower().endswith("ly")]
            if nxt and (form := verb_form(nxt[0])) and form[1] in ("VBN", "VBD"):
                return i, "aux"  # "had been", "has built"
            return i, "have"
    for i in window:
        if words[i - 1].lower() in _DETERMINERS or words[i][:1].isupper():
            continue  # "the elected council", "the United States": part of the subject
        if form := verb_form(words[i]):
            return None if form[1] == "VBN" else (i, form[1])
    return None


def invert(words: list[str]) -> list[str] | None:
    """The clause as the body of a wh-question, auxiliary first ("William invaded Scotland" ->
    "did William invade Scotland"); None when `main_verb` finds no verb."""
    found = main_verb(words)
    if found is None:
        return None
    i, kind = found
    lw = words[i].lower()
    if kind == "aux":
        return [lw, *words[:i], *words[i + 1 :]]
    if kind == "have":
        return [_HAVE[lw], *words[:i], "have", *words[i + 1 :]]
    lemma = verb_form(words[i])[0]  # type: ignore[index]
    return ["does" if kind == "VBZ" else "did", *words[:i], lemma, *words[i + 1 :]]


def common_lower(word: str) -> str:
    """A capitalised common word lowercased ("Some", "Tension", "The"); names keep their
    capital ("Harvard", "William")."""
    from lemminflect import getAllLemmas

    if not word[:1].isupper() or word[1:2].isupper() or not word.isalpha():
        return word
    return word.lower() if getAllLemmas(word.lower()) or word.lower() in PARTICLES else word
