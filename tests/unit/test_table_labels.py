"""A question about a line item finds that line: the row whose label the question names wins
over rows that share its period words, and a table ranked below the hits that holds such a row
is read too; a part's row (Mac, Greater China) answers only a question naming the part."""

from __future__ import annotations

import pytest

from ragchat.evidence import select_evidence
from ragchat.pipeline import ROWS_NAMED, rows_named
from ragchat.quotable import quotes_what_is_asked
from ragchat.table_text import label_named, names_a_row, period_named, row_of_another_part
from ragchat.text import lexical_tokens
from tests.fakes import make_hit

HEAD = "|  | Three Months Ended June 25, 2022 | Three Months Ended June 26, 2021 |\n|---|---|---|\n"
OTHER = HEAD + "| Total other income/(expense), net | $(10) | $243 |\n"
INCOME = (
    HEAD + "| Provision for income taxes | 3,624 | 2,625 |\n| Net income | $19,442 | $21,744 |\n"
)
Q = "What was Apple's net income for the three months ended June 25, 2022?"
NET = "What were Apple's net sales last quarter?"


def test_a_label_is_named_when_the_question_says_every_word_of_it():
    net = "Net income; Three Months Ended June 25, 2022: $19,442"
    assert label_named(net, Q)
    other = "Total other income/(expense), net; Three Months Ended June 25, 2022: $(10)"
    assert not label_named(other, Q)  # "total", "other", "expense" are not asked about
    # a footnote mark is not a word of the label; a plural in the question still names it
    assert label_named("iPhone (1); Three Months Ended June 25, 2022: $40,665", "iPhone sales?")
    assert label_named("Net sale; 2022: 5", "What were net sales in 2022?")


def test_sentences_and_rows_without_a_label_are_not_labelled_rows():
    assert not label_named("Net income rose; revenue fell.", Q)  # no headed cell: a sentence
    assert not label_named("Item: Net income; 2022: $5", Q)  # the label has a header of its own
    assert not label_named("(1); 2022: $5", Q)  # a label of footnote marks names nothing
    assert names_a_row(INCOME, Q) == "period" and names_a_row(OTHER, Q) == ""
    assert names_a_row(INCOME, "What was net income?") == "label"


def test_the_row_of_the_asked_date_wins_over_the_same_line_of_another_quarter():
    june = "Net income; Three Months Ended June 25, 2022: $19,442"
    march = "Net income; Three Months Ended March 26, 2022: $25,010"
    assert period_named(june, Q) and not period_named(march, Q)
    assert not period_named(june, "What was net income in 2022?")  # a year is not a date
    q = "What was net income for the three months ended March 26, 2022?"
    hits = [
        make_hit(INCOME, 0, kind="table"),
        make_hit(
            HEAD.replace("June 25", "March 26") + "| Net income | $25,010 | $23,630 |\n",
            1,
            kind="table",
        ),
    ]
    # the date's words weighed nothing here: only the whole date tells the rows apart
    weights = {t: 1.0 for t in lexical_tokens(q) if t not in {"march", "26", "2022"}}
    evidence = select_evidence(q, hits, lang="en", weights=weights)
    assert "$25,010" in evidence[0].text


def test_the_named_row_is_the_evidence_over_rows_that_share_its_period_words():
    hits = [make_hit(OTHER, 0, kind="table"), make_hit(INCOME, 1, kind="table")]
    weights = {t: 1.0 for t in lexical_tokens(Q)}
    evidence = select_evidence(Q, hits, lang="en", weights=weights)
    assert evidence[0].text.startswith("Net income;") and "$19,442" in evidence[0].text


def test_tables_below_the_hits_are_read_when_they_hold_a_named_row():
    hits = [make_hit(OTHER, 0, kind="table")]
    below = [
        make_hit("Net income is discussed in Part I.", 1),  # prose: not a table
        make_hit(OTHER.replace("$(10)", "$(11)"), 2, kind="table"),  # no named row
        *(
            make_hit(INCOME + f"| Basic | $1.2{i} | $1.31 |\n", 3 + i, kind="table")
            for i in range(4)
        ),
    ]
    found = rows_named(Q, hits, [*hits, *below])
    assert len(found) == ROWS_NAMED  # at most ROWS_NAMED, best ranked first
    assert [h.rank for h in found] == [4, 5]
    # a table whose named row stands under the asked date comes before one that does not
    other_quarter = make_hit(INCOME.replace("June 25", "March 26"), 1, kind="table")
    dated = make_hit(INCOME, 2, kind="table")
    assert rows_named(Q, hits, [other_quarter, dated])[0] is dated
    assert rows_named(Q, hits, hits) == []  # a hit is not added twice


