"""Names in short answers: the title a sentence gives a name; a description of the question's own name."""

import pytest

from ragchat.span import whole_phrase
from ragchat.types import Evidence


def _one(sentence: str) -> list[Evidence]:
    return [Evidence(1, sentence, "c:0", "a.pdf", 1, (), 0.8)]


@pytest.mark.parametrize(
    ("answer", "sentence", "question", "shown"),
    [
        (
            "Nicolas [1]",
            "They kept the feast of their patron Saint Nicolas, like the Dutch.",
            "Who is the patron saint of the Huguenots?",  # a saint's title is his name
            "Saint Nicolas [1]",
        ),
        (
            "Harold II [1]",
            "Duke William II defeated King Harold II at Hastings.",
            "Who was defeated at Hastings?",
            "King Harold II [1]",
        ),
        (  # the question names the title: the name alone
            "Charles W. Eliot [1]",
            "The reforms of President Charles W. Eliot transformed it.",
            "What president transformed the university?",
            "Charles W. Eliot [1]",
        ),
        (  # a title of two words is not cut in half
            "Joe Biden [1]",
            "The bill was signed by Vice President Joe Biden.",
            "Who signed the bill?",
            "Joe Biden [1]",
        ),
        (  # a title is only a title before a name
            "the Assembly [1]",
            "It was approved by General the Assembly.",
            "Who approved it?",
            "the Assembly [1]",
        ),
        (  # a capitalised word that ends the sentence before is no title
            "Paris [1]",
            "He was a Count. Paris was his home.",
            "Where did he live?",
            "Paris [1]",
        ),
    ],
)
def test_a_name_keeps_its_title(answer, sentence, question, shown):
    assert whole_phrase(answer, _one(sentence), "en", question) == shown


@pytest.mark.parametrize(
    ("answer", "sentence", "shown"),
    [
        (  # "the" where the sentence names the engine: the name is what was asked
            "the steam engine [1]",
            "The acme of the horizontal engine was the Corliss steam engine, patented in 1849.",
            "the Corliss steam engine [1]",
        ),
        ("the article 49 [1]", "TFEU article 49 says states are exempt.", "TFEU article 49 [1]"),
        ("the Prize [1]", "She won the Nobel Peace Prize.", "the Nobel Peace Prize [1]"),
        # no name before it, a capitalised first word or "In": left as the model wrote it
        ("the water pump [1]", "Most engines have a water pump.", "the water pump [1]"),
        ("the river [1]", "Seine river trade grew.", "the river [1]"),
        ("the river [1]", "In Rouen river trade grew.", "the river [1]"),
        ("the river trade [1]", "It grew: Seine river trade.", "Seine river trade [1]"),
        # a part of a whole keeps the part
        (
            "the founders of the bank [1]",
            "The street is named after one of the founders of the bank.",
            "one of the founders of the bank [1]",
        ),
        (
            "the size of the input [1]",
            "The time is given as a function of the size of the input.",
            "a function of the size of the input [1]",
        ),
        ("the bank [1]", "The street is named after the bank.", "the bank [1]"),
    ],
)
def test_a_name_left_out_of_the_phrase_is_restored(answer, sentence, shown):
    assert whole_phrase(answer, _one(sentence), "en", "What was it?") == shown


@pytest.mark.parametrize(
    ("answer", "question", "fits"),
    [
        (
            "Viking ruler Rollo [1]",
            "Who did Rollo sign the treaty of Saint-Clair-sur-Epte with?",
            False,
        ),
        (
            "King Charles III [1]",
            "Who did Rollo sign the treaty of Saint-Clair-sur-Epte with?",
            True,
        ),
        ("Duke William II [1]", "Who killed Harold II?", True),
        (  # the whole name counts, not its last word
            "the courts of member states and the Court of Justice of the European Union [1]",
            "Who applies European Union law?",
            True,
        ),
    ],
)
def test_a_description_of_the_questions_own_name_is_no_answer(answer, question, fits):
    from ragchat.answer_type import fits_question

    assert fits_question(answer, question, "en") is fits


@pytest.mark.parametrize(
    ("answer", "sentence", "question", "shown"),
    [
        (  # an adjective names nobody: its noun comes along
            "Norman [1]",
            "Norman adventurers founded the Kingdom of Sicily under Roger II.",
            "Who founded the Kingdom of Sicily?",
            "Norman adventurers [1]",
        ),
        (  # a verb after a name is not its noun
            "Rollo [1]",
            "Rollo agreed to swear fealty to King Charles III.",
            "Who agreed to swear fealty?",
            "Rollo [1]",
        ),
        (  # the noun the question itself names is not repeated
            "Norman [1]",
            "Norman knights fought at Hastings.",
            "Who were the knights that fought at Hastings?",
            "Norman [1]",
        ),
        (  # only for who-questions
            "Norman [1]",
            "The Norman dialect survives today.",
            "What language survives today?",
            "Norman [1]",
        ),
    ],
)
def test_a_who_answer_that_is_only_a_modifier_keeps_its_noun(
    answer: str, sentence: str, question: str, shown: str
) -> None:
    assert whole_phrase(answer, _one(sentence), "en", question) == shown
