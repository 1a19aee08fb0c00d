"""Near misses: a sentence about a neighbouring fact, not the one asked about.

SQuAD 2.0-style unanswerable questions — and users' questions the documents do not cover —
are often one detail away from a sentence that is there: another year ("Who patented a steam
engine in 1781?" against "In 1698 Thomas Savery patented a steam pump"), or the negation left
out ("What did the Court not decide?" against a sentence saying what it decided), or a word
turned into its opposite ("Which courts is the least EU law applied?" against "… the most …").
A small model answers them from that sentence. `ragchat.decide` answers or quotes only from a
sentence that is on point: it names every year the question names (`names_the_years`), says
something negative too when the question is negated (`keeps_the_negation`), and does not say the
opposite of a word the question asks with (`keeps_the_sense`), and names every proper name the
question names — or its file or headings do (`names_the_names`: "What international data
communications network was headquartered in San Juan, CA?" against "… headquartered in San Jose,
CA"), and the ruler it names with an ordinal, not a namesake (`names_the_ordinal`: "Richard
I", not "Richard II"). English only: a Chinese sentence often leaves the year to the one before
it, and cmrc-zh has no near-miss questions.

Measured on every squad-en question of each kind, quotes only (`python -m bench.near_miss`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ragchat.acronyms import SPELLED_OUT
from ragchat.names_zh import names_the_kind_asked
from ragchat.text import EN_STOP
from ragchat.types import Evidence

# a year an English question names: "in 1169", "December 2008"; not a decade ("the 1700s") or
# an amount ("from 100 Gbit/s to 1000 Gbit/s", "$2000")
_YEAR_BEFORE = (
    r"(?:in|of|by|since|until|till|from|after|before|during|between|around|circa|year|and|or|to"
    r"|summer|winter|spring|autumn|fall|january|february|march|april|may|june|july|august"
    r"|september|october|november|december)\s+"
)
QUESTION_YEAR = re.compile(
    rf"(?i:\b{_YEAR_BEFORE})(1\d{{3}}|20\d{{2}})(?![\d,.]\d|s\b|'s\b|\s*[A-Za-z]+/)"
)

# "What did the Court not decide?", "… never came into force?", "… failed to answer?"
NEGATED_QUESTION = re.compile(
    r"\b(?:not|never|no longer|cannot|unable|fail(?:s|ed)? to)\b|n['’]t\b", re.IGNORECASE
)
# what a sentence can say a negative with: a negation, a word of refusing, lacking or failing,
# or a negative prefix ("unjustified", "non-state")
_NEGATION = re.compile(
    r"\b(?:not|never|no|none|nobody|nothing|nor|neither|without|cannot|unable|inability|fail\w*"
    r"|lack\w*|refus\w*|den(?:y|ies|ied|ial)|reject\w*|prohibit\w*|ban|bans|banned|forb[ia]d\w*"
    r"|exclud\w*|except\w*|absen\w*|instead|rather than|barred|prevent\w*|invalid\w*|illegal\w*"
    r"|impossib\w*|insufficient\w*|inadequa\w*|non-?\w+)\b|n['’]t\b|\b(?P<un>un[a-z]{4,})",
    re.IGNORECASE,
)
# words opening with "un" that negate nothing
_NOT_UN = ("under", "until", "union", "unit", "univers", "unique", "uniform", "unless", "unanim")


def names_the_years(asked: str, text: str) -> bool:
    """Does `text` name every year the question names?"""
    return all(year in text for year in set(QUESTION_YEAR.findall(asked)))


def keeps_the_negation(asked: str, text: str) -> bool:
    """A negated question ("… not …?", "… never …?", "… fail to …?") is answered only by a
    sentence that says something negative too."""
    if not NEGATED_QUESTION.search(asked):
        return True
    return any(
        not (m["un"] and m["un"].lower().startswith(_NOT_UN)) for m in _NEGATION.finditer(text)
    )


# opposites a near miss swaps (stems); words that also stand in names or in other senses are
# left out ("North", "New", "fall", "first", "more")
_OPPOSITES = (
    ("increas", "decreas"), ("rais", "lower"), ("gain", "loss"), ("largest", "smallest"),
    ("biggest", "smallest"), ("most", "least"), ("highest", "lowest"), ("earliest", "latest"),
    ("maximum", "minimum"), ("internal", "external"), ("positive", "negative"),
    ("success", "failure"), ("accept", "reject"), ("legal", "illegal"), ("import", "export"),
    ("better", "worse"), ("best", "worst"), ("longest", "shortest"), ("oldest", "newest"),
    ("formal", "informal"), ("direct", "indirect"), ("support", "oppos"), ("agree", "disagree"),
    ("expand", "shrink"), ("win", "lose"), ("higher", "lower"),
)  # fmt: skip
_SUFFIX = r"(?:e|es|ed|d|s|ing|ly|ful|fully|ion|ions|ance)?"
_IRREGULAR = {"win": r"win|wins|won|winning|winners?", "lose": r"lose|loses|lost|losing|losers?"}
_FORMS = {
    stem: re.compile(rf"\b(?:{_IRREGULAR.get(stem, re.escape(stem) + _SUFFIX)})\b", re.IGNORECASE)
    for pair in _OPPOSITES
    for stem in pair
}


def asks_with_an_opposite(asked: str) -> bool:
    """Does the question use a word the opposites check reads ("most", "increasing")?"""
    return any(_FORMS[stem].search(asked) for pair in _OPPOSITES for stem in pair)


THE_FIRST = re.compile(r"\b(?:the|its|their|his|her)\s+(first|last)\b", re.IGNORECASE)
_SAYS = {
    "first": re.compile(
        r"\b(?:first|earliest|initial(?:ly)?|1st|found(?:ed|er|ing)|began|begun"
        r"|pioneer\w*|establish\w*|introduc\w*)\b",
        re.IGNORECASE,
    ),
    "last": re.compile(r"\b(?:last|final(?:ly)?|latest|ended|end)\b", re.IGNORECASE),
}


def keeps_the_order(asked: str, text: str) -> bool:
    """For "Who was the first Duke of Normandy?", does the sentence say first (or earliest,
    founded …)? "In 1066, Duke William II of Normandy conquered England" names a duke, not the
    first."""
    m = THE_FIRST.search(asked)
    return m is None or bool(_SAYS[m[1].lower()].search(text))


def keeps_the_sense(asked: str, text: str) -> bool:
    """Does the sentence avoid the opposite of a word the question asks with — "the least"
    where the question says "the most", "decreasing" for "increasing" — when it lacks the
    question's own word?"""
    for a, b in _OPPOSITES:
        for word, opposite in ((a, b), (b, a)):
            said, other = _FORMS[word], _FORMS[opposite]
            asks = said.search(asked) and not other.search(asked)
            if asks and other.search(text) and not said.search(text):
                return False
    return True


