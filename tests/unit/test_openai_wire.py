"""The OpenAI-compatible backend without a server: the stop-sequence cut every generator makes,
the wire format OpenAIGenerator and `ragchat serve` share, settings, and the token estimate."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from ragchat.errors import ConfigError, ModelError
from ragchat.generation import (
    OpenAIGenerator,
    StopCutter,
    cut_at_stop,
    estimate_tokens,
    first_stop,
    load_generator,
    wire,
)
from ragchat.settings import Settings

MESSAGES = [{"role": "user", "content": "What is the boiler pressure?"}]


# ---------------------------------------------------------------------- stop sequences
def test_first_stop_finds_the_earliest_stop_sequence() -> None:
    text = "Valves open at 3 bar. [1] Question: more"
    assert first_stop(text, ["Question:", "[1]"]) == text.index("[1]")
    assert first_stop(text, ["absent", ""]) is None
    assert first_stop(text, []) is None
    assert cut_at_stop(text, ["[1]"]) == "Valves open at 3 bar. "
    assert cut_at_stop(text, ["absent"]) == text


def test_stop_cutter_cuts_within_and_across_pieces_and_stops_reading() -> None:
    pieces = iter(["Valves ", "", "open at ", "3 bar. [1] and", " never read"])
    cutter = StopCutter(["[1]", ""])
    assert list(cutter.cut(pieces)) == ["Valves ", "open at ", "3 bar. "]
    assert cutter.stopped and next(pieces) == " never read"  # reading ended at the stop
    # A stop sequence split across pieces: what was passed on before it stays passed on.
    assert list(StopCutter(["[1]"]).cut(["3 bar. [", "1] and"])) == ["3 bar. ["]
    assert list(StopCutter(["open"]).cut(["Valves ", "op", "en at"])) == ["Valves ", "op"]
    assert list(StopCutter([]).cut(["a", "", "b"])) == ["a", "b"]
    cutter = StopCutter(["STOP"])
    assert cutter.feed("whole.") == "whole." and not cutter.stopped
    assert cutter.feed(" STOP here") == " " and cutter.stopped


# ---------------------------------------------------------------------- the wire format
def test_events_and_chunks_round_trip() -> None:
    meta = {"id": "chatcmpl-1", "created": 1}
    stream = io.BytesIO(
        wire.encode_event(wire.chunk(meta, "m", {"role": "assistant", "content": ""}))
        + wire.encode_event(wire.chunk(meta, "m", {"content": "Hel"}))
        + wire.encode_event(wire.chunk(meta, "m", {"content": "lo, 世界"}))
        + wire.encode_event(wire.chunk(meta, "m", {}, "stop"))
        + wire.encode_event(wire.usage_chunk(meta, "m", wire.usage(3, 2)))
        + wire.encode_event(wire.DONE)
    )
    events = list(wire.read_events(stream.readline))
    assert events[-1] == wire.DONE
    deltas = [wire.chunk_delta(e) for e in events[:-1]]
    assert deltas == [("", False), ("Hel", False), ("lo, 世界", False), ("", True), ("", False)]
    assert json.loads(events[-2])["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 2,
        "total_tokens": 5,
    }
    # Liberal reading: comments, CRLF, no space after "data:", no blank line at the end.
    odd = io.BytesIO(b': keep-alive\r\n\r\nevent: x\ndata:{"a": 1}\r\n\r\ndata: [DONE]')
    assert list(wire.read_events(odd.readline)) == ['{"a": 1}', "[DONE]"]


def test_requests_completions_and_errors_have_the_openai_shapes() -> None:
    body = wire.chat_request(
        "m", MESSAGES, max_tokens=8, temperature=0, stop=["a", "", "b", "c", "d", "e"], stream=True
    )
    assert body == {
        "model": "m",
        "messages": MESSAGES,
        "max_tokens": 8,
        "temperature": 0.0,
        "stream": True,
        "stop": ["a", "b", "c", "d"],  # at most four are sent
    }
    assert "stop" not in wire.chat_request(
        "m", MESSAGES, max_tokens=8, temperature=0, stop=[""], stream=False
    )
    done = wire.completion({"id": "x"}, "m", "The answer.", "stop", wire.usage(5, 3))
    assert done["object"] == "chat.completion" and done["usage"]["total_tokens"] == 8
    assert wire.completion_text(done) == "The answer."
    assert wire.model_ids(wire.model_list([wire.model_card("m", 0)])) == ["m"]
    error = json.dumps(wire.error_body("bad\n  thing", "invalid_request_error", "n", None))
    assert wire.error_message(error.encode()) == "bad thing"
    assert wire.error_message(b'{"detail": "not found"}') == "not found"
    assert wire.error_message(b'{"error": "quota"}') == "quota"
    assert wire.error_message(b"plain text") == "plain text"
    assert wire.error_message(b"") == "(empty response)"


@pytest.mark.parametrize(
    ("event", "said"),
    [
        ('{"choices": [{"delta"', "an event is not JSON"),
        ("[1]", "not a JSON object"),
        ('{"object": "x"}', "no choices array"),
        ('{"error": {"message": "engine died"}}', r"failed mid-answer \(engine died\)"),
    ],
)
def test_malformed_chunks_are_wire_errors(event: str, said: str) -> None:
    with pytest.raises(wire.WireError, match=said):
        wire.chunk_delta(event)
    assert issubclass(wire.WireError, ModelError)


def test_replies_that_are_not_completions_are_wire_errors() -> None:
    with pytest.raises(wire.WireError, match=r"no choices\[0\]\.message"):
        wire.completion_text({"choices": []})
    with pytest.raises(wire.WireError, match="no 'data' array"):
        wire.model_ids({"object": "list"})
    assert wire.completion_text({"choices": [{"message": {"content": None}}]}) == ""


# ---------------------------------------------------------------------- the client
def test_wrong_port_is_one_line_naming_the_url() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gen = OpenAIGenerator("m", base_url=f"http://127.0.0.1:{port}/v1", timeout=5)
    with pytest.raises(ModelError) as err:
        list(gen.stream(MESSAGES, max_new_tokens=4))
    message = str(err.value)
    assert f"http://127.0.0.1:{port}/v1/chat/completions" in message
    assert "connection refused" in message and "\n" not in message


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
