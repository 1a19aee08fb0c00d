"""A draft that only copies the prompt's example answer ("Rollo [1]") is told from a real one:
the pipeline drafts again without it (`ragchat.pipeline.copied_example`); so is a draft that only
points at an evidence sentence ("[1]", `points_only`)."""

from __future__ import annotations

import pytest

from ragchat.decide import points_only
from ragchat.pipeline import copied_example
from ragchat.types import Evidence


@pytest.mark.parametrize(
    ("draft", "question", "best", "copied"),
    [
        ("Rollo [1]", "Who conquered England?", "In 1066 William conquered England.", True),
        ("rollo.", "Who conquered England?", "In 1066 William conquered England.", True),
        ("Rollo [1]", "Who was the Norse leader?", "Rollo, the Norse leader, swore.", False),
        ("Rollo [1]", "Which king signed with Rollo?", "King Charles and Rollo signed.", True),
        ("Rollo of Normandy [1]", "Who conquered England?", "William conquered England.", False),
        ("罗洛 [1]", "谁开发了这款游戏？", "光荣和ω-force开发了这款游戏。", True),
    ],
)
def test_a_copied_example_answer_is_told_from_a_real_one(draft, question, best, copied):
    lang = "zh" if "游戏" in question else "en"
    evidence = [Evidence(1, best, "c:0", "a.pdf", 1, (), 0.9)]
    assert copied_example(draft, question, evidence, lang) is copied


@pytest.mark.parametrize(
    ("draft", "pointer"),
    [
        ("[1]", "1"),
        (" [2]。", "2"),
        ("3", "3"),  # a bare number no evidence sentence states
        ("4", None),  # stated: "4 ships" may be the answer
        ("9", None),  # no ninth sentence
        ("1995", None),
        ("[1] Rollo", None),
        ("December 25 [1]", None),
    ],
)
def test_a_draft_that_only_points_at_a_sentence_is_told_from_an_answer(draft, pointer):
    evidence = [
        Evidence(
            1,
            "By December 25, Japan was considered an Arab-friendly state.",
            "c:0",
            "a",
            1,
            (),
            0.9,
        ),
        Evidence(2, "In 1973 there were 4 ships.", "c:1", "a.pdf", 1, (), 0.8),
        Evidence(3, "The embargo ended in March.", "c:2", "a.pdf", 1, (), 0.7),
    ]
    assert points_only(draft, evidence) == pointer
