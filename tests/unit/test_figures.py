"""Self-QA questions about the figures reports state (finetune.english_figures): sentences of a
real 10-Q, first person and fronted dates included, pairs of figures split by period."""

import pytest

from finetune.english_figures import stated_figures
from finetune.questions import questions_for


def asked(sentence: str) -> list[tuple[str, str]]:
    return [(a.question, a.answer) for a in stated_figures(sentence)]


def test_a_stated_figure_is_asked_by_its_subject_and_period():
    assert asked(
        "Revenue for the third quarter of fiscal year 2023 was $5.93 billion, down 17% from a "
        "year ago and down 12% sequentially."
    ) == [("What was revenue for the third quarter of fiscal year 2023?", "$5.93 billion")]
    # first person read as "the"; a fronted date moves to the end of the question
    assert asked("As of March 31, 2023, our total backlog was $1.2 billion.") == [
        ("What was the total backlog as of March 31, 2023?", "$1.2 billion")
    ]
    # an appositive is left out of the subject
    assert asked(
        "The inventory valuation allowance, representing a write-down of inventory, was $2.8 "
        "billion as of December 31, 2022 and March 31, 2023."
    ) == [
        (
            "What was the inventory valuation allowance as of December 31, 2022 and March 31, 2023?",
            "$2.8 billion",
        )
    ]


def test_two_figures_for_two_periods_give_one_question_each():
    assert asked(
        "Cash capital expenditures were $13.7 billion and $13.1 billion during Q1 2022 and Q1 "
        "2023, which primarily reflect investments in technology infrastructure."
    ) == [
        ("What were cash capital expenditures during Q1 2022?", "$13.7 billion"),
        ("What were cash capital expenditures during Q1 2023?", "$13.1 billion"),
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        # which figure belongs to which year does not read off "fiscal years 2023 and 2022"
        "Inventory provisions totaled $2.01 billion and $238 million for the first nine months "
        "of fiscal years 2023 and 2022, respectively.",
        "Net sales are expected to be between $127.0 billion and $133.0 billion.",  # a range
        "As of October 30, 2022, there was $7.19 billion of unearned compensation.",  # no subject
        "For the 2012–13 school year annual tuition was $38,000.",  # a phrase, not a subject
        "We paid $100 million in cash dividends to our shareholders.",
        "Included in other liabilities was $2.9 billion of unearned revenue.",  # inverted
        "Sales that grew fastest were $4.1 billion.",  # a relative clause in the subject
    ],
)
def test_figures_without_a_subject_to_name_give_no_question(sentence):
    assert asked(sentence) == []


def test_figure_questions_come_out_of_a_chunk_with_verbatim_answers():
    text = (
        "Interest expense was $472 million and $823 million during Q1 2022 and Q1 2023, and was "
        "primarily related to debt. Our interest income was $108 million during Q1 2022."
    )
    import random

    qas = [qa for qa in questions_for(text, random.Random(0), limit=4) if qa.kind == "figure"]
    assert {qa.answer for qa in qas} >= {"$472 million", "$823 million"}
    assert all(qa.answer in text and qa.answer not in qa.question for qa in qas)
