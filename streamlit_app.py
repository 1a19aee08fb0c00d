"""ragchat's chat app: knowledge bases, uploads with live progress, streamed cited answers.

Run with `streamlit run streamlit_app.py` (binds to 127.0.0.1, see .streamlit/config.toml).
Built only on ragchat's Python API: everything here is also reachable from the CLIs.
"""

from __future__ import annotations

import os

# Before anything imports torch or transformers: OpenMP threads that sleep instead of spinning
# on a shared CPU, and no model-loading bars or info lines in the server log.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# multiprocessing's "spawn" start method re-runs `__main__.__file__` in every helper process, and
# the ingestor parses the next PDF in one. Under Streamlit, `__main__` is this script, so each
# helper re-ran the whole app (loading models, "missing ScriptRunContext" in the log) before it
# parsed anything: two uploads took 88 s instead of 22 s. Without the path a helper imports only
# the ingestion code it is handed. Streamlit itself does not read it back.
globals().pop("__file__", None)

import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import streamlit as st  # noqa: E402

from ragchat.app_support import (  # noqa: E402
    CountingEmbedder,
    IngestOutcome,
    IngestProgress,
    escape_markdown,
    example_questions,
    ingest_outcome,
    page_counts,
    save_upload,
)
from ragchat.app_views import show_answer, show_error, show_outcome  # noqa: E402
from ragchat.errors import RagchatError  # noqa: E402
from ragchat.gate import DEFAULT_GATE, stored_threshold  # noqa: E402
from ragchat.kb import KBStore, delete_kb, list_kbs  # noqa: E402
from ragchat.kb import open_kb as open_store  # noqa: E402
from ragchat.pipeline import NO_ADAPTER, Adapter  # noqa: E402
from ragchat.settings import GATE_SHIFT_RANGE, Settings  # noqa: E402

log = logging.getLogger("ragchat.app")
WHAT = (
    "**ragchat** answers questions from the PDFs in this knowledge base only: every answer cites"
    " file and page, and it says so plainly when the documents don't cover a question. Nothing"
    " leaves this machine."
)


# ---------------------------------------------------------------- resources (once per process)
@st.cache_resource(show_spinner=False)
def base_settings() -> Settings:
    return Settings.load()


@st.cache_resource(show_spinner=False)
def embedder(spec: str, batch: int):
    from ragchat.embedder import load_embedder

    return load_embedder(base_settings().replace(embedder=spec, embed_batch_size=batch))


@st.cache_resource(show_spinner="Loading the models — first time only…", max_entries=8)
def _chat(
    kb_name: str, settings_key: str, adapter_key: str, _settings: Settings, _adapter: Adapter
):
    """One RagChat per (KB, settings, adapter choice), shared by reruns and sessions. The
    adapter is the sidebar's choice: switching the KB's default adapter off really answers
    without it."""
    from ragchat.pipeline import RagChat

    emb = embedder(_settings.embedder, _settings.embed_batch_size)
    return RagChat.open(_settings, kb_name, embedder=emb, adapter=_adapter)


def chat_for(settings: Settings, kb_name: str, adapter: Adapter):
    described = json.dumps(dataclasses.asdict(settings), default=str, sort_keys=True)
    key = hashlib.sha256(described.encode()).hexdigest()
    return _chat(kb_name, key, str(adapter), settings, adapter)


def open_kb(settings: Settings, name: str) -> KBStore:
    emb = embedder(settings.embedder, settings.embed_batch_size)
    return open_store(settings, name, embedder=emb.name, dim=emb.dim, create=True)


