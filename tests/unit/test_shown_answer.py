"""What the user is shown: of a quoted table row, the cells the question asks about; of a
section, the sentence that itself names the subject; a short answer the best sentence states
too, cited to it; one class of a statement's line with the others."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ragchat.decide import decide
from ragchat.evidence import select_evidence
from ragchat.table_text import focus_row, other_parts
from ragchat.text import lexical_tokens
from ragchat.types import Evidence
from tests.fakes import make_hit

ROW = (
    "Total net sales; Three Months Ended June 25, 2022: $82,959; Three Months Ended June 26,"
    " 2021: $81,434; Nine Months Ended June 25, 2022: $304,182; Nine Months Ended June 26,"
    " 2021: $282,457"
)


def test_the_row_keeps_its_label_and_the_column_the_question_names():
    q = "What was Apple's total net sales for the three months ended June 25, 2022?"
    assert focus_row(ROW, q) == "Total net sales; Three Months Ended June 25, 2022: $82,959"
    assert focus_row(ROW, "What were net sales in the nine months ended June 26, 2021?") == (
        "Total net sales; Nine Months Ended June 26, 2021: $282,457"
    )


def test_rows_the_question_does_not_narrow_and_sentences_stay_whole():
    assert focus_row(ROW, "What were total net sales?") == ROW
    sentence = "Rollo was a Viking leader; his heirs ruled Normandy; the duchy grew."
    assert focus_row(sentence, "Who ruled Normandy?") == sentence
    # semicolons inside a parenthesis of names: a sentence, not three cells
    normans = (
        "The Normans (Norman: Nourmands; French: Normands; Latin: Normanni) were the people who"
        " gave their name to Normandy."
    )
    assert focus_row(normans, "Where did the Normans invade in the 11th century?") == normans
    zh = "营业收入; 2022年: 120亿元; 2021年: 98亿元"
    assert focus_row(zh, "2022年营业收入是多少？") == "营业收入; 2022年: 120亿元"


def test_a_quoted_row_shows_only_the_asked_cells():
    ev = [Evidence(1, ROW, "c1", "10q.pdf", 4, ("Statements",), 0.9)]
    q = "What was total net sales for the three months ended June 25, 2022?"
    d = decide("Rollo [1]", q, ev, "en")  # the example name: supported by nothing
    assert d.fallback and d.cited == (1,)
    assert "$82,959" in d.text and "$304,182" not in d.text


def test_the_sentence_naming_the_subject_beats_one_that_leans_on_the_heading():
    # both sentences sit under the heading "广茂铁路"; only one is about it
    q = "广茂铁路全长多少公里？"
    hits = [
        make_hit("广三铁路于1903年筑成，全长49公里。", heading=("百科", "3. 广茂铁路")),
        make_hit(
            "广茂铁路起自广州西站，至茂名站，全长364.6公里。",
            1,
            heading=("百科", "3. 广茂铁路"),
        ),
    ]
    weights = {t: 1.0 for t in lexical_tokens(q)}
    evidence = select_evidence(q, hits, lang="zh", weights=weights)
    assert "364.6" in evidence[0].text


def test_an_answer_the_best_sentence_also_states_is_kept_and_cited_to_it():
    ev = [
        Evidence(1, ROW, "c1", "10q.pdf", 19, ("MD&A",), 1.02),
        Evidence(
            2, ROW.replace("Total net sales", "Total net sales (4)"), "c2", "10q.pdf", 10, (), 0.99
        ),
    ]
    q = "What was total net sales for the three months ended June 25, 2022?"
    d = decide("$82,959 [2]", q, ev, "en")
    assert (d.text, d.cited, d.fallback) == ("$82,959 [1]", (1,), False)
    # an answer only the lower-ranked sentence states still gives way to the quote of the best
    other = [ev[0], Evidence(2, "Services net sales were $19,604.", "c3", "10q.pdf", 5, (), 0.9)]
    assert decide("$19,604 [2]", q, other, "en").fallback


def test_a_chinese_answer_from_a_lower_sentence_holding_the_whole_question_is_kept():
    # the bundled samples: "司职守门员 [2]" gave way to a quote of a sentence about losing the
    # starting place (主力位置), which never says 司职 — "位置" is only the kind asked for
    ev = [
        Evidence(
            1,
            "比赛前，状态不佳的张世昌被暂时剥夺主力位置，赛季末方才恢复。",
            "c1",
            "z.pdf",
            2,
            (),
            0.73,
        ),
        Evidence(
            2, "张世昌，中国足球运动员，司职守门员，以火爆的性格闻名。", "c2", "z.pdf", 2, (), 0.66
        ),
    ]
    d = decide("司职守门员 [2]", "张世昌司职什么位置？", ev, "zh")
    assert (d.cited, d.fallback) == ((2,), False) and "守门员" in d.text
    # the best sentence holding the question too: the lower one's answer still gives way
    both = [replace(ev[0], text="张世昌司职后卫，后被剥夺主力位置。"), ev[1]]
    assert decide("司职守门员 [2]", "张世昌司职什么位置？", both, "zh").cited == (1,)


def test_an_english_answer_from_a_lower_sentence_naming_what_is_asked_is_kept():
    # the Shared MIME-info spec: "100 [2]" gave way to a quote of the sentence introducing the
    # priority attribute, which never says what its maximum is
    ev = [
        Evidence(
            1,
            "magic elements contain a list of match elements, any of which may match, and an"
            " optional priority attribute for all of the contained rules.",
            "c1",
            "spec.pdf",
            4,
            (),
            0.70,
        ),
        Evidence(
            2,
            "The default priority value is 50, and the maximum is 100.",
            "c2",
            "spec.pdf",
            4,
            (),
            0.63,
        ),
    ]
    q = "What is the maximum priority for magic rules?"
    d = decide("100 [2]", q, ev, "en")
    assert (d.text, d.cited, d.fallback) == ("100 [2]", (2,), False)
    # a word that only asks ("What type of …") names nothing: the best sentence is quoted
    assert decide("100 [2]", "What type of priority do magic rules have?", ev, "en").fallback
    # the best sentence naming it too: the lower one's answer gives way
    both = [replace(ev[0], text=ev[0].text.replace("optional", "maximum")), ev[1]]
    assert decide("100 [2]", q, both, "en").cited == (1,)


def test_a_quote_the_model_opened_and_never_closed_is_closed_before_its_marker():
    from ragchat.decide import closed_quotes

    sentence = (
        'The Court of Justice must "ensure that in the interpretation and application of the'
        ' Treaties the law is observed".'
    )
    ev = [Evidence(1, sentence, "c1", "eu.pdf", 3, (), 0.9)]
    draft = "The Court's duty is to \"ensure that in the interpretation and application of the Treaties the law is observed [1]"
    d = decide(draft, "What is the Court of Justice's duty?", ev, "en")
    assert not d.fallback and d.text.endswith('the law is observed" [1]')
    assert closed_quotes("九命奇冤最初发表于《新小说 [1]") == "九命奇冤最初发表于《新小说》 [1]"
    assert closed_quotes('He said "yes" [1]') == 'He said "yes" [1]'
    assert closed_quotes("Rollo [1]") == "Rollo [1]"


def test_a_lead_in_about_the_evidence_and_empty_brackets_are_not_shown():
    zh = "大沙东站（）是广州地铁五号线的车站，位于广州市黄埔区。"
    ev = [Evidence(1, zh, "c1", "zh.pdf", 5, (), 0.9)]
    d = decide(
        "根据证据，大沙东站是广州地铁五号线的车站。[1]", "大沙东站是哪个地铁的站点？", ev, "zh"
    )
    assert not d.fallback and not d.text.startswith("根据") and "广州地铁五号线" in d.text
    d = decide("符合文档内容的线路：广州地铁五号线 [1]", "大沙东站是哪条线路的车站？", ev, "zh")
    assert not d.fallback and d.text.startswith("广州地铁五号线")
    quote = decide("", "大沙东站是哪个地铁的站点？", ev, "zh")
    assert quote.fallback and "大沙东站是广州地铁五号线" in quote.text and "（）" not in quote.text
    en = [
        Evidence(1, "The French colony was founded in 1555 by Villegagnon.", "c1", "a", 4, (), 0.9)
    ]
    d = decide("According to the evidence, it was founded in 1555 [1]", "When?", en, "en")
    assert d.text == "It was founded in 1555 [1]"


def test_a_name_copied_with_the_comma_of_its_clause_reads_as_a_sentence():
    from ragchat.decide import tidy

    assert tidy("Rollo, agreed to swear fealty to King Charles III [1]", "en") == (
        "Rollo agreed to swear fealty to King Charles III [1]"
    )
    assert tidy("William, duke of Normandy [1]", "en") == "William, duke of Normandy [1]"
    assert tidy("Paris, France [1]", "en") == "Paris, France [1]"


def test_a_cut_off_draft_keeps_only_its_finished_sentences():
    from ragchat.guard import finished_part

    assert finished_part("Rollo [1]. He was a Viking [2]. And then the") == (
        "Rollo [1]. He was a Viking [2]."
    )
    assert finished_part("它是一个城市。[1]而且它有") == "它是一个城市。[1]"  # its marker stays
    assert finished_part("He said “yes.” [1]") == "He said “yes.” [1]"
    # an abbreviation is no sentence end: nothing was finished
    assert finished_part("The worst was the St. Bartholomew's Day massacre when the") == ""


_TERM_DEBT = [
    "Current liabilities – Term debt; June 25, 2022: 14,009; September 25, 2021: 9,613",
    "Non-current liabilities – Term debt; June 25, 2022: 94,700; September 25, 2021: 109,106",
    "Financing activities – Repayments of term debt; Nine Months Ended June 25, 2022: (6,750)",
]


def test_one_class_of_a_line_is_shown_with_the_other():
    ev = [
        Evidence(i + 1, t, f"c{i}", "apple-10q.pdf", 6, (), 0.99 - 0.01 * i)
        for i, t in enumerate(_TERM_DEBT)
    ]
    for draft in ("14,009 [1]", ""):  # the model's part of it, or no answer: both parts quoted
        d = decide(draft, "How much term debt did Apple have?", ev, "en")
        assert d.cited == (1, 2) and "14,009" in d.text and "94,700" in d.text
        assert "6,750" not in d.text
    # a question naming the class asks for that part only
    d = decide("14,009 [1]", "How much current term debt did Apple have?", ev, "en")
    assert d.cited == (1,) and "94,700" not in d.text


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("How much term debt did Apple have?", [0]),
        ("What was Apple's non-current term debt?", []),
        ("What was the current portion of term debt?", []),
        ("What was the long-term debt?", []),  # names a class
    ],
)
def test_other_parts_are_the_same_line_under_another_class(question, found):
    assert other_parts(_TERM_DEBT[0], _TERM_DEBT[1:], question) == found
    # a segment's line ("Japan – Net sales") is no class of one amount
    assert other_parts("Japan – Net sales; Q3: 7", ["Europe – Net sales; Q3: 9"], question) == []


def test_a_cell_copied_as_the_answer_is_shown_with_its_row_s_label():
    row = (
        "Net sales by category – Services (3); Three Months Ended June 25, 2022: 19,604; "
        "Nine Months Ended June 25, 2022: 58,941"
    )
    evidence = [Evidence(1, row, "c:0", "apple-10q.pdf", 18, (), 0.9)]
    q = "What were Services net sales in the nine months of 2022?"
    d = decide("Nine Months Ended June 25, 2022: 58,941 [1]", q, evidence, "en")
    assert not d.fallback and d.text == (
        "Net sales by category – Services (3); Nine Months Ended June 25, 2022: 58,941 [1]"
    ), d
    assert decide("58,941 [1]", q, evidence, "en").text == "58,941 [1]"  # a figure alone stays
