"""Regenerate the README's example outputs from the real default pipeline.

    python scripts/readme_outputs.py [--models-dir DIR] [--keep-home]

In a temporary data home (RAGCHAT_HOME; converted models are reused from RAGCHAT_MODELS_DIR,
by default ~/.ragchat/models), with every other RAGCHAT_* setting removed so that the packaged
default embedder and answering model are used:

1. `ragchat-ingest add samples --kb samples`;
2. each question in QUESTIONS through the real CLI, `ragchat ask "<q>" --kb samples` (its exact
   output) and `--json` (for a one-line note) -> docs/examples.md;
3. `streamlit run streamlit_app.py` on a free local port, driven by Playwright on Chromium: ask
   "Who killed King Harold II?", screenshot the answer with its citations
   (docs/screenshots/chat.png), open the first citation's page view, screenshot the page with the
   cited sentence highlighted (docs/screenshots/page.png).

Nothing here uses the tests' fake generator; the browser helpers (tests/ui/browser_helpers.py)
and the app server (ragchat/app_server.py) are those of tests/ui/test_browser.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ragchat.app_server import run_app_server  # noqa: E402
from ragchat.errors import AppServerError  # noqa: E402
from tests.ui import browser_helpers as ui  # noqa: E402

KB = "samples"
QUESTIONS = (
    "Who killed King Harold II?",
    "When did the Normans conquer England?",
    "Who founded the Principality of Antioch?",
    "What was Apple's total net sales for the three months ended June 25, 2022?",
    "What was Apple's net income for the three months ended June 25, 2022?",
    "广茂铁路全长多少公里？",
    "《战国无双3》是由哪两个公司合作开发的？",
    "中国的首都是哪里？",
    "What is this document about?",
    "What does the Apple 10-Q say about share repurchases?",
    "How much did Apple spend on R&D in the three months ended June 25, 2022?",
    "大莱龙铁路是哪一年全线铺通的？",
    "What is the capital of France?",
    "How much term debt did Apple have?",
    "楼曾瑞是谁？",
    "What were Apple's total liabilities as of June 25, 2022?",
    "Who was the first Duke of Normandy?",
    "锣鼓点是什么？",
    "What characterised Norman architecture?",
    "Where is Apple's principal executive office?",
    "What were Apple iPad net sales in the third quarter of 2022?",
)
APP_QUESTION = QUESTIONS[0]
EXAMPLES = REPO / "docs" / "examples.md"
SHOTS = REPO / "docs" / "screenshots"
ANSWER = 900_000  # ms: the first answer in the app loads the models on a shared CPU
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def clean_env(home: Path, models_dir: Path) -> None:
    """This process's environment (inherited by every command it runs): a fresh data home, the
    shared model cache, and no other RAGCHAT_* override, so every setting is the default."""
    for key in [k for k in os.environ if k.startswith("RAGCHAT_")]:
        del os.environ[key]
    os.environ["RAGCHAT_HOME"] = str(home)
    os.environ["RAGCHAT_MODELS_DIR"] = str(models_dir)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def run(
    cmd: list[str], *, capture: bool = True, merge: bool = False, timeout: float = 3600
) -> subprocess.CompletedProcess:
    """Run a command from the repository root; `merge` puts its stderr into its stdout, as a
    terminal shows them."""
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.run(
        cmd,
        cwd=REPO,
        stdout=subprocess.PIPE if capture else None,
        stderr=(subprocess.STDOUT if merge else subprocess.PIPE) if capture else None,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        out = (proc.stderr or "") + ("" if not merge else proc.stdout or "")
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{out}")
    return proc


def commit() -> str:
    """The checked-out commit, marked when the code that answers has local changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "ragchat", "ingestion", "streamlit_app.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (head or "unknown") + (" with local changes" if dirty else "")


def shell_quote(q: str) -> str:
    return '"' + q.replace("\\", "\\\\").replace('"', '\\"') + '"'


