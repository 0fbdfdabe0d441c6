"""A scripted OpenAI-compatible model server on 127.0.0.1 for tests and benchmarks.

It serves ``POST /v1/chat/completions``, streamed (SSE, chunked) and not, from a queue of
scripted replies: text, tool calls (including deliberately broken JSON), and faults (an HTTP
error status, a slow first byte, a stream cut mid-way). It records every request so tests can
assert what the agent sent. Compaction requests (system prompt starting "You are compacting")
are answered with ``summary`` and recorded separately.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ToolCall:
    """A scripted tool call; a str ``arguments`` is sent verbatim (so it can be broken JSON)."""

    name: str
    arguments: dict[str, Any] | str
    id: str = ""


@dataclass
class Reply:
    """One scripted answer."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    status: int = 200
    error: str = "scripted failure"
    first_byte_delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_chars: int = 6
    cut_after: int | None = None


class ScriptedModel:
    """The server; use as a context manager or call start()/stop()."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # of every POST, in order (e.g. Authorization)
        self.summary_requests: list[dict[str, Any]] = []
        self.summary = "Summary: the user and the agent discussed earlier topics."
        self.default = Reply(text="(no scripted reply left)")
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._lock = threading.Lock()
        self._calls = 0

    @property
    def url(self) -> str:
        """The ``api_base`` to give litellm."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, *replies: Reply | str) -> None:
        """Queue replies (a plain string is a text reply)."""
        for reply in replies:
            self.replies.append(Reply(text=reply) if isinstance(reply, str) else reply)

    def start(self) -> ScriptedModel:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def system_prompt(self, index: int = -1) -> str:
        """The system prompt of a recorded chat request."""
        return str(self.requests[index]["messages"][0]["content"])

    @staticmethod
    def last_user_text(request: dict[str, Any]) -> str:
        """The newest user message of a request."""
        users = [m for m in request["messages"] if m.get("role") == "user"]
        return str(users[-1]["content"]) if users else ""

    def next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            messages = request.get("messages") or [{}]
            first = str(messages[0].get("content") or "")
            if first.startswith("You are compacting"):
                self.summary_requests.append(request)
                return Reply(text=self.summary)
            self.requests.append(request)
            self._calls += 1
            if self.replies:
                return self.replies.popleft()
        return self.responder(request) if self.responder else self.default

    def next_id(self) -> str:
        with self._lock:
            self._calls += 1
            return f"call_{self._calls:04d}"


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-stream (cancellation tests) are expected, not errors."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None


def _handler(model: ScriptedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            model.headers.append(dict(self.headers.items()))
            reply = model.next_reply(request)
            if reply.first_byte_delay:
                time.sleep(reply.first_byte_delay)
            if reply.status != 200:
                self._json(reply.status, {"error": {"message": reply.error,
                                                    "type": "scripted", "code": reply.status}})
                return
            if request.get("stream"):
                self._stream(reply, request)
            else:
                self._json(200, _completion(reply, model))

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, reply: Reply, request: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            events = list(_chunks(reply, model))
            include_usage = (request.get("stream_options") or {}).get("include_usage")
            if include_usage:
                events.append({"choices": [], "usage": _usage(reply)})
            for number, event in enumerate(events):
                if reply.cut_after is not None and number >= reply.cut_after:
                    self.wfile.flush()
                    self.close_connection = True
                    return  # no terminating chunk: the client sees a broken stream
                self._send(f"data: {json.dumps(_envelope(event))}\n\n")
                if reply.chunk_delay:
                    time.sleep(reply.chunk_delay)
            self._send("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _send(self, text: str) -> None:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


def _envelope(event: dict[str, Any]) -> dict[str, Any]:
    return {"id": "chatcmpl-scripted", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": "scripted", **event}


def _chunks(reply: Reply, model: ScriptedModel) -> Any:
    yield {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                        "finish_reason": None}]}
    size = max(1, reply.chunk_chars)
    for start in range(0, len(reply.text), size):
        yield {"choices": [{"index": 0, "delta": {"content": reply.text[start:start + size]},
                            "finish_reason": None}]}
    for index, call in enumerate(reply.tool_calls):
        arguments = call.arguments if isinstance(call.arguments, str) else json.dumps(
            call.arguments)
        yield {"choices": [{"index": 0, "delta": {"tool_calls": [{
            "index": index, "id": call.id or model.next_id(), "type": "function",
            "function": {"name": call.name, "arguments": ""}}]}, "finish_reason": None}]}
        for start in range(0, len(arguments), 20):
            yield {"choices": [{"index": 0, "delta": {"tool_calls": [{
                "index": index, "function": {"arguments": arguments[start:start + 20]}}]},
                "finish_reason": None}]}
    finish = "tool_calls" if reply.tool_calls else "stop"
    yield {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}


def _usage(reply: Reply) -> dict[str, int]:
    completion = max(1, len(reply.text) // 4)
    return {"prompt_tokens": 100, "completion_tokens": completion,
            "total_tokens": 100 + completion}


def _completion(reply: Reply, model: ScriptedModel) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = [{
            "id": call.id or model.next_id(), "type": "function",
            "function": {"name": call.name, "arguments": call.arguments if isinstance(
                call.arguments, str) else json.dumps(call.arguments)}}
            for call in reply.tool_calls]
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
            "model": "scripted", "choices": [{"index": 0, "message": message,
                                              "finish_reason": "stop"}],
            "usage": _usage(reply)}
