"""Playwright helpers for driving the chat app in Debian's Chromium, shared by the browser test
(tests/ui/test_browser.py), the app benchmark (bench/app_ingest.py) and the README's screenshots
(scripts/readme_outputs.py). The app server itself is ragchat.app_server.run_app_server.

Every step waits for the app to be idle (Streamlit's running indicator gone) and for its target
to be ready, with generous timeouts: on a busy 2-core machine a rerun can take many seconds."""

from __future__ import annotations

import contextlib
import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STEP = 120_000  # ms for one UI step to settle


def wait_idle(page, timeout: int = STEP, appear_ms: int = 1500) -> None:
    """Wait until the app has finished rerunning: the running indicator has come (if it was
    going to, within `appear_ms`; 0 when the caller knows the rerun has started) and gone, and
    the app is connected."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    running = page.locator('[data-testid="stStatusWidget"]')
    # the rerun may be quick, or not started yet: the caller waits for its target too
    if appear_ms:
        with contextlib.suppress(PlaywrightTimeout):
            running.first.wait_for(state="visible", timeout=appear_ms)
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
