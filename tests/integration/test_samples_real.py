"""Acceptance checks end to end with the real default models: `ragchat ask` on the bundled
samples answers with a citation to the right page, in the question's language, every sentence
verified, and refuses a question they do not cover, before generation."""

from __future__ import annotations

import json

import pymupdf
import pytest
from click.testing import CliRunner

from ingestion.cli import main as ingest_main
from ragchat.cli import main as ragchat_main
from ragchat.prompt import REFUSAL_MESSAGES
from tests.conftest import SAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture
def samples_kb() -> str:  # each test has its own data home (conftest)
    result = CliRunner().invoke(ingest_main, ["add", str(SAMPLES), "--kb", "samples", "--json"])
    assert result.exit_code == 0, result.output
    return "samples"


def ask(question: str) -> dict:
    result = CliRunner().invoke(ragchat_main, ["ask", question, "--kb", "samples", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_sample_question_is_answered_with_the_right_page(samples_kb: str) -> None:
    out = ask("What was Apple's total net sales for the three months ended June 25, 2022?")
    assert not out["refused"], out
    cited = {(c["file"], c["page"]) for c in out["citations"]}
    assert cited, out
    # the pages that report total net sales ($82,959 million): the statement of operations,
    # the revenue note and the MD&A tables
    pages = {
        p.number + 1
        for p in pymupdf.open(SAMPLES / "apple-10q-2022-q3.pdf")
        if "82,959" in p.get_text()
    }
    assert pages and any(f == "apple-10q-2022-q3.pdf" and page in pages for f, page in cited), (
        cited,
        pages,
    )


def test_a_line_item_is_read_from_its_own_row(samples_kb: str) -> None:
    """ "Net income" ranks below four other tables that share the question's period words, and
    "Operating income" is also each region's line: the company's own row is the one shown."""
    out = ask("What was Apple's net income for the three months ended June 25, 2022?")
    assert not out["refused"] and "19,442" in out["answer"], out
    out = ask("What was Apple's operating income in the three months ended June 25, 2022?")
    assert not out["refused"] and "23,076" in out["answer"], out


def test_who_did_it_is_the_name_before_the_question_s_own_words(samples_kb: str) -> None:
    """The model copies "Norman", the sentence's first word; the sentence says "their prince
    Bohemond I founded the Principality of Antioch" (ragchat.doer)."""
    out = ask("Who founded the Principality of Antioch?")
    assert not out["refused"] and out["answer"].startswith("Bohemond I"), out
    assert out["citations"][0]["page"] in _pages_with("wiki-normans.pdf", "Bohemond I founded")


def _pages_with(pdf: str, text: str) -> set[int]:
    return {p.number + 1 for p in pymupdf.open(SAMPLES / pdf) if text in p.get_text()}


def test_the_norse_leader_is_rollo_on_the_right_page(samples_kb: str) -> None:
    out = ask("Who was the Norse leader?")
    assert not out["refused"] and "Rollo" in out["answer"], out
    cited = {(c["file"], c["page"]) for c in out["citations"]}
    assert any(f == "wiki-normans.pdf" and p in _pages_with(f, "Rollo") for f, p in cited), out
    assert all(c["supported"] for c in out["checks"] if not out["fallback"]), out


def test_a_who_question_is_not_answered_with_the_prompts_example_name(samples_kb: str) -> None:
    """The model first copies the prompt's example "Rollo"; drafted again without it, it names
    the man the evidence gives. The draft is shown when the model is sure of it (confidence >=
    0.7), else the sentence it rests on is quoted (0.69 since the twenty-eighth session's
    evidence change): either way the user reads William, never Rollo."""
    out = ask("Who killed King Harold II?")
    assert not out["refused"], out
    assert "William" in out["answer"] and "Rollo" not in out["answer"], out
    assert "William" in out["draft"] and "Rollo" not in out["draft"], out


def test_a_chinese_question_gets_a_chinese_answer_with_a_citation(samples_kb: str) -> None:
    out = ask("广茂铁路全长多少公里？")
    assert not out["refused"] and out["citations"], out
    assert out["citations"][0]["file"] == "baike-zh-00.pdf"
    words = out["answer"].replace("[", " ").replace("]", " ")
    assert not any(ch.isascii() and ch.isalpha() for ch in words), out  # no invented English
    assert "公里" in out["answer"], out


def test_every_number_in_an_answer_is_in_a_cited_source(samples_kb: str) -> None:
    import re

    for question in (
        "What was Apple's total net sales for the three months ended June 25, 2022?",
        "When did the Normans conquer England?",
    ):
        out = ask(question)
        quotes = " ".join(c["quote"] for c in out["citations"]).replace(",", "")
        for number in re.findall(r"\d[\d,]*(?:\.\d+)?", re.sub(r"\[\d+\]", "", out["answer"])):
            assert number.replace(",", "").rstrip(".") in quotes, (number, out)


@pytest.mark.parametrize(
    "question", ["What is the capital of Australia?", "Who won the 2018 FIFA World Cup?"]
)
def test_questions_the_samples_do_not_cover_are_refused(samples_kb: str, question: str) -> None:
    out = ask(question)
    assert out["refused"] and out["answer"] == REFUSAL_MESSAGES["en"]
    assert out["citations"] == []


def test_a_chinese_question_worded_unlike_the_book_is_still_answered(samples_kb: str) -> None:
    # "合作" and "两个公司" are not in the passage ("是由光荣和ω-force开发的"): on a KB of one
    # Chinese book the gate weighs the question's terms by their rarity in general Chinese
    out = ask("《战国无双3》是由哪两个公司合作开发的？")
    assert not out["refused"] and "光荣" in out["answer"], out
    assert out["citations"][0]["file"] == "baike-zh-00.pdf" and out["citations"][0]["page"] == 1
    off_topic = ask("中国的首都是哪里？")
    assert off_topic["refused"] and off_topic["answer"] == REFUSAL_MESSAGES["zh"], off_topic


def test_what_users_ask_first_and_how_they_ask(samples_kb: str) -> None:
    """About the documents themselves: listed, not a quote of some line; asked for an account:
    the whole sentence, not a bare phrase; asked when with no date in the samples: a refusal,
    not "Before Rollo's arrival, …" (ragchat.overview, decide._bare_for_an_account, quotable)."""
    out = ask("What is this document about?")
    assert out["answer"].startswith("This knowledge base holds 3 documents:"), out
    assert {c["file"] for c in out["citations"]} == {p.name for p in SAMPLES.glob("*.pdf")}
    out = ask("What does the Apple 10-Q say about share repurchases?")
    assert not out["refused"] and "repurchase" in out["answer"].lower(), out
    assert len(out["answer"].split()) > 8, out  # a sentence, not "Rule 10b5-1 [1]"
    assert ask("When did Rollo die?")["refused"]


def test_general_questions_acronyms_and_which_year(samples_kb: str) -> None:
    """ "What is the capital of France?" shares "France" with the Normans sample and was answered
    with a sentence about the Duchy; "R&D" drew the iPhone revenue row; "哪一年" kept a covered
    question under the gate (ragchat.quotable, ragchat.acronyms, text.question_tokens)."""
    assert ask("What is the capital of France?")["refused"]
    out = ask("How much did Apple spend on R&D in the three months ended June 25, 2022?")
    assert not out["refused"] and "6,797" in out["answer"], out
    assert out["citations"][0]["file"] == "apple-10q-2022-q3.pdf"
    out = ask("大莱龙铁路是哪一年全线铺通的？")
    assert not out["refused"] and "2002" in out["answer"], out
    assert not ask("广三铁路是哪一年建成的？")["refused"]  # covered: "广三铁路于1903年筑成"