def note(result: dict) -> str:
    """One line about an answer, from `ragchat ask --json`."""
    t = result.get("timings", {})
    times = []
    if "first_token" in t:
        times.append(f"first token {t['first_token']:.1f} s")
    if "total" in t:
        times.append(f"total {t['total']:.1f} s")
    timing = ", ".join(times) or "no timings"
    if result["refused"]:
        return f"Refused, nothing cited; coverage gate score {result['gate_score']:.2f}; {timing}."
    places = sorted({(c["file"], c["page"]) for c in result["citations"]})
    cited = "; ".join(f"{f}, page {p}" for f, p in places) or "nothing"
    said, drafted = _words(result["answer"]), _words(result.get("draft") or "")
    if not result["fallback"] and not drafted and not result.get("evidence"):
        kind = "the documents listed from the knowledge base's records, no model asked"
    elif result["fallback"]:
        kind = "fallback (the model's draft could not be shown as it stood; the best evidence sentence is quoted)"
    elif drafted and drafted not in said:  # an answer rule replaced it (README: How it works)
        kind = f"the model drafted “{result['draft'].strip()}”; the answer checks replaced it"
    else:
        kind = "the model's own answer, verified against the evidence"
    return f"Not refused; {kind}. Cites {cited}; {timing}."


def _words(text: str) -> str:
    """The text without [n] markers, lower-cased, spaces collapsed: for "did the draft stand?"."""
    return " ".join(re.sub(r"\[\d+\]", " ", text).lower().rstrip(" .").split())


def write_examples(generator: str, embedder: str) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    parts = [
        "# Example outputs",
        "",
        f"Generated by `python scripts/readme_outputs.py` on {dt.date.today().isoformat()}"
        f" (commit {commit()}), with"
        f" the default models: answering model `{generator}`, embedder `{embedder}`. The"
        f" knowledge base is the bundled `samples/` folder (`ragchat-ingest add samples --kb"
        f" {KB}`) in a fresh data home. Each block is the exact terminal output of the command;"
        " the note under it comes from the same question asked with `--json`. Timings are from"
        f" this run ({os.cpu_count()} CPU cores, {platform.machine()}, no GPU, load average"
        f" {load} at the end of the run; each command loads its models).",
        "",
    ]
    for q in QUESTIONS:
        shown = run([tool("ragchat"), "ask", q, "--kb", KB], merge=True).stdout
        result = json.loads(run([tool("ragchat"), "ask", q, "--kb", KB, "--json"]).stdout)
        first = shown.split("\n\nSources:")[0].strip()
        same = first == result["answer"].strip() or (
            result["refused"] and first.startswith(result["answer"].strip())
        )
        parts += [
            f"## {q}",
            "",
            "```console",
            f"$ ragchat ask {shell_quote(q)} --kb {KB}",
            shown.rstrip("\n"),
            "```",
            "",
            note(result)
            + (
                "" if same else " (The `--json` run answered differently: " + result["answer"] + ")"
            ),
            "",
        ]
        print(shown, file=sys.stderr, flush=True)
    EXAMPLES.write_text("\n".join(parts).rstrip("\n") + "\n", encoding="utf-8")
    print(f"wrote {EXAMPLES.relative_to(REPO)}", file=sys.stderr)