# a run of capitalised words a question names past its first word: "San Juan", "Cnut the Great"
_NAME_RUN = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'’-]*)*")
# words a name carries that a sentence need not repeat: titles, and the parts of a document a
# user points at ("What does Table 3 show?")
_NOT_NAMES = frozenset(
    (
        "mr", "mrs", "ms", "dr", "rev", "st", "sir", "king", "queen", "prince", "princess",
        "president", "emperor", "pope", "lord", "lady", "duke", "count", "saint",
        "north", "south", "east", "west", "northern", "southern", "eastern", "western",
        "middle", "central", "upper", "lower", "new", "old", "great", "greater",
        "section", "chapter", "article", "table", "figure", "appendix", "part", "page",
        "celsius", "fahrenheit", "kelvin",
    )
)  # fmt: skip
# the common noun in a name, which a sentence may name it by: "Fort Coligny" is "the fort"
_KINDS = frozenset(
    (
        "abbey", "fort", "castle", "church", "cathedral", "palace", "house", "hall", "tower",
        "bridge", "street", "park", "station", "river", "lake", "mount", "island", "islands",
        "bay", "sea", "ocean", "city", "town", "county", "state", "province", "world",
        "university", "college", "school", "institute", "company", "corporation", "society",
        "war", "revolt", "revolution", "treaty", "edict", "act", "law", "court", "council",
        "commission", "empire", "kingdom", "republic", "party", "league", "army", "prize", "cup",
    )
)  # fmt: skip
# a nationality names no one in particular and has many forms: "French", "Dutch", "Europeans"
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|ican|ch|ic|i)s?$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
STEM_LETTERS = 5  # "Huguenots" is named by "Huguenot", "Germany" by "German"