# ---------------------------------------------------------------- sidebar
def sidebar(settings: Settings) -> tuple[KBStore | None, Settings, Adapter]:
    """The KB picker and answering options: the KB, the chosen settings and adapter."""
    st.sidebar.title("ragchat")
    kbs = list_kbs(settings)
    default = os.environ.get("RAGCHAT_KB", "samples")
    with st.sidebar.expander("New knowledge base", expanded=not kbs):
        new = st.text_input("Name", key="new_kb", placeholder="manuals")
        if st.button("Create", key="create_kb") and new:
            try:
                open_kb(settings, new.strip()).close()
                st.session_state["kb"] = new.strip()
                st.rerun()
            except RagchatError as exc:
                show_error(str(exc), exc)
    kbs = list_kbs(settings)
    if not kbs:
        st.markdown(WHAT)
        st.info("Create a knowledge base in the sidebar, then upload PDFs.")
        return None, settings, NO_ADAPTER
    current = st.session_state.get("kb", default if default in kbs else kbs[0])
    kb_name = st.sidebar.selectbox(
        "Knowledge base", kbs, index=kbs.index(current) if current in kbs else 0, key="kb"
    )
    kb = open_kb(settings, kb_name)

    st.sidebar.subheader("Answering")
    top_k = st.sidebar.slider("Chunks given to the model", 1, 10, settings.top_k, key="top_k")
    stored = {lang: stored_threshold(kb.manifest.gate, lang) for lang in DEFAULT_GATE}
    calibrated = {lang: DEFAULT_GATE[lang] if v is None else v for lang, v in stored.items()}
    fixed = settings.gate_threshold  # an absolute threshold (RAGCHAT_GATE_THRESHOLD) wins
    shift = st.sidebar.slider(
        "Coverage gate (higher refuses more)",
        *GATE_SHIFT_RANGE,
        float(settings.gate_shift),
        0.01,
        key="gate",
        disabled=fixed is not None,
        help=(
            f"Fixed at {fixed:.2f} for every language by gate_threshold."
            if fixed is not None
            else "Shifts the KB's calibrated thresholds: English"
            f" {calibrated['en']:.2f}, Chinese {calibrated['zh']:.2f} at 0."
        ),
    )
    temperature = st.sidebar.slider(
        "Temperature", 0.0, 1.0, settings.temperature, 0.05, key="temperature"
    )
    model = st.sidebar.text_input("Model", settings.generator, key="model")
    adapter_dir = _adapter_dir(kb)
    adapter: Adapter = NO_ADAPTER  # the base model, even when the KB has a default adapter
    if adapter_dir is not None and st.sidebar.toggle(
        "Domain adapter", value=True, key="adapter", help=str(adapter_dir)
    ):
        adapter = adapter_dir
    chosen = settings.replace(
        top_k=top_k,
        gate_shift=shift,
        temperature=temperature,
        generator=model.strip() or settings.generator,
    )

    with st.sidebar.expander("Danger zone"):
        sure = st.checkbox(f"Yes, delete {kb_name!r} and its index", key="sure")
        if st.button("Delete knowledge base", disabled=not sure, key="delete_kb"):
            try:
                kb.close()
                _chat.clear()  # cached chats hold the KB open
                delete_kb(settings, kb_name)
                st.session_state.pop("kb", None)
                st.rerun()
            except RagchatError as exc:
                show_error(str(exc), exc)
    return kb, chosen, adapter


def _adapter_dir(kb: KBStore) -> Path | None:
    candidates = [kb.manifest.default_adapter, str(kb.root / "adapter")]
    for c in candidates:
        if c and (Path(c) / "adapter_config.json").is_file():
            return Path(c)
    return None


# ---------------------------------------------------------------- documents
def documents_tab(settings: Settings, kb: KBStore) -> None:
    files = kb.files()
    st.caption(
        f"{len(files)} files · {sum(f.pages for f in files)} pages"
        f" · {sum(f.chunks for f in files)} chunks"
    )
    if files:
        rows = [
            {
                "file": f.name,
                "pages": f.pages,
                "chunks": f.chunks,
                "ingested": time.strftime("%Y-%m-%d %H:%M", time.localtime(f.ingested_at)),
                "problems": _problems(f.warnings),
            }
            for f in files
        ]
        st.dataframe(rows, hide_index=True, width="stretch")
        gone = st.selectbox("Remove a file", ["—"] + [f.name for f in files], key="remove_pick")
        if gone != "—" and st.button(f"Remove {gone}", key="remove_file"):
            from ingestion.index import remove_files

            path = next(f.path for f in files if f.name == gone)
            remove_files(kb, [path])
            st.rerun()
    last = st.session_state.get(f"ingested:{kb.name}")
    if last is not None:
        show_outcome(last)
    # a new key after each ingest empties the uploader
    nonce = st.session_state.get("uploads_nonce", 0)
    uploads = st.file_uploader(
        "Add PDFs", type=["pdf"], accept_multiple_files=True, key=f"uploads:{nonce}"
    )
    if uploads and st.button(f"Ingest {len(uploads)} file(s)", key="ingest"):
        outcome = ingest_uploads(settings, kb, [(u.name, u.getvalue()) for u in uploads])
        st.session_state[f"ingested:{kb.name}"] = outcome
        st.session_state["uploads_nonce"] = nonce + 1
        st.rerun()  # the table, the counts and the first screen show the new files


def _problems(warnings: tuple[str, ...]) -> str:
    ocr = sum(1 for w in warnings if "needs OCR" in w)
    other = len(warnings) - ocr
    parts = ([f"{ocr} pages need OCR"] if ocr else []) + ([f"{other} warnings"] if other else [])
    return ", ".join(parts)


