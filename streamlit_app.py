"""ragchat's chat app: knowledge bases, uploads with live progress, streamed cited answers.

Run with `streamlit run streamlit_app.py` (binds to 127.0.0.1, see .streamlit/config.toml).
Built only on ragchat's Python API: everything here is also reachable from the CLIs.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st

from ragchat.app_support import escape_markdown, render_page, save_upload
from ragchat.errors import RagchatError
from ragchat.retrieval import DEFAULT_GATE
from ragchat.settings import Settings
from ragchat.stores import KBStore, delete_kb, list_kbs
from ragchat.stores import open_kb as open_store

log = logging.getLogger("ragchat.app")
st.set_page_config(page_title="ragchat", page_icon="📄", layout="wide")


# ---------------------------------------------------------------- resources (once per process)
@st.cache_resource(show_spinner=False)
def base_settings() -> Settings:
    return Settings.load()


@st.cache_resource(show_spinner=False)
def embedder(spec: str, batch: int):
    from ragchat.embedder import load_embedder

    return load_embedder(base_settings().replace(embedder=spec, embed_batch_size=batch))


def chat_for(settings: Settings, kb_name: str):
    """A RagChat for this KB and these settings; models come from process-wide caches."""
    from ragchat.generate import load_generator
    from ragchat.pipeline import RagChat

    emb = embedder(settings.embedder, settings.embed_batch_size)
    kb = open_kb(settings, kb_name)
    chat = RagChat(settings, kb, emb)
    with st.spinner(f"Loading the answer model ({settings.generator}) — first time only…"):
        chat._generator = load_generator(settings, chat.adapter)
    return chat


def open_kb(settings: Settings, name: str) -> KBStore:
    emb = embedder(settings.embedder, settings.embed_batch_size)
    return open_store(settings, name, embedder=emb.name, dim=emb.dim, create=True)


def show_error(message: str, exc: BaseException | None = None) -> None:
    """One line for the user; the traceback goes to the log."""
    if exc is not None:
        log.warning("%s", message, exc_info=exc)
    st.error(message, icon="⚠️")


# ---------------------------------------------------------------- sidebar
def sidebar(settings: Settings) -> tuple[str | None, Settings]:
    st.sidebar.title("ragchat")
    kbs = list_kbs(settings)
    default = os.environ.get("RAGCHAT_KB", "samples")
    with st.sidebar.expander("New knowledge base", expanded=not kbs):
        new = st.text_input("Name", key="new_kb", placeholder="manuals")
        if st.button("Create", key="create_kb") and new:
            try:
                open_kb(settings, new.strip())
                st.session_state["kb"] = new.strip()
                st.rerun()
            except RagchatError as exc:
                show_error(str(exc), exc)
    kbs = list_kbs(settings)
    if not kbs:
        st.info("Create a knowledge base in the sidebar, then upload PDFs.")
        return None, settings
    current = st.session_state.get("kb", default if default in kbs else kbs[0])
    kb_name = st.sidebar.selectbox(
        "Knowledge base", kbs, index=kbs.index(current) if current in kbs else 0, key="kb"
    )
    kb = open_kb(settings, kb_name)

    st.sidebar.subheader("Answering")
    top_k = st.sidebar.slider("Chunks given to the model", 1, 10, settings.top_k, key="top_k")
    calibrated = kb.manifest.gate.get("en", DEFAULT_GATE["en"])
    gate = st.sidebar.slider(
        "Coverage gate (higher refuses more)",
        0.0,
        1.0,
        float(settings.gate_threshold or calibrated),
        0.01,
        key="gate",
        help=f"The KB's calibrated threshold is {calibrated:.2f} (English).",
    )
    temperature = st.sidebar.slider(
        "Temperature", 0.0, 1.0, settings.temperature, 0.05, key="temperature"
    )
    model = st.sidebar.text_input("Model", settings.generator, key="model")
    adapter_dir = _adapter_dir(kb)
    use_adapter = False
    if adapter_dir is not None:
        use_adapter = st.sidebar.toggle(
            "Domain adapter", value=True, key="adapter", help=str(adapter_dir)
        )
    chosen = settings.replace(
        top_k=top_k,
        gate_threshold=None if abs(gate - calibrated) < 1e-9 else gate,
        temperature=temperature,
        generator=model.strip() or settings.generator,
    )
    chosen = _with_adapter(chosen, adapter_dir if use_adapter else None)

    with st.sidebar.expander("Danger zone"):
        sure = st.checkbox(f"Yes, delete {kb_name!r} and its index", key="sure")
        if st.button("Delete knowledge base", disabled=not sure, key="delete_kb"):
            try:
                kb.close()
                delete_kb(settings, kb_name)
                st.session_state.pop("kb", None)
                st.rerun()
            except RagchatError as exc:
                show_error(str(exc), exc)
    return kb_name, chosen


def _adapter_dir(kb: KBStore) -> Path | None:
    candidates = [kb.manifest.default_adapter, str(kb.root / "adapter")]
    for c in candidates:
        if c and (Path(c) / "adapter_config.json").is_file():
            return Path(c)
    return None


def _with_adapter(settings: Settings, adapter: Path | None) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, adapter=adapter)


# ---------------------------------------------------------------- documents
def documents_tab(settings: Settings, kb_name: str) -> None:
    kb = open_kb(settings, kb_name)
    files = kb.files()
    st.caption(
        f"{len(files)} files · {sum(f.pages for f in files)} pages · {sum(f.chunks for f in files)} chunks"
    )
    if files:
        import time

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
    uploads = st.file_uploader("Add PDFs", type=["pdf"], accept_multiple_files=True, key="uploads")
    if uploads and st.button(f"Ingest {len(uploads)} file(s)", key="ingest"):
        ingest_uploads(settings, kb, [(u.name, u.getvalue()) for u in uploads])


def _problems(warnings: tuple[str, ...]) -> str:
    ocr = sum(1 for w in warnings if "needs OCR" in w)
    other = len(warnings) - ocr
    parts = ([f"{ocr} pages need OCR"] if ocr else []) + ([f"{other} warnings"] if other else [])
    return ", ".join(parts)


def ingest_uploads(settings: Settings, kb: KBStore, uploads: list[tuple[str, bytes]]) -> None:
    """Save uploads under the KB and ingest them with live progress; bad files are listed."""
    from ingestion.index import Ingestor

    saved, refused = [], []
    for name, data in uploads:
        try:
            saved.append(save_upload(kb.root, name, data, max_mb=settings.max_upload_mb))
        except RagchatError as exc:
            refused.append(str(exc))
    for line in refused:
        st.error(line, icon="⚠️")
    if not saved:
        return
    with st.status(f"Ingesting {len(saved)} file(s)…", expanded=True) as status:
        bar = st.progress(0.0)
        line = st.empty()

        def progress(p) -> None:
            done = p.files_done / max(1, p.files_total)
            bar.progress(min(1.0, done), text=f"{p.file}: {p.stage}")
            line.text(f"{p.file} — page {p.pages} · {p.chunks} chunks embedded")

        try:
            emb = embedder(settings.embedder, settings.embed_batch_size)
            report = Ingestor(kb, settings, emb).ingest(saved, progress=progress)
        except RagchatError as exc:
            status.update(label="Ingest failed", state="error")
            show_error(str(exc), exc)
            return
        for failure in report.failed:
            st.error(f"{Path(failure.file).name}: {failure.error}", icon="⚠️")
        state = "error" if report.failed and not (report.added or report.updated) else "complete"
        status.update(
            label=f"{len(report.added) + len(report.updated)} added, {len(report.unchanged)} unchanged,"
            f" {len(report.failed)} failed · {report.chunks_total} chunks",
            state=state,
        )


# ---------------------------------------------------------------- chat
def chat_tab(settings: Settings, kb_name: str) -> None:
    key = f"history:{kb_name}"
    history = st.session_state.setdefault(key, [])
    if st.button("New chat", key="new_chat"):
        history.clear()
    for i, turn in enumerate(history):
        with st.chat_message("user"):
            st.text(turn["question"])
        with st.chat_message("assistant"):
            show_answer(turn["answer"], f"{kb_name}:{i}", settings, kb_name)
    question = st.chat_input("Ask your documents…")
    if not question:
        return
    with st.chat_message("user"):
        st.text(question)
    with st.chat_message("assistant"):
        try:
            chat = chat_for(settings, kb_name)
            past = [(t["question"], t["answer"].text) for t in history]
            stream = chat.stream(question, history=past)
            placeholder = st.empty()
            text = ""
            for piece in stream:
                text += piece
                placeholder.text(text)
            answer = stream.answer
        except RagchatError as exc:
            show_error(str(exc), exc)
            return
        except Exception as exc:  # never show a traceback to the user
            show_error("Something went wrong while answering; see the log for details.", exc)
            return
        placeholder.empty()
        show_answer(answer, f"{kb_name}:{len(history)}", settings, kb_name)
    history.append({"question": question, "answer": answer})


def show_answer(answer, key: str, settings: Settings, kb_name: str) -> None:
    if answer.refused:
        st.warning(answer.text, icon="🚫")
        if answer.hits:
            st.caption("You may look here:")
            for h in answer.hits[:3]:
                st.caption(
                    f"• {h.chunk.file}, page {h.chunk.page_start} — {' > '.join(h.chunk.heading_path)}"
                )
        return
    st.markdown(escape_markdown(answer.text))
    kb = open_kb(settings, kb_name)
    for c in answer.citations:
        where = f"[{c.n}] {c.file}, page {c.page}" + (
            f" — {' > '.join(c.heading_path)}" if c.heading_path else ""
        )
        opened = bool(st.session_state.get(f"page:{key}:{c.n}"))
        with st.expander(where, expanded=opened):
            st.text(c.quote)
            if st.toggle("Show the page", key=f"page:{key}:{c.n}"):
                path = _source_path(kb, c)
                if path is None:
                    st.caption("The source file is no longer on disk.")
                else:
                    st.image(
                        render_page(path, c.page, c.bboxes), caption=f"{c.file}, page {c.page}"
                    )


def _source_path(kb: KBStore, citation) -> str | None:
    for f in kb.files():
        if f.name == citation.file and Path(f.path).is_file():
            return f.path
    return None


def main() -> None:
    settings = base_settings()
    kb_name, chosen = sidebar(settings)
    if kb_name is None:
        return
    chat, docs = st.tabs(["Chat", "Documents"])
    with docs:
        documents_tab(chosen, kb_name)
    with chat:
        chat_tab(chosen, kb_name)


main()
