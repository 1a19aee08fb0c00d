"""Tables in the evidence: rows as "header: value" lines, financial statements' split cells,
prose that a layout cut into cells, and numbers read under the wrong year or period."""

import pytest

from ragchat.evidence import sentences_of
from ragchat.table_text import row_cells, table_rows
from ragchat.verify import check_sentence
from tests.fakes import make_hit
from tests.unit.test_grounded import ev


def test_table_rows_become_header_value_lines():
    table = "| Product | Q3 2022 | Q3 2021 |\n|---|---|---|\n| iPhone | 40,665 | 39,570 |\n| Mac | 7,382 | 8,235 |"
    assert table_rows(table) == [
        "Product: iPhone; Q3 2022: 40,665; Q3 2021: 39,570",
        "Product: Mac; Q3 2022: 7,382; Q3 2021: 8,235",
    ]
    assert sentences_of(make_hit(table, kind="table"), "en")[1].startswith("Product: Mac")


def test_a_statement_s_split_currency_cells_are_joined_and_stand_under_their_years():
    # as PyMuPDF reads a 10-Q: the sign in a column of its own, the header without a label cell
    table = (
        "| 2022 | 2023 |  |  |  |\n|---|---|---|---|---|\n"
        "| Total non-operating expense | (8,934) | (655) |  |  |\n"
        "| Net income (loss) | $ | (3,844) | $ | 3,172 |"
    )
    assert table_rows(table) == [
        "Total non-operating expense; 2022: (8,934); 2023: (655)",
        "Net income (loss); 2022: $(3,844); 2023: $3,172",
    ]
    # a header that also names the label column is left in place
    named = "| Fund | 2022 | 2023 |\n|---|---|---|\n| Money market | $ | 1,843 | $ | 316 |"
    assert table_rows(named) == ["Fund: Money market; 2022: $1,843; 2023: $316"]


def test_a_change_column_s_lone_percent_cells_join_their_values():
    # Apple's 10-Q (bundled sample): "%" in a column of its own with an empty heading
    table = (
        "|  | Three Months Ended June 25, 2022 | Change |  | Nine Months Ended June 25, 2022 |\n"
        "|---|---|---|---|---|\n"
        "| Services (3) | 19,604 | 12 | % | 58,941 |\n"
        "| Net sales: |  |  |  |  |\n"
        "| Total net sales | $82,959 | 2 | % | $304,182 |"
    )
    assert table_rows(table) == [
        "Services (3); Three Months Ended June 25, 2022: 19,604; Change: 12%;"
        " Nine Months Ended June 25, 2022: 58,941",
        "Net sales:",
        "Total net sales; Three Months Ended June 25, 2022: $82,959; Change: 2%;"
        " Nine Months Ended June 25, 2022: $304,182",
    ]
    # a column with a heading of its own, or with other values, is left as it is
    headed = "| Item | Rate | Unit |\n|---|---|---|\n| Tax | 21 | % |"
    assert table_rows(headed) == ["Item: Tax; Rate: 21; Unit: %"]
    mixed = "| Item | Rate |  |\n|---|---|---|\n| Tax | 21 | % |\n| Fee | 3 | bp |"
    assert table_rows(mixed) == ["Item: Tax; Rate: 21; %", "Item: Fee; Rate: 3; bp"]


def test_a_data_row_taken_for_the_header_is_read_as_a_row_not_as_column_names():
    # Apple's 10-Q (bundled sample): the periods' header stands apart, so the layout made the
    # first data row the header and every value of it named a column ("Services; 34.5: 71.5")
    margins = (
        "| Products | 34.5 | % | 36.0 | % |\n|---|---|---|---|---|\n"
        "| Services | 71.5 | % | 69.8 | % |\n"
        "| Total gross margin percentage | 43.3 | % | 43.3 | % |"
    )
    assert table_rows(margins) == [
        "Products; 34.5%; 36.0%",
        "Services; 71.5%; 69.8%",
        "Total gross margin percentage; 43.3%; 43.3%",
    ]
    # Amazon's balance sheet: the first row with its split currency signs
    balance = (
        "| Cash and cash equivalents | $ | 53,888 | $ | 49,343 |\n|---|---|---|---|---|\n"
        "| Marketable securities | 16,138 |  | 15,062 |  |"
    )
    assert table_rows(balance) == [
        "Cash and cash equivalents; $53,888; $49,343",
        "Marketable securities; 16,138; 15,062",
    ]
    # a header of years is a header
    years = "| Item | 2022 | 2023 |\n|---|---|---|\n| Revenue | 5 | 7 |"
    assert table_rows(years) == ["Item: Revenue; 2022: 5; 2023: 7"]


