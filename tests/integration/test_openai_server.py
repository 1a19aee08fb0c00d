"""The OpenAI-compatible backend against real `ragchat serve` processes on 127.0.0.1.

Two servers run for the module: one over a tiny random Llama saved to disk (a real transformers
generator: greedy, deterministic, honours max_tokens and stop on the server side) and one over
the fake generator (which ignores stop sequences, so the client's own cut is visible). Protocol
faults from misbehaving servers are test_openai_faults.py.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragchat.errors import ModelError
from ragchat.generation import OpenAIGenerator
from ragchat.settings import Settings
from tests.integration.serve_helpers import (
    KEY,
    MESSAGES,
    Server,
    http_call,
    start_server,
    tiny_model_dir,
)

pytestmark = pytest.mark.subprocess


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


# ---------------------------------------------------------------------- the pipeline and the command
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
