"""An answer made only of the question's own words, in another form, says nothing."""

from __future__ import annotations

import pytest

from ragchat.answer_type import fits_question
from ragchat.decide import decide
from ragchat.types import Evidence

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
QUESTION = "Which problem consists of both inflationary and deflationary impacts?"


@pytest.mark.parametrize(
    ("answer", "question", "fits"),
    [
        ("inflation [1]", QUESTION, False),
        ("Inflation. [1]", QUESTION, False),  # capitalised as the answer's first word only
        ("Macroeconomic problems [1]", QUESTION, True),
        ("continuous [1]", "What motion did Watt's engine continuously produce?", False),
        ("continuous rotary motion [1]", "What did Watt's engine continuously produce?", True),
        # a name is compared as written: "Normandy" is not "Normans" in another form
        ("Normandy [1]", "Where did the Normans settle?", True),
        # a choice the question offers is an answer
        ("inflation [1]", "Was the problem inflationary or deflationary?", True),
    ],
)
def test_the_questions_own_word_in_another_form_is_no_answer(answer, question, fits):
    assert fits_question(answer, question, "en") is fits


def test_a_restated_question_gives_way_to_a_quote_of_the_best_sentence():
    d = decide("inflation [1]", QUESTION, MACRO, "en", confidence=0.9)
    assert d.fallback and "Macroeconomic problems" in d.text
