"""Definition and use questions favour the sentence that defines, not one that mentions."""

from __future__ import annotations

import pytest

from ragchat.definition import BONUS, asked_subject, definition_bonus


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What is European Union law?", ("European Union law", "define")),
        ("Who was Rollo?", ("Rollo", "define")),
        ("What is the CJEU's duty?", ("CJEU's duty", "define")),
        ("What are injectors used for?", ("injectors", "use")),
        ("锣鼓经是什么？", ("锣鼓经", "define")),
        ("环氧氯丙烷有什么用途？", ("环氧氯丙烷", "use")),
        ("临床心理学主要有什么作用？", ("临床心理学", "use")),
        # not asking what a thing is
        ("What was the naval base called?", None),
        ("What is located within this district?", None),
        ("What are stators attached to?", None),
        ("When did the Normans conquer England?", None),
        ("莱昂德罗·内托的职业是什么？", None),
    ],
)
def test_the_asked_subject_is_read_from_the_question(question, asked):
    assert asked_subject(question) == asked


def test_a_sentence_that_defines_the_subject_beats_one_that_mentions_it():
    q = "What is European Union law?"
    assert definition_bonus(q, "European Union law is a body of treaties and legislation.") == BONUS
    assert (
        definition_bonus(q, "European Union law is applied by the courts of member states.") == 0.0
    )
    assert (
        definition_bonus(
            q,
            "In case of European Union law which should have been transposed, the Commission acts.",
        )
        == 0.0
    )
    assert (
        definition_bonus(
            "What is the Rankine cycle?", "The Rankine cycle (named after him) is a model."
        )
        == BONUS
    )


def test_a_role_before_a_name_defines_it_and_an_owner_does_not():
    q = "Who was Rollo?"
    assert definition_bonus(q, "It was signed by the famed Viking ruler Rollo in 911.") == BONUS
    assert definition_bonus(q, "They swore fealty under their leader Rollo.") == BONUS
    assert definition_bonus(q, "The treaty offered Rollo and his men the lands.") == 0.0
    assert definition_bonus(q, "This was the land of Rollo.") == 0.0
    assert definition_bonus(q, "Rollo's contingents included Danes and Norwegians.") == -BONUS
    q = "Who was William the Conqueror?"
    assert (
        definition_bonus(q, "An expedition of their duke, William the Conqueror, led to it.")
        == BONUS
    )
    assert (
        definition_bonus(q, "A claimant of the English throne opposing William the Conqueror fled.")
        == 0.0
    )


def test_chinese_definitions_and_uses():
    assert (
        definition_bonus("锣鼓经是什么？", "锣鼓经是大陆传统器乐及戏曲里面常用的打击乐记谱方法。")
        == BONUS
    )
    assert definition_bonus("锣鼓经是什么？", "演奏时，锣鼓经以中文字的声音模拟敲击乐。") == 0.0
    # how it is made is not what it is
    assert (
        definition_bonus("环氧氯丙烷是什么？", "环氧氯丙烷是通过对原料烯丙基氯的两步反应制备的。")
        == 0.0
    )
    q = "环氧氯丙烷有什么用途？"
    assert definition_bonus(q, "环氧氯丙烷活性很强，被用于制造甘油、塑料和人造橡胶。") == BONUS
    assert definition_bonus(q, "环氧氯丙烷是一个有机氯化合物，也是一个环氧化物。") == 0.0


def test_other_questions_get_no_bonus():
    assert definition_bonus("When was Rollo born?", "Rollo was a Viking.") == 0.0
    assert definition_bonus("What is European Union law?", "Rollo was a Viking.") == 0.0


def test_evidence_puts_the_defining_sentence_first():
    from ragchat.evidence import select_evidence
    from tests.fakes import make_hit

    # every sentence holds the question's one term; the better-ranked chunk only mentions it
    hits = [
        make_hit("Rollo's contingents raided Normandy. The treaty offered Rollo the lands.", 0),
        make_hit("They were raiders who, under their leader Rollo, swore fealty to Charles.", 1),
    ]
    evidence = select_evidence("Who was Rollo?", hits, lang="en", weights={"rollo": 1.0})
    assert evidence[0].text.startswith("They were raiders")
    hits = [
        make_hit("环氧氯丙烷是一个有机氯化合物。环氧氯丙烷可水解生成3-MCPD。", 0),
        make_hit("环氧氯丙烷活性很强，被用于制造甘油、塑料和人造橡胶。", 1),
    ]
    evidence = select_evidence(
        "环氧氯丙烷有什么用途？", hits, lang="zh", weights={"环氧氯丙烷": 1.0}
    )
    assert "用于制造甘油" in evidence[0].text


def test_a_sentence_naming_what_is_so_called_defines_it():
    # the bundled 百科 sample quoted "…配合相应的锣鼓点。" for "锣鼓点是什么？" over "常用的节奏型称为「锣鼓点」。"
    assert definition_bonus("锣鼓点是什么？", "常用的节奏型称为「锣鼓点」。") > 0
    assert definition_bonus("锣鼓点是什么？", "锣鼓的运用有约定俗成的程式，配合相应的锣鼓点。") == 0
    assert definition_bonus("What is a rondo?", "Such a piece is called a rondo.") > 0
    assert definition_bonus("What is a rondo?", "He wrote a rondo in 1780.") == 0