def test_row_cells_read_back_what_table_rows_wrote():
    row = "Net income (loss); Three Months Ended March 31, 2022: $(3,844); 2023: $3,172"
    assert row_cells(row) == [
        ("", "Net income (loss)"),
        ("Three Months Ended March 31, 2022", "$(3,844)"),
        ("2023", "$3,172"),
    ]
    assert row_cells("Ratio: 1: 2") == [("Ratio: 1", "2")]  # the value is after the last ": "


def test_running_text_cut_into_table_cells_is_read_as_prose_not_rows():
    text = (
        "For example, integers can be represented in binary notation.\n\n"
        "| science | are | analysis | of | algorithms | and | via their matrices |\n"
        "|---|---|---|---|---|---|---|\n"
        "| computability | theory. | A | key | distinction | their lists in binary. |  |\n"
        "| between | analysis | of | algorithms | and |  |  |\n\n"
        "The former is devoted to analyzing the resources needed by a particular algorithm."
    )
    rows = table_rows(text)
    assert rows == [
        "For example, integers can be represented in binary notation.",
        "The former is devoted to analyzing the resources needed by a particular algorithm.",
    ]
    real = "| Quarter | Net sales |\n|---|---|\n| Q3 2022 | $82,959 |\n| Q3 2021 | $81,434 |"
    assert table_rows(real) == [
        "Quarter: Q3 2022; Net sales: $82,959",
        "Quarter: Q3 2021; Net sales: $81,434",
    ]


INCOME = (
    "Net income (loss); Three Months Ended March 31, 2022: (3,844);"
    " Three Months Ended March 31, 2023: 3,172"
)
# the samples' 10-Q: "$23,076", the quarter's operating income, was shown for the nine months
OPERATING = (
    "Operating income; Three Months Ended June 25, 2022: 23,076;"
    " Nine Months Ended June 25, 2022: 94,543"
)


@pytest.mark.parametrize(
    ("row", "question", "wrong", "why", "right"),
    [
        (INCOME, "What was net income for the three months ended March 31, 2023?", "$3,844",
         "2022", "$3,172"),
        (OPERATING, "What was operating income for the nine months ended June 25, 2022?",
         "$23,076", "Three Months", "$94,543"),
        (OPERATING, "What was operating income in the third quarter of 2022?",  # three months
         "$94,543", "Nine Months", "$23,076"),
    ],
)  # fmt: skip
def test_a_number_read_under_another_year_or_period_of_the_table_is_removed(
    row, question, wrong, why, right
):
    row = ev(row)
    checked = check_sentence(f"It was {wrong} [1]", question, row, "en")
    assert not checked.supported and why in checked.reason
    assert check_sentence(f"{right} [1]", question, row, "en").supported
    # no year or period asked: the column cannot be told, the number stands
    assert check_sentence(f"{wrong} [1]", "What was it?", row, "en").supported


def test_a_sentence_with_a_year_gets_the_when_question_s_credit_whatever_its_century():
    # reading tables must not change how sentences score: a first header of years is told by
    # its own pattern, not by the evidence score's (which a shadowed name once replaced)
    from ragchat.evidence import answer_type_bonus

    assert answer_type_bonus("When did the Normans conquer England?", "In 1066, they did.") == 0.1
    assert answer_type_bonus("这个天后庙建于哪一年？", "天后庙建于乾隆十八年（1753年）。") == 0.1
    assert answer_type_bonus("When was it built?", "It was built by pirates.") == 0.0
    # a year the question names is still a year to look for ("the 1973 oil crisis began in 1973")
    assert answer_type_bonus("When did the 1973 oil crisis begin?", "It began in 1973.") == 0.1


def test_an_amount_question_credits_a_number_it_does_not_give_itself():
    from ragchat.evidence import answer_type_bonus

    q = "What was the revenue from Greater China in the third quarter of 2022?"
    prose = "Greater China net sales decreased in the third quarter of 2022 compared to 2021."
    row = "Greater China; Three Months Ended June 25, 2022: 14,604"
    assert answer_type_bonus(q, prose) == 0.0  # only the question's year and another year
    assert answer_type_bonus(q, row) == 0.1
    assert (
        answer_type_bonus("How many kinds of networks were there?", "There were two kinds.") == 0.1
    )
    assert answer_type_bonus("广茂铁路共有多少个车站？", "共有47个车站。") == 0.1
    assert answer_type_bonus("How many stations are there?", "The line has stations.") == 0.0


def test_a_cells_own_semicolon_does_not_end_the_cell():
    from ragchat.table_text import table_rows

    text = (
        "| | June 25, 2022 | September 25, 2021 |\n|---|---|---|\n"
        "| Common stock, $0.00001 par value: 50,400,000 shares authorized; 16,095,378 and "
        "16,426,786 shares issued and outstanding, respectively | 62,115 | 57,365 |"
    )
    (row,) = table_rows(text)
    assert row.split("; ")[0].endswith("shares issued and outstanding, respectively")
    assert row.endswith("June 25, 2022: 62,115; September 25, 2021: 57,365")
