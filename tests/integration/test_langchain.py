"""ragchat in LangChain: the standard retriever suite from langchain-tests, and the Runnable."""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from ingestion.index import Ingestor
from ragchat.embedder import load_embedder
from ragchat.kb.files import KnowledgeBase
from ragchat.langchain import RagchatRetriever, answer_runnable
from ragchat.settings import Settings
from tests import pdfgen

HOME: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def kb_home(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("lc")
    settings = Settings.load({"home": root / "home"})
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "lc", embedder=emb.name, dim=emb.dim, create=True)
    Ingestor(kb, settings, emb).ingest([pdfgen.structured(root / "manual.pdf")])
    HOME["home"] = str(root / "home")
    return HOME["home"]


class TestRagchatRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[RagchatRetriever]:
        return RagchatRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"kb": "lc", "home": HOME["home"]}

    @property
    def retriever_query_example(self) -> str:
        return "What is the operating pressure?"


def test_documents_carry_citation_metadata(kb_home: str) -> None:
    docs = RagchatRetriever(kb="lc", home=kb_home, k=2).invoke("operating pressure of the boiler")
    assert len(docs) == 2
    top = docs[0]
    assert "3 bar" in top.page_content
    assert top.metadata["file"] == "manual.pdf" and top.metadata["page_start"] == 1
    assert top.metadata["heading_path"][0] == "Boiler Maintenance Manual"


def test_answer_runnable_refuses_out_of_scope(kb_home: str, fake_generator) -> None:
    from ragchat.langchain import _open

    _open.cache_clear()
    chain = answer_runnable(kb="lc", home=kb_home)
    assert chain.invoke("What is the capital of Australia?").refused
    answer = chain.invoke({"question": "What is the operating pressure of the boiler?"})
    assert not answer.refused and answer.citations[0].file == "manual.pdf"
    assert fake_generator.calls, "answered by the fake generator"
    _open.cache_clear()
