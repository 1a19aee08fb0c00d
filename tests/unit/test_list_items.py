"""List items a PDF runs into one paragraph are sentences of their own in the evidence; the
lines of a table of contents or an index are none."""

from __future__ import annotations

from ragchat.evidence import sentences_of
from tests.fakes import make_hit

FEATURES = (
    "The command line tools are licensed under the GNU General Public License version 3.0 or"
    " later. • Thread-safety. No global variables are used and multiple library handles may be"
    " used in parallel. • Portability: The code should work on all Unix like operating systems."
)


def test_each_item_starts_a_sentence_and_keeps_its_lead_in():
    assert sentences_of(make_hit(FEATURES), "en") == [
        "The command line tools are licensed under the GNU General Public License version 3.0"
        " or later.",
        "Thread-safety. No global variables are used and multiple library handles may be used"
        " in parallel.",
        "Portability: The code should work on all Unix like operating systems.",
    ]


def test_an_item_of_one_sentence_loses_only_its_mark():
    text = "Future developments. • Add functions for C code generation. • The REAL type."
    assert sentences_of(make_hit(text), "en") == [
        "Future developments.",
        "Add functions for C code generation.",
        "The REAL type.",
    ]


def test_a_short_sentence_outside_a_list_is_not_joined():
    text = "Thread-safety. No global variables are used."
    assert sentences_of(make_hit(text), "en") == [
        "Thread-safety.",
        "No global variables are used.",
    ]


def test_a_table_of_contents_or_index_line_is_no_evidence():
    text = (
        "Supported ASN.1 types, list of . . . . . . . . . . 1\n"
        "asn1_decode_simple_ber . . . . . . . . . 22\n"
        "This version doesn't handle the REAL type... or so it says."
    )
    assert sentences_of(make_hit(text), "en") == [
        "This version doesn't handle the REAL type... or so it says."
    ]


def test_the_item_a_question_names_by_its_number_is_its_answer():
    from ragchat.evidence import select_evidence

    # man's exit statuses: the item that says more of the question's words is another status
    statuses = "3 子进程返回了非零的退出状态码。\n\n1 用法、语法或配置文件出错。\n\n2 操作出错。"
    hits = [make_hit(statuses, heading=("MAN(1)", "退出状态"))]
    weights = {"退出": 3.3, "状态": 4.0, "表示": 4.5, "1": 1.0, "man": 1.9}  # the KB's IDF
    evidence = select_evidence("man 的退出状态 1 表示什么？", hits, lang="zh", weights=weights)
    assert evidence[0].text == "1 用法、语法或配置文件出错。"
    # a question naming no small number leaves the list's order to the words
    evidence = select_evidence("man 的退出状态表示什么？", hits, lang="zh", weights=weights)
    assert evidence[0].text.startswith("3 子进程")


def test_an_english_sentence_run_into_a_chinese_one_is_two():
    from ragchat.evidence import bullet_sentences

    line = "---> This line will allow you to practice appending text.提示：a、i 和 A 都会带您进入插入模式。"
    assert bullet_sentences(line) == [
        "---> This line will allow you to practice appending text.",
        "提示：a、i 和 A 都会带您进入插入模式。",
    ]
    # an abbreviation inside Chinese, and a version number, are no end
    assert len(bullet_sentences("苹果公司（Apple Inc.）是美国公司。")) == 1
    assert bullet_sentences("版本 1.5 的教程。") == ["版本 1.5 的教程。"]
