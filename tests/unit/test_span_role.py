"""Short answers in the wrong part of their sentence give way to the quote (ragchat.span_role)."""

from __future__ import annotations

import pytest

from ragchat.decide import decide
from ragchat.span_role import (
    a_gloss_alone,
    a_part_of_a_total,
    a_time_aside,
    cuts_a_word,
    describes_the_subject,
    misses_the_other_name,
    misses_the_since,
    names_the_doer,
    names_where_they_are,
    stands_before_the_doer,
)
from ragchat.types import Evidence


def _one(text: str) -> list[Evidence]:
    return [Evidence(1, text, "c:0", "a.pdf", 1, (), 0.8)]


@pytest.mark.parametrize(
    ("answer", "question", "sentence", "doer"),
    [
        (  # the words before the question's verb name who did it
            "The regional network [1]",
            "What did the operator build in 1999?",
            "The regional network built a new fibre backbone in 1999.",
            True,
        ),
        (  # an irregular verb, an adverb between: still the doer
            "the council [1]",
            "What did the city choose for the bridge?",
            "In May the council then chose a steel arch for the bridge.",
            True,
        ),
        (  # the object of the verb answers it
            "a new fibre backbone [1]",
            "What did the operator build in 1999?",
            "The regional network built a new fibre backbone in 1999.",
            False,
        ),
        (  # "Who ...?" asks for the doer: not this check's question
            "The regional network [1]",
            "Who built a new fibre backbone in 1999?",
            "The regional network built a new fibre backbone in 1999.",
            False,
        ),
        (  # "were" follows the answer, and "be" is no action
            "narcotic drugs [1]",
            "What did the court say were controlled in all states?",
            "The court said that narcotic drugs were controlled in all states.",
            False,
        ),
    ],
)
def test_the_doer_does_not_answer_what_was_done(answer, question, sentence, doer):
    assert names_the_doer(answer, question, sentence) is doer


def test_the_doer_gives_way_to_the_quote():
    sentence = "The regional network built a new fibre backbone in 1999."
    d = decide(
        "The regional network [1]", "What did the operator build in 1999?", _one(sentence), "en"
    )
    assert d.fallback and "fibre backbone" in d.text


_FOUNDED = (
    "Norman influence spread to the Near East, where their prince Bohemond I founded the "
    "Principality of Antioch in the Levant."
)


@pytest.mark.parametrize(
    ("answer", "sentence", "before"),
    [
        ("Norman [1]", _FOUNDED, True),  # stands before the doer: not what he founded
        ("the Principality of Antioch [1]", _FOUNDED, False),
        ("Antioch", "Antioch, which Bohemond founded in 1098, fell in 1268.", False),
        ("Antioch", "Antioch was founded by Bohemond.", False),  # no "Bohemond founded"
    ],
)
def test_what_someone_did_stands_after_their_doing(answer, sentence, before):
    assert stands_before_the_doer(answer, "What did Bohemond found?", sentence) is before


def test_an_answer_before_the_doer_gives_way_to_the_quote():
    d = decide("Norman [1]", "What did Bohemond found?", _one(_FOUNDED), "en")
    assert d.fallback and "Principality of Antioch" in d.text
    # the follow-up "What did he found?" after "Who was Bohemond?", as the chat joins it
    d = decide("Norman [1]", "Who was Bohemond — What did he found?", _one(_FOUNDED), "en")
    assert d.fallback and "Principality of Antioch" in d.text


_SINCE = "The tax was raised in 2007, but the levy itself has existed since the reform of 1957."


@pytest.mark.parametrize(
    ("answer", "question", "misses"),
    [
        ("2007 [1]", "How long has the levy existed?", True),
        ("since the reform of 1957 [1]", "How long has the levy existed?", False),
        ("1957 [1]", "How long has the levy existed?", False),  # inside the "since" phrase
        ("2007 [1]", "When was the tax raised?", False),  # not a how-long-has question
    ],
)
def test_how_long_has_is_answered_from_the_since_phrase(answer, question, misses):
    assert misses_the_since(answer, question, _SINCE) is misses


