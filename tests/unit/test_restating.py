"""An answer made only of the question's own words, in another form, says nothing."""

from __future__ import annotations

import pytest

from ragchat.decide import decide
from ragchat.types import Evidence
from ragchat.verify import check_sentence

MACRO = [
    Evidence(
        1,
        "Macroeconomic problems consisted of both inflationary and deflationary impacts.",
        "c:0",
        "a.pdf",
        1,
        (),
        0.8,
    )
]
WATT = [
    Evidence(
        1,
        "In 1781 James Watt patented a steam engine that produced continuous rotary motion.",
        "c:0",
        "a.pdf",
        1,
        (),
        0.8,
    )
]
NORMANS = [
    Evidence(1, "The Normans settled in Normandy, in northern France.", "c:0", "a.pdf", 1, (), 0.8)
]
QUESTION = "Which problem consists of both inflationary and deflationary impacts?"


@pytest.mark.parametrize(
    ("draft", "question", "evidence", "supported"),
    [
        ("inflation [1]", QUESTION, MACRO, False),
        ("Macroeconomic problems [1]", QUESTION, MACRO, True),
        ("continuous [1]", "What motion did Watt's engine continuously produce?", WATT, False),
        (
            "continuous rotary motion [1]",
            "What did Watt's engine continuously produce?",
            WATT,
            True,
        ),
        # a name is compared as written: "Normandy" is not "Normans" in another form
        ("Normandy [1]", "Where did the Normans settle?", NORMANS, True),
    ],
)
def test_the_questions_own_word_in_another_form_is_no_answer(draft, question, evidence, supported):
    assert check_sentence(draft, question, evidence, "en").supported is supported


def test_a_restated_question_gives_way_to_a_quote_of_the_best_sentence():
    d = decide("inflation [1]", QUESTION, MACRO, "en", confidence=0.9)
    assert d.fallback and "Macroeconomic problems" in d.text
