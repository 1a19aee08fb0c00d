"""OpenAIGenerator against servers that misbehave: a scripted 'model server' in a thread produces
the protocol faults real servers rarely do on demand, and a socket that never answers times out.
Every fault must be one ModelError line naming the URL.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ragchat.errors import ModelError
from ragchat.generation import OpenAIGenerator
from tests.integration.serve_helpers import MESSAGES

pytestmark = pytest.mark.subprocess  # starts servers (in threads)


SCRIPTS: dict[str, tuple[int, str, bytes]] = {
    "oom": (500, "application/json", b'{"error": {"message": "CUDA out of\\n memory"}}'),
    "garbage": (200, "text/event-stream", b'data: {"choices": [{"delta": {"content": "a"\n\n'),
    "cut": (200, "text/event-stream", b'data: {"choices": [{"delta": {"content": "half"}}]}\n\n'),
    "mid-error": (
        200,
        "text/event-stream",
        b'data: {"choices": [{"delta": {"content": "x"}}]}\n\n'
        b'data: {"error": {"message": "engine died"}}\n\n',
    ),
    "no-choices": (200, "text/event-stream", b'data: {"object": "x"}\n\n'),
    # Liberal but valid: comments, CRLF, no space after "data:", usage-only chunk, no [DONE].
    "odd-but-ok": (
        200,
        "text/event-stream",
        b': keep-alive\r\n\r\ndata:{"choices": [{"delta": {"content": "Hel"}}]}\r\n\r\n'
        b'event: message\ndata: {"choices": [{"delta": {"content": "lo"}, "finish_reason": null}]}\n\n'
        b'data: {"choices": [{"delta": {}, "finish_reason": "stop"}]}\n\n'
        b'data: {"choices": [], "usage": {"prompt_tokens": 1}}\n\n',
    ),
    "json-instead": (
        200,
        "application/json",
        b'{"choices": [{"message": {"role": "assistant", "content": "whole. STOP here"}}]}',
    ),
}


@pytest.fixture(scope="module")
def scripted() -> Iterator[int]:
    """A misbehaving 'model server' in a thread: the script is chosen by the model name."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, ctype, payload = SCRIPTS[body["model"]]
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ("oom", r"HTTP 500, server error \(CUDA out of memory\)"),
        ("garbage", "malformed stream, an event is not JSON"),
        ("cut", r"stream ended before the answer was finished \(no \[DONE\]\)"),
        ("mid-error", r"failed mid-answer \(engine died\)"),
        ("no-choices", "malformed stream, an event has no choices"),
    ],
)
def test_protocol_faults_are_one_line_model_errors(scripted: int, script: str, said: str) -> None:
    gen = OpenAIGenerator(script, base_url=f"http://127.0.0.1:{scripted}/v1", timeout=5)
    with pytest.raises(ModelError, match=said) as err:
        list(gen.stream(MESSAGES, max_new_tokens=4))
    assert f"127.0.0.1:{scripted}/v1/chat/completions" in str(err.value)
    assert "\n" not in str(err.value)


def test_liberal_streams_and_non_streaming_replies_are_read(scripted: int) -> None:
    base = f"http://127.0.0.1:{scripted}/v1"
    assert list(OpenAIGenerator("odd-but-ok", base_url=base).stream(MESSAGES)) == ["Hel", "lo"]
    gen = OpenAIGenerator("json-instead", base_url=base)
    assert list(gen.stream(MESSAGES, stop=[" STOP"])) == ["whole."]


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        gen = OpenAIGenerator("m", base_url=f"http://127.0.0.1:{port}/v1", timeout=0.5)
        t0 = time.monotonic()
        with pytest.raises(
            ModelError, match=r"127\.0\.0\.1:\d+/v1/chat/completions: no response within 0\.5 s"
        ):
            list(gen.stream(MESSAGES, max_new_tokens=4))
        assert time.monotonic() - t0 < 5