def ingest_uploads(settings: Settings, kb: KBStore, uploads: list[tuple[str, bytes]]):
    """Save uploads under the KB and ingest them with live progress; returns the outcome."""
    from ingestion.index import Ingestor

    saved, refused = [], []
    for name, data in uploads:
        try:
            saved.append(save_upload(kb.root, name, data, max_mb=settings.max_upload_mb))
        except RagchatError as exc:
            refused.append(str(exc))
    if not saved:
        return IngestOutcome("error", f"0 added, {len(refused)} failed", tuple(refused))
    tracker = IngestProgress(page_counts(saved))
    with st.status(f"Ingesting {len(saved)} file(s)…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting…")

        def progress(p: Any) -> None:
            fraction, text = tracker.update(p)
            bar.progress(fraction, text=escape_markdown(text))

        try:
            emb = CountingEmbedder(embedder(settings.embedder, settings.embed_batch_size), tracker)
            report = Ingestor(kb, settings, emb).ingest(saved, progress=progress)
        except RagchatError as exc:  # KB-level trouble (locked, embedder mismatch)
            log.warning("ingest failed", exc_info=exc)
            status.update(label="Ingest failed", state="error")
            return IngestOutcome("error", "Ingest failed", (*refused, str(exc)))
        except Exception as exc:  # never a traceback for the user
            log.warning("ingest failed", exc_info=exc)
            status.update(label="Ingest failed", state="error")
            return IngestOutcome("error", "Ingest failed; see the log for details", tuple(refused))
        outcome = ingest_outcome(report, refused)
        bar.progress(1.0, text=tracker.finish(f"Done in {report.seconds:.0f} s")[1])
        status.update(
            label=outcome.headline, state="complete" if outcome.state == "complete" else "error"
        )
    return outcome


# ---------------------------------------------------------------- chat
def chat_tab(settings: Settings, kb: KBStore, adapter: Adapter) -> None:
    key = f"history:{kb.name}"
    history = st.session_state.setdefault(key, [])
    if st.button("New chat", key="new_chat"):
        history.clear()
    # Everything the chat shows goes into this container, above the input box: the history,
    # then the new turn (the input box inside a tab stays where it is drawn).
    turns = st.container()
    question = st.chat_input("Ask your documents…", key="question")
    question = question or st.session_state.pop("example_question", None)
    with turns:
        if not history and not question:
            first_screen(kb)
        for i, turn in enumerate(history):
            with st.chat_message("user"):
                st.text(turn["question"])
            with st.chat_message("assistant"):
                show_answer(turn["answer"], f"{kb.name}:{i}", kb)
        if question:
            answer = ask(settings, kb, adapter, question, history)
            if answer is not None:
                history.append({"question": question, "answer": answer})


def first_screen(kb: KBStore) -> None:
    """What ragchat does, what this KB holds, and a few questions it can answer."""
    st.markdown(WHAT)
    files = kb.files()
    if not files:
        st.info("This knowledge base is empty: add PDFs on the Documents tab.")
        return
    names = ", ".join(f.name for f in files[:5]) + (", …" if len(files) > 5 else "")
    pages = sum(f.pages for f in files)
    holds = f"{len(files)} file{'s' * (len(files) != 1)} · {pages} page{'s' * (pages != 1)}"
    st.caption(escape_markdown(f"{kb.name} holds {holds}: {names}"))
    questions = _examples(str(kb.root), kb.generation(), kb)
    if questions:
        st.caption("Try one of these:")
        for i, q in enumerate(questions):
            st.button(q, key=f"example:{i}", on_click=_ask_example, args=(q,))


def _ask_example(question: str) -> None:
    st.session_state["example_question"] = question


@st.cache_data(show_spinner=False, max_entries=32)
def _examples(kb_root: str, generation: int, _kb: KBStore) -> list[str]:
    """Example questions from the section headings (and titles) of up to 8 files."""
    pairs: list[tuple[str, str]] = []
    files = _kb.files()[:8]
    for f in files:
        pairs += [(f.name, c.heading_path[-1]) for c in _kb.chunks_of(f.path) if c.heading_path]
        pairs.append((f.name, f.title))  # a file without headings still offers its title
    return example_questions(pairs, 3)


def ask(settings: Settings, kb: KBStore, adapter: Adapter, question: str, history: list[dict]):
    """Show the question and the streamed answer; the finished Answer, or None on error."""
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        placeholder = st.empty()
        try:
            chat = chat_for(settings, kb.name, adapter)
            past = [(t["question"], t["answer"].text) for t in history]
            stream = chat.stream(question, history=past)
            text = ""
            for piece in stream:
                text += piece
                placeholder.text(text)
            answer = stream.answer
            if answer is None:
                raise RuntimeError("the answer stream ended without an answer")
        except RagchatError as exc:
            placeholder.empty()
            show_error(str(exc), exc)
            return None
        except Exception as exc:  # never show a traceback to the user
            placeholder.empty()
            show_error("Something went wrong while answering; see the log for details.", exc)
            return None
        placeholder.empty()
        show_answer(answer, f"{kb.name}:{len(history)}", kb)
    return answer


def main() -> None:
    st.set_page_config(page_title="ragchat", page_icon="📄", layout="wide")
    settings = base_settings()
    kb, chosen, adapter = sidebar(settings)
    if kb is None:
        return
    adapter_dir = _adapter_dir(kb)
    names = ["Chat", "Documents"] + (["Quality"] if adapter_dir is not None else [])
    chat, docs, *quality = st.tabs(names)
    with docs:
        documents_tab(chosen, kb)
    with chat:
        chat_tab(chosen, kb, adapter)
    if quality:
        from ragchat.app_quality import quality_tab

        with quality[0]:
            quality_tab(adapter_dir, kb.name)


if __name__ == "__main__":  # Streamlit runs the script as __main__; a spawn helper would not
    main()
