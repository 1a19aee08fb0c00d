"""The answer pipeline over a real KB and embedder, with a fake generator at the model seam."""

from __future__ import annotations

import pytest

from ingestion.index import Ingestor
from ragchat.embedder import load_embedder
from ragchat.pipeline import RagChat
from ragchat.prompt import REFUSAL_MESSAGES
from ragchat.settings import Settings
from ragchat.store import KnowledgeBase
from tests import pdfgen
from tests.fakes import FakeGenerator


@pytest.fixture
def kb(tmp_path):
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "m", embedder=emb.name, dim=emb.dim, create=True)
    Ingestor(kb, settings, emb).ingest(
        [pdfgen.structured(tmp_path / "manual.pdf"), pdfgen.chinese(tmp_path / "zh.pdf")]
    )
    return settings, kb, emb


def test_answer_streams_with_citations_and_timings(kb):
    settings, store, emb = kb
    fake = FakeGenerator()
    chat = RagChat(settings, store, emb, fake)
    stream = chat.stream("What is the operating pressure of the boiler?")
    pieces = list(stream)
    answer = stream.answer
    assert len(pieces) > 1 and "".join(pieces).strip() == answer.text
    assert not answer.refused
    assert answer.citations[0].n == 1 and answer.citations[0].file == "manual.pdf"
    assert answer.citations[0].page == 1 and answer.citations[0].bboxes
    assert {"retrieval", "first_token", "total"} <= set(answer.timings)
    assert answer.gate_score >= chat.retriever.threshold("en")
    system = fake.calls[0][0]["content"]
    assert "untrusted" in system


def test_gate_refuses_before_generation_in_the_question_language(kb):
    settings, store, emb = kb
    fake = FakeGenerator()
    chat = RagChat(settings, store, emb, fake)
    answer = chat.ask("What is the capital of Australia?")
    assert answer.refused and answer.text == REFUSAL_MESSAGES["en"]
    zh = chat.ask("澳大利亚的首都是哪里？")
    assert zh.refused and zh.text == REFUSAL_MESSAGES["zh"] and zh.lang == "zh"
    assert fake.calls == []
    assert answer.hits, "closest passages are offered"


def test_model_refusal_is_a_typed_outcome(kb):
    settings, store, emb = kb
    chat = RagChat(settings, store, emb, FakeGenerator(refuse=True))
    answer = chat.ask("What is the operating pressure of the boiler?")
    assert answer.refused and answer.citations == () and answer.text == REFUSAL_MESSAGES["en"]


def test_chinese_question_finds_the_chinese_passage(kb):
    settings, store, emb = kb
    chat = RagChat(settings, store, emb, FakeGenerator())
    result = chat.search("维修人员必须佩戴什么？")
    assert result.covered and result.hits[0].chunk.file == "zh.pdf"


def test_follow_up_is_rewritten_for_retrieval(kb):
    settings, store, emb = kb
    chat = RagChat(settings, store, emb, FakeGenerator())
    first = chat.ask("What is the operating pressure of the boiler?")
    follow = chat.ask(
        "and the goggles?", history=[("What is the operating pressure of the boiler?", first.text)]
    )
    assert follow.standalone_question and "operating pressure" in follow.standalone_question
