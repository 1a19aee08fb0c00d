"""App vs CLI ingest: the same PDFs through `ragchat-ingest add` and through the Streamlit app.

    python -m bench.app_ingest                      # samples/wiki-normans.pdf + baike-zh-00.pdf
    python -m bench.app_ingest --repeat 3
    python -m bench.app_ingest --pdfs a.pdf b.pdf

Measured in one run, each in a fresh data home (converted models are shared through
RAGCHAT_MODELS_DIR, default ~/.ragchat/models, so no conversion is timed):

- CLI: `ragchat-ingest add <pdfs> --kb cli --json` as a fresh process — wall time, and the
  `seconds` field of its JSON (the ingest itself, without interpreter start and imports);
- app: `streamlit run streamlit_app.py` on a free 127.0.0.1 port, driven by Playwright on
  Debian's Chromium: create the KB, upload the PDFs, then time from the click on
  "Ingest n file(s)" until the "Last upload: …" box is shown and the app is idle (Streamlit's
  running indicator gone). The app loads the embedder when the KB is opened, before the click,
  so that load is not in the app's time (it is in the CLI's wall time). Also counted: lines with
  "missing ScriptRunContext" in the server log (a spawned helper that re-ran the app script).

Each side runs --repeat times, alternating which goes first; medians are reported. Prints one
JSON object and a markdown table; writes docs/results/app_ingest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ragchat.app_server import run_app_server
from ragchat.errors import AppServerError
from tests.ui.browser_helpers import CHROMIUM, launch_chromium, ready, wait_idle

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PDFS = [REPO / "samples" / "wiki-normans.pdf", REPO / "samples" / "baike-zh-00.pdf"]
OUT = REPO / "docs" / "results" / "app_ingest.json"
MODELS_DIR = Path(os.environ.get("RAGCHAT_MODELS_DIR", "~/.ragchat/models")).expanduser()
STEP = 300_000  # ms for one UI step on a busy 2-core machine (the KB's first open loads a model)
INGEST = 1_800_000  # ms for the ingest itself
SERVER_START_S = 300
CONTEXT_WARNING = "missing ScriptRunContext"


def env_for(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without its RAGCHAT_* settings, with a fresh data home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGCHAT_")}
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env.update(
        PYTHONPATH=str(REPO),
        RAGCHAT_HOME=str(home),
        RAGCHAT_MODELS_DIR=str(MODELS_DIR),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        **extra,
    )
    return env


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


# ---------------------------------------------------------------- CLI


def ingest_cli() -> list[str]:
    script = Path(sys.executable).parent / "ragchat-ingest"
    if script.exists():
        return [str(script)]
    found = shutil.which("ragchat-ingest")
    return [found] if found else [sys.executable, "-m", "ingestion.cli"]


def run_cli(files: list[Path], home: Path) -> dict[str, Any]:
    load = load_average()
    cmd = [*ingest_cli(), "add", *map(str, files), "--kb", "cli", "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=REPO,
        env=env_for(home),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"ragchat-ingest failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report = json.loads(lines[-1])
    return {
        "wall_s": round(wall, 2),
        "seconds_field": report["seconds"],
        "added": report["added"],
        "failed": len(report["failed"]),
        "pages": report["pages_parsed"],
        "chunks": report["chunks_total"],
        "timings": report["timings"],  # the embedder's load is inside `seconds`, not a timing
        "load_average_before": load,
    }


# ---------------------------------------------------------------- app (as in tests/ui/test_browser.py)


def run_app(files: list[Path], home: Path, log_path: Path) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    env = env_for(home, RAGCHAT_KB="app")
    with (
        run_app_server(env, log_path, timeout=SERVER_START_S, stdin=subprocess.DEVNULL) as server,
        sync_playwright() as pw,
    ):
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.set_default_timeout(STEP)
            expect.set_options(timeout=STEP)
            t0 = time.perf_counter()
            page.goto(server.url, timeout=STEP)
            expect(page.get_by_text("New knowledge base")).to_be_visible()
            wait_idle(page, STEP)

            # create the KB (opening it loads the embedder: not in the ingest's time)
            name = page.get_by_label("Name")
            if not name.is_visible():  # the expander is open only when there is no KB yet
                page.get_by_text("New knowledge base").click()
            ready(name).fill("app")
            name.press("Enter")
            wait_idle(page, STEP)
            ready(page.get_by_role("button", name="Create")).click()
            documents = ready(page.get_by_role("tab", name="Documents"))
            wait_idle(page, STEP)
            kb_s = time.perf_counter() - t0

            # upload: the browser sends the files, the app reruns and offers the button
            documents.click()
            wait_idle(page, STEP)
            t0 = time.perf_counter()
            page.locator("input[type=file]").set_input_files([str(f) for f in files])
            ingest = ready(page.get_by_role("button", name=f"Ingest {len(files)} file(s)"))
            wait_idle(page, STEP)
            upload_s = time.perf_counter() - t0

            # the measured part: click -> "Last upload: …" box -> idle
            load = load_average()
            t0 = time.perf_counter()
            ingest.click()
            box = page.locator('[data-testid^="stAlertContent"]').filter(has_text="Last upload")
            expect(box.first).to_be_visible(timeout=INGEST)
            box_s = time.perf_counter() - t0
            wait_idle(page, timeout=INGEST, appear_ms=0)  # the box is drawn by the rerun
            idle_s = time.perf_counter() - t0

            kind = box.first.get_attribute("data-testid") or ""
            outcome = " ".join(box.first.inner_text().split())
            panel = page.get_by_role("tabpanel", name="Documents")
            counts = panel.get_by_text(re.compile(r"\d+ files · \d+ pages · \d+ chunks")).first
            m = re.search(r"(\d+) files · (\d+) pages · (\d+) chunks", counts.inner_text())
        finally:
            browser.close()
    log = log_path.read_text(errors="replace")
    return {
        "click_to_idle_s": round(idle_s, 2),
        "click_to_box_s": round(box_s, 2),
        "state": kind.removeprefix("stAlertContent").lower(),
        "outcome": outcome,
        "files": int(m.group(1)) if m else None,
        "pages": int(m.group(2)) if m else None,
        "chunks": int(m.group(3)) if m else None,
        "server_start_s": round(server.seconds_to_port, 2),
        "open_and_create_kb_s": round(kb_s, 2),
        "upload_s": round(upload_s, 2),
        "script_run_context_lines": sum(CONTEXT_WARNING in line for line in log.splitlines()),
        "log_lines": len(log.splitlines()),
        "load_average_before": load,
    }


# ---------------------------------------------------------------- report


def median(runs: list[dict[str, Any]], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 2)


def summarize(cli: list[dict[str, Any]], app: list[dict[str, Any]]) -> dict[str, Any]:
    cli_wall, cli_field = median(cli, "wall_s"), median(cli, "seconds_field")
    app_idle = median(app, "click_to_idle_s")
    return {
        "cli": {
            "wall_s": cli_wall,
            "seconds_field": cli_field,
            "runs": cli,
        },
        "app": {
            "click_to_idle_s": app_idle,
            "click_to_box_s": median(app, "click_to_box_s"),
            "script_run_context_lines": sum(r["script_run_context_lines"] for r in app),
            "runs": app,
        },
        "ratio_app_to_cli_wall": round(app_idle / cli_wall, 2),
        "ratio_app_to_cli_seconds_field": round(app_idle / cli_field, 2),
    }


def table(results: dict[str, Any]) -> str:
    cli, app = results["cli"], results["app"]

    def runs(rs: list[dict[str, Any]], key: str) -> str:
        return ", ".join(f"{r[key]:.1f}" for r in rs)

    return "\n".join(
        [
            "| CLI wall (s) | CLI `seconds` (s) | app, click → result, idle (s) | ratio app/CLI"
            ' | "missing ScriptRunContext" lines |',
            "|---:|---:|---:|---:|---:|",
            f"| {cli['wall_s']:.1f} ({runs(cli['runs'], 'wall_s')})"
            f" | {cli['seconds_field']:.1f} ({runs(cli['runs'], 'seconds_field')})"
            f" | {app['click_to_idle_s']:.1f} ({runs(app['runs'], 'click_to_idle_s')})"
            f" | {results['ratio_app_to_cli_wall']:.2f}"
            f" | {app['script_run_context_lines']} |",
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--pdfs", type=Path, nargs="+", default=DEFAULT_PDFS)
    ap.add_argument("--repeat", type=int, default=2, help="Runs of each side (median).")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--keep", action="store_true", help="Keep the data homes and server logs.")
    args = ap.parse_args()
    files = [p.resolve() for p in args.pdfs]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise SystemExit(f"no such PDF: {', '.join(missing)}")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}")

    results: dict[str, Any] = {
        "pdfs": [str(p.relative_to(REPO)) if p.is_relative_to(REPO) else str(p) for p in files],
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    tmp = Path(tempfile.mkdtemp(prefix="ragchat-app-ingest-"))
    cli: list[dict[str, Any]] = []
    app: list[dict[str, Any]] = []
    order: list[str] = []
    try:
        for i in range(args.repeat):
            for side in ("cli", "app") if i % 2 == 0 else ("app", "cli"):
                print(f"[{i + 1}/{args.repeat}] {side}", file=sys.stderr, flush=True)
                order.append(side)
                if side == "cli":
                    r = run_cli(files, tmp / f"home-cli-{i}")
                    cli.append({"run": i + 1, **r})
                else:
                    try:
                        r = run_app(files, tmp / f"home-app-{i}", tmp / f"streamlit-{i}.log")
                    except AppServerError as e:  # a message, as for a failed CLI run
                        raise SystemExit(str(e)) from None
                    app.append({"run": i + 1, **r})
                print(f"    {json.dumps(r, ensure_ascii=False)}", file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"data homes and logs kept under {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results["order"] = order
    results.update(summarize(cli, app))
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, ensure_ascii=False))
    print(table(results))


if __name__ == "__main__":
    main()