_SPANISH = "他的名字按西班牙语音译为胡安·佩雷斯，是古巴游泳运动员。"
_AREA = "新车站建筑总面积近3.2万平方米，包括站房和雨棚。"
_TEMPLE = "青云寺，又称青云古寺，是本市一所佛寺，现被列为二级历史建筑。"


@pytest.mark.parametrize(
    ("answer", "sentence", "cut"),
    [
        ("西班牙 [1]", _SPANISH, True),  # a piece of "西班牙语"
        ("古巴 [1]", _SPANISH, False),
        ("3.2万 [1]", _AREA, True),  # "万平方米" is one word: the number alone cuts it
        ("近3.2万平方米 [1]", _AREA, False),  # as widened, whole
        ("Not in the sentence [1]", _SPANISH, False),
    ],
)
def test_a_chinese_answer_that_cuts_a_word_is_caught(answer, sentence, cut):
    assert cuts_a_word(answer, sentence) is cut


@pytest.mark.parametrize(
    ("answer", "sentence", "gloss"),
    [
        ("OBE [1]", "他因其贡献获授官佐勋章（OBE）。", True),
        ("OBE [1]", "他因其贡献获授官佐勋章 (OBE)。", True),
        ("官佐勋章 [1]", "他因其贡献获授官佐勋章（OBE）。", False),
        ("OCHCHO [1]", "乙二醛的化学式为OCHCHO，由两个醛基组成。", False),  # no bracket
        ("Henry Walsh [1]", "设计者为Henry Walsh（1901年）。", False),
    ],
)
def test_a_latin_gloss_alone_does_not_answer_a_chinese_question(answer, sentence, gloss):
    assert a_gloss_alone(answer, sentence) is gloss


@pytest.mark.parametrize(
    ("answer", "question", "sentence", "misses"),
    [
        ("二级历史建筑 [1]", "青云寺又可以叫什么名字？", _TEMPLE, True),
        ("青云古寺 [1]", "青云寺又可以叫什么名字？", _TEMPLE, False),
        ("青云古寺 [1]", "青云寺原名是什么？", "青云寺，原名“青云古寺”，也称“古寺”。", False),
        ("青云寺又称青云古寺 [1]", "青云寺又称什么？", "青云寺又称青云古寺。", False),
        ("二级历史建筑 [1]", "青云寺被列为什么？", _TEMPLE, False),  # not a name asked
        ("本市一所佛寺 [1]", "青云寺又叫什么？", "青云寺是本市一所佛寺。", False),  # no name given
    ],
)
def test_another_name_asked_is_the_one_the_sentence_gives(answer, question, sentence, misses):
    assert misses_the_other_name(answer, question, sentence) is misses


def test_a_chinese_answer_in_the_wrong_part_gives_way_to_the_quote():
    d = decide("西班牙 [1]", "胡安·佩雷斯是哪国人？", _one(_SPANISH), "zh")
    assert d.fallback and "古巴" in d.text
    d = decide("古巴 [1]", "胡安·佩雷斯是哪国人？", _one(_SPANISH), "zh")
    assert not d.fallback and d.text.startswith("古巴")
    d = decide("3.2万 [1]", "新车站建筑总面积为多少平方米？", _one(_AREA), "zh")
    assert not d.fallback and d.text.startswith("近3.2万平方米")  # widened first, then checked


_FIELDS = "Closely related fields in theoretical computer science are analysis of algorithms."


@pytest.mark.parametrize(
    ("answer", "question", "sentence", "where"),
    [
        ("theoretical computer science [1]", "To what field is it assigned?", _FIELDS, True),
        ("analysis of algorithms [1]", "To what field is it assigned?", _FIELDS, False),
        (
            "Germany",
            "Which river is longest?",
            "Of the rivers in Germany the Rhine is longest.",
            True,
        ),
        (
            "Rhine",
            "Which river is longest?",
            "Of the rivers in Germany the Rhine is longest.",
            False,
        ),
        ("Paris", "What city is the capital?", "The capital is the city of Paris.", False),  # "of"
        ("Germany", "Who is longest?", "Of the rivers in Germany the Rhine is longest.", False),
        ("the tax law", "What reform was tried?", "They tried to reform the tax law.", True),
        ("the tax law", "What was reformed?", "They tried to reform the tax law.", False),
    ],
)
def test_the_place_things_are_in_is_not_one_of_them(answer, question, sentence, where):
    assert names_where_they_are(answer, question, sentence) is where


