"""A draft that only copies the prompt's example answer ("Rollo [1]") is told from a real one:
the pipeline drafts again without it (`ragchat.pipeline.copied_example`)."""

from __future__ import annotations

import pytest

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
