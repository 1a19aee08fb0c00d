"""What `ragchat serve` accepts, checked without a server (tests/integration/test_openai_server.py
sends the same kinds of request over HTTP)."""

from __future__ import annotations

import json

import pytest

from ragchat.errors import ModelError
from ragchat.serve_requests import (
    MAX_BODY_BYTES,
    BadRequest,
    body_length,
    check_api_key,
    check_model,
    parse_chat_request,
    server_error,
    token_budget,
)


def _body(**fields: object) -> bytes:
    return json.dumps({"messages": [{"role": "user", "content": "hi"}], **fields}).encode()


def test_a_minimal_request_gets_the_openai_defaults() -> None:
    req = parse_chat_request(_body())
    assert req.model is None and req.max_tokens is None and req.temperature == 1.0
    assert req.stop == () and not req.stream and not req.include_usage
    assert req.messages == ({"role": "user", "content": "hi"},)


def test_roles_text_parts_stop_strings_and_options_are_normalised() -> None:
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    ]
    req = parse_chat_request(
        _body(
            messages=messages,
            max_completion_tokens=7,
            temperature=0,
            stop="END",
            stream=True,
            stream_options={"include_usage": True},
            top_p=0.5,  # accepted and ignored
        )
    )
    assert req.messages == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "ab"},
    )
    assert (req.max_tokens, req.temperature, req.stop) == (7, 0.0, ("END",))
    assert req.stream and req.include_usage
    assert parse_chat_request(_body(stop=["", "x"])).stop == ("x",)


@pytest.mark.parametrize(
    ("fields", "param", "said"),
    [
        ({"model": 3}, "model", "model must be a string"),
        ({"messages": ["hi"]}, "messages[0]", "must be an object"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content", "a string"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            "messages[0]",
            "only text parts",
        ),
        ({"max_tokens": True}, "max_tokens", ">= 1"),
        ({"temperature": 2.5}, "temperature", "between 0 and 2"),
        ({"stop": ["s"] * 17}, "stop", "at most 16"),
        ({"stream": "yes"}, "stream", "true or false"),
    ],
)
def test_bad_fields_are_named(fields: dict[str, object], param: str, said: str) -> None:
    with pytest.raises(BadRequest, match=said) as err:
        parse_chat_request(_body(**fields))
    assert err.value.status == 400 and err.value.param == param
    assert err.value.body()["error"]["type"] == "invalid_request_error"


def test_model_key_and_body_checks() -> None:
    check_model(None, "tiny")
    check_model("tiny", "tiny")
    with pytest.raises(BadRequest, match="'other' does not exist") as err:
        check_model("other", "tiny")
    assert err.value.status == 404 and err.value.code == "model_not_found"
    check_api_key("", "")  # no key, no check
    check_api_key("Bearer k1 ", "k1")
    for header, said in (("Bearer k2", "incorrect API key"), ("", "missing API key")):
        with pytest.raises(BadRequest, match=said) as err:
            check_api_key(header, "k1")
        assert err.value.status == 401 and err.value.code == "invalid_api_key"
    assert body_length("", "12") == 12 and body_length("", None) == 0
    for args, status in (
        (("chunked", None), 411),
        (("", "twelve"), 400),
        (("", str(MAX_BODY_BYTES + 1)), 413),
    ):
        with pytest.raises(BadRequest) as err:
            body_length(*args)
        assert err.value.status == status


def test_token_budget_fits_the_context() -> None:
    assert token_budget(None, 100, 2048, 512) == 512
    assert token_budget(None, 2000, 2048, 512) == 48  # capped by the room left
    assert token_budget(None, 100, None, 512) == 512  # no known context
    assert token_budget(30, 100, 2048, 512) == 30
    with pytest.raises(BadRequest, match="context is 2048 tokens") as err:
        token_budget(100, 2000, 2048, 512)
    assert err.value.code == "context_length_exceeded" and err.value.param == "messages"


def test_generation_failures_are_500_server_errors() -> None:
    err = server_error(ModelError("out of\n memory"))
    assert err.status == 500 and err.code == "model_error" and err.kind == "server_error"
    assert str(err) == "generation failed: out of memory"
    assert server_error(RuntimeError()).body()["error"]["message"] == (
        "generation failed: RuntimeError"
    )