def screenshots(home: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not Path(ui.CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {ui.CHROMIUM}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_path = home / "streamlit.log"
    env = dict(os.environ, RAGCHAT_KB=KB, PYTHONPATH=str(REPO))
    with run_app_server(env, log_path, timeout=300) as server, sync_playwright() as pw:
        browser = ui.launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.set_default_timeout(ui.STEP)
            expect.set_options(timeout=ui.STEP)
            page.goto(server.url, timeout=ui.STEP)
            expect(page.get_by_text("Knowledge base", exact=True)).to_be_visible(timeout=ui.STEP)
            ui.wait_idle(page)
            holds = page.get_by_text(f"{KB} holds")  # the chat's first screen names the KB
            if not holds.is_visible():  # another KB is selected: pick ours in the sidebar
                select = page.locator('[data-testid="stSelectbox"]').filter(has_text="Knowledge")
                ui.ready(select.first).click()
                ui.ready(page.get_by_role("option", name=KB, exact=True)).click()
                ui.wait_idle(page)
            expect(holds).to_be_visible(timeout=ui.STEP)

            box = ui.ready(page.get_by_placeholder("Ask your documents…"))
            box.fill(APP_QUESTION)
            box.press("Enter")
            messages = page.locator('[data-testid="stChatMessage"]')
            citation = messages.last.locator('[data-testid="stExpander"] summary').filter(
                has_text=re.compile(r"\[\d+\] \S.*(, page \d+| 第 \d+ 页)")
            )
            refusal = messages.last.locator('[data-testid="stAlertContentWarning"]')
            expect(citation.first.or_(refusal.first)).to_be_visible(timeout=ANSWER)
            ui.wait_idle(page, timeout=ANSWER)
            if refusal.count():
                raise SystemExit(f"the app refused {APP_QUESTION!r}: {refusal.first.inner_text()}")
            answer = ui.one_line(
                messages.last.locator('[data-testid="stMarkdownContainer"]').first.inner_text()
            )
            print(f"app answer: {answer}", file=sys.stderr)
            page.screenshot(path=str(SHOTS / "chat.png"))

            ui.open_page_view(page, citation.first)
            caption = page.locator('[data-testid="stImageCaption"]').last
            text = ui.one_line(caption.inner_text())
            print(f"page caption: {text}", file=sys.stderr)
            if "highlighted: “" not in text:
                raise SystemExit(f"the page caption names no highlighted sentence: {text}")
            # the cited turn with its page, whole: a viewport tall enough to hold it
            turn = messages.last
            height = (turn.bounding_box() or {"height": 1000})["height"]
            page.set_viewport_size({"width": 1300, "height": int(height) + 600})
            ui.wait_idle(page)
            turn.scroll_into_view_if_needed()
            expect(caption).to_be_visible()
            box_ = turn.bounding_box()
            assert box_ is not None
            x, y = max(box_["x"] - 16, 0), max(box_["y"] - 16, 0)
            clip = {"x": x, "y": y, "width": box_["width"] + 32, "height": box_["height"] + 32}
            page.screenshot(path=str(SHOTS / "page.png"), clip=clip)
        finally:
            browser.close()
    log = log_path.read_text(errors="replace")
    if "Traceback" in log:
        print(log[-3000:], file=sys.stderr)
    print(f"wrote {SHOTS.relative_to(REPO)}/chat.png and page.png", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=Path.home() / ".ragchat" / "models",
        help="converted-model cache to reuse (default ~/.ragchat/models)",
    )
    parser.add_argument("--keep-home", action="store_true", help="keep the temporary data home")
    parser.add_argument("--skip-examples", action="store_true", help="no docs/examples.md")
    parser.add_argument("--skip-screenshots", action="store_true", help="no screenshots")
    args = parser.parse_args(argv)
    for toml in (REPO / "ragchat.toml",):
        if toml.exists():
            raise SystemExit(f"{toml} would override the defaults; move it away first")

    home = Path(tempfile.mkdtemp(prefix="ragchat-readme-"))
    args.models_dir.mkdir(parents=True, exist_ok=True)
    clean_env(home, args.models_dir.resolve())
    try:
        from ragchat.settings import Settings

        settings = Settings.load()
        print(
            f"data home {home}; models {args.models_dir}; generator {settings.generator}",
            file=sys.stderr,
        )
        run([tool("ragchat-ingest"), "add", "samples", "--kb", KB], capture=False)
        if not args.skip_examples:
            write_examples(settings.generator, settings.embedder)
        if not args.skip_screenshots:
            try:
                screenshots(home)
            except AppServerError as e:  # a message, as for every other failure here
                raise SystemExit(str(e)) from None
    finally:
        if args.keep_home:
            print(f"kept the data home {home}", file=sys.stderr)
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
