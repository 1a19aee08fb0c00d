"""ragchat's chat app: knowledge bases, uploads with live progress, streamed cited answers and
the cited page with the quoted area highlighted.

Run with `streamlit run streamlit_app.py` (binds to 127.0.0.1, see .streamlit/config.toml).
Built on ragchat's Python API (RagChat, KnowledgeBase, Ingestor) plus ragchat.app_support.
Document and model text is always shown escaped or as plain text, never as HTML.

Models come from the settings like everywhere else; tests plug a fake generator in through the
documented `module:` generator spec, e.g. RAGCHAT_GENERATOR=module:tests.fakes:make_fake_generator.
Default KB: RAGCHAT_KB, else "samples" when it exists.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import streamlit as st

from ragchat.app_support import (
    adapter_dir,
    check_model_choice,
    cited_pages,
    escape_markdown,
    file_rows,
    ingest_uploads,
    one_line,
    remove_file,
    render_page,
    source_of,
)
from ragchat.errors import RagchatError
from ragchat.retrieval import DEFAULT_GATE
from ragchat.settings import Settings
from ragchat.store import KnowledgeBase, delete_kb, list_kbs
from ragchat.types import Answer

log = logging.getLogger("ragchat.app")
st.set_page_config(page_title="ragchat", page_icon=":material/description:", layout="wide")


# ---------------------------------------------------------------- resources (once per process)
@st.cache_resource(show_spinner=False)
def base_settings() -> Settings:
    return Settings.load()


@st.cache_resource(show_spinner="Loading the embedding model (first time only)…")
def get_embedder(_settings: Settings, spec: str) -> Any:
    from ragchat.embedder import load_embedder

    return load_embedder(_settings)


@st.cache_resource(show_spinner=False)
def get_kb(_settings: Settings, kb_root: str, name: str) -> KnowledgeBase:
    emb = get_embedder(_settings, _settings.embedder)
    return KnowledgeBase.open(
        Path(kb_root),
        name,
        embedder=emb.name,
        dim=emb.dim,
        create=True,
        lock_timeout=_settings.lock_timeout,
    )


@st.cache_resource(show_spinner="Loading the answer model (first time only)…")
def get_generator(_settings: Settings, spec: str, adapter: str) -> Any:
    from ragchat.generate import load_generator

    return load_generator(_settings, Path(adapter) if adapter else None)


@st.cache_resource(show_spinner=False, max_entries=16)
def get_chat(_settings: Settings, key: str, kb_name: str, adapter: str) -> Any:
    from ragchat.pipeline import RagChat

    generator = get_generator(_settings, _settings.generator, adapter)
    return RagChat.open(_settings, kb_name, generator=generator)


@st.cache_data(show_spinner=False, max_entries=64)
def page_png(path: str, mtime: float, page: int, boxes: tuple[tuple[float, ...], ...]) -> bytes:
    return render_page(path, page, boxes)


def kb_handle(settings: Settings, name: str) -> KnowledgeBase:
    return get_kb(settings, str(settings.kb_root), name)


def forget_kb() -> None:
    """After a KB is deleted: drop every cached handle on it."""
    get_kb.clear()
    get_chat.clear()


def show_error(message: str, exc: BaseException | None = None) -> None:
    """One line for the user, no traceback; the details go to the log."""
    if exc is not None:
        log.warning("%s", message, exc_info=exc)
    st.error(escape_markdown(one_line(message)), icon=":material/error:")


# ---------------------------------------------------------------- sidebar
def pick_kb(settings: Settings) -> str | None:
    st.sidebar.title("ragchat")
    kbs = list_kbs(settings.kb_root)
    with st.sidebar.expander("New knowledge base", expanded=not kbs):
        new = st.text_input("Name", key="new_kb", placeholder="manuals").strip()
        if st.button("Create", key="create_kb") and new:
            try:
                kb_handle(settings, new)
            except RagchatError as exc:
                show_error(str(exc), exc)
            else:
                st.session_state["kb"] = new
                st.rerun()
    if not kbs:
        st.info("Create a knowledge base in the sidebar, then upload PDFs.")
        return None
    default = os.environ.get("RAGCHAT_KB", "samples")
    if st.session_state.get("kb") not in kbs:
        st.session_state["kb"] = default if default in kbs else kbs[0]
    return str(st.sidebar.selectbox("Knowledge base", kbs, key="kb"))


def answer_settings(settings: Settings, kb: KnowledgeBase) -> tuple[Settings, str]:
    """Sidebar choices as a Settings copy, plus the adapter directory to use ("" = none)."""
    side = st.sidebar
    side.subheader("Answering")
    top_k = side.slider("Chunks given to the model", 1, 10, min(settings.top_k, 10), key="top_k")
    gate = {**DEFAULT_GATE, **kb.manifest.gate}
    side.caption(
        "Coverage gate calibrated for this KB: "
        + ", ".join(f"{lang} {value:.2f}" for lang, value in sorted(gate.items()))
        + ("" if kb.manifest.gate else " (defaults; not calibrated yet)")
    )
    override = side.toggle(
        "Override the gate", value=settings.gate_threshold is not None, key="gate_override"
    )
    threshold = None
    if override:
        start = settings.gate_threshold if settings.gate_threshold is not None else gate["en"]
        threshold = side.slider(
            "Gate threshold (higher refuses more)", 0.0, 1.0, float(start), 0.01, key="gate"
        )
    temperature = side.slider(
        "Temperature", 0.0, 1.0, float(settings.temperature), 0.05, key="temperature"
    )
    typed = side.text_input("Model", settings.generator, key="model")
    try:
        model = check_model_choice(typed, base_settings().generator)
    except RagchatError as exc:
        with side:
            show_error(str(exc))
        model = settings.generator
    found = Path(settings.adapter) if settings.adapter else adapter_dir(kb)
    use_adapter = found is not None and side.toggle(
        "Domain adapter", value=True, key=f"adapter:{kb.name}", help=f"LoRA adapter: {found}"
    )
    chosen = settings.replace(top_k=top_k, temperature=temperature, generator=model)
    chosen = dataclasses.replace(chosen, gate_threshold=threshold, adapter=None)
    return chosen, str(found) if use_adapter and found else ""


def danger_zone(settings: Settings, kb: KnowledgeBase) -> None:
    with st.sidebar.expander("Delete this knowledge base"):
        sure = st.checkbox(f"Yes, delete {kb.name} and its index", key="sure")
        if st.button("Delete knowledge base", disabled=not sure, key="delete_kb"):
            try:
                delete_kb(settings.kb_root, kb.name)
            except RagchatError as exc:
                show_error(str(exc), exc)
                return
            forget_kb()
            st.session_state.pop(f"history:{kb.name}", None)
            st.session_state.pop("kb", None)
            st.session_state.pop("sure", None)
            st.rerun()


# ---------------------------------------------------------------- documents
def documents_tab(settings: Settings, kb: KnowledgeBase) -> None:
    for line in st.session_state.pop("ingest_errors", []):
        st.error(escape_markdown(line), icon=":material/error:")
    if summary := st.session_state.pop("ingest_summary", None):
        st.success(summary, icon=":material/check_circle:")
    files = kb.files()
    st.caption(
        f"{len(files)} files · {sum(f.pages for f in files)} pages ·"
        f" {sum(f.chunks for f in files)} chunks"
    )
    if files:
        st.dataframe(file_rows(files), hide_index=True, width="stretch")
        by_path = {f.path: f for f in files}
        gone = st.selectbox(
            "Remove a file",
            [None, *by_path],
            format_func=lambda p: "—" if p is None else by_path[p].name,
            key="remove_pick",
        )
        if gone is not None and st.button("Remove from the knowledge base", key="remove_file"):
            try:
                remove_file(kb, by_path[gone])
            except RagchatError as exc:
                show_error(str(exc), exc)
            else:
                st.rerun()
    n = st.session_state.setdefault("uploader_n", 0)
    uploads = st.file_uploader(
        f"Add PDFs (up to {settings.max_upload_mb:g} MB each)",
        type=["pdf"],
        accept_multiple_files=True,
        key=f"uploads:{n}",
    )
    if uploads and st.button(f"Ingest {len(uploads)} file(s)", key="ingest"):
        ingest(settings, kb, [(u.name, u.getvalue()) for u in uploads])


def ingest(settings: Settings, kb: KnowledgeBase, uploads: list[tuple[str, bytes]]) -> None:
    """Live progress while the uploads go in; the outcome is shown after the rerun."""
    with st.status(f"Ingesting {len(uploads)} file(s)…", expanded=True) as status:
        bar = st.progress(0.0)
        detail = st.empty()

        def progress(p: Any) -> None:
            done = p.files_done + (0.5 if p.stage == "embed" else 0.0)
            bar.progress(min(1.0, done / max(1, p.files_total)), text=escape_markdown(p.file))
            detail.text(
                f"{p.file}: {p.stage} · page {p.pages} · {p.chunks} chunks embedded"
                + (f" · {p.message}" if p.message else "")
            )

        try:
            emb = get_embedder(settings, settings.embedder)
            result = ingest_uploads(kb, settings, emb, uploads, progress=progress)
        except RagchatError as exc:
            status.update(label="Ingest failed", state="error")
            show_error(str(exc), exc)
            return
        except Exception as exc:  # never a traceback in the page
            status.update(label="Ingest failed", state="error")
            show_error("The ingest failed unexpectedly; see the log for details.", exc)
            return
        status.update(label=result.summary(), state="complete")
    st.session_state["ingest_errors"] = list(result.errors)
    st.session_state["ingest_summary"] = result.summary()
    st.session_state["uploader_n"] = st.session_state.get("uploader_n", 0) + 1  # empties it
    st.rerun()


# ---------------------------------------------------------------- chat
def chat_tab(settings: Settings, kb: KnowledgeBase, adapter: str) -> None:
    history: list[dict[str, Any]] = st.session_state.setdefault(f"history:{kb.name}", [])
    if st.button("New chat", key="new_chat", icon=":material/add_comment:"):
        history.clear()
    for i, turn in enumerate(history):
        with st.chat_message("user"):
            st.text(turn["question"])
        with st.chat_message("assistant"):
            show_answer(turn["answer"], f"{kb.name}:{i}", kb)
    new_turn = st.container()  # above the input, where the turn stays after the next rerun
    question = st.chat_input("Ask your documents…")
    if not question:
        return
    with new_turn, st.chat_message("user"):
        st.text(question)
    with new_turn, st.chat_message("assistant"):
        answer = stream_answer(settings, kb, adapter, question, history)
        if answer is not None:
            show_answer(answer, f"{kb.name}:{len(history)}", kb)
    if answer is not None:
        history.append({"question": question, "answer": answer})


def stream_answer(
    settings: Settings, kb: KnowledgeBase, adapter: str, question: str, history: list[Any]
) -> Answer | None:
    slot = st.empty()
    try:
        chat = get_chat(settings, repr(settings), kb.name, adapter)
        stream = chat.stream(question, history=[(t["question"], t["answer"].text) for t in history])
        with slot.container():
            st.write_stream(escape_markdown(piece) for piece in stream)
    except RagchatError as exc:
        slot.empty()
        show_error(str(exc), exc)
        return None
    except Exception as exc:  # never a traceback in the page
        slot.empty()
        show_error("Something went wrong while answering; see the log for details.", exc)
        return None
    slot.empty()
    return stream.answer


def show_answer(answer: Answer, key: str, kb: KnowledgeBase) -> None:
    if answer.refused:
        st.warning(answer.text, icon=":material/block:")
        if answer.hits:
            st.caption("You may look here:")
        for i, hit in enumerate(answer.hits[:3], 1):
            c = hit.chunk
            quote = c.text if len(c.text) <= 600 else c.text[:600] + " …"
            path = kb.source_path(c)
            pages = list(range(c.page_start, min(c.page_end, c.page_start + 2) + 1))
            passage(
                f"{c.file}, page {c.page_start}",
                c.heading_path,
                quote,
                path,
                pages,
                c.bboxes,
                f"{key}:hit{i}",
            )
        return
    st.markdown(escape_markdown(answer.text))
    for c in answer.citations:
        path = source_of(kb, c, answer.hits)
        passage(
            f"[{c.n}] {c.file}, page {c.page}",
            c.heading_path,
            c.quote,
            path,
            cited_pages(c),
            c.bboxes,
            f"{key}:{c.n}",
        )


def passage(
    where: str,
    heading_path: tuple[str, ...],
    quote: str,
    path: str | None,
    pages: list[int],
    bboxes: tuple[tuple[int, float, float, float, float], ...],
    key: str,
) -> None:
    """A cited or suggested passage: where it is, its text, and the page on request."""
    label = where + (f" — {' > '.join(heading_path)}" if heading_path else "")
    toggle_key = f"page:{key}"
    with st.expander(escape_markdown(label), expanded=bool(st.session_state.get(toggle_key))):
        st.text(quote)
        if not st.toggle("Show the page", key=toggle_key):
            return
        if path is None:
            st.caption("The source file is no longer on disk.")
            return
        boxes = tuple(tuple(b) for b in bboxes)
        for page in pages:
            try:
                st.image(page_png(path, Path(path).stat().st_mtime, page, boxes))
            except (RagchatError, OSError, RuntimeError) as exc:
                show_error(f"Cannot render page {page}: {exc}", exc)
                return
            st.caption(escape_markdown(f"{Path(path).name}, page {page}"))


# ---------------------------------------------------------------- page
def main() -> None:
    settings = base_settings()
    kb_name = pick_kb(settings)
    if kb_name is None:
        return
    try:
        kb = kb_handle(settings, kb_name)
    except RagchatError as exc:
        show_error(str(exc), exc)
        return
    chosen, adapter = answer_settings(settings, kb)
    danger_zone(settings, kb)
    st.subheader(f":material/library_books: {escape_markdown(kb.name)}")
    chat, docs = st.tabs(["Chat", "Documents"])
    with docs:
        documents_tab(chosen, kb)
    with chat:
        chat_tab(chosen, kb, adapter)


main()
