"""What `ragchat serve` accepts: request validation, with no HTTP in it.

Each check turns a bad request into BadRequest, which the server answers with an OpenAI-style
error object (status, message, the parameter at fault, a code). The JSON shapes themselves are
ragchat/generation/wire.py; the HTTP handler is ragchat/serve.py.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from ragchat.errors import ModelError
from ragchat.generation import wire

DEFAULT_MAX_TOKENS = 512  # when a request gives no max_tokens (still capped by the context)
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_STOP = 16
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


class BadRequest(Exception):
    """A request the server answers with an OpenAI-style error object."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.param, self.code, self.kind = status, param, code, kind

    def body(self) -> dict[str, Any]:
        return wire.error_body(str(self), self.kind, self.param, self.code)


@dataclass(frozen=True)
class ChatRequest:
    model: str | None
    messages: tuple[dict[str, str], ...]
    max_tokens: int | None
    temperature: float
    stop: tuple[str, ...]
    stream: bool
    include_usage: bool


def parse_chat_request(body: bytes) -> ChatRequest:
    """Validate a /chat/completions body; BadRequest says which field is wrong and why."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"the request body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise BadRequest("model must be a string", param="model")
    raw = data.get("messages")
    if not isinstance(raw, list) or not raw:
        raise BadRequest("messages must be a non-empty array", param="messages")
    messages = tuple(_message(m, i) for i, m in enumerate(raw))
    max_tokens = data.get("max_completion_tokens", data.get("max_tokens"))
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise BadRequest("max_tokens must be an integer >= 1", param="max_tokens")
    temperature = data.get("temperature", 1.0)
    if temperature is None:
        temperature = 1.0
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise BadRequest("temperature must be a number", param="temperature")
    if not 0 <= temperature <= 2:
        raise BadRequest("temperature must lie between 0 and 2", param="temperature")
    stop = data.get("stop") or []
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise BadRequest("stop must be a string or an array of strings", param="stop")
    if len(stop) > MAX_STOP:
        raise BadRequest(f"at most {MAX_STOP} stop sequences", param="stop")
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest("stream must be true or false", param="stream")
    if data.get("n", 1) not in (1, None):
        raise BadRequest("only n=1 is supported", param="n")
    options = data.get("stream_options") or {}
    return ChatRequest(
        model=model,
        messages=messages,
        max_tokens=max_tokens,
        temperature=float(temperature),
        stop=tuple(s for s in stop if s),
        stream=stream,
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
    )


def _message(m: Any, i: int) -> dict[str, str]:
    where = f"messages[{i}]"
    if not isinstance(m, dict):
        raise BadRequest(f"{where} must be an object with role and content", param=where)
    role = ROLES.get(str(m.get("role")))
    if role is None:
        raise BadRequest(
            f"{where}.role must be one of system, developer, user, assistant", param=f"{where}.role"
        )
    content = m.get("content")
    if isinstance(content, list):  # [{"type": "text", "text": "..."}] parts
        if not all(isinstance(p, dict) and p.get("type") == "text" for p in content):
            raise BadRequest(f"{where}.content: only text parts are supported", param=where)
        content = "".join(str(p.get("text", "")) for p in content)
    if not isinstance(content, str):
        raise BadRequest(f"{where}.content must be a string", param=f"{where}.content")
    return {"role": role, "content": content}


def check_model(requested: str | None, served: str) -> None:
    """A request may name no model or the served one."""
    if requested and requested != served:
        raise BadRequest(
            f"the model {requested!r} does not exist; this server serves {served!r}",
            status=404,
            param="model",
            code="model_not_found",
        )


def check_api_key(header: str, key: str) -> None:
    """The Authorization header must carry `Bearer <key>` when the server has a key."""
    if not key:
        return
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8"), key.encode("utf-8")
    ):
        return
    message = (
        "incorrect API key provided"
        if header
        else "missing API key: send Authorization: Bearer <key>"
    )
    raise BadRequest(message, status=401, code="invalid_api_key")


def body_length(transfer_encoding: str, content_length: str | None) -> int:
    """The number of body bytes to read, from the request's headers."""
    if "chunked" in transfer_encoding.lower():
        raise BadRequest("send the body with a Content-Length, not chunked", status=411)
    try:
        length = int(content_length or 0)
    except ValueError:
        raise BadRequest("Content-Length is not a number") from None
    if length > MAX_BODY_BYTES:
        raise BadRequest(f"the body is larger than {MAX_BODY_BYTES} bytes", status=413)
    return length


def token_budget(
    requested: int | None, prompt_tokens: int, context: int | None, default: int
) -> int:
    """The max_tokens to generate: the request's, else `default` capped by the room left in the
    context. A prompt and max_tokens that overflow the context are a BadRequest."""
    max_tokens = requested
    if max_tokens is None:
        room = (context - prompt_tokens) if context else default
        max_tokens = max(1, min(default, room))
    if context and prompt_tokens + max_tokens > context:
        raise BadRequest(
            f"this model's context is {context} tokens; the messages take"
            f" {prompt_tokens} and max_tokens asks for {max_tokens} more",
            param="messages",
            code="context_length_exceeded",
        )
    return max_tokens


def server_error(exc: Exception) -> BadRequest:
    """A generation failure as a 500 error object (a ModelError's message, else its type)."""
    kind = "model_error" if isinstance(exc, ModelError) else type(exc).__name__
    return BadRequest(
        f"generation failed: {' '.join(str(exc).split()) or kind}",
        status=500,
        code=kind,
        kind="server_error",
    )
