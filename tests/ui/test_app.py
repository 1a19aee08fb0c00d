"""Streamlit AppTest flows with a real KB and embedder, and a fake generator at the model seam."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ingestion.index import Ingestor
from ragchat import generate
from ragchat.embedder import load_embedder
from ragchat.settings import Settings
from ragchat.store import KnowledgeBase
from tests import pdfgen
from tests.fakes import FakeGenerator

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture
def app_env(tmp_path, monkeypatch, _data_home):
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(
        settings.kb_root, "manuals", embedder=emb.name, dim=emb.dim, create=True
    )
    report = Ingestor(kb, settings, emb).ingest([pdfgen.structured(tmp_path / "manual.pdf")])
    assert not report.failed
    fake = FakeGenerator()
    monkeypatch.setitem(generate.GENERATORS, "fake", lambda s, a=None: fake)
    generate._CACHE.clear()
    monkeypatch.setenv("RAGCHAT_GENERATOR", "fake:echo")
    monkeypatch.setenv("RAGCHAT_KB", "manuals")
    yield fake
    generate._CACHE.clear()


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_pick_kb_ask_and_see_citations(app_env):
    at = run_app()
    assert at.sidebar.selectbox(key="kb").value == "manuals"
    at.chat_input[0].set_value("What is the operating pressure of the boiler?").run()
    assert not at.exception
    assert app_env.calls, "the generator was called"
    answers = [m.value for m in at.markdown]
    assert any("Always wear gloves. [1]" in a.replace("\\", "") for a in answers), answers
    expanders = [e.label for e in at.expander]
    assert any(label.startswith("[1] manual.pdf, page 1") for label in expanders), expanders
    # open the cited page: a rendered PNG appears
    at.toggle(key=next(t.key for t in at.toggle if t.key and t.key.startswith("page:"))).set_value(
        True
    ).run()
    assert not at.exception
    assert len(at.get("image")) >= 1


def test_out_of_scope_question_is_shown_as_a_refusal(app_env):
    at = run_app()
    at.chat_input[0].set_value("What is the capital of Australia?").run()
    assert not at.exception
    assert at.warning and "can't answer" in at.warning[0].value
    assert not app_env.calls, "refused by the gate before any generation"


def test_new_chat_clears_history(app_env):
    at = run_app()
    at.chat_input[0].set_value("What is the operating pressure of the boiler?").run()
    assert at.session_state["history:manuals"]
    at.button(key="new_chat").click().run()
    assert at.session_state["history:manuals"] == []


def test_documents_tab_lists_files(app_env):
    at = run_app()
    frames = at.dataframe
    assert frames and "manual.pdf" in frames[0].value["file"].tolist()
