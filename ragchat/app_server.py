"""The chat app as a local server: `streamlit run streamlit_app.py` on a free 127.0.0.1 port, run
from the repository root (so .streamlit/config.toml applies). Used by the browser test
(tests/ui/test_browser.py), the app benchmark (bench/app_ingest.py) and the README's screenshots
(scripts/readme_outputs.py)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ragchat.errors import AppServerError

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
HOST = "127.0.0.1"
LOG_TAIL = 3000  # characters of the server log quoted in an AppServerError
STOP_SECONDS = 30  # after terminate(), how long to wait before kill()


@dataclass(frozen=True)
class AppServer:
    url: str  # http://127.0.0.1:<port>
    seconds_to_port: float  # from the launch until the port answered
    process: subprocess.Popen


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def run_app_server(
    env: Mapping[str, str],
    log_path: Path,
    *,
    timeout: float,
    app: Path = APP,
    stdin: int | None = None,
) -> Iterator[AppServer]:
    """`streamlit run <app>` (headless, no usage stats) on a free local port, from the app's
    folder, with exactly `env` as its environment and its output in `log_path` (a file, not a
    pipe nobody reads: a full pipe blocks). `stdin` as for subprocess.Popen (e.g.
    subprocess.DEVNULL). Yields once the port answers; raises AppServerError if the process
    ends first or the port does not answer within `timeout` seconds. The server is stopped on
    exit (terminated, killed if it is still running after STOP_SECONDS)."""
    port = free_port()
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(app),
                "--server.port",
                str(port),
                "--server.address",
                HOST,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=app.parent,
            env=dict(env),
            stdin=stdin,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        if not _port_answers(proc, port, timeout):
            code = proc.poll()
            why = (
                f"its port {port} did not answer within {timeout:g} s"
                if code is None
                else f"it exited with code {code}"
            )
            tail = log_path.read_text(errors="replace")[-LOG_TAIL:]
            raise AppServerError(f"streamlit did not start: {why}; {log_path} ends:\n{tail}")
        yield AppServer(f"http://{HOST}:{port}", time.perf_counter() - t0, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _port_answers(proc: subprocess.Popen, port: int, timeout: float) -> bool:
    """Whether the port answers within `timeout` seconds while the process runs."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.5)
    return False
