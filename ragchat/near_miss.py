"""Near misses: a sentence about a neighbouring fact, not the one asked about.

SQuAD 2.0-style unanswerable questions — and users' questions the documents do not cover —
are often one detail away from a sentence that is there: another year ("Who patented a steam
engine in 1781?" against "In 1698 Thomas Savery patented a steam pump"), or the negation left
out ("What did the Court not decide?" against a sentence saying what it decided), or a word
turned into its opposite ("Which courts is the least EU law applied?" against "… the most …").
A small model answers them from that sentence. `ragchat.decide` answers or quotes only from a
sentence that is on point: it names every year the question names (`names_the_years`), says
something negative too when the question is negated (`keeps_the_negation`), and does not say
the opposite of a word the question asks with (`keeps_the_sense`). English only: a Chinese
sentence often leaves the year to the one before it, and cmrc-zh has no near-miss questions.

Measured on every squad-en question of each kind, quotes only (`python -m bench.near_miss`).
"""

from __future__ import annotations

import re

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
    r"\b(?:not|never|no longer|cannot|unable|fail(?:s|ed)? to)\b|n't\b", re.IGNORECASE
)
# what a sentence can say a negative with: a negation, a word of refusing, lacking or failing,
# or a negative prefix ("unjustified", "non-state")
_NEGATION = re.compile(
    r"\b(?:not|never|no|none|nobody|nothing|nor|neither|without|cannot|unable|inability|fail\w*"
    r"|lack\w*|refus\w*|den(?:y|ies|ied|ial)|reject\w*|prohibit\w*|ban|bans|banned|forb[ia]d\w*"
    r"|exclud\w*|except\w*|absen\w*|instead|rather than|barred|prevent\w*|invalid\w*|illegal\w*"
    r"|impossib\w*|insufficient\w*|inadequa\w*|non-?\w+)\b|n't\b|\b(?P<un>un[a-z]{4,})",
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
    ("expand", "shrink"), ("win", "lose"),
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


def on_point(asked: str, text: str) -> bool:
    """Is `text` (a sentence and its headings) on point for the question `asked`?"""
    return (
        names_the_years(asked, text)
        and keeps_the_negation(asked, text)
        and keeps_the_sense(asked, text)
    )
