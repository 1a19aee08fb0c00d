"""One real browser test: `streamlit run` on a free local port, driven by Playwright on Debian's
Chromium. Uploads two PDFs and a broken one, asks a question and checks that a cited answer
appears above the input box; opens the citation and checks that the highlighted part of the page
is the cited evidence sentence, not its whole chunk; then reads the server log for helper
processes that re-ran the app. Screenshots go under the test's tmp_path, for debugging only: the
README's come from the real default models (scripts/readme_outputs.py), never from this fake.

Every step waits for the app to be idle (Streamlit's running indicator gone) and for its target
to be ready, with generous timeouts: on a busy 2-core machine a rerun can take many seconds."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import pdfgen

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STEP = 120_000  # ms for one UI step to settle
INGEST = 600_000  # ms for an ingest (embedding on a shared CPU)
ANSWER = 300_000  # ms for an answer, model loading included

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path, _data_home: Path):
    port = free_port()
    log_path = tmp_path / "streamlit.log"
    # The packaged 135M model rarely cites without the domain adapter, so the browser test
    # plugs in the fake generator through the documented `module:` generator setting.
    env = dict(
        os.environ,
        RAGCHAT_KB="manuals",
        PYTHONPATH=str(REPO),
        RAGCHAT_GENERATOR="module:tests.fakes:make_fake_generator",
    )
    with open(log_path, "w") as log:  # a file, not a pipe nobody reads: a full pipe blocks
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(REPO / "streamlit_app.py"),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    assert proc.poll() is None, log_path.read_text()
    yield f"http://127.0.0.1:{port}", log_path
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_idle(page, timeout: int = STEP) -> None:
    """Wait until the app has finished rerunning: the running indicator has come (if it was
    going to) and gone, and the app is connected."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    running = page.locator('[data-testid="stStatusWidget"]')
    # the rerun may be quick, or not started yet: the caller waits for its target too
    with contextlib.suppress(PlaywrightTimeout):
        running.first.wait_for(state="visible", timeout=1500)
    running.first.wait_for(state="hidden", timeout=timeout)
    page.locator('[data-testid="stApp"]').first.wait_for(state="visible", timeout=timeout)


def ready(locator, timeout: int = STEP):
    """The locator, once visible and enabled (not inert behind a rerun)."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible(timeout=timeout)
    expect(locator).to_be_enabled(timeout=timeout)
    return locator


def launch_chromium(pw):
    return pw.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )


def open_page_view(page, citation) -> None:
    """Open a citation's expander and its "Show the page" switch; wait for the page image."""
    from playwright.sync_api import expect

    ready(citation).click()
    wait_idle(page)
    switch = page.get_by_role("switch", name="Show the page").first
    for _ in range(6):  # a click that lands during a rerun can be dropped: retry until it holds
        if switch.is_checked():
            break
        label = page.get_by_text("Show the page").first
        if not label.is_visible():
            citation.click()
            wait_idle(page)
        ready(label).click()
        wait_idle(page)
    expect(switch).to_be_checked(timeout=STEP)
    expect(page.locator('[data-testid="stImage"] img').last).to_be_visible(timeout=STEP)
    expect(page.locator('[data-testid="stImageCaption"]').last).to_be_visible(timeout=STEP)
    wait_idle(page)


def one_line(text: str) -> str:
    return " ".join(text.split())


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