_LI = "李国治，台湾民乐工作者、歌仔戏乐师，高雄市人，师从苏桐学习扬琴与歌仔戏音乐艺术。"


@pytest.mark.parametrize(
    ("answer", "question", "sentence", "describes"),
    [
        ("台湾民乐工作者、歌仔戏乐师 [1]", "李国治向谁学习过扬琴？", _LI, True),
        ("苏桐 [1]", "李国治向谁学习过扬琴？", _LI, False),
        ("台湾民乐工作者、歌仔戏乐师", "李国治是谁？", _LI, False),  # asks who the subject is
        ("台湾民乐工作者、歌仔戏乐师", "李国治是哪里人？", _LI, False),  # no who-question
        ("台湾民乐工作者", "王明向谁学习过扬琴？", _LI, False),  # describes another name
    ],
)
def test_a_chinese_who_answer_is_not_the_subjects_description(
    answer, question, sentence, describes
):
    assert describes_the_subject(answer, question, sentence) is describes


def test_the_place_and_the_description_give_way_to_the_quote():
    d = decide(
        "theoretical computer science [1]", "To what field is it assigned?", _one(_FIELDS), "en"
    )
    assert d.fallback and "analysis of algorithms" in d.text
    d = decide("台湾民乐工作者、歌仔戏乐师 [1]", "李国治向谁学习过扬琴？", _one(_LI), "zh")
    assert d.fallback and "苏桐" in d.text


_JOINED = "2010年2月，白磊和弟弟白光（2011赛季后更名白岳轩）一起转会加盟天津泰达。"


@pytest.mark.parametrize(
    ("answer", "question", "sentence", "aside"),
    [
        ("2011年 [1]", "白岳峰什么时候加盟天津泰达？", _JOINED, True),  # dates the brother's name
        ("2010年2月 [1]", "白岳峰什么时候加盟天津泰达？", _JOINED, False),
        ("1810 [1]", "When did Chopin move to Paris?", "Chopin (born 1810) moved in 1831.", True),
        # the aside names what is asked: it is the answer
        ("1810 [1]", "When was Chopin born?", "Chopin (born 1810) moved in 1831.", False),
        (
            "1810 [1]",
            "When did Chopin move?",
            "Chopin moved (in 1810) to Paris.",
            False,
        ),  # no other
        ("2011年 [1]", "白岳峰是谁？", _JOINED, False),  # not a when-question
    ],
)
def test_a_time_in_an_aside_does_not_answer_when(answer, question, sentence, aside):
    assert a_time_aside(answer, question, sentence) is aside


def test_a_time_from_an_aside_gives_way_to_the_quote():
    d = decide("2011年", "白岳峰什么时候加盟天津泰达？", _one(_JOINED), "zh")
    assert d.fallback and "2010年2月" in d.text


_TROOPS = "From 1073 to 1074, 8,000 of the 20,000 troops of the Armenian general were Normans."


@pytest.mark.parametrize(
    ("answer", "question", "part"),
    [
        ("8,000 [1]", "How many troops did the Armenian general have?", True),
        ("20,000 [1]", "How many troops did the Armenian general have?", False),
        ("8,000 [1]", "How many of the general's troops were Normans?", False),  # asks the part
    ],
)
def test_the_part_of_a_total_does_not_answer_how_many(answer, question, part):
    assert a_part_of_a_total(answer, question, _TROOPS) is part


def test_the_part_of_a_total_gives_way_to_the_quote():
    d = decide("8,000 [1]", "How many troops did the Armenian general have?", _one(_TROOPS), "en")
    assert d.fallback and "20,000" in d.text
