"""The OpenAI-compatible backend against real `ragchat serve` processes on 127.0.0.1.

Two servers run for the module: one over a tiny random Llama saved to disk (a real transformers
generator: greedy, deterministic, honours max_tokens and stop on the server side) and one over
the fake generator (which ignores stop sequences, so the client's own cut is visible). A third,
scripted server in a thread produces the protocol faults real servers rarely do on demand.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ragchat.errors import ConfigError, ModelError
from ragchat.generate import load_generator
from ragchat.generate_openai import OpenAIGenerator, estimate_tokens
from ragchat.settings import Settings
from tests.conftest import MODEL_CACHE_HOME, REPO

KEY = "test-key-123"
MESSAGES = [
    {"role": "system", "content": "You answer questions."},
    {"role": "user", "content": "What is the boiler pressure?"},
]


# ---------------------------------------------------------------------- real server processes
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
    """`python -m ragchat.serve` (the `ragchat serve` command) as a subprocess on a free port."""
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
            [sys.executable, "-m", "ragchat.serve", "--port", str(port), *args],
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


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    work = tmp_path_factory.mktemp("serve")
    tiny = tiny_model_dir(work / "tinyllama")
    started = {
        "fake": start_server(work, "module:tests.fakes:make_fake_generator"),
        "tiny": start_server(work, str(tiny), api_key=KEY),
    }
    try:
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


@pytest.fixture
def tiny(servers: dict[str, Server]) -> OpenAIGenerator:
    return OpenAIGenerator("tinyllama", base_url=servers["tiny"].url, api_key=KEY, timeout=30)


@pytest.fixture
def fake(servers: dict[str, Server]) -> OpenAIGenerator:
    return OpenAIGenerator("fake", base_url=servers["fake"].url, timeout=30)


# ---------------------------------------------------------------------- streaming and options
def test_stream_pieces_concatenate_to_the_non_streaming_answer(tiny: OpenAIGenerator) -> None:
    full = tiny.complete(MESSAGES, max_new_tokens=24, temperature=0.0)
    pieces = list(tiny.stream(MESSAGES, max_new_tokens=24, temperature=0.0))
    assert full.strip() and len(pieces) > 1
    assert "".join(pieces) == full


def test_server_side_stop_sequence_cuts_the_answer(
    servers: dict[str, Server], tiny: OpenAIGenerator
) -> None:
    full = tiny.complete(MESSAGES, max_new_tokens=24)
    stop = next(full[i : i + 2] for i in range(len(full) // 2, len(full)) if full[i] != " ")
    expected = full[: full.find(stop)]
    assert expected != full
    assert tiny.complete(MESSAGES, max_new_tokens=24, stop=[stop]) == expected
    assert "".join(tiny.stream(MESSAGES, max_new_tokens=24, stop=[stop])) == expected
    body = {"messages": MESSAGES, "max_tokens": 24, "temperature": 0, "stop": stop}
    status, data = http_call(
        servers["tiny"].port, "POST", "/v1/chat/completions", json.dumps(body).encode(), KEY
    )  # the server's own cut
    assert status == 200 and data["choices"][0]["message"]["content"] == expected


def test_max_tokens_limits_the_answer(servers: dict[str, Server], tiny: OpenAIGenerator) -> None:
    long = tiny.complete(MESSAGES, max_new_tokens=24)
    short = tiny.complete(MESSAGES, max_new_tokens=3)
    assert short and len(short) < len(long) and long.startswith(short)
    body = json.dumps({"messages": MESSAGES, "max_tokens": 3, "temperature": 0}).encode()
    status, data = http_call(servers["tiny"].port, "POST", "/v1/chat/completions", body, KEY)
    assert status == 200 and data["object"] == "chat.completion"
    assert data["choices"][0]["message"]["content"] == short
    assert data["choices"][0]["finish_reason"] == "length"
    assert 1 <= data["usage"]["completion_tokens"] <= 3 and data["usage"]["prompt_tokens"] > 10


def test_client_cuts_stops_the_server_ignores_and_beyond_four(fake: OpenAIGenerator) -> None:
    msgs = [
        {
            "role": "user",
            "content": '<source id="1" file="a.pdf">\nValves open at 3 bar.\n</source>',
        }
    ]
    assert fake.complete(msgs) == "Valves open at 3 bar. [1] "
    stops = ["zz1", "zz2", "zz3", "zz4", "[1]"]  # only four are sent; the fifth is cut here
    assert "".join(fake.stream(msgs, stop=stops)) == "Valves open at 3 bar. "
    assert fake.complete(msgs, stop=stops) == "Valves open at 3 bar. "
    assert "".join(fake.stream(msgs, stop=["open"])) == "Valves "


def test_sse_wire_format_and_usage(servers: dict[str, Server]) -> None:
    body = {
        "model": "tinyllama",
        "messages": MESSAGES,
        "max_tokens": 8,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    conn = http.client.HTTPConnection("127.0.0.1", servers["tiny"].port, timeout=30)
    conn.request(
        "POST",
        "/v1/chat/completions",
        json.dumps(body),
        {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
    )
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/event-stream")
    events = [ln[6:] for ln in resp.read().decode().split("\n\n") if ln.startswith("data: ")]
    conn.close()
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] in {"length", "stop"}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] >= 1


def test_concurrent_requests_queue_and_all_complete(tiny: OpenAIGenerator) -> None:
    expected = tiny.complete(MESSAGES, max_new_tokens=16)
    results: list[str] = []

    def ask() -> None:
        results.append("".join(tiny.stream(MESSAGES, max_new_tokens=16)))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [expected] * 3


# ---------------------------------------------------------------------- errors
def test_wrong_port_is_one_line_naming_the_url() -> None:
    port = free_port()
    gen = OpenAIGenerator("m", base_url=f"http://127.0.0.1:{port}/v1", timeout=5)
    with pytest.raises(ModelError) as err:
        list(gen.stream(MESSAGES, max_new_tokens=4))
    message = str(err.value)
    assert f"http://127.0.0.1:{port}/v1/chat/completions" in message
    assert "connection refused" in message and "\n" not in message


def test_wrong_or_missing_api_key_is_a_401_with_the_servers_message(
    servers: dict[str, Server],
) -> None:
    for key, said in (("wrong", "incorrect API key"), ("", "missing API key")):
        gen = OpenAIGenerator("tinyllama", base_url=servers["tiny"].url, api_key=key)
        with pytest.raises(ModelError, match="HTTP 401") as err:
            gen.complete(MESSAGES, max_new_tokens=4)
        assert said in str(err.value) and "wrong" not in str(err.value)
    status, data = http_call(servers["tiny"].port, "GET", "/v1/models")
    assert status == 401 and data["error"]["code"] == "invalid_api_key"


def test_unknown_model_is_named(servers: dict[str, Server]) -> None:
    gen = OpenAIGenerator("no-such-model", base_url=servers["tiny"].url, api_key=KEY)
    with pytest.raises(ModelError, match=r"model 'no-such-model' not found .*tinyllama"):
        list(gen.stream(MESSAGES, max_new_tokens=4))
    assert OpenAIGenerator("x", base_url=servers["tiny"].url, api_key=KEY).list_models() == [
        "tinyllama"
    ]


@pytest.mark.parametrize(
    ("body", "param", "said"),
    [
        (b"{not json", None, "not valid JSON"),
        (b"[1, 2]", None, "JSON object"),
        (b'{"messages": []}', "messages", "non-empty"),
        (b'{"messages": [{"role": "wizard", "content": "hi"}]}', "messages[0].role", "role"),
        (
            b'{"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}',
            "temperature",
            "number",
        ),
        (
            b'{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}',
            "max_tokens",
            ">= 1",
        ),
        (b'{"messages": [{"role": "user", "content": "hi"}], "stop": [1]}', "stop", "strings"),
        (b'{"messages": [{"role": "user", "content": "hi"}], "n": 2}', "n", "n=1"),
    ],
)
def test_bad_requests_get_400_with_an_openai_error(
    servers: dict[str, Server], body: bytes, param: str | None, said: str
) -> None:
    status, data = http_call(servers["tiny"].port, "POST", "/v1/chat/completions", body, KEY)
    assert status == 400
    assert data["error"]["type"] == "invalid_request_error" and data["error"]["param"] == param
    assert said in data["error"]["message"]


def test_prompt_longer_than_the_context_is_a_clear_error(tiny: OpenAIGenerator) -> None:
    long = [{"role": "user", "content": "pressure " * 3000}]
    with pytest.raises(ModelError, match=r"HTTP 400 \(this model's context is 2048 tokens"):
        tiny.complete(long, max_new_tokens=8)


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


# ---------------------------------------------------------------------- settings and the pipeline
def test_settings_select_the_backend_and_keep_the_key_secret(tmp_path: Path) -> None:
    env = {
        "RAGCHAT_GENERATOR": "openai:served-by-vllm",
        "RAGCHAT_OPENAI_BASE_URL": "http://10.1.2.3:9000/v1/",
        "RAGCHAT_OPENAI_TIMEOUT": "7.5",
        "OPENAI_API_KEY": "sk-fallback",
    }
    settings = Settings.load(env=env, toml_path=tmp_path / "none.toml")
    assert settings.openai_api_key == "sk-fallback"
    assert "sk-" not in repr(settings)
    assert dict((n, v) for n, v, _ in settings.describe())["openai_api_key"] == "***"
    gen = load_generator(settings, adapter=tmp_path)  # a local adapter is not loaded
    assert isinstance(gen, OpenAIGenerator) and gen.model == "served-by-vllm"
    assert gen.base_url == "http://10.1.2.3:9000/v1" and gen.timeout == 7.5
    assert "sk-" not in repr(gen)
    ours = Settings.load(env={**env, "RAGCHAT_OPENAI_API_KEY": "rk-own"}, toml_path=tmp_path / "x")
    assert ours.openai_api_key == "rk-own"
    toml = tmp_path / "ragchat.toml"
    toml.write_text('openai_api_key = "sk-in-a-file"\n')
    with pytest.raises(ConfigError, match="environment only"):
        Settings.load(env={}, toml_path=toml)
    with pytest.raises(ConfigError, match="openai_base_url"):
        Settings.load(
            env={"RAGCHAT_OPENAI_BASE_URL": "localhost:8000"}, toml_path=toml.with_name("x")
        )


def test_token_estimate_is_conservative() -> None:
    # SmolLM2's own tokenizer: 23 tokens for the Chinese sentence, 18 for the English one.
    assert estimate_tokens("维修人员必须佩戴护目镜。") == 24
    english = "The operating pressure of the boiler is 3 bar, checked every 12 months."
    assert estimate_tokens(english) == 27
    assert estimate_tokens("压力 is 3 bar") == 4 + 4
    assert estimate_tokens("") == 0


def test_ragchat_answers_end_to_end_through_the_server(
    servers: dict[str, Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion.index import Ingestor
    from ragchat.embedder import load_embedder
    from ragchat.kb.files import KnowledgeBase
    from ragchat.pipeline import RagChat
    from tests import pdfgen
    from tests.fakes import FakeGenerator

    monkeypatch.setenv("RAGCHAT_GENERATOR", "openai:fake")
    monkeypatch.setenv("RAGCHAT_OPENAI_BASE_URL", servers["fake"].url)
    settings = Settings.load()
    emb = load_embedder(settings)
    kb = KnowledgeBase.open(settings.kb_root, "m", embedder=emb.name, dim=emb.dim, create=True)
    Ingestor(kb, settings, emb).ingest([pdfgen.structured(tmp_path / "manual.pdf")])

    chat = RagChat(settings, kb, emb)
    stream = chat.stream("What is the operating pressure of the boiler?")
    pieces = list(stream)
    answer = stream.answer
    assert isinstance(chat.generator, OpenAIGenerator)
    assert "".join(pieces).strip() == answer.text  # what was shown is the verified answer
    assert answer.draft and not answer.fallback  # the server's draft passed verification
    assert not answer.refused and answer.citations[0].file == "manual.pdf"
    assert answer.citations[0].page == 1
    local = RagChat(settings, kb, emb, FakeGenerator()).ask(
        "What is the operating pressure of the boiler?"
    )
    assert answer.text == local.text  # the messages crossed the wire intact
    assert servers["fake"].proc.poll() is None and servers["tiny"].proc.poll() is None


def test_serve_reports_a_busy_port_in_one_line(
    servers: dict[str, Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ragchat.cli import main

    monkeypatch.setenv("RAGCHAT_GENERATOR", "module:tests.fakes:make_fake_generator")
    result = CliRunner().invoke(main, ["serve", "--port", str(servers["fake"].port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{servers['fake'].port}" in result.output