def _fold(text: str) -> str:
    """Without accents: "Rély" names "Rely"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# a name right after the wh-word describes the answer ("what modern New York borough")
_AUX = r"(?:is|was|were|are|be|did|does|do|has|have|had|can|could|will|would|should|may|might)"
_ASKED_KIND = re.compile(rf"\b(?:what|which)(?:\s+(?!{_AUX}\b)[a-z]+){{0,2}}\s+$", re.IGNORECASE)
# a sentence whose subject is "it", "he", "they" (at its start, or after an opening phrase): the
# name is in the sentence before, which the evidence did not carry. A pronoun further on ("From
# 1073 to 1074, 8,000 of the troops of Philaretus Brachamius were Normans … They even lent …")
# leans on a sentence the text holds, and exempted a quote that never named Bohemond from
# "How many troops did Bohemond have?".
_LEANS = re.compile(
    r"^\W*(?:(?:in|on|at|by|after|before|during|from|when|while|as|then|later|there)\b[^,.]{0,80}?"
    r"(?:,\s*|\s+)){0,2}(?:it|he|she|they)\b",
    re.IGNORECASE,
)


def _one_letter_off(word: str, words: set[str], shortest: int = 5) -> bool:
    """Is a long word one letter off a word of `words` ("Telnet" for "Telenet")? A misspelt
    name is still the name."""
    if len(word) < shortest:
        return False
    for cut in range(len(word) + 1):
        head, tail = word[:cut], word[cut:]
        if head + tail[1:] in words:  # a letter too many
            return True
        if any(head + c + tail[1:] in words for c in "abcdefghijklmnopqrstuvwxyz"):
            return True  # a letter wrong
        if any(head + c + tail in words for c in "abcdefghijklmnopqrstuvwxyz"):
            return True  # a letter missing
    return False


def question_names(asked: str) -> list[list[str]]:
    """The proper names a question names past its first word, each as the words that must be
    found: "In what year did Rev. Elie Prioleau become the pastor in Charleston?" ->
    [["Elie", "Prioleau"], ["Charleston"]]. Titles, nationalities and acronyms of up to four
    letters (one has many spellings: "the US", "the USA") are left out."""
    names = []
    for m in _NAME_RUN.finditer(asked):
        before, run = asked[: m.start()], m.group()
        if not before.strip():
            # the question's first word is capitalised anyway; a name may follow a function word
            # in the same run ("Did the Normans", "Is Apple's"), but not "What"/"Which" ("Which
            # Norman king": the kind asked) and not a name ("Harold Wilson's …?", misspelt)
            first, run = re.match(r"(\S+)\s*(?:(?:of|de|the)\s+)?(.*)", run).groups()
            if not run or first.lower() in ("what", "which") or first.lower() not in EN_STOP:
                continue
        elif _ASKED_KIND.search(before):
            continue  # "what New York borough": the kind of thing asked for, not who or where
        words = [
            w
            for w in re.findall(r"[A-Za-z0-9]+", _fold(run))
            if w[0].isupper()
            and len(w) >= 3
            and w.lower() not in _NOT_NAMES
            and not (w.isupper() and len(w) <= 4)
            and not _DEMONYM.search(w.lower())
        ]
        if any(w.lower() not in _KINDS for w in words):
            names.append(words)
    return names


def names_the_names(asked: str, text: str) -> bool:
    """Does `text` name every proper name the question names ("San Juan" is not named by a
    sentence about San Jose)? A word counts as named by one sharing its first STEM_LETTERS
    letters, a name of several words by its initials ("United States": "USA") or by its
    common noun after "the" ("the fort" for Fort Coligny); that noun alone need not be named
    ("Fécamp" names Fécamp Abbey); a word one letter off counts too ("Telnet": "Telenet"). A
    sentence whose subject is "it", "he", "she" or "they" need not name the question's first
    name: it names its subject in the sentence before, which the evidence does not carry.
    """
    if _CJK.search(asked):
        # a Chinese sentence names its subject once and then says 该/其; but not another
        # railway, station, school … than the one asked about
        return names_the_kind_asked(asked, text)
    # a pronoun subject stands for the question's first name, its subject most often: "in 1081
    # he led an army" may be Robert's ("How many men were in Robert's army?"), but it does not
    # say Scotland ("Did the Normans ever reach Scotland?": the Normans are in the headings)
    leans = bool(_LEANS.match(text))
    folded = _fold(text)
    vocabulary = set(re.findall(r"[a-z0-9]+", folded.lower()))
    stems = {w[:STEM_LETTERS] for w in vocabulary}
    acronyms = set(re.findall(r"\b[A-Z]{2,}", folded))
    low = folded.lower()
    for i, words in enumerate(question_names(asked)):
        initials = "".join(w[0] for w in words)
        if len(words) > 1 and any(a.startswith(initials) for a in acronyms):
            continue
        kinds = [w.lower() for w in words if w.lower() in _KINDS]
        if any(re.search(rf"\b(?:the|this|that) {kind}\b", low) for kind in kinds):
            continue  # "The fort was destroyed in 1560" names Fort Coligny
        if any(
            w.lower()[:STEM_LETTERS] not in stems and not _one_letter_off(w.lower(), vocabulary)
            for w in words
            if w.lower() not in _KINDS
        ) and not (leans and i == 0):
            return False
    return True


ACRONYM = re.compile(r"(?<![\w.&])[A-Z]{2,4}s?(?![\w.&])")  # not "SG&A", "R&D"


def names_the_acronyms(asked: str, text: str) -> bool:
    """Does `text` name every short acronym the question names past its first word ("QP" is not
    named by a sentence about "NP-hard problems")? `question_names` leaves acronyms of up to
    four letters out, so this asks for them on their own terms: the acronym itself or a longer
    one starting with it ("US": "USA", "U.S."), words whose initials spell it ("NSF":
    "National Science Foundation"), or the words of a known acronym ("EPS": "earnings per share",
    `ragchat.acronyms`). Not asked of a sentence that names its subject as "it", "they"."""
    # (past the first word: "CTRL-G 有什么作用？" asked for "TRL" when one letter was cut off)
    found = (m[0] for m in ACRONYM.finditer(asked) if m.start() > 0)
    asked_acronyms = {a.rstrip("s") for a in found} - _COMMON_ACRONYMS
    if not asked_acronyms or _LEANS.match(text):
        return True
    plain = re.sub(r"(?<=[A-Z])\.(?=[A-Z])", "", _fold(text))
    caps = set(re.findall(r"[A-Z][A-Za-z]*", plain))
    upper = {c.lower() for c in caps if c.isupper()}
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][\w'-]*", plain) if w[0].isupper())
    low = re.sub(r"[^a-z]+", " ", plain.lower())
    return all(
        any(c.startswith(a) for c in caps)
        or a in initials
        or (a in SPELLED_OUT and re.sub(r"[^a-z]+", " ", SPELLED_OUT[a]) in low)  # "EPS"
        or _one_letter_off(a.lower(), upper, shortest=4)
        for a in asked_acronyms
    )


def acronyms_in(text: str) -> tuple[str, ...]:
    """The acronyms of two to six capitals a text spells, once each, in order."""
    return tuple(dict.fromkeys(re.findall(r"(?<![\w.])[A-Z]{2,6}(?![\w.])", text)))


# countries and company forms a sentence names in other words ("the US": "American", "North
# America"; "Energiprojekt AB": "Energiprojekt")
_COMMON_ACRONYMS = frozenset(
    ("US", "USA", "UK", "EU", "UN", "USSR", "AB", "AG", "SA", "NV", "LLC", "INC", "PLC", "LTD")
)


# a ruler's ordinal: "Richard I", "Henry VIII", "Louis XIV"
_REGNAL = re.compile(r"\b([A-Z][a-z]+) ((?:X{0,2})(?:IX|IV|V?I{0,3}))\b(?![\w'’-])")


def names_the_ordinal(asked: str, text: str) -> bool:
    """Does `text` name the ruler the question names, not a namesake with another ordinal?
    "Who was Richard I of Normandy?" is not answered by a sentence about "Duke Richard II of
    Normandy" (the bundled Normans sample quoted one). A sentence naming the name with no
    ordinal, or with the asked one, passes."""
    for name, ordinal in _REGNAL.findall(asked):
        if not ordinal:
            continue
        said = {o for n, o in _REGNAL.findall(text) if n == name and o}
        if said and ordinal not in said:
            return False
    return True


def on_point(asked: str, text: str) -> bool:
    """Is `text` (a sentence, its headings and its file's name) on point for the question?"""
    return (
        names_the_ordinal(asked, text)
        and names_the_years(asked, text)
        and keeps_the_negation(asked, text)
        and keeps_the_sense(asked, text)
        and names_the_names(asked, text)
        and names_the_acronyms(asked, text)
        and keeps_the_order(asked, text)
    )


def evidence_on_point(asked: str, cited: Sequence[int], evidence: Sequence[Evidence]) -> bool:
    """Is the cited evidence (its sentence, its headings or its file's name) on point for the
    question — naming every year and every proper name it names, negative where it is negated,
    not saying the opposite of its words (`ragchat.near_miss`)? "Who patented a steam engine in
    1781?" is not answered by "In 1698 Thomas Savery patented a steam pump": a sentence about a
    neighbouring fact is the likeliest near miss of a question the documents do not answer."""
    by_n = {e.n: e for e in evidence}
    text = " ".join(
        f"{by_n[n].text} {' '.join(by_n[n].heading_path)} {_file_words(by_n[n].file)}"
        f" {' '.join(by_n[n].acronyms)}"
        for n in cited
        if n in by_n
    )
    return on_point(asked, text)


def _file_words(file: str) -> str:
    """A file's name as words ("apple-10q-2022.pdf": "apple 10q 2022"): a question naming the
    company a report is about is on point for a sentence saying only "the Company"."""
    return re.sub(r"[\W_]+", " ", file.rsplit(".", 1)[0])
