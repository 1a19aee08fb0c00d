"""Streamlit AppTest flows with a real KB (a PDF made with PyMuPDF), the real packaged embedder,
and fake generators registered at the model seam (ragchat.generate.GENERATORS)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ingestion.index import Ingestor
from ragchat import generate
from ragchat.embedder import load_embedder
from ragchat.settings import Settings
from ragchat.store import KnowledgeBase, list_kbs
from tests import pdfgen
from tests.fakes import FakeGenerator

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
QUESTION = "What is the operating pressure of the boiler?"


def plain(text: str) -> str:
    """Markdown-escaped text as the user reads it."""
    return text.replace("\\", "")


class ScriptedGenerator(FakeGenerator):
    """Streams fixed pieces (or raises) instead of quoting source [1]."""

    def __init__(self, pieces: list[str], error: Exception | None = None) -> None:
        super().__init__()
        self.pieces, self.error = pieces, error

    def stream(self, messages, **kw) -> Iterator[str]:  # type: ignore[override]
        self.calls.append(messages)
        yield from self.pieces
        if self.error is not None:
            raise self.error


@pytest.fixture
def app_env(tmp_path, monkeypatch, _data_home):
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(
        settings.kb_root, "manuals", embedder=emb.name, dim=emb.dim, create=True
    )
    report = Ingestor(kb, settings, emb).ingest([pdfgen.structured(tmp_path / "manual.pdf")])
    assert not report.failed
    kb.close()
    fake = FakeGenerator()
    fake.adapters = []  # type: ignore[attr-defined]

    def factory(s, adapter=None):
        fake.adapters.append(adapter)  # type: ignore[attr-defined]
        return fake

    monkeypatch.setitem(generate.GENERATORS, "fake", factory)
    monkeypatch.setenv("RAGCHAT_GENERATOR", "fake:echo")
    monkeypatch.setenv("RAGCHAT_KB", "manuals")
    fresh_caches()
    yield fake
    fresh_caches()


def fresh_caches() -> None:
    generate._CACHE.clear()
    st.cache_resource.clear()
    st.cache_data.clear()


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str = QUESTION) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def test_pick_kb_ask_and_see_citations(app_env):
    at = ask(run_app())
    assert at.sidebar.selectbox(key="kb").value == "manuals"
    assert app_env.calls, "the generator was called"
    answers = [plain(m.value) for m in at.markdown]
    assert any("Always wear gloves. [1]" in a for a in answers), answers
    labels = [plain(e.label) for e in at.expander]
    assert any(label.startswith("[1] manual.pdf, page 1 — ") for label in labels), labels
    assert any("Always wear gloves" in t.value for t in at.text), "the quote as plain text"
    # open the cited page: the highlighted page is rendered as an image
    toggle = next(t for t in at.toggle if t.key and t.key.startswith("page:manuals:0:1"))
    toggle.set_value(True).run()
    assert not at.exception
    assert len(at.get("image")) == 1
    assert any("manual.pdf, page 1" in plain(c.value) for c in at.caption)


def test_out_of_scope_question_is_shown_as_a_refusal(app_env):
    at = ask(run_app(), "What is the capital of Australia?")
    assert at.warning and "can't answer" in at.warning[0].value
    assert not app_env.calls, "refused by the gate before any generation"
    assert any("You may look here" in c.value for c in at.caption)
    suggested = [plain(e.label) for e in at.main.expander]
    assert 1 <= len(suggested) <= 3 and all("manual.pdf, page" in s for s in suggested)
    assert not [m for m in at.markdown if "Australia" in m.value and m.value != "Australia"]


def test_new_chat_clears_history(app_env):
    at = ask(run_app())
    assert at.session_state["history:manuals"]
    at.button(key="new_chat").click().run()
    assert at.session_state["history:manuals"] == []
    assert not at.chat_message


def test_history_is_kept_and_passed_to_follow_ups(app_env):
    at = ask(ask(run_app()), "And what should I wear?")
    assert len(at.session_state["history:manuals"]) == 2
    assert len(at.chat_message) == 4


def test_documents_tab_lists_files(app_env):
    at = run_app()
    frame = at.dataframe[0].value
    assert frame["file"].tolist() == ["manual.pdf"]
    assert frame["pages"].tolist() == [4]


def test_upload_bad_and_good_files(app_env, tmp_path, _data_home):
    good = pdfgen.structured(tmp_path / "good.pdf").read_bytes()
    at = run_app()
    at.file_uploader[0].set_value(
        [("../notes.pdf", b"this is not a PDF", "application/pdf"), ("good.pdf", good, "x")]
    ).run()
    at.button(key="ingest").click().run()
    assert not at.exception, at.exception
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and "notes.pdf" in errors[0] and "\n" not in errors[0], errors
    assert at.success and "1 added" in plain(at.success[0].value)
    assert sorted(at.dataframe[0].value["file"]) == ["good.pdf", "manual.pdf"]
    uploads = _data_home / "kb" / "manuals" / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["good.pdf"]
    assert not (_data_home / "kb" / "notes.pdf").exists()


def test_upload_over_the_limit_is_refused(app_env, monkeypatch):
    monkeypatch.setenv("RAGCHAT_MAX_UPLOAD_MB", "0.001")
    at = run_app()
    at.file_uploader[0].set_value(("big.pdf", b"%PDF-1.7\n" + b"0" * 5000, "x")).run()
    at.button(key="ingest").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "over the upload limit" in plain(at.error[0].value)


def test_remove_a_file(app_env):
    at = run_app()
    path = at.selectbox(key="remove_pick").options[1]
    at.selectbox(key="remove_pick").select_index(1).run()
    assert path  # the option is shown by name
    at.button(key="remove_file").click().run()
    assert not at.exception
    assert not at.dataframe


def test_create_and_delete_a_kb(app_env, _data_home):
    at = run_app()
    at.text_input(key="new_kb").input("papers").run()
    at.button(key="create_kb").click().run()
    assert at.sidebar.selectbox(key="kb").value == "papers"
    assert "papers" in list_kbs(_data_home / "kb")
    at.checkbox(key="sure").check().run()
    at.button(key="delete_kb").click().run()
    assert not at.exception
    assert list_kbs(_data_home / "kb") == ["manuals"]
    assert at.sidebar.selectbox(key="kb").value == "manuals"


def test_invalid_kb_name_is_one_line_error(app_env):
    at = run_app()
    at.text_input(key="new_kb").input("../evil").run()
    at.button(key="create_kb").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "invalid KB name" in plain(at.error[0].value)


def test_document_text_is_never_rendered_as_markup(app_env, monkeypatch):
    evil = ScriptedGenerator(
        ["[click](javascript:alert(1)) ", "<img src=x onerror=alert(1)> ", "[1]"]
    )
    monkeypatch.setitem(generate.GENERATORS, "fake", lambda s, a=None: evil)
    at = ask(run_app())
    shown = [m.value for m in at.markdown if "click" in m.value]
    assert shown, [m.value for m in at.markdown]
    unescaped = re.compile(r"(?<!\\)[<\[\]()]")
    assert not [m for m in shown if unescaped.search(m)], shown
    assert any("[click](javascript:alert(1))" in plain(m) for m in shown)


def test_generator_failure_is_one_line_without_traceback(app_env, monkeypatch):
    boom = ScriptedGenerator(["Partial "], RuntimeError("kaboom\nTraceback (most recent call)"))
    monkeypatch.setitem(generate.GENERATORS, "fake", lambda s, a=None: boom)
    at = ask(run_app())
    assert len(at.error) == 1
    assert "Something went wrong" in at.error[0].value and "kaboom" not in at.error[0].value
    assert at.session_state["history:manuals"] == []


def test_module_generators_cannot_be_typed_in_the_app(app_env):
    at = run_app()
    at.text_input(key="model").input("module:os:system").run()
    assert not at.exception
    assert any("module: generators" in plain(e.value) for e in at.sidebar.error)
    ask(at)
    assert app_env.calls, "the configured generator still answers"


def test_adapter_toggle_only_when_the_kb_has_one(app_env, _data_home):
    at = run_app()
    assert not [t for t in at.toggle if t.key == "adapter:manuals"]
    adapter = _data_home / "kb" / "manuals" / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    fresh_caches()
    at = ask(run_app())
    assert at.toggle(key="adapter:manuals").value is True
    assert app_env.adapters[-1] == adapter
    at.toggle(key="adapter:manuals").set_value(False).run()
    ask(at)
    assert app_env.adapters[-1] is None


def test_gate_override_and_calibrated_value_are_shown(app_env):
    at = run_app()
    assert any("calibrated for this KB" in c.value for c in at.sidebar.caption)
    at.toggle(key="gate_override").set_value(True).run()
    at.slider(key="gate").set_value(0.99).run()
    ask(at)
    assert at.warning, "a very high gate refuses"
