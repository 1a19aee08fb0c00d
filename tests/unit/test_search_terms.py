"""Search terms and what a Chinese quote must hold: a request's opening words are no terms, a
term is found in its other forms, a quote for 多长 holds a measure (`ragchat.text`,
`ragchat.answer_type`)."""

from __future__ import annotations

import pytest

from ragchat.answer_type import states_what_is_asked


@pytest.mark.parametrize(
    ("sentence", "question", "states"),
    [
        # a date, or the 三 of a name, measures nothing
        ("广茂铁路是在2004年2月29日起由三茂铁路股份有限公司接管。", "广茂铁路多长", False),
        ("广茂铁路则全长421.326公里，共有47个车站。", "广茂铁路多长", True),
        ("大坝高一百八十五米。", "大坝有多高？", True),  # a measure in Chinese numerals
        ("全线设三个车站。", "全线有几个车站？", True),  # a count may be in words
        ("该线于2009年开通。", "全线有几个车站？", False),  # a year is no count
    ],
)
def test_a_chinese_quote_for_an_amount_holds_one_outside_its_dates(sentence, question, states):
    assert states_what_is_asked(sentence, question, "zh") is states


def test_a_request_s_opening_words_are_no_search_terms():
    from ragchat.text import question_tokens

    assert question_tokens("Tell me about Robert Guiscard.") == ["robert", "guiscard"]
    assert question_tokens("Please summarize the share repurchases") == ["share", "repurchases"]
    assert "介绍" not in question_tokens("介绍一下环氧氯丙烷")
    assert question_tokens("Who listed it?") == ["listed"]  # not at the start: a word of its own


@pytest.mark.parametrize(
    ("term", "text", "present"),
    [
        ("marry", "the marriage of emma and ethelred", True),  # y turns to i before an ending
        ("marry", "emma married ethelred", True),
        ("study", "they studied law", True),
        ("germany", "he fled to germany", True),  # the word itself still counts
        ("play", "he played", True),  # a vowel before y keeps it
        ("marry", "the marquis of exeter", False),
        ("cities", "the city walls", True),  # a plural's stem
        # a period's edges as a statement's rows name them
        ("end", "cash, cash equivalents and restricted cash, ending balances", True),
        ("start", "cash, cash equivalents and restricted cash, beginning balances", True),
        ("end", "cash paid for interest", False),
        ("end", "the endorsement of the board", False),  # a short word has no stem
    ],
)
def test_a_query_term_is_found_in_its_other_forms(term, text, present):
    from ragchat.text import lexical_tokens, term_present

    assert term_present(term, set(lexical_tokens(text, drop_stopwords=False)), text) is present
