"""A reference manual's definition list (a man page's options, a configuration file's
keywords): the parser reads each term set on its own line as a heading, so the sentences below
it never name it. They are read, scored and shown as "TERM: sentence"."""

from __future__ import annotations

import pytest

from ragchat.definition import BONUS, asked_subject, definition_bonus
from ragchat.entries import defined_term
from ragchat.evidence import select_evidence, sentences_of, term_share
from ragchat.quotable import quotes_what_is_asked
from ragchat.sentences import rejoin_broken_lines
from ragchat.text import identifier_words
from tests.fakes import make_hit

ENTRY = (
    "Specifies the number of password prompts before giving up. The argument to this keyword"
    " must be an integer. The default is 3."
)
KEYWORDS = ("SSH_CONFIG(5)", "DESCRIPTION", "NumberOfPasswordPrompts")


@pytest.mark.parametrize(
    "heading",
    [
        "HashKnownHosts",
        "-k --keep",
        "-c --stdout --to-stdout",
        "asn1_der_coding",
        "free()",
        "~/.ssh/config",  # a man page's FILES
    ],
)
def test_a_term_written_as_code_is_a_defined_term(heading):
    assert defined_term(heading)


@pytest.mark.parametrize(
    "heading",
    [
        "DESCRIPTION",  # a man page's section
        "Compression",  # a plain word may be a section's title
        "3.1 Invoking asn1Parser",
        "McAfee Corp.",
        "Note 3 - Leases",
        "Washington, D.C. 20549",
        "U.S. Cell Phone Litigation",
        "The Normans",
        "Input/Output",
    ],
)
def test_a_title_is_no_defined_term(heading):
    assert not defined_term(heading)


def test_each_sentence_of_an_entry_names_its_term():
    hit = make_hit(ENTRY, heading=KEYWORDS)
    assert sentences_of(hit, "en") == [
        "NumberOfPasswordPrompts: Specifies the number of password prompts before giving up.",
        "NumberOfPasswordPrompts: The argument to this keyword must be an integer.",
        "NumberOfPasswordPrompts: The default is 3.",
    ]
    # a section under a title, and a term's sentence that names it already, stay as written
    assert sentences_of(make_hit(ENTRY, heading=("SSH_CONFIG(5)", "DESCRIPTION")), "en")[2] == (
        "The default is 3."
    )
    named = make_hit("HashKnownHosts is off by default.", heading=("X", "HashKnownHosts"))
    assert sentences_of(named, "en") == ["HashKnownHosts is off by default."]
    # the document's own title is no entry
    assert sentences_of(make_hit("The default is 3.", heading=("SSH_CONFIG(5)",)), "en") == [
        "The default is 3."
    ]


def test_a_term_on_the_line_of_its_meaning_names_the_entry_s_sentences():
    from ragchat.entries import inline_term

    hit = make_hit(
        "Port Specifies the port number to connect on the remote host. The default is 22."
    )
    assert sentences_of(hit, "en") == [
        "Port Specifies the port number to connect on the remote host.",
        "Port: The default is 22.",
    ]
    assert inline_term("-f Forces compression even if the file exists.") == "-f"
    # prose opening with a capitalised plural, or any verb but one of defining, is no entry
    assert inline_term("The Normans Were a people of Normandy.") == ""
    assert inline_term("Apple Designs and sells phones.") == ""


def test_a_page_break_before_a_number_is_no_paragraph():
    broken = "Port Specifies the port number to connect on the remote host. The default is\n\n22."
    assert rejoin_broken_lines(broken, "en").endswith("The default is 22.")
    listed = "The steps to follow when installing the package are these\n2. Copy the files."
    assert rejoin_broken_lines(listed, "en") == listed  # a numbered item stays apart


def test_an_identifier_says_its_words():
    assert identifier_words("NumberOfPasswordPrompts: see asn1Parser") == (
        "Number Of Password Prompts asn1 Parser"
    )
    assert identifier_words("no identifiers here") == ""
    weights = {"password": 1.0, "prompts": 1.0}
    assert term_share("NumberOfPasswordPrompts: The default is 3.", weights) == 1.0
    assert term_share("The default is 3.", weights) == 0.0


def test_the_entry_answers_a_question_in_its_terms():
    question = "How many password prompts does ssh give before giving up by default?"
    hits = [
        make_hit("LogLevel gives the verbosity level used when logging messages.", 0),
        make_hit(ENTRY, 1, heading=KEYWORDS),
    ]
    evidence = select_evidence(
        question, hits, lang="en", weights={"password": 1.0, "prompts": 1.0, "default": 0.5}
    )
    assert evidence[0].text.startswith("NumberOfPasswordPrompts:")
    # a quote may answer "how many password prompts": the term names them
    assert quotes_what_is_asked("NumberOfPasswordPrompts: The default is 3.", question, "en")
    assert not quotes_what_is_asked("LogLevel: The default is 3.", question, "en")


