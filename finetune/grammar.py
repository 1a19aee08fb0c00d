"""Just enough English grammar to turn a sentence around a phrase into a question.

No parser and no model: a sentence is simplified into clauses (parentheses dropped, a leading
adverbial moved to the end, an appositive after the subject removed, "; " and ", and" split),
each clause is read as subject + finite verb + rest, and `front` builds the question:

    front("The duchy had", "How many people")  ->  "How many people did the duchy have?"
    front("The Normans were in Normandy", "When")  ->  "When were the Normans in Normandy?"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AUX = {
    "is", "are", "was", "were", "has", "have", "had", "can", "could", "will", "would",
    "may", "might", "must", "should", "does", "did", "do",
}  # fmt: skip
IRREGULAR = {  # past tense -> base form
    "arose": "arise", "ate": "eat", "became": "become", "began": "begin", "bore": "bear",
    "bought": "buy", "brought": "bring", "built": "build", "came": "come", "caught": "catch",
    "chose": "choose", "dealt": "deal", "drew": "draw", "drove": "drive", "fell": "fall",
    "felt": "feel", "fled": "flee", "flew": "fly", "fought": "fight", "found": "find",
    "gave": "give", "got": "get", "grew": "grow", "heard": "hear", "held": "hold",
    "kept": "keep", "knew": "know", "laid": "lay", "led": "lead", "left": "leave",
    "lost": "lose", "made": "make", "meant": "mean", "met": "meet", "overcame": "overcome",
    "paid": "pay", "ran": "run", "rose": "rise", "said": "say", "sank": "sink", "saw": "see",
    "sent": "send", "shot": "shoot", "sold": "sell", "sought": "seek", "spent": "spend",
    "spoke": "speak", "stood": "stand", "struck": "strike", "swore": "swear", "taught": "teach",
    "thought": "think", "threw": "throw", "told": "tell", "took": "take", "understood":
    "understand", "undertook": "undertake", "went": "go", "withdrew": "withdraw", "won": "win",
    "wore": "wear", "wrote": "write",
    # regular verbs the suffix rules get wrong
    "created": "create", "required": "require", "acquired": "acquire", "used": "use",
    "caused": "cause", "treated": "treat", "defeated": "defeat", "repeated": "repeat",
}  # fmt: skip
PARTICIPLE_PAST = {  # passive participle -> simple past ("was written by" -> "who wrote")
    "written": "wrote", "given": "gave", "taken": "took", "known": "knew", "shown": "showed",
    "drawn": "drew", "chosen": "chose", "driven": "drove", "seen": "saw", "spoken": "spoke",
    "begun": "began", "done": "did", "sung": "sang", "grown": "grew", "thrown": "threw",
    "undertaken": "undertook", "overthrown": "overthrew", "built": "built", "made": "made",
    "held": "held", "led": "led", "won": "won", "brought": "brought", "sold": "sold",
    "sent": "sent", "found": "found", "bought": "bought", "paid": "paid", "taught": "taught",
    "kept": "kept", "founded": "founded",
}  # fmt: skip
NOT_VERBS = {
    "red", "bed", "hundred", "need", "seed", "speed", "feed", "breed", "united", "limited",
    "advanced", "based", "so-called", "related", "indeed", "shed", "sacred", "kindred",
    "wicked", "naked", "rugged", "ragged", "aged", "learned", "detailed", "skilled",
}  # fmt: skip
PRONOUNS = {
    "it", "he", "she", "they", "this", "that", "these", "those", "there", "its", "his", "her",
    "their", "we", "i", "you", "such", "both", "another", "other", "which", "who", "what",
    "one", "some", "many", "most", "all", "each", "here", "however", "thus", "also", "them",
    "first", "later", "today", "then", "now", "still", "instead", "finally", "initially",
    "several", "none", "neither", "either", "few", "much", "more", "less", "as", "after",
    "before", "since", "during", "while", "when", "if", "and", "but", "or", "so", "yet",
    "because", "although", "though", "where", "whereas", "unlike", "like", "despite",
}  # fmt: skip
NOT_S_VERBS = {"is", "was", "has", "does", "its", "his", "this", "thus", "as", "us", "was"}
DETERMINERS = {
    "a", "an", "the", "its", "his", "her", "their", "both", "several", "many", "some",
    "all", "two", "three", "four", "five", "six", "no", "each", "every", "one", "most",
}  # fmt: skip
_KEEP_E = ("s", "v", "z", "c", "g")
_E_ENDINGS = (
    "ate", "ize", "ise", "uce", "nce", "rge", "nge", "dge", "ive", "ave", "ove", "ure", "ose",
    "use", "ute", "ide", "ode", "ame", "ine", "one", "ire", "ore", "ase", "ice", "ete", "ble",
    "ple", "tle", "dle", "gle", "cle", "zle", "kle", "ude", "ume", "ype", "yze", "ote", "ape",
    "ege", "ite", "ade", "ole", "age", "are", "ule", "rse", "lse", "nse", "vise",
)  # fmt: skip


def lemma(verb: str) -> str:
    """Base form of a past-tense or third-person verb, by rule (good enough for questions)."""
    v = verb.lower()
    if v in IRREGULAR:
        return IRREGULAR[v]
    if v.endswith("ed") and len(v) >= 4:
        stem = v[:-2]
        if v.endswith("ied"):
            return v[:-3] + "y"
        if stem.endswith("y"):
            return stem  # played, destroyed
        if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsfz":
            return stem[:-1]  # stopped, admitted
        if stem[-2:-1] in "aeiou" and stem[-3:-2] in "aeiou":  # joined, appeared, seized
            return stem + "e" if stem[-1] in _KEEP_E else stem
        return stem + "e" if (stem + "e").endswith(_E_ENDINGS) else stem
    if v.endswith("ies"):
        return v[:-3] + "y"
    if v.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return v[:-2]
    return v[:-1] if v.endswith("s") else v


def is_past(word: str) -> bool:
    w = word.lower()
    return w in IRREGULAR or (
        w.endswith("ed") and len(w) > 4 and w.isalpha() and w not in NOT_VERBS
    )


def is_present(word: str, nxt: str) -> bool:
    """A third-person verb such as "prohibits" (only when a determiner follows, to tell it from
    a plural noun)."""
    w = word.lower()
    return (
        w.endswith("s")
        and not w.endswith(("ss", "us", "is"))
        and len(w) > 3
        and w.isalpha()
        and w not in NOT_S_VERBS
        and nxt.lower() in DETERMINERS
    )


@dataclass(frozen=True)
class Clause:
    subject: str
    verb: str  # the auxiliary or the finite verb, as written
    rest: str  # everything after the verb

    @property
    def aux(self) -> bool:
        return self.verb.lower() in AUX

    @property
    def tense_do(self) -> str:
        """The do-support for a question about this clause: did or does (or do)."""
        if is_past(self.verb):
            return "did"
        plural = self.subject.lower().endswith("s") and not self.subject[:1].isupper()
        return "do" if plural else "does"


def parse_clause(text: str) -> Clause | None:
    """Subject, finite verb and rest of a simple declarative clause (None if unsure)."""
    words = text.split()
    for i, word in enumerate(words[:9]):
        w = word.lower()
        if word.endswith((",", ";", ":")) or w in {"that", "which", "who", "when", "where"}:
            return None  # the subject has a clause of its own; too risky
        if (w.endswith("ly") and w not in {"italy", "july"}) or w in _PREPOSITIONS:
            return None  # an adverb or a preposition: not a plain subject
        if i == 0:
            if w in PRONOUNS or w in _OPENERS or not word[:1].isupper():
                return None
            continue
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in AUX or (word.islower() and (is_past(word) or is_present(word, nxt))):
            if not nxt:
                return None
            return Clause(" ".join(words[:i]), word, " ".join(words[i + 1 :]))
    return None


_PREPOSITIONS = {
    "in", "on", "at", "by", "during", "after", "before", "since", "from", "until", "around",
    "between", "starting", "beginning", "following", "under", "within", "throughout", "for",
    "to", "with", "without", "through", "despite", "amongst", "among", "according", "upon",
    "against", "towards", "toward", "into", "unlike", "like", "than", "via", "per", "about",
}  # fmt: skip
_OPENERS = {"therefore", "however", "moreover", "furthermore", "nevertheless", "hence", "thus"}
_BRACKETS = re.compile(r"\s*(?:\([^()]{0,120}\)|\[[^\[\]]{0,60}\])")
_LEADING = re.compile(r"^(?P<lead>(?:[A-Z][a-z]+)(?: [^,;]{1,50})?), (?P<body>\S.+)$")
_APPOSITIVE = re.compile(r"^(?P<subj>[A-Z][^,]{1,60}), (?P<app>[^,]{3,90}), (?P<rest>[a-z].+)$")
_SPLIT = re.compile(r"; |, (?:and|but|so|while|whereas) (?=[A-Z]|the |his |her |its |their )")
_ADVERBIALS = {"however", "also", "thus", "today", "later", "moreover", "meanwhile", "instead"}


def clauses(sentence: str) -> list[str]:
    """Simple clauses of a sentence: parentheses dropped, split at '; ' and ', and X', a leading
    adverbial moved to the end ("In 1638, the college ..." -> "the college ... in 1638"), an
    appositive after the subject removed."""
    s = _BRACKETS.sub("", " ".join(sentence.split())).strip().rstrip(".;:!")
    out = []
    for part in _SPLIT.split(s):
        part = part.strip(" ,")
        if m := _LEADING.match(part):
            lead = m["lead"]
            if lead.lower() in _ADVERBIALS:
                part = m["body"]
            elif len(lead.split()) <= 7 and lead.split()[0].lower() in _PREPOSITIONS:
                part = f"{m['body']} {lead[:1].lower()}{lead[1:]}"
        if m := _APPOSITIVE.match(part):
            verb = m["rest"].split()[0]
            if verb.lower() in AUX or is_past(verb):
                part = f"{m['subj']} {m['rest']}"
        out.append(part[:1].upper() + part[1:])
    return out




def front(text: str, wh: str, max_rest: int = 16) -> str | None:
    """Turn a clause (with the asked-for phrase already cut out) into a wh-question."""
    c = parse_clause(text)
    if c is None:
        return None
    rest = cut_rest(c.rest, max_rest)
    if rest is None:
        return None
    subject = lower_first(c.subject)
    if c.aux:
        return finish(f"{wh} {c.verb.lower()} {subject} {rest}")
    return finish(f"{wh} {c.tense_do} {subject} {lemma(c.verb)} {rest}")


_REST_END = re.compile(r"[,;:(]| which | who | whom | whose | whereas | while | although | but ")


def cut_rest(rest: str, max_words: int = 16) -> str | None:
    """The main clause part of `rest` (up to a comma or a relative clause); None if too long."""
    rest = _REST_END.split(rest)[0].strip()
    return rest if len(rest.split()) <= max_words else None


def finish(q: str) -> str:
    q = re.sub(r"\s+", " ", q).strip(" ,.;:")
    q = re.sub(r"\s+([,.;:?])", r"\1", q)
    q = re.sub(r"\b(\w+) \1\b", r"\1", q)  # "did did"
    return q[:1].upper() + q[1:] + "?"


_LOWER_FIRST = {"The", "A", "An", "Some", "Many", "Most", "Each", "Every", "In", "Its", "His"}


def lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if first in _LOWER_FIRST else text


def remove(text: str, start: int, end: int) -> str:
    """`text` without [start:end] (and a comma that only set it off)."""
    out = text[:start].rstrip() + " " + text[end:].lstrip(" ,")
    out = re.sub(r"^\s*,\s*", "", out.strip())
    return out.rstrip(" ,.;:")
