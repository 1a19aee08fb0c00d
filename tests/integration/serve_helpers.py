"""`ragchat serve` as a subprocess for tests: start it on a free port, wait for it, call it."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import MODEL_CACHE_HOME, REPO

KEY = "test-key-123"
MESSAGES = [
    {"role": "system", "content": "You answer questions."},
    {"role": "user", "content": "What is the boiler pressure?"},
]


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ragchat serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                status, _ = http_call(self.port, "GET", "/health")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"ragchat serve did not come up:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workdir: Path, generator: str, *args: str, api_key: str = "") -> Server:
    """`python -m ragchat serve` (the `ragchat serve` command) as a subprocess on a free port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGCHAT_")}
    env.update(
        RAGCHAT_HOME=str(workdir / "home"),
        RAGCHAT_MODELS_DIR=str(MODEL_CACHE_HOME / "models"),
        RAGCHAT_GENERATOR=generator,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONPATH=str(REPO),
    )
    if api_key:
        env["RAGCHAT_SERVE_API_KEY"] = api_key  # the option's environment variable
    log = workdir / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ragchat", "serve", "--port", str(port), *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(proc, port, log)


def http_call(
    port: int, method: str, path: str, body: bytes | None = None, key: str = ""
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw


def tiny_model_dir(directory: Path) -> Path:
    """A tiny random Llama whose generation_config suppresses tokens that do not decode to
    printable ASCII, so its (meaningless) text is stable under re-encoding and string ops."""
    from transformers import AutoTokenizer

    from tests.tiny_models import tiny_llama

    tiny_llama(directory)
    tok = AutoTokenizer.from_pretrained(directory)

    def printable(i: int) -> bool:
        text = tok.decode([i])
        return bool(text) and all(32 <= ord(c) < 127 for c in text)

    bad = [i for i in range(len(tok)) if i != tok.eos_token_id and not printable(i)]
    path = directory / "generation_config.json"
    config = json.loads(path.read_text())
    config["suppress_tokens"] = bad
    path.write_text(json.dumps(config))
    return directory
