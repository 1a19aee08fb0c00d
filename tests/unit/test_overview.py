"""A question about the documents themselves is answered by listing them, not by a quote."""

from __future__ import annotations

import pytest

from ragchat.kb.base import FileRecord
from ragchat.overview import asks_about_the_documents, overview, sections
from ragchat.types import Chunk


@pytest.mark.parametrize(
    "question",
    [
        "What is this document about?",
        "what are these documents about",
        "Which files do you have?",
        "What documents are loaded?",
        "Summarize the documents.",
        "Give me an overview of my files",
        "What can I ask?",
        "这份文档讲了什么？",
        "文档里有哪些内容",
        "这些文件是关于什么的？",
        "你有哪些文档？",
    ],
)
def test_questions_about_the_documents_are_recognised(question):
    assert asks_about_the_documents(question)


@pytest.mark.parametrize(
    "question",
    [
        "What is the document number of the filing?",
        "What is this document's filing date?",
        "Which document describes the boiler pressure?",
        "What did the Normans do?",
        "Summarize the history of the Normans.",
        "文档中赵鹏的位置是什么？",
        "广茂铁路全长多少公里？",
    ],
)
def test_questions_about_their_content_are_not(question):
    assert not asks_about_the_documents(question)


def chunk(file: str, heading: tuple[str, ...], text: str, n: int = 0) -> Chunk:
    return Chunk(f"{file}:{n}", file, file, text, heading, n + 1, n + 1, (0, len(text)), ordinal=n)


def record(name: str, title: str, pages: int) -> FileRecord:
    return FileRecord(f"/d/{name}", name, name, title, 1000, pages, 3, 0.0)


def test_each_file_is_listed_with_its_sections_or_its_opening_and_cited_to_it():
    files = [record("wiki.pdf", "Normans", 6), record("baike.pdf", "百科选编", 5)]
    chunks = {
        "/d/wiki.pdf": [
            chunk(
                "wiki.pdf",
                ("Normans", "1. Normans (part 1)"),
                "The Normans were the people "
                "who gave their name to Normandy, a region in France. They came from Norway.",
            ),
        ],
        "/d/baike.pdf": [
            chunk("baike.pdf", ("百科选编", "1. 战国无双3"), "《战国无双3》是一款游戏。"),
            chunk("baike.pdf", ("百科选编", "2. 锣鼓经"), "锣鼓经是乐谱。", 1),
            chunk("baike.pdf", ("百科选编", "California 94-2404110"), "封面。", 2),
        ],
    }
    text, cites = overview(files, lambda path: chunks[path], "en")
    assert text.startswith("This knowledge base holds 2 documents:")
    assert "[1] baike.pdf (“百科选编”, 5 pages); sections include: 战国无双3; 锣鼓经" in text
    assert "94-2404110" not in text  # a cover-page line is no section
    assert "[2] wiki.pdf (“Normans”, 6 pages); it begins: “The Normans were the people" in text
    assert [(c.n, c.file, c.page) for c in cites] == [(1, "baike.pdf", 1), (2, "wiki.pdf", 1)]
    zh, _ = overview(files, lambda path: chunks[path], "zh")
    assert zh.startswith("知识库中有 2 份文档") and "包括：战国无双3、锣鼓经" in zh


def test_a_long_list_says_how_many_more_there_are():
    files = [record(f"f{i:02}.pdf", f"T{i}", 1) for i in range(13)]
    read: list[str] = []
    text, cites = overview(files, lambda path: read.append(path) or [], "en")
    assert len(read) == 10  # only the files shown are read
    assert len(cites) == 10 and "… and 3 more" in text and "(“T0”, 1 page)" in text


def test_sections_drop_numbering_parts_and_the_title():
    parts = [
        chunk("a", ("Manual", "2.1 Safety"), "x"),
        chunk("a", ("Manual", "Safety (part 2)"), "y"),
    ]
    assert sections("Manual", parts) == ["Safety"]
