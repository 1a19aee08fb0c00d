"""`ragchat serve`: the local generator behind an OpenAI-compatible chat completions API.

GET  /v1/models             the one model served
POST /v1/chat/completions   stream true (server-sent events, then `data: [DONE]`) or false
                            (one chat.completion with usage); max_tokens, temperature, stop

Standard library only (ThreadingHTTPServer). Binds 127.0.0.1 unless told otherwise; with an API
key every request needs `Authorization: Bearer <key>`. Generation is serialised by the
generator's own lock, so concurrent requests queue. `top_p`, `seed`, penalties and the like are
accepted and ignored; `n` must be 1.

    server = make_server(load_generator(settings), port=8000)
    server.serve_forever()
"""

from __future__ import annotations

import hmac
import json
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ragchat.errors import ConfigError, ModelError

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
        return {
            "error": {
                "message": str(self),
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        }


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


class ChatServer(ThreadingHTTPServer):
    """One generator behind /v1/chat/completions."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        generator: Any,
        *,
        model_name: str | None = None,
        api_key: str = "",
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> None:
        self.generator = generator
        self.model_name = model_name or str(getattr(generator, "name", "ragchat"))
        self.api_key = api_key
        self.default_max_tokens = default_max_tokens
        self.created = int(time.time())
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"


def make_server(
    generator: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    model_name: str | None = None,
    api_key: str = "",
) -> ChatServer:
    """A server bound to host:port (port 0 = any free port), not yet serving."""
    try:
        return ChatServer((host, port), generator, model_name=model_name, api_key=api_key)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc}); pick another --port") from exc


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer
    protocol_version = "HTTP/1.1"
    server_version = "ragchat-serve"
    timeout = 300  # idle keep-alive connections are dropped after this many seconds

    # ------------------------------------------------------------------ routing
    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/health":
            self._json(200, {"status": "ok"})
            return
        if not self._authorized():
            return
        if path in {"/v1/models", "/models"}:
            self._json(200, {"object": "list", "data": [self._model_card()]})
        elif path in {f"/v1/models/{self.server.model_name}", f"/models/{self.server.model_name}"}:
            self._json(200, self._model_card())
        else:
            self._error(BadRequest(f"no route GET {path}", status=404, code="not_found"))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        try:
            body = self._body()
        except BadRequest as exc:
            self._error(exc)
            return
        if not self._authorized():
            return
        if path not in {"/v1/chat/completions", "/chat/completions"}:
            self._error(BadRequest(f"no route POST {path}", status=404, code="not_found"))
            return
        try:
            request = parse_chat_request(body)
            self._check_model(request.model)
        except BadRequest as exc:
            self._error(exc)
            return
        self._chat(request)

    # ------------------------------------------------------------------ chat completions
    def _chat(self, req: ChatRequest) -> None:
        gen = self.server.generator
        messages = [dict(m) for m in req.messages]
        prompt_tokens = int(gen.count_tokens(gen.render_prompt(messages)))
        context = getattr(gen, "context", None)
        max_tokens = req.max_tokens
        if max_tokens is None:
            room = (context - prompt_tokens) if context else self.server.default_max_tokens
            max_tokens = max(1, min(self.server.default_max_tokens, room))
        if context and prompt_tokens + max_tokens > context:
            self._error(
                BadRequest(
                    f"this model's context is {context} tokens; the messages take"
                    f" {prompt_tokens} and max_tokens asks for {max_tokens} more",
                    param="messages",
                    code="context_length_exceeded",
                )
            )
            return
        pieces = iter(
            gen.stream(
                messages, max_new_tokens=max_tokens, temperature=req.temperature, stop=req.stop
            )
        )
        try:
            first = next(pieces, None)  # early failures still get a proper status code
        except Exception as exc:
            self._error(_server_error(exc))
            return
        meta = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time())}
        if req.stream:
            self._stream(req, meta, first, pieces, prompt_tokens, max_tokens)
            return
        try:
            text = (first or "") + "".join(pieces)
        except Exception as exc:
            self._error(_server_error(exc))
            return
        completion = int(gen.count_tokens(text)) if text else 0
        self._json(
            200,
            {
                **meta,
                "object": "chat.completion",
                "model": self.server.model_name,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "length" if completion >= max_tokens else "stop",
                        "logprobs": None,
                    }
                ],
                "usage": _usage(prompt_tokens, completion),
            },
        )

    def _stream(
        self,
        req: ChatRequest,
        meta: dict[str, Any],
        first: str | None,
        pieces: Iterator[str],
        prompt_tokens: int,
        max_tokens: int,
    ) -> None:
        gen = self.server.generator
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                **meta,
                "object": "chat.completion.chunk",
                "model": self.server.model_name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        text = ""
        try:
            self._event(chunk({"role": "assistant", "content": ""}))
            try:
                for piece in _chain(first, pieces):
                    if piece:
                        text += piece
                        self._event(chunk({"content": piece}))
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception as exc:  # after the headers, errors travel as an event
                self._event(_server_error(exc).body())
                self._event("[DONE]")
                self._write(b"0\r\n\r\n")
                return
            completion = int(gen.count_tokens(text)) if text else 0
            self._event(chunk({}, "length" if completion >= max_tokens else "stop"))
            if req.include_usage:
                self._event(
                    {
                        **meta,
                        "object": "chat.completion.chunk",
                        "model": self.server.model_name,
                        "choices": [],
                        "usage": _usage(prompt_tokens, completion),
                    }
                )
            self._event("[DONE]")
            self._write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left; stop generating
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()

    # ------------------------------------------------------------------ helpers
    def _check_model(self, model: str | None) -> None:
        if model and model != self.server.model_name:
            raise BadRequest(
                f"the model {model!r} does not exist; this server serves"
                f" {self.server.model_name!r}",
                status=404,
                param="model",
                code="model_not_found",
            )

    def _model_card(self) -> dict[str, Any]:
        return {
            "id": self.server.model_name,
            "object": "model",
            "created": self.server.created,
            "owned_by": "ragchat",
        }

    def _authorized(self) -> bool:
        key = self.server.api_key
        if not key:
            return True
        header = self.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode("utf-8"), key.encode("utf-8")
        ):
            return True
        message = (
            "incorrect API key provided"
            if header
            else "missing API key: send Authorization: Bearer <key>"
        )
        self._error(BadRequest(message, status=401, code="invalid_api_key"))
        return False

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise BadRequest("send the body with a Content-Length, not chunked", status=411)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise BadRequest("Content-Length is not a number") from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise BadRequest(f"the body is larger than {MAX_BODY_BYTES} bytes", status=413)
        return self.rfile.read(length) if length > 0 else b""

    def _json(
        self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(data)

    def _error(self, exc: BadRequest) -> None:
        extra = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        self._json(exc.status, exc.body(), extra)

    def _event(self, payload: dict[str, Any] | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        data = f"data: {text}\n\n".encode()
        self._write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:  # one line per request on stderr
        sys.stderr.write(f"ragchat serve: {self.address_string()} {format % args}\n")


def _chain(first: str | None, rest: Iterator[str]) -> Iterator[str]:
    if first is not None:
        yield first
        yield from rest


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _server_error(exc: Exception) -> BadRequest:
    kind = "model_error" if isinstance(exc, ModelError) else type(exc).__name__
    return BadRequest(
        f"generation failed: {' '.join(str(exc).split()) or kind}",
        status=500,
        code=kind,
        kind="server_error",
    )


if __name__ == "__main__":  # python -m ragchat.serve [options] is `ragchat serve [options]`
    from ragchat.cli import main

    main(["serve", *sys.argv[1:]], prog_name="ragchat serve")
