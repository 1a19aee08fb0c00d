"""`ragchat serve`: the local generator behind an OpenAI-compatible chat completions API.

GET  /v1/models             the one model served
POST /v1/chat/completions   stream true (server-sent events, then `data: [DONE]`) or false
                            (one chat.completion with usage); max_tokens, temperature, stop

Standard library only (ThreadingHTTPServer). Binds 127.0.0.1 unless told otherwise; with an API
key every request needs `Authorization: Bearer <key>`. Generation is serialised by the
generator's own lock, so concurrent requests queue. `top_p`, `seed`, penalties and the like are
accepted and ignored; `n` must be 1. This module is the HTTP side; what a request may hold is
ragchat/serve_requests.py and the JSON shapes are ragchat/generation/wire.py.

    server = make_server(load_generator(settings), port=8000)
    server.serve_forever()
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ragchat.errors import ConfigError
from ragchat.generation import Generator, wire
from ragchat.serve_requests import (
    DEFAULT_MAX_TOKENS,
    BadRequest,
    ChatRequest,
    body_length,
    check_api_key,
    check_model,
    parse_chat_request,
    server_error,
    token_budget,
)


class ChatServer(ThreadingHTTPServer):
    """One generator behind /v1/chat/completions."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        generator: Generator,
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
    generator: Generator,
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
        name = self.server.model_name
        if path in {"/v1/models", "/models"}:
            self._json(200, wire.model_list([self._model_card()]))
        elif path in {f"/v1/models/{name}", f"/models/{name}"}:
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
        if path not in {f"/v1{wire.CHAT_PATH}", wire.CHAT_PATH}:
            self._error(BadRequest(f"no route POST {path}", status=404, code="not_found"))
            return
        try:
            request = parse_chat_request(body)
            check_model(request.model, self.server.model_name)
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
        try:
            max_tokens = token_budget(
                req.max_tokens, prompt_tokens, context, self.server.default_max_tokens
            )
        except BadRequest as exc:
            self._error(exc)
            return
        pieces = iter(
            gen.stream(
                messages, max_new_tokens=max_tokens, temperature=req.temperature, stop=req.stop
            )
        )
        try:
            first = next(pieces, None)  # early failures still get a proper status code
        except Exception as exc:
            self._error(server_error(exc))
            return
        meta = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time())}
        if req.stream:
            self._stream(req, meta, first, pieces, prompt_tokens, max_tokens)
            return
        try:
            text = (first or "") + "".join(pieces)
        except Exception as exc:
            self._error(server_error(exc))
            return
        completion = int(gen.count_tokens(text)) if text else 0
        finish = "length" if completion >= max_tokens else "stop"
        used = wire.usage(prompt_tokens, completion)
        self._json(200, wire.completion(meta, self.server.model_name, text, finish, used))

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
        model = self.server.model_name
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        text = ""
        try:
            self._event(wire.chunk(meta, model, {"role": "assistant", "content": ""}))
            try:
                for piece in _chain(first, pieces):
                    if piece:
                        text += piece
                        self._event(wire.chunk(meta, model, {"content": piece}))
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception as exc:  # after the headers, errors travel as an event
                self._event(server_error(exc).body())
                self._event(wire.DONE)
                self._write(b"0\r\n\r\n")
                return
            completion = int(gen.count_tokens(text)) if text else 0
            finish = "length" if completion >= max_tokens else "stop"
            self._event(wire.chunk(meta, model, {}, finish))
            if req.include_usage:
                used = wire.usage(prompt_tokens, completion)
                self._event(wire.usage_chunk(meta, model, used))
            self._event(wire.DONE)
            self._write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left; stop generating
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()

    # ------------------------------------------------------------------ helpers
    def _model_card(self) -> dict[str, Any]:
        return wire.model_card(self.server.model_name, self.server.created)

    def _authorized(self) -> bool:
        try:
            check_api_key(self.headers.get("Authorization", ""), self.server.api_key)
        except BadRequest as exc:
            self._error(exc)
            return False
        return True

    def _body(self) -> bytes:
        try:
            length = body_length(
                self.headers.get("Transfer-Encoding", ""), self.headers.get("Content-Length")
            )
        except BadRequest:
            self.close_connection = True
            raise
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
        """One server-sent event as one HTTP chunk."""
        data = wire.encode_event(payload)
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
