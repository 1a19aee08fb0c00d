"""One real browser test: `streamlit run` on a free local port, driven by Playwright on Debian's
Chromium. Uploads two PDFs and a broken one, asks a question and checks that a cited answer
appears above the input box; opens the citation and checks that the highlighted part of the page
is the cited evidence sentence, not its whole chunk; then reads the server log for helper
processes that re-ran the app. Screenshots go under the test's tmp_path, for debugging only: the
README's come from the real default models (scripts/readme_outputs.py), never from this fake.

Every step waits for the app to be idle (Streamlit's running indicator gone) and for its target
to be ready, with generous timeouts: on a busy 2-core machine a rerun can take many seconds. The
browser helpers are in tests/ui/browser_helpers.py, the server in ragchat/app_server.py."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ragchat.app_server import run_app_server
from tests import pdfgen
from tests.ui.browser_helpers import (
    CHROMIUM,
    STEP,
    launch_chromium,
    one_line,
    open_page_view,
    ready,
    wait_idle,
)

REPO = Path(__file__).resolve().parents[2]
INGEST = 600_000  # ms for an ingest (embedding on a shared CPU)
ANSWER = 300_000  # ms for an answer, model loading included

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture
def server(tmp_path: Path, _data_home: Path):
    log_path = tmp_path / "streamlit.log"
    # The packaged 135M model rarely cites without the domain adapter, so the browser test
    # plugs in the fake generator through the documented `module:` generator setting.
    env = dict(
        os.environ,
        RAGCHAT_KB="manuals",
        PYTHONPATH=str(REPO),
        RAGCHAT_GENERATOR="module:tests.fakes:make_fake_generator",
    )
    with run_app_server(env, log_path, timeout=180) as app:
        yield app.url, log_path


def test_upload_ask_and_open_the_cited_page(server, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, log_path = server
    shots = tmp_path / "screenshots"  # for debugging a failure; never the README's
    shots.mkdir()
    pdf = pdfgen.structured(tmp_path / "boiler-manual.pdf")
    other = pdfgen.simple(tmp_path / "pump-notes.pdf", "Pumps are serviced yearly. " * 40, 3)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"this is not a PDF")
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.set_default_timeout(STEP)
        expect.set_options(timeout=STEP)
        page.goto(url, timeout=STEP)
        expect(page.get_by_text("New knowledge base")).to_be_visible(timeout=STEP)
        wait_idle(page)

        # create the KB
        name = page.get_by_label("Name")
        if not name.is_visible():  # the expander is open only when there is no KB yet
            page.get_by_text("New knowledge base").click()
        ready(name).fill("manuals")
        name.press("Enter")
        wait_idle(page)
        ready(page.get_by_role("button", name="Create")).click()
        documents = page.get_by_role("tab", name="Documents")
        ready(documents, timeout=STEP)
        wait_idle(page)

        # the first screen says what ragchat does and that the KB is empty
        expect(page.get_by_text("This knowledge base is empty")).to_be_visible(timeout=STEP)

        # upload two good PDFs and a broken one
        documents.click()
        wait_idle(page)
        page.locator("input[type=file]").set_input_files([str(pdf), str(other), str(broken)])
        ingest = page.get_by_role("button", name="Ingest 3 file(s)")
        ready(ingest).click()
        outcome = page.get_by_text("Last upload: 2 added, 0 unchanged, 1 failed")
        expect(outcome).to_be_visible(timeout=INGEST)
        wait_idle(page)
        # not a success, and the broken file's reason is in plain sight
        expect(page.locator('[data-testid="stAlertContentWarning"]').first).to_be_visible()
        expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_have_count(0)
        expect(page.get_by_text("broken.pdf:").first).to_be_visible()
        # the counts are up to date without a reload
        panel = page.get_by_role("tabpanel", name="Documents")
        expect(panel.get_by_text("2 files · 7 pages")).to_be_visible()

        # the chat's first screen offers questions drawn from the documents
        page.get_by_role("tab", name="Chat").click()
        wait_idle(page)
        expect(page.get_by_text("Try one of these:")).to_be_visible(timeout=STEP)

        box = ready(page.get_by_placeholder("Ask your documents…"))
        box.fill("What is the operating pressure of the boiler?")
        box.press("Enter")
        citation = page.get_by_text("boiler-manual.pdf, page 1").first
        expect(citation).to_be_visible(timeout=ANSWER)
        wait_idle(page, timeout=ANSWER)
        # the new turn is drawn above the input box
        last = page.locator('[data-testid="stChatMessage"]').last.bounding_box()
        below = page.locator('[data-testid="stChatInput"]').first.bounding_box()
        assert last and below and last["y"] < below["y"], (last, below)
        page.screenshot(path=str(shots / "chat.png"), full_page=True)

        # open the citation and its page
        open_page_view(page, citation)
        page.locator('[data-testid="stImageCaption"]').last.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "page.png"), full_page=True)

        # the caption names the highlighted sentence, and it is the cited evidence sentence
        # shown under the answer (the rectangles drawn are that sentence's, not its chunk's)
        caption = one_line(page.locator('[data-testid="stImageCaption"]').last.inner_text())
        m = re.fullmatch(r"boiler-manual\.pdf, page 1 — highlighted: “(.+)”", caption)
        assert m, caption
        highlighted = m.group(1)
        cited = page.locator('[data-testid="stExpander"]').filter(
            has=page.get_by_role("switch", name="Show the page")
        )
        quote = one_line(cited.first.locator('[data-testid="stText"]').first.inner_text())
        assert quote, "the cited sentence is not shown under the answer"
        if highlighted.endswith("…"):  # a long sentence is cut at ~80 characters
            assert quote.startswith(highlighted[:-1].rstrip()), (highlighted, quote)
        else:
            assert highlighted == quote, (highlighted, quote)
        # ... and one of the evidence sentences the answer was drawn from
        evidence = page.locator('[data-testid="stExpander"]').filter(has_text="Evidence (").first
        ready(evidence.locator("summary").first).click()  # opening an expander does not rerun
        expect(evidence.locator('[data-testid="stText"]').first).to_be_visible(timeout=STEP)
        sentences = [
            one_line(t.inner_text()) for t in evidence.locator('[data-testid="stText"]').all()
        ]
        assert quote in sentences, (quote, sentences)
        browser.close()

    # the quote is a sentence of a chunk, not the chunk
    from ragchat.kb import open_kb
    from ragchat.settings import Settings

    kb = open_kb(Settings.load(), "manuals")
    try:
        chunks = [one_line(c.text) for f in kb.files() for c in kb.chunks_of(f.path)]
    finally:
        kb.close()
    holding = [c for c in chunks if quote in c]
    assert holding, (quote, chunks)
    assert all(len(quote) < len(c) for c in holding), (quote, holding)

    log = log_path.read_text(errors="replace")
    # the parse helper of a two-file ingest did not re-run the app script
    assert "missing ScriptRunContext" not in log, log[-3000:]
    assert "Inotify" not in log and "Loading weights" not in log, log[-3000:]