SEGMENTS = (
    "|  | Three Months Ended June 25, 2022 |\n|---|---|\n"
    "| Greater China: |  |\n| Net sales | $14,604 |\n| Operating income | $5,760 |\n"
    "| Total net sales | $82,959 |\n"
)
STATEMENT = (
    "|  | Three Months Ended June 25, 2022 |\n|---|---|\n"
    "| Operating expenses: |  |\n| Research and development | 6,797 |\n"
    "| Total operating expenses | 12,809 |\n| Operating income | 23,076 |\n"
)


def test_rows_under_a_section_row_carry_it_and_a_total_closes_it():
    from ragchat.table_text import table_rows

    rows = table_rows(SEGMENTS)
    assert "Greater China – Operating income; Three Months Ended June 25, 2022: $5,760" in rows
    assert "Total net sales; Three Months Ended June 25, 2022: $82,959" in rows
    assert "Operating income; Three Months Ended June 25, 2022: 23,076" in table_rows(STATEMENT)


def test_a_segment_s_line_needs_the_segment_named_a_kind_of_line_does_not():
    from ragchat.table_text import table_rows

    q = "What was operating income for the three months ended June 25, 2022?"
    segment_row = next(r for r in table_rows(SEGMENTS) if "Operating income" in r)
    assert not label_named(segment_row, q)
    assert label_named(segment_row, "What was Greater China's operating income in 2022?")
    rd = next(r for r in table_rows(STATEMENT) if "Research" in r)
    assert rd.startswith("Operating expenses – Research and development;")
    assert label_named(rd, "How much was research and development in 2022?")
    hits = [make_hit(SEGMENTS, 0, kind="table"), make_hit(STATEMENT, 1, kind="table")]
    evidence = select_evidence(q, hits, lang="en", weights={t: 1.0 for t in lexical_tokens(q)})
    assert "23,076" in evidence[0].text


def test_a_heading_s_own_colon_is_not_doubled():
    from ragchat.table_text import table_rows

    table = "|  | June 25, 2022 ASSETS: |\n|---|---|\n| Total current assets | 112,292 |"
    assert table_rows(table) == ["Total current assets; June 25, 2022 ASSETS: 112,292"]


def test_the_label_the_question_quotes_word_for_word_wins_over_one_it_only_holds():
    from ragchat.table_text import label_quoted

    q = "What was income before provision for income taxes for the three months ended June 25, 2022?"
    longer = "Income before provision for income taxes; Three Months Ended June 25, 2022: 23,066"
    shorter = "Provision for income taxes; Three Months Ended June 25, 2022: 3,624"
    assert label_named(longer, q) and label_named(shorter, q)  # both labels' words are asked
    assert label_quoted(longer, q) > label_quoted(shorter, q) > 0
    swapped = "Other income (expense), net; 2022: 759"
    assert label_quoted(swapped, "What was other expense (income), net in 2022?") == 0
    table = (
        "|  | Three Months Ended June 25, 2022 |\n|---|---|\n"
        "| Provision for income taxes | 3,624 |\n"
        "| Income before provision for income taxes | 23,066 |\n"
    )
    weights = {t: 1.0 for t in lexical_tokens(q)}
    evidence = select_evidence(q, [make_hit(table, kind="table")], lang="en", weights=weights)
    assert "23,066" in evidence[0].text


def test_a_change_in_a_line_names_it_only_for_a_change_or_its_own_period():
    """The bundled 10-Q quoted the cash-flow statement's "Deferred revenue" change (260) for "How
    much deferred revenue did Apple report?" instead of the balance sheet's 7,728."""
    change = (
        "Changes in operating assets and liabilities – Deferred revenue; Nine Months Ended June"
        " 25, 2022: 260; Nine Months Ended June 26, 2021: 1,738"
    )
    balance = (
        "Current liabilities – Deferred revenue; June 25, 2022: 7,728; September 25, 2021: 7,612"
    )
    q = "How much deferred revenue did Apple report?"
    assert label_named(balance, q)
    assert not label_named(change, q)
    assert label_named(change, "How much did deferred revenue change?")
    assert label_named(change, "How much did deferred revenue increase in 2022?")
    assert label_named(change, "What was deferred revenue for the nine months ended June 25, 2022?")


