"""Streamlit AppTest flows with a real KB and embedder, and a fake generator at the model seam."""

from __future__ import annotations

import sys
from multiprocessing import spawn
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ingestion.index import Ingestor
from ragchat.app_support import CountingEmbedder, IngestProgress, page_counts
from ragchat.embedder import load_embedder
from ragchat.kb.files import KnowledgeBase
from ragchat.settings import Settings
from ragchat.types import Answer, Citation, Evidence
from tests import pdfgen
from tests.fakes import make_hit

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
QUESTION = "What is the operating pressure of the boiler?"


@pytest.fixture
def app_env(tmp_path, monkeypatch, _data_home, fake_generator):
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(
        settings.kb_root, "manuals", embedder=emb.name, dim=emb.dim, create=True
    )
    report = Ingestor(kb, settings, emb).ingest([pdfgen.structured(tmp_path / "manual.pdf")])
    assert not report.failed
    monkeypatch.setenv("RAGCHAT_KB", "manuals")
    # The app's resources (settings, chats) are cached per process: this test's data home and
    # generator, not an earlier test's.
    st.cache_resource.clear()
    return fake_generator


def run_app(history: list | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if history is not None:
        at.session_state["history:manuals"] = history
    at.run()
    assert not at.exception, at.exception
    return at


def walk(node):
    """The app's elements in the order they are drawn."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def plain(text: str) -> str:
    return text.replace("\\", "")


def texts(elements) -> list[str]:
    return [plain(e.value) for e in elements]


# ---------------------------------------------------------------- asking
def test_pick_kb_ask_and_see_citations(app_env):
    at = run_app()
    assert at.sidebar.selectbox(key="kb").value == "manuals"
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception
    assert app_env.calls, "the generator was called"
    answers = texts(at.markdown)
    assert any("[1]" in a for a in answers), answers
    expanders = [e.label for e in at.expander]
    assert any(label.startswith("[1] manual.pdf, page 1") for label in expanders), expanders
    # open the cited page: a rendered PNG appears
    at.toggle(key=next(t.key for t in at.toggle if t.key and t.key.startswith("page:"))).set_value(
        True
    ).run()
    assert not at.exception
    assert len(at.get("image")) >= 1


def test_new_turn_is_drawn_above_the_input_box(app_env):
    at = run_app()
    for turn in (1, 2):
        at.chat_input[0].set_value(QUESTION).run()
        assert not at.exception
        order = [n.type for n in walk(at.tabs[0])]
        assert order.count("chat_message") == 2 * turn, order
        last_message = len(order) - 1 - order[::-1].index("chat_message")
        assert last_message < order.index("chat_input"), order


def test_asking_what_the_documents_are_lists_them_one_a_line(app_env):
    at = run_app()
    at.chat_input[0].set_value("What is this document about?").run()
    assert not at.exception and not app_env.calls
    listing = next(m.value for m in at.markdown if "knowledge base holds" in plain(m.value))
    assert "  \n" in listing and "manual.pdf" in plain(listing)
    assert any(e.label.startswith("[1] manual.pdf, page 1") for e in at.expander)


def test_out_of_scope_question_is_shown_as_a_refusal(app_env):
    at = run_app()
    at.chat_input[0].set_value("What is the capital of Australia?").run()
    assert not at.exception
    assert at.warning and "can't answer" in plain(at.warning[0].value)
    assert not app_env.calls, "refused by the gate before any generation"


def test_the_gate_slider_shifts_each_languages_calibrated_threshold(app_env):
    question = "What does the manual say about pressure?"  # gate score ~0.50 on this KB
    at = run_app()
    slider = at.sidebar.slider(key="gate")
    assert slider.value == 0.0
    assert "English 0.31" in slider.help and "Chinese 0.55" in slider.help, slider.help
    at.chat_input[0].set_value(question).run()
    assert app_env.calls and not at.warning, "answered at the calibrated threshold"
    calls = len(app_env.calls)
    at.sidebar.slider(key="gate").set_value(0.3).run()  # English 0.31 -> 0.61
    at.chat_input[0].set_value(question).run()
    assert not at.exception
    assert at.warning and "can't answer" in plain(at.warning[-1].value)
    assert len(app_env.calls) == calls, "the stricter gate refused before any generation"


def test_a_fixed_gate_threshold_disables_the_slider(app_env, monkeypatch):
    monkeypatch.setenv("RAGCHAT_GATE_THRESHOLD", "0.4")
    st.cache_resource.clear()
    slider = run_app().sidebar.slider(key="gate")
    assert slider.disabled and "Fixed at 0.40" in slider.help, slider.help


def test_new_chat_clears_history(app_env):
    at = run_app()
    at.chat_input[0].set_value(QUESTION).run()
    assert at.session_state["history:manuals"]
    at.button(key="new_chat").click().run()
    assert at.session_state["history:manuals"] == []


def test_the_cached_chat_is_reused_across_questions(app_env, monkeypatch):
    from ragchat import pipeline

    opened = []
    real_open = pipeline.RagChat.open.__func__

    def counting_open(cls, *args, **kwargs):
        chat = real_open(cls, *args, **kwargs)
        opened.append(chat.generator)
        return chat

    monkeypatch.setattr(pipeline.RagChat, "open", classmethod(counting_open))
    st.cache_resource.clear()
    at = run_app()
    at.chat_input[0].set_value(QUESTION).run()
    at.chat_input[0].set_value("And what about gloves?").run()
    assert not at.exception
    assert len(opened) == 1 and opened[0] is app_env, "opened once, with the app's generator"


# ---------------------------------------------------------------- how answers are shown
def test_refusal_lists_distinct_places_in_the_question_language(app_env):
    hits = tuple(
        make_hit(n=i, file="manual.pdf", page=p, heading=("安全须知",), score=0.1)
        for i, p in enumerate((3, 3, 3, 5))
    )
    refusal = Answer(
        "澳大利亚的首都是哪里？", "抱歉，您的文档中没有找到。", True, hits=hits, lang="zh"
    )
    at = run_app([{"question": refusal.question, "answer": refusal}])
    captions = texts(at.tabs[0].caption)
    start = captions.index("可以看看这些地方：")
    places = [c for c in captions[start + 1 :] if c.startswith("•")]
    assert places == ["• manual.pdf 第 3 页 — 安全须知", "• manual.pdf 第 5 页 — 安全须知"]
    assert not any("look here" in c for c in captions)


def test_citation_labels_drop_junk_headings_and_leading_markers(app_env):
    junk = ("12.5% at the mid-point of the range of our guidance", "events or developments.")
    cite = Citation(1, "manual.pdf", 2, junk, "The pressure is 3 bar.", "c:1")
    answer = Answer("q", "[1]: The pressure is 3 bar.", False, citations=(cite,))
    good = Citation(2, "manual.pdf", 1, ("Boiler Manual", "1.1 Protective equipment"), "x", "c:2")
    answer2 = Answer("q", "Wear gloves [2].", False, citations=(good,))
    at = run_app([{"question": "q", "answer": answer}, {"question": "q", "answer": answer2}])
    labels = [e.label for e in at.expander]
    assert "[1] manual.pdf, page 2" in labels, labels
    assert "[2] manual.pdf, page 1 — Boiler Manual > 1.1 Protective equipment" in labels, labels
    assert "The pressure is 3 bar. [1]" in texts(at.markdown)


def test_evidence_and_passages_searched(app_env):
    ev = (
        Evidence(1, "The operating pressure is 3 bar.", "c:1", "manual.pdf", 1, ("Safety",), 0.9),
        Evidence(2, "Goggles are required.", "c:2", "manual.pdf", 2, (), 0.5),
    )
    cite = Citation(1, "manual.pdf", 1, ("Safety",), ev[0].text, "c:1")
    with_evidence = Answer(
        "q", "It is 3 bar [1].", False, citations=(cite,), evidence=ev, fallback=True
    )
    searched = make_hit(file="manual.pdf", page=4, heading=("Safety",), score=0.5)
    uncited = Answer("q", "Something.", False, hits=(searched,))
    at = run_app([{"question": "q", "answer": with_evidence}, {"question": "q", "answer": uncited}])
    labels = [e.label for e in at.expander]
    assert "Evidence (2)" in labels and "Passages searched" in labels, labels
    captions = texts(at.caption)
    assert "[1] manual.pdf, page 1 — Safety" in captions
    assert "[2] manual.pdf, page 2" in captions
    assert "manual.pdf, page 4 — Safety" in captions
    assert any(
        c.startswith("The model's own answer could not be shown as it stood") for c in captions
    )
    shown = [t.value for t in at.text]
    assert "Goggles are required." in shown and "Always wear gloves." in shown


# ---------------------------------------------------------------- first screen
def test_first_screen_shows_the_kb_and_example_questions(app_env):
    at = run_app()
    assert any("ragchat" in m and "cites" in m for m in texts(at.markdown))
    assert any("manuals holds 1 file · 4 pages" in c for c in texts(at.caption))
    examples = [b for b in at.button if b.key and b.key.startswith("example:")]
    assert 2 <= len(examples) <= 3, [b.label for b in examples]
    assert all(b.label.startswith("What do the documents say about") for b in examples)
    examples[0].click().run()
    assert not at.exception
    history = at.session_state["history:manuals"]
    assert [t["question"] for t in history] == [examples[0].label]
    assert not any(b.key and b.key.startswith("example:") for b in at.button)


# ---------------------------------------------------------------- documents and uploads
def test_documents_tab_lists_files(app_env):
    at = run_app()
    frames = at.dataframe
    assert frames and "manual.pdf" in frames[0].value["file"].tolist()


def test_upload_with_a_bad_file_shows_why_and_is_not_a_success(app_env, tmp_path):
    good = pdfgen.simple(tmp_path / "good.pdf", "Steam valves are tested yearly. " * 30, pages=2)
    at = run_app()
    at.file_uploader[0].set_value(
        [
            ("good.pdf", good.read_bytes(), "application/pdf"),
            ("broken.pdf", b"this is not a PDF at all", "application/pdf"),
        ]
    ).run()
    at.button(key="ingest").click().run()
    assert not at.exception
    assert not at.success, [s.value for s in at.success]
    warnings = texts(at.warning)
    assert any("1 added, 0 unchanged, 1 failed" in w for w in warnings), warnings
    errors = texts(at.error)
    assert any(e.startswith("broken.pdf: ") and len(e) > len("broken.pdf: ") for e in errors)
    # the table and the counts already show the new file, without a reload
    assert "good.pdf" in at.dataframe[0].value["file"].tolist()
    assert any(c.startswith("2 files · 6 pages") for c in texts(at.caption))


def test_ingest_progress_is_honest_on_real_events(app_env, tmp_path):
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(
        settings.kb_root, "progress", embedder=emb.name, dim=emb.dim, create=True
    )
    files = [
        pdfgen.structured(tmp_path / "a.pdf"),
        pdfgen.simple(tmp_path / "b.pdf", "Pumps are serviced every two years. " * 40, pages=3),
    ]
    tracker = IngestProgress(page_counts(files))
    seen: list[tuple[float, str]] = []
    Ingestor(kb, settings, CountingEmbedder(emb, tracker)).ingest(
        files, progress=lambda p: seen.append(tracker.update(p))
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions), "the bar never goes backwards"
    assert fractions[-1] == 1.0, "the last file committed fills the bar"
    lines = [t for _, t in seen]
    assert not any("page 0" in t or " 0 chunks" in t for t in lines), lines
    assert any(t.startswith("File 2 of 2 · b.pdf") for t in lines), lines
    assert any("embedding chunk" in t and " of " in t.split("embedding chunk")[1] for t in lines)
    assert "File 1 of 2 · a.pdf — saved: 4 pages" in "\n".join(lines)


# ---------------------------------------------------------------- process hygiene
def test_spawned_helpers_do_not_rerun_the_app(app_env):
    """The ingestor's parse helper starts with multiprocessing "spawn", which re-runs
    __main__.__file__ first; under Streamlit __main__ is the app script."""
    run_app()
    main = sys.modules["__main__"]
    assert callable(getattr(main, "base_settings", None)), "__main__ is the app script here"
    assert "init_main_from_path" not in spawn.get_preparation_data("helper")


# ---------------------------------------------------------------- the adapter's Quality tab
def test_quality_tab_shows_base_vs_adapter_report(app_env):
    import json

    settings = Settings.load()
    adapter = settings.kb_root / "manuals" / "adapter"
    (adapter / "evaluation").mkdir(parents=True)
    (adapter / "adapter_config.json").write_text("{}")
    (adapter / "training_card.json").write_text(
        json.dumps(
            {
                "steps_done": 40,
                "seconds": 1500,
                "refusal_threshold": 0.41,
                "examples": {"train": 300},
                "peak_rss_mb": 4200,
            }
        )
    )
    metrics = {"answerable_f1": 0.31, "over_refusal": 0.05, "unanswerable_refused": 0.2}
    tuned = {"answerable_f1": 0.52, "over_refusal": 0.08, "unanswerable_refused": 0.65}
    example = {
        "question": "When was the boiler tested?",
        "kind": "answerable",
        "gold": ["1998"],
        "base": "The document says: “…” [1]",
        "adapter": "1998 [1]",
    }
    (adapter / "evaluation" / "report.json").write_text(
        json.dumps(
            {
                "base": metrics,
                "adapter": tuned,
                "examples": [example],
                "questions": "held-out generated questions",
            }
        )
    )
    at = run_app()
    assert [t.label for t in at.tabs] == ["Chat", "Documents", "Quality"]
    quality = at.tabs[2]
    table = quality.table[0].value
    row = table[table["metric"] == "Answer F1 (answerable)"].iloc[0]
    assert (row["base"], row["adapter"]) == ("0.31", "0.52")
    shown = " ".join(plain(m.value) for m in quality.markdown)
    assert "When was the boiler tested?" in shown and "1998 [1]" in shown
    assert any("refusal threshold 0.41" in plain(c.value) for c in quality.caption)


def test_no_quality_tab_without_an_adapter(app_env):
    at = run_app()
    assert [t.label for t in at.tabs] == ["Chat", "Documents"]
