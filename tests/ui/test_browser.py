"""Real browser tests: `streamlit run` on a free local port, driven by Playwright on Debian's
Chromium (Playwright's own browser download is not reachable offline).

1. Create a KB, upload a PDF, ask, see a cited answer, open the citation and see the highlighted
   page; saves docs/screenshots/chat.png and page.png. The packaged 135M model rarely cites
   without the domain adapter, so this one plugs the fake generator in through the documented
   `module:` generator setting (RAGCHAT_GENERATOR=module:tests.fakes:make_fake_generator).
2. The real packaged generator answers a question in the page (cited or not), with no error.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import pdfgen

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO / "docs" / "screenshots"
FAKE = "module:tests.fakes:make_fake_generator"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def start_app(tmp_path: Path, _data_home: Path) -> Iterator[Callable[..., str]]:
    """Start `streamlit run streamlit_app.py` with the given environment; returns its URL."""
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(**env_extra: str) -> str:
        port = free_port()
        log = tmp_path / f"streamlit-{port}.log"
        env = dict(os.environ, PYTHONPATH=str(REPO), RAGCHAT_KB="manuals", **env_extra)
        cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py")]
        cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
        cmd += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        procs.append((proc, log))
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return url
            except OSError:
                time.sleep(0.5)
            if proc.poll() is not None:
                break
        pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')[-3000:]}")

    yield start
    for proc, log in procs:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        text = log.read_text(errors="replace")
        assert "Uncaught app exception" not in text, text[-3000:]


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_upload_ask_and_open_the_cited_page(start_app, browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    url = start_app(RAGCHAT_GENERATOR=FAKE)
    pdf = pdfgen.structured(tmp_path / "boiler-manual.pdf")
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    # no KB yet: the "New knowledge base" expander is open
    name = page.get_by_label("Name")
    expect(name).to_be_visible(timeout=60_000)
    name.fill("manuals")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("📚 manuals")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Documents").click()
    page.locator("input[type=file]").set_input_files(str(pdf))
    page.get_by_role("button", name="Ingest 1 file(s)").click()
    expect(page.get_by_text("1 added")).to_be_visible(timeout=180_000)
    expect(page.get_by_text("boiler-manual.pdf").first).to_be_visible()
    page.get_by_role("tab", name="Chat").click()
    box = page.get_by_placeholder("Ask your documents…")
    box.fill("What is the operating pressure of the boiler?")
    box.press("Enter")
    citation = page.get_by_text("[1] boiler-manual.pdf, page 1").first
    expect(citation).to_be_visible(timeout=240_000)
    expect(page.get_by_text("The operating pressure is 3 bar").first).to_be_attached()
    citation.click()  # the expander opens on the quoted passage
    expect(page.get_by_text("Show the page").first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)
    page.get_by_text("Show the page").first.click()
    image = page.locator('[data-testid="stImage"] img').first
    expect(image).to_be_visible(timeout=60_000)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 500", arg=image.element_handle()
    )
    image.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "page.png"), full_page=True)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def test_real_packaged_generator_answers_in_the_page(start_app, browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from ingestion.index import Ingestor
    from ragchat.embedder import load_embedder
    from ragchat.settings import Settings
    from ragchat.store import KnowledgeBase

    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(
        settings.kb_root, "manuals", embedder=emb.name, dim=emb.dim, create=True
    )
    Ingestor(kb, settings, emb).ingest([pdfgen.structured(tmp_path / "boiler-manual.pdf")])
    kb.close()
    url = start_app()  # the configured default: the packaged SmolLM2
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    box = page.get_by_placeholder("Ask your documents…")
    expect(box).to_be_visible(timeout=60_000)
    box.fill("What is the operating pressure of the boiler?")
    box.press("Enter")
    reply = page.locator('[data-testid="stChatMessage"]').nth(1)
    expect(reply).to_contain_text("pressure", timeout=300_000)
    page.wait_for_timeout(1000)  # let the stream finish and the final answer replace it
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)
