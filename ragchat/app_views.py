"""How the Streamlit app draws an answer (text, citations with the rendered page, evidence,
passages searched, or a refusal with places to look), an ingest outcome and an error."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import streamlit as st

from ragchat.app_support import (
    LOOK_HERE,
    PASSAGES_SEARCHED,
    IngestOutcome,
    clean_answer_text,
    distinct_places,
    escape_markdown,
    heading_label,
    place_label,
    render_page,
)
from ragchat.kb import KBStore

log = logging.getLogger("ragchat.app")
EVIDENCE = {"en": "Evidence", "zh": "依据"}
FALLBACK = {
    # not "did not hold up": a draft can hold up and still be the wrong part of its sentence,
    # or too bare for what was asked (ragchat.decide)
    "en": "The model's own answer could not be shown as it stood; this is the passage that best"
    " answers the question.",
    "zh": "模型自己的回答无法按原样显示；以下是最能回答这个问题的原文。",
}
HIGHLIGHTED = {"en": "highlighted", "zh": "高亮"}
HIGHLIGHT_ALT = {
    "en": "Page {page} of {file}, the cited sentence highlighted",
    "zh": "{file} 第 {page} 页，引用的句子已高亮",
}


def show_error(message: str, exc: BaseException | None = None) -> None:
    """One line for the user; the traceback goes to the log."""
    if exc is not None:
        log.warning("%s", message, exc_info=exc)
    st.error(escape_markdown(message), icon="⚠️")


def show_outcome(outcome: IngestOutcome) -> None:
    """The last upload's result: never a success when a file failed, and every failed file
    with its reason in plain sight."""
    box = {"complete": st.success, "warning": st.warning, "error": st.error}[outcome.state]
    icon = {"complete": "✅", "warning": "⚠️", "error": "❌"}[outcome.state]
    box(escape_markdown(f"Last upload: {outcome.headline}"), icon=icon)
    for line in outcome.problems:
        st.error(escape_markdown(line), icon="⚠️")
    for note in outcome.notes[:10]:
        st.caption(escape_markdown(note))


def show_answer(answer: Any, key: str, kb: KBStore) -> None:
    """An answer as the user sees it; `key` makes its widgets unique (KB and turn)."""
    lang = answer.lang if answer.lang in LOOK_HERE else "en"
    if answer.refused:
        st.warning(escape_markdown(answer.text), icon="🚫")
        places = distinct_places(answer.hits, lang)
        if places:
            st.caption(LOOK_HERE[lang])
            for place in places:
                st.caption(escape_markdown(f"• {place}"))
        return
    if answer.fallback:
        st.caption(FALLBACK[lang])
    # a line break the answer holds (the documents listed one a line) is kept in markdown
    st.markdown(escape_markdown(clean_answer_text(answer.text)).replace("\n", "  \n"))
    for c in answer.citations:
        head = heading_label(c.heading_path)
        where = f"[{c.n}] {place_label(c.file, c.page, lang)}" + (f" — {head}" if head else "")
        opened = bool(st.session_state.get(f"page:{key}:{c.n}"))
        with st.expander(where, expanded=opened):
            st.text(c.quote)
            if st.toggle("Show the page", key=f"page:{key}:{c.n}"):
                path = source_path(kb, c.file)
                if path is None:
                    st.caption("The source file is no longer on disk.")
                else:
                    st.image(
                        render_page(path, c.page, c.bboxes),
                        caption=page_caption(c.file, c.page, c.quote, lang),
                        alt=HIGHLIGHT_ALT[lang].format(page=c.page, file=c.file),
                    )
    if answer.evidence:
        with st.expander(f"{EVIDENCE[lang]} ({len(answer.evidence)})"):
            for e in answer.evidence:
                head = heading_label(e.heading_path)
                where = f"[{e.n}] {place_label(e.file, e.page, lang)}" + (
                    f" — {head}" if head else ""
                )
                st.caption(escape_markdown(where))
                st.text(e.text)
    if not answer.citations and answer.hits:
        with st.expander(PASSAGES_SEARCHED[lang]):
            for h in answer.hits[:3]:
                c = h.chunk
                head = heading_label(c.heading_path)
                st.caption(
                    escape_markdown(
                        place_label(c.file, c.page_start, lang) + (f" — {head}" if head else "")
                    )
                )
                st.text(c.text if len(c.text) <= 400 else c.text[:400].rsplit(" ", 1)[0] + " …")


def highlight_snippet(quote: str, limit: int = 80) -> str:
    """The first ~`limit` characters of the cited sentence, cut at a word where there is one."""
    text = " ".join(quote.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def page_caption(file: str, page: int, quote: str, lang: str = "en") -> str:
    """Under the rendered page: where it is and which sentence is highlighted on it (the
    cited evidence sentence, whose rectangles are drawn, not the whole chunk)."""
    snippet = highlight_snippet(quote)
    text = escape_markdown(f"{place_label(file, page, lang)} — {HIGHLIGHTED[lang]}: “{snippet}”")
    return text.replace("$", "\\$")  # captions are markdown: "$82 … $3" is not LaTeX


def source_path(kb: KBStore, file: str) -> str | None:
    """The cited file on disk, or None when it is gone."""
    for f in kb.files():
        if f.name == file and Path(f.path).is_file():
            return f.path
    return None
