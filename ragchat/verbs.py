"""English verb forms from lemminflect's dictionary (no model, no download): a word counts as a
verb only when the dictionary knows it as one. Shared by the answer checks (`ragchat.decide`)
and the question writer (`finetune.grammar`)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=8192)
def verb_form(word: str, *, only_verb: bool = False) -> tuple[str, str] | None:
    """(lemma, tag) when `word` is a past-tense (VBD), third-person present (VBZ) or past
    participle (VBN) verb form that is not also a noun ("states", "works" are nouns as often);
    else None. With `only_verb`, a past form that is also a noun or an adjective ("enhanced",
    "open") is no verb either."""
    from lemminflect import getAllInflections, getAllLemmas

    w = word.lower()
    lemmas = getAllLemmas(w)
    if "VERB" not in lemmas:
        return None
    if only_verb and ("NOUN" in lemmas or "ADJ" in lemmas):
        return None
    lemma = lemmas["VERB"][0]
    forms = getAllInflections(lemma, upos="VERB")
    for tag in ("VBD", "VBZ", "VBN"):
        if w in forms.get(tag, ()) and w != lemma:
            if tag == "VBZ" and "NOUN" in lemmas:
                return None
            return lemma, tag
    return None
