"""Which evidence a quote takes: a why-question no table row, an amount the row the question
names over prose with other figures (also when it asks whether the amount rose), a Chinese
why-question the sentence that marks a reason, an account up to three sentences
(`ragchat.decide`, `ragchat.more_quotes`)."""

from __future__ import annotations

from dataclasses import replace

from ragchat.decide import decide
from ragchat.types import Evidence


def test_a_why_question_is_not_answered_by_a_table_row():
    # the 10-Q's "Effective tax rate; …: 15.7%" holds a figure, not the reason asked for
    evidence = [
        Evidence(
            1,
            "The tax rate was lower than the statutory federal rate due to credits.",
            "c:0",
            "q.pdf",
            21,
            (),
            0.85,
        ),
        Evidence(
            2,
            "Effective tax rate; Three Months Ended June 25, 2022: 15.7%",
            "c:1",
            "q.pdf",
            21,
            (),
            0.84,
        ),
        Evidence(
            3,
            "The tax rate was higher than a year before due to foreign earnings.",
            "c:0",
            "q.pdf",
            21,
            (),
            0.83,
        ),
    ]
    d = decide("", "Why was the effective tax rate higher in the quarter?", evidence, "en")
    assert d.fallback and d.cited == (3,), d
    d = decide("", "What was the effective tax rate in the quarter?", evidence, "en")
    assert d.cited == (2,), d  # asked for the figure: the row


def test_an_amount_is_quoted_from_the_row_the_question_names_over_prose_with_other_figures():
    prose = (
        "Total net sales increased 2% or $1.5 billion during the third quarter of 2022, partially"
        " offset by lower Wearables sales."
    )
    row = "Net sales by category – Wearables, Home and Accessories; Three Months Ended June 25, 2022: 8,084"
    evidence = [
        Evidence(1, prose, "c:0", "q.pdf", 17, (), 0.95),
        Evidence(2, row, "c:1", "q.pdf", 18, (), 0.86),
    ]
    d = decide("", "What were Wearables net sales in the third quarter of 2022?", evidence, "en")
    assert d.cited == (2,) and "8,084" in d.text, d
    # further down than TYPED_MARGIN still: the samples quoted the total's sentence for "What
    # were Mac net sales …?" over the Mac row 0.102 below it
    far = [evidence[0], replace(evidence[1], score=0.7)]
    far_q = "What were Wearables net sales in the third quarter of 2022?"
    assert decide("", far_q, far, "en").cited == (2,)
    # a row the question does not name by its label is no better than the prose
    other = [evidence[0], replace(evidence[1], text=row.replace("Wearables", "Mac"))]
    assert decide("", far_q, other, "en").cited == (1,)


def test_a_question_asking_for_an_account_is_quoted_more_than_one_sentence():
    program = "Under the Program, shares may be repurchased in open market transactions."
    bought = "The Company repurchased 408 million shares for $65.0 billion."
    other = "The Company paid dividends of $3.7 billion."
    evidence = [
        Evidence(1, program, "c:0", "q.pdf", 14, (), 0.64),
        Evidence(2, bought, "c:0", "q.pdf", 14, (), 0.62),
        Evidence(3, program.replace("open", "open "), "c:3", "q.pdf", 22, (), 0.61),  # again
        Evidence(4, other, "c:4", "q.pdf", 20, (), 0.40),  # too far below
    ]
    d = decide("", "What does the 10-Q say about share repurchases?", evidence, "en")
    assert d.cited == (1, 2) and "408 million" in d.text and "dividends" not in d.text, d
    # a question asking for one thing is quoted one sentence
    assert decide("", "How are shares repurchased?", evidence, "en").cited == (1,)
    # a caption states nothing: no sentence of an account
    captioned = [evidence[0], replace(evidence[1], text="Repurchases website"), *evidence[2:]]
    d = decide("", "What does the 10-Q say about share repurchases?", captioned, "en")
    assert "website" not in d.text and d.cited == (1,), d


def test_whether_an_amount_rose_is_quoted_from_its_row():
    prose = "Mac net sales increased due to higher net sales of MacBook Pro."
    row = "Net income; Three Months Ended June 25, 2022: $19,442; Three Months Ended June 26, 2021: $21,744"
    evidence = [
        Evidence(1, prose, "c:0", "apple-10q.pdf", 18, (), 0.73),
        Evidence(2, row, "c:1", "apple-10q.pdf", 4, (), 0.65),
    ]
    d = decide("", "Is Apple's net income higher than last year?", evidence, "en")
    assert d.cited == (2,) and "19,442" in d.text, d
    # a question about the Mac's sales is not about the net income row
    assert decide("", "Did Mac net sales go up?", evidence, "en").cited == (1,)


def test_a_chinese_why_question_is_quoted_the_sentence_that_marks_a_reason():
    evidence = [
        Evidence(1, "12月16日，徐晓飞在博客发表文章宣布退役。", "c:0", "b.pdf", 3, (), 1.06),
        Evidence(2, "徐晓飞返回中国后不久因身体原因而退役。", "c:0", "b.pdf", 3, (), 1.03),
    ]
    d = decide("", "徐晓飞为什么退役？", evidence, "zh")
    assert d.cited == (2,) and "身体原因" in d.text, d
    assert decide("", "徐晓飞什么时候宣布退役？", evidence, "zh").cited == (1,)