def test_what_does_x_do_favours_the_sentence_saying_what_it_does():
    assert asked_subject("What does HashKnownHosts do?") == ("HashKnownHosts", "do")
    assert asked_subject("What does the --rsyncable option do?") == ("--rsyncable", "do")
    q = "What does the --rsyncable option do?"
    does = "--rsyncable: When you synchronize a file, this option allows rsync to send less."
    aside = "--rsyncable: Normally, after a change is made, the archive does not match."
    assert definition_bonus(q, does) == BONUS
    assert definition_bonus(q, aside) == 0.0
    q = "What does HashKnownHosts do?"
    assert definition_bonus(q, "HashKnownHosts: Indicates that ssh(1) should hash names.") > 0
    assert definition_bonus(q, "HashKnownHosts yes") == 0.0  # a setting, not what it does
    # an option's entry names more than the option, and says what it does in the imperative
    q = "What does the -f option of gzip do?"
    assert asked_subject(q) == ("-f", "do")
    assert definition_bonus(q, "-f --force: Force compression even if the file has links.") > 0
    assert definition_bonus(q, "-f --force: If -f is not given, gzip prompts first.") == 0.0
    assert definition_bonus("What does gzip do?", "The gzip command reduces the size.") > 0
    assert definition_bonus("What does gzip do?", "gzip is a program.") == 0.0


def test_a_file_s_path_says_where():
    q = "Where is the per-user ssh configuration file?"
    assert quotes_what_is_asked("~/.ssh/config: This is the per-user configuration file.", q, "en")
    assert not quotes_what_is_asked("This is the per-user configuration file.", q, "en")


def test_an_address_on_the_web_says_where():
    q = "Where is the PNG specification available?"
    spec = "The PNG-1.2 specification is available at <https://png-mng.sourceforge.io/pub/png/>."
    assert quotes_what_is_asked(spec, q, "en")
    assert not quotes_what_is_asked("The PNG specification is technically equivalent.", q, "en")


def test_to_use_it_leans_on_the_sentence_before():
    text = (
        "Libpng provides a simple check to see if a file is a PNG file. To use it, pass in the"
        " first 1 to 8 bytes of the file to the function png_sig_cmp()."
    )
    assert sentences_of(make_hit(text), "en") == [
        "Libpng provides a simple check to see if a file is a PNG file.",
        "Libpng provides a simple check to see if a file is a PNG file. To use it, pass in the"
        " first 1 to 8 bytes of the file to the function png_sig_cmp().",
    ]


def test_a_how_question_gets_the_sentence_that_says_how():
    lead = "Libpng provides a simple check to see if a file is a PNG file."
    how = " To use it, pass in the first 8 bytes of the file to the function png_sig_cmp()."
    hits = [make_hit(lead, 0), make_hit(lead + how, 1)]  # overlapping chunks
    weights = {"check": 1.0, "file": 1.0, "png": 1.0}
    q = "How can I check whether a file is a PNG file?"
    assert select_evidence(q, hits, lang="en", weights=weights)[0].text == lead + how
    # a question not asking how keeps the sentence that scored best
    q = "Does libpng check whether a file is a PNG file?"
    assert select_evidence(q, hits, lang="en", weights=weights)[0].text == lead


def test_a_key_s_use_asked_with_a_space_before_the_question_words():
    # "CTRL-G 有什么作用？" quoted "按下 CTRL 键不放开然后按 g 键。" over what CTRL-G is used for
    assert asked_subject("CTRL-G 有什么作用？") == ("CTRL-G", "use")
    assert definition_bonus("CTRL-G 有什么作用？", "CTRL-G 用于显示文件状态信息。") == BONUS
    assert definition_bonus("CTRL-G 有什么作用？", "按下 CTRL 键不放开然后按 g 键。") == 0.0


def test_a_rule_drawn_with_characters_ends_a_paragraph():
    text = "重复步骤1和步骤2，使用不同的数字\n~~~~~~~~~~~~~~~~\n第二讲第六节：操作整行"
    assert (
        rejoin_broken_lines(text, "zh")
        == "重复步骤1和步骤2，使用不同的数字\n第二讲第六节：操作整行"
    )
    # a rule the parser ran into a line (the Chinese vimtutor) parts it too
    joined = "words is cleaned up. ~~~~~~~~~~~~~~~~第二讲第六节：操作整行** 输入 dd 可以删除整一个当前行。"
    assert rejoin_broken_lines(joined, "zh").split("\n") == [
        "words is cleaned up.",
        "第二讲第六节：操作整行** 输入 dd 可以删除整一个当前行。",
    ]
    assert "\n" not in rejoin_broken_lines("Contents . . . . . . . . . . 5", "en")
    # without the rule the broken line is joined, as a page break's
    assert rejoin_broken_lines(text.replace("~~~~~~~~~~~~~~~~\n", ""), "zh").count("\n") == 0


def test_a_chinese_compound_counts_once():
    # jieba's search mode cuts 环境, 变量 and 环境变 out of 环境变量: four terms for one word
    weights = {
        "manwidth": 5.6,
        "环境变量": 3.2,
        "环境变": 3.2,
        "环境": 2.9,
        "变量": 3.2,
        "作用": 4.5,
    }
    names_it = "如果设置了$MANWIDTH，它的值将用作手册页格式化时的每行长度。"
    mentions = "由于所有其他的 man特定环境变量可以表达为命令行选项，因此这些环境变量可能废弃。"
    assert term_share(names_it, weights) > term_share(mentions, weights)
    # the compound weighs what its heaviest part does; a part alone, its share of that
    assert term_share("环境变量", weights) == pytest.approx(3.2 / (5.6 + 3.2 + 4.5))
    assert 0 < term_share("环境保护", weights) < term_share("环境变量", weights) / 3
