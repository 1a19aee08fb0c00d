"""An answer to a Chinese why-question that copies the effect, not the marked cause."""

from __future__ import annotations

import pytest

from ragchat.decide import decide
from ragchat.reason import gives_the_reason
from ragchat.types import Evidence

NICKNAME = "这些地区的华人认为这种发型乍看之下就如萝卜带点茎叶的头部，故称日本人为萝卜头。"
RACE = "罗伯斯夺取冠军，但随后被国际田联取消成绩，原因是比赛过程中罗伯斯故意干扰相邻赛道的刘翔。"
TITLE = "潘均顺因第二次世界大战期间保护犹太人女孩而成为首位获得国际义人称号的华裔人士。"


@pytest.mark.parametrize(
    ("answer", "question", "sentence", "gives"),
    [
        ("日本人为萝卜头 [1]", "月代为什么被称为萝卜头？", NICKNAME, False),  # after 故: effect
        ("这种发型乍看之下就如萝卜带点茎叶的头部 [1]", "月代为什么被称为萝卜头？", NICKNAME, True),
        ("国际田联取消成绩 [1]", "罗伯斯为什么被取消成绩？", RACE, False),  # before 原因是
        ("比赛过程中罗伯斯故意干扰相邻赛道的刘翔 [1]", "罗伯斯为什么被取消成绩？", RACE, True),
        ("首位获得国际义人称号的华裔人士", "潘均顺因为什么获得了国际义人称号？", TITLE, False),
        ("第二次世界大战期间保护犹太人女孩", "潘均顺因为什么获得了国际义人称号？", TITLE, True),
        (TITLE, "潘均顺因为什么获得了国际义人称号？", TITLE, True),  # the whole sentence holds it
        # no reason marked ("成为了" and "因素" mark none): not judged
        (
            "市场竞争力薄弱等问题",
            "阻碍产业发展的原因是什么？",
            "出现了市场竞争力薄弱等问题，这些问题成为了阻碍产业发展的因素。",
            True,
        ),
        # "称为什么" asks what it is called, not why
        ("锣鼓点", "节奏型称为什么？", "由于常用，节奏型称为锣鼓点。", True),
        ("日本人为萝卜头", "Why was it called that?", NICKNAME, True),  # Chinese questions only
    ],
)
def test_a_why_answer_must_hold_the_marked_reason(answer, question, sentence, gives):
    assert gives_the_reason(answer, question, sentence) is gives


def test_an_effect_copied_for_a_why_question_is_shown_as_the_quote():
    evidence = [Evidence(1, NICKNAME, "c:0", "a.pdf", 1, (), 0.8)]
    shown = decide("日本人为萝卜头 [1]", "月代为什么被称为萝卜头？", evidence, "zh")
    assert shown.fallback and not shown.refused and NICKNAME in shown.text
    right = decide("萝卜带点茎叶的头部 [1]", "月代为什么被称为萝卜头？", evidence, "zh")
    assert not right.fallback and right.text.startswith("萝卜带点茎叶的头部")
