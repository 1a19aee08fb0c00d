"""Near-miss refusal targets: a generated question with one detail changed, SQuAD 2.0-style."""

from __future__ import annotations

import random

from finetune.near_miss import near_miss, negated, renumbered

SOURCE = "In 1066, Duke William II of Normandy conquered England at the Battle of Hastings."


def test_a_year_moves_to_one_the_sentence_does_not_state():
    twin, new = renumbered("Who conquered England in 1066?", SOURCE, random.Random(0))
    assert new != "1066" and new not in SOURCE and abs(int(new) - 1066) <= 10
    assert twin == f"Who conquered England in {new}?"


def test_a_question_without_a_number_is_not_renumbered():
    assert renumbered("Who conquered England?", SOURCE, random.Random(0)) is None


def test_a_passive_is_negated_in_its_one_plain_place():
    assert negated("What was established by Royal Charter in 1550?") == (
        "What was not established by Royal Charter in 1550?"
    )
    assert negated("Who was killed at Hastings?") == "Who was not killed at Hastings?"
    assert negated("What was not established in 1550?") is None  # already negative
    assert negated("When did William conquer England?", SOURCE) == (
        "When did William not conquer England?"
    )
    assert negated("When did William conquer England?") is None  # no sentence to find the verb
    assert negated("石油是怎么形成的？") is None


def test_near_miss_prefers_a_number_and_says_what_it_brought_in():
    twin, new = near_miss("What was built in 1066?", SOURCE, random.Random(1))
    assert new and new in twin and "1066" not in twin
    assert near_miss("What was built at Hastings?", SOURCE, random.Random(1)) == (
        "What was not built at Hastings?",
        "",
    )
    assert near_miss("Who conquered England?", SOURCE, random.Random(1)) is None


def test_a_word_turns_to_its_opposite_unless_the_sentence_says_it():
    from finetune.near_miss import opposite

    assert opposite("What was the first battle?", SOURCE) == ("What was the last battle?", "last")
    assert opposite("What was the first battle?", "The first and the last battle.") is None
