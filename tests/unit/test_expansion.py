"""What an acronym stands for, found where the documents spell it out."""

from __future__ import annotations

import pytest

from ragchat.expansion import asked_acronym, expansion_in, expansions, most_written
from ragchat.types import Chunk


@pytest.mark.parametrize(
    ("question", "acronym"),
    [
        ("What does DER stand for?", "DER"),
        ("what does vBNS stand for ", "vBNS"),
        ("What is ASN.1 short for?", "ASN.1"),
        ("What is the full form of MIME?", "MIME"),
        ("What does the acronym “GDP” stand for?", "GDP"),
        ("DECnet stands for what?", "DECnet"),
        ("What does XML mean?", "XML"),
        ("DER是什么的缩写？", "DER"),
        ("GDP的全称是什么？", "GDP"),
        ("What does love mean?", None),  # not an acronym
        ("What is DER?", None),  # a definition, asked the usual way
        ("What does the DER encoder return?", None),
    ],
)
def test_questions_asking_what_an_acronym_stands_for(question, acronym):
    assert asked_acronym(question) == acronym


LIBRARY = (
    "This manual is for GNU Libtasn1, a library for Abstract Syntax Notation One (ASN.1) and"
    " Distinguished Encoding Rules (DER) manipulation."
)


@pytest.mark.parametrize(
    ("text", "acronym", "long_form"),
    [
        (LIBRARY, "DER", "Distinguished Encoding Rules"),
        (LIBRARY, "ASN.1", "Abstract Syntax Notation One"),
        (
            "It provides Distinguished Encoding Rules (DER, as per X.690) encoding.",
            "DER",
            "Distinguished Encoding Rules",
        ),
        (
            "The DER (Distinguished Encoding Rules) format is used.",
            "DER",
            "Distinguished Encoding Rules",
        ),
        (
            "It became The Very high-speed Backbone Network Service (vBNS) in 1995.",
            "vBNS",
            "Very high-speed Backbone Network Service",
        ),
        (
            "GEnealogical Data COMmunication (GEDCOM) files.",
            "GEDCOM",
            "GEnealogical Data COMmunication",
        ),
        ("The research and development (R&D) costs rose.", "R&D", "research and development"),
    ],
)
def test_the_long_form_is_the_words_whose_initials_spell_it(text, acronym, long_form):
    found = expansion_in(text, acronym)
    assert found is not None
    assert found[0] == long_form
    assert acronym in found[1]


@pytest.mark.parametrize(
    "text",
    [
        "Every der buffer (DER) must be freed by the users (DER).",  # initials do not spell it
        "Many programs use the MIME system[MIME] to represent file types.",  # no long form
        "The Distinguished Encoding Rules are strict. DER output is canonical.",  # no brackets
        "The ASN.1 parser handles DER (as per X.690).",  # the brackets say something else
    ],
)
def test_text_that_does_not_spell_it_out_gives_nothing(text):
    acronym = "MIME" if "MIME" in text else "DER"
    assert expansion_in(text, acronym) is None


def chunk(text: str, n: int) -> Chunk:
    return Chunk(f"d:{n}", "d", "spec.pdf", text, (), n + 1, n + 1, (0, len(text)), ordinal=n)


def test_the_long_form_written_most_often_is_answered_at_its_first_place():
    found = expansions(
        [
            chunk("Use the Data Entry Routine (DER) here.", 0),
            chunk("Distinguished Encoding Rules (DER) are strict.", 1),
            chunk("The output uses Distinguished Encoding Rules (DER).", 2),
            chunk("The der buffer holds bytes.", 3),
        ],
        "DER",
    )
    assert [e.chunk.ordinal for e in found] == [0, 1, 2]
    best = most_written(found)
    assert best is not None and best.long_form == "Distinguished Encoding Rules"
    assert best.chunk.ordinal == 1
    assert most_written([]) is None
