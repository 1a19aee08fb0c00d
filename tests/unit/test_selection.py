"""Which Self-QA questions the training data takes, in what order (finetune.selection)."""

import random

from finetune.selection import balanced, round_robin
from ragchat.types import Chunk
from tests.fakes import make_chunk


def test_chunks_are_read_one_document_at_a_time_in_turn():
    # the validation split is chosen by document hash; a question budget spent on the first
    # documents read would leave it without answerable questions
    chunks = [
        Chunk(f"{d}{k}", d, f"{d}.pdf", "t", (), 1, 1, (0, 1))
        for d, n in (("a", 3), ("b", 1), ("c", 2))
        for k in range(n)
    ]
    order = [c.chunk_id for c in round_robin(chunks)]
    assert order == ["a0", "b0", "c0", "a1", "c1", "a2"]


def test_no_question_kind_crowds_out_the_others():
    """Years are the easiest Chinese question to write: taken in chunk order they were half the
    data, and the adapter answered years to who-questions."""
    chunks = [
        make_chunk(
            "".join(f"第{n}{i}号水库在{1950 + i}年开始修建，灌溉面积较大。" for i in range(4)), n
        )
        for n in range(4)
    ]
    chunks.append(
        make_chunk(
            "广茂铁路是中国广东省一条连接广州与茂名的铁路。《红楼梦》的作者由曹雪芹所写。", 4
        )
    )
    order = balanced(chunks, 4, random.Random(0))
    kinds = [qa.kind for _, qa in order]
    assert kinds.count("zh-year") >= 8 and {"zh-name", "zh-definition"} <= set(kinds)
    first = kinds[: len(set(kinds))]
    assert sorted(first) == sorted(set(kinds)), "one question of every kind before a second"


def test_number_answers_take_one_turn_together():
    """Years and amounts are two kinds but one answer type: given a turn each they were 71 % of
    a Chinese KB's questions (19 % of human questions), and the adapter answered numbers to
    what-questions."""
    names = ["青山", "白沙", "红河", "黄石"]
    chunks = [
        make_chunk(
            f"{name}水库是一座位于广东省北部山区的大型水库。{name}水库在{1950 + n}年开始修建，灌溉面积{10 + n}万亩。",
            n,
        )
        for n, name in enumerate(names)
    ]
    order = balanced(chunks, 8, random.Random(0))
    kinds = [qa.kind for _, qa in order]
    assert {"zh-year", "zh-amount", "zh-definition"} <= set(kinds)
    head = kinds[:9]  # three turns: a number, a definition, a place (位于) in each
    assert sum(k in ("zh-year", "zh-amount") for k in head) == 3, head


def test_a_table_chunk_gives_more_questions_than_prose():
    """A table states one fact per row: its chunk may give TABLE_EXTRA more questions."""
    from finetune.selection import TABLE_EXTRA

    rows = "\n".join(f"| Product {c} | {100 + i} | {200 + i} |" for i, c in enumerate("ABCDEFGH"))
    table = make_chunk(f"| Item | 2022 | 2023 |\n|---|---|---|\n{rows}", 0, kind="table")
    prose = make_chunk(
        " ".join(
            f"The plant in Town{c} was built in {1900 + i}." for i, c in enumerate("ABCDEFGH")
        ),
        1,
    )
    from_table = balanced([table], 4, random.Random(0))
    from_prose = balanced([prose], 4, random.Random(0))
    assert len(from_table) == 4 + TABLE_EXTRA, [qa.question for _, qa in from_table]
    assert 0 < len(from_prose) <= 4 + 1  # a sentence may give two; the limit is checked after it
