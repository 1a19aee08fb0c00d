"""Acronyms a user types are searched spelled out, as the documents write them."""

from __future__ import annotations

from ragchat.acronyms import spelled_out


def test_an_acronym_is_spelled_out_with_the_acronym_kept():
    assert spelled_out("What was Apple's diluted EPS?") == (
        "What was Apple's diluted earnings per share (EPS)?"
    )
    assert (
        spelled_out("How much went to R&D?") == "How much went to research and development (R&D)?"
    )
    assert (
        spelled_out("What is the CEO's pay?") == "What is the chief executive officer's (CEO) pay?"
    )


def test_a_question_spelling_it_out_or_another_word_is_left_as_it_is():
    assert spelled_out("Who is the chief executive officer (CEO)?") == (
        "Who is the chief executive officer (CEO)?"
    )
    assert spelled_out("What did CEOs say?") == "What did chief executive officers (CEO) say?"
    for q in [
        "What is EPSILON?",
        "Who is the ceo?",
        "维修人员必须佩戴什么？",
    ]:
        assert spelled_out(q) == q
