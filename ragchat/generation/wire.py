"""The OpenAI chat completions wire format, as OpenAIGenerator sends and reads it and as
`ragchat serve` reads and sends it: request and response JSON shapes, error objects, and
server-sent events (`data: <json>` events, ended by `data: [DONE]`).

Writers build plain dicts and bytes; readers raise WireError (a ModelError) when the other side
does not follow the format. Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ragchat.errors import ModelError

CHAT_PATH = "/chat/completions"
MODELS_PATH = "/models"
DONE = "[DONE]"  # the data of the last server-sent event
OPENAI_MAX_STOP = 4  # the most stop sequences the OpenAI API accepts


class WireError(ModelError):
    """A response that does not follow the wire format (the message names what is wrong)."""


def one_line(text: Any, limit: int = 300) -> str:
    """`text` on one line, shortened to `limit` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------------- requests
def chat_request(
    model: str,
    messages: Sequence[dict[str, str]],
    *,
    max_tokens: int,
    temperature: float,
    stop: Sequence[str],
    stream: bool,
) -> dict[str, Any]:
    """A /chat/completions request body; at most OPENAI_MAX_STOP non-empty stop sequences."""
    payload: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
        "max_tokens": int(max_tokens),
        "temperature": float(temperature),
        "stream": stream,
    }
    stops = [s for s in stop if s][:OPENAI_MAX_STOP]
    if stops:
        payload["stop"] = stops
    return payload


# ---------------------------------------------------------------------- responses
def usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def completion(
    meta: dict[str, Any], model: str, text: str, finish_reason: str, used: dict[str, int]
) -> dict[str, Any]:
    """A whole chat.completion; `meta` holds its id and created time."""
    return {
        **meta,
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
                "logprobs": None,
            }
        ],
        "usage": used,
    }


def completion_text(data: Any) -> str:
    """The answer in a chat.completion (empty when its content is null)."""
    try:
        content = data["choices"][0]["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise WireError("not a chat completion (no choices[0].message)") from exc
    return content if isinstance(content, str) else ""


def chunk(
    meta: dict[str, Any], model: str, delta: dict[str, Any], finish: str | None = None
) -> dict[str, Any]:
    """One chat.completion.chunk of a streamed answer."""
    return {
        **meta,
        "object": "chat.completion.chunk",
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def usage_chunk(meta: dict[str, Any], model: str, used: dict[str, int]) -> dict[str, Any]:
    """The last chunk when the client asked for usage (stream_options.include_usage)."""
    return {
        **meta,
        "object": "chat.completion.chunk",
        "model": model,
        "choices": [],
        "usage": used,
    }


def chunk_delta(event: str) -> tuple[str, bool]:
    """The content piece of one streamed chunk and whether it finished the answer."""
    try:
        data = json.loads(event)
    except ValueError:
        raise WireError(
            f"malformed stream, an event is not JSON ({one_line(event, 120)})"
        ) from None
    if not isinstance(data, dict):
        raise WireError("malformed stream, an event is not a JSON object")
    if data.get("error"):
        raise WireError(f"the server failed mid-answer ({error_message(event.encode())})")
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise WireError("malformed stream, an event has no choices array")
    if not choices:  # e.g. a final usage-only chunk
        return "", False
    first = choices[0] if isinstance(choices[0], dict) else {}
    delta = first.get("delta") or {}
    content = delta.get("content") if isinstance(delta, dict) else None
    return (content if isinstance(content, str) else ""), bool(first.get("finish_reason"))


def model_card(model: str, created: int) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": created, "owned_by": "ragchat"}


def model_list(cards: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": list(cards)}


def model_ids(data: Any) -> list[str]:
    """The model ids in a GET /models response."""
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise WireError("not an OpenAI model list (no 'data' array)")
    return [str(r.get("id")) for r in rows if isinstance(r, dict)]


# ---------------------------------------------------------------------- errors
def error_body(message: str, kind: str, param: str | None, code: str | None) -> dict[str, Any]:
    """An OpenAI-style error object."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_message(body: bytes) -> str:
    """The error message in an error response: OpenAI's {"error": {"message"}}, or the
    {"message"} / {"detail"} / {"error": "..."} shapes other servers use, else the raw text."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return one_line(text) or "(empty response)"
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            for key in ("message", "detail", "msg"):
                if err.get(key):
                    return one_line(err[key])
        elif err:
            return one_line(err)
    return one_line(text)


# ---------------------------------------------------------------------- server-sent events
def encode_event(payload: dict[str, Any] | str) -> bytes:
    """One server-sent event: a JSON object, or a bare string such as DONE."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


def read_events(readline: Callable[[], bytes]) -> Iterator[str]:
    """The data of each server-sent event, read line by line until the stream ends.

    Liberal in what it accepts: comments (": keep-alive"), event:/id: fields, CRLF line ends,
    no space after "data:", and a last event without its blank line.
    """
    data: list[str] = []
    while raw := readline():
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
            continue
        if line or not data:  # comments, other fields, stray blank lines
            continue
        yield "\n".join(data)
        data = []
    if data:
        yield "\n".join(data)