def test_a_list_label_is_named_by_its_first_item_written_as_a_name():
    row = (
        "Net sales by category – Wearables, Home and Accessories (1)(2); "
        "Three Months Ended June 25, 2022: 8,084; Three Months Ended June 26, 2021: 8,785"
    )
    assert label_named(row, "What were Apple Wearables net sales in the third quarter of 2022?")
    assert not label_named(row, "What were wearables sales?")  # a word, not the category's name
    cash = "Cash, cash equivalents and restricted cash, end of period; June 25, 2022: 27,502"
    assert not label_named(cash, "How much cash did Apple have?")


@pytest.mark.parametrize(
    ("row", "question", "another"),
    [
        ("Net sales by category – Mac (1); Three Months Ended June 25, 2022: 7,382", NET, True),
        ("Greater China – Net sales; Three Months Ended June 25, 2022: 14,604", NET, True),
        ("Total net sales; Three Months Ended June 25, 2022: $82,959", NET, False),
        ("Net sales – Products; Three Months Ended June 25, 2022: 63,355", NET, False),
        ("Operating expenses; Three Months Ended June 25, 2022: 12,809", NET, False),
        ("Net sales by category – Mac (1); Three Months: 7,382", "What were Mac net sales?", False),
        (
            "Greater China – Net sales; Three: 14,604",
            "What were net sales in Greater China?",
            False,
        ),
    ],
)
def test_a_part_s_row_does_not_answer_a_question_that_names_no_part(row, question, another):
    assert row_of_another_part(row, question) is another
    # so it is no quote for the amount asked
    assert quotes_what_is_asked(row, question, "en") is not another


CASH_FLOWS = """| | Nine Months Ended June 25, 2022 |
|---|---|
| Financing activities: | |
| Repurchases of common stock | (64,974) |
| Cash used in financing activities | (81,910) |
| Decrease in cash, cash equivalents and restricted cash | (7,068) |
| Cash, cash equivalents and restricted cash, ending balances | $28,861 |
| Revenue: | |
| Product revenue | 100 |
| Service revenue | 50 |"""


def test_a_cash_flow_section_s_total_closes_it_a_row_naming_it_otherwise_does_not():
    from ragchat.table_text import table_rows

    rows = table_rows(CASH_FLOWS)
    assert rows[1].startswith("Financing activities – Repurchases of common stock; ")
    assert rows[3].startswith("Decrease in cash")  # below the section's total: not the section's
    assert rows[4].startswith("Cash, cash equivalents and restricted cash, ending balances;")
    assert rows[6].startswith("Revenue – Product revenue;")  # naming the section is no total
    assert rows[7].startswith("Revenue – Service revenue;")


def test_an_amount_s_named_row_keeps_a_place_among_sentences_that_outscore_it():
    # the bundled 10-Q refused "What were iPhone net sales in the third quarter of 2022?": four
    # segment sentences naming iPhone and the third quarter filled the evidence, and the row says
    # "Three Months", not "third quarter"
    q = "What were iPhone net sales in the third quarter of 2022?"
    prose = " ".join(
        f"{region} net sales increased during the third quarter of 2022 due primarily to higher"
        " net sales of iPhone."
        for region in ("Americas", "Europe", "Japan", "Greater China", "Rest of Asia Pacific")
    )
    sales = HEAD + "| iPhone | $40,665 | $39,570 |\n| Mac | 7,382 | 8,235 |\n"
    hits = [make_hit(prose, 0), make_hit(sales, 1, kind="table")]
    weights = {t: 1.0 for t in lexical_tokens(q)}
    evidence = select_evidence(q, hits, lang="en", weights=weights)
    assert len(evidence) == 4
    assert evidence[-1].text.startswith("iPhone;") and "$40,665" in evidence[-1].text
    # not for a question that asks no amount
    evidence = select_evidence(
        "Why did iPhone net sales rise in 2022?", hits, lang="en", weights=weights
    )
    assert not any(e.text.startswith("iPhone;") for e in evidence)
