"""A scripted OpenAI-compatible model server on 127.0.0.1 for tests and benchmarks.

It serves ``POST /v1/chat/completions``, streamed (SSE, chunked) and not, from a queue of
scripted replies: text, tool calls (including deliberately broken JSON), and faults (an HTTP
error status, a slow first byte, a stream cut mid-way, a stream that stalls mid-way until the
client hangs up (``Reply.hold_after``), and the ``Fault`` kinds: a server killed mid-stream, a
stream that ends without its final event, an empty or HTML 200 body, headers then silence,
keep-alive comments forever). It records every request so tests can assert what the agent
sent, and lets a test wait until a request arrived (``wait_for_requests``) or hold a reply
until it says so (``Reply.gate``). Compaction requests (system prompt starting "You are
compacting") are answered with ``summary`` and title requests ("You are titling") with
``title`` (a text, or a Reply such as a fault), both recorded separately. ``refused_port``
gives an address where nothing listens.

``POST /v1/embeddings`` answers with deterministic vectors: a hashed bag of crudely stemmed
words and their character trigrams (``EMBEDDING_DIMENSIONS`` wide, unit length), so texts that
share words or word stems are near. ``embedding_status`` (not 200) makes it fail; every input
list is recorded in ``embedding_requests``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EMBEDDING_DIMENSIONS = 256


@dataclass
class ToolCall:
    """A scripted tool call; a str ``arguments`` is sent verbatim (so it can be broken JSON)."""

    name: str
    arguments: dict[str, Any] | str
    id: str = ""


class Fault(Enum):
    """Ways a model server misbehaves after answering 200."""

    KILLED = "killed"  # some text, then the server is gone (connection closed, no final event)
    NO_FINISH = "no_finish"  # some text, then a clean end of body: no finish_reason, no [DONE]
    EMPTY_BODY = "empty_body"  # 200 with an empty body
    HTML_BODY = "html_body"  # 200 with an HTML page (a proxy or web server at api_base)
    SILENCE = "silence"  # headers, then nothing until the client gives up
    KEEPALIVE = "keepalive"  # headers, then SSE comments forever


HTML_PAGE = ("<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head>"
             "<body><h1>Welcome to nginx!</h1></body></html>\n")


@dataclass
class Reply:
    """One scripted answer; ``gate``, when given, holds it until the test sets the event.
    ``hold_after`` streams that many text chunks, then sends nothing more until the client
    hangs up (counted in ``hangups``) or the server stops: a reply still streaming whenever
    the test gets round to cancelling it, however slow the machine."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    status: int = 200
    error: str = "scripted failure"
    first_byte_delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_chars: int = 6
    cut_after: int | None = None
    fault: Fault | None = None
    gate: threading.Event | None = None
    hold_after: int | None = None


@contextmanager
def refused_port() -> Iterator[str]:
    """An ``api_base`` on 127.0.0.1 where connections are refused (a bound socket that does
    not listen), held for the block so no other server takes the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        sock.close()


class ScriptedModel:
    """The server; use as a context manager or call start()/stop()."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # of every POST, in order (e.g. Authorization)
        self.peers: list[tuple[int, dict[str, Any]]] = []  # each POST's client port and body
        self.summary_requests: list[dict[str, Any]] = []
        self.summary = "Summary: the user and the agent discussed earlier topics."
        self.title_requests: list[dict[str, Any]] = []
        self.title: Reply | str = "Scripted conversation title"
        self.default = Reply(text="(no scripted reply left)")
        self.responder: Callable[[dict[str, Any]], Reply] | None = None
        self.strict = False  # refuse unpaired tool calls / results with OpenAI's 400
        self.hangups = 0  # streams the client closed before the reply ended
        self.embedding_requests: list[list[str]] = []
        self.embedding_status = 200
        self.embedded = threading.Condition()
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stopping = threading.Event()
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
        self._stopping.set()
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

    def wait_for_requests(self, count: int, timeout: float = 60.0) -> None:
        """Block until ``count`` chat requests have arrived (raises TimeoutError if they never
        do, so a broken test fails instead of hanging)."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} requests arrived")

    def wait_for_hangups(self, count: int, timeout: float = 60.0) -> None:
        """Block until the client has hung up on ``count`` streams."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: self.hangups >= count, timeout):
                raise TimeoutError(f"{self.hangups} of {count} hang-ups happened")

    def hung_up(self) -> None:
        with self._arrived:
            self.hangups += 1
            self._arrived.notify_all()

    def next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            messages = request.get("messages") or [{}]
            first = str(messages[0].get("content") or "")
            if first.startswith("You are compacting"):
                self.summary_requests.append(request)
                return Reply(text=self.summary)
            if first.startswith("You are titling"):
                self.title_requests.append(request)
                self._arrived.notify_all()
                return Reply(text=self.title) if isinstance(self.title, str) else self.title
            self.requests.append(request)
            self._arrived.notify_all()
            self._calls += 1
            problem = unpaired(messages) if self.strict else None
            if problem:
                return Reply(status=400, error=problem)
            if self.replies:
                return self.replies.popleft()
        return self.responder(request) if self.responder else self.default

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 120.0
                 ) -> dict[str, Any]:
        """The first recorded chat request matching ``predicate``, waiting until one arrives
        (``timeout`` only bounds a test that would otherwise hang; TimeoutError then)."""
        def match() -> dict[str, Any] | None:
            return next((r for r in list(self.requests) if predicate(r)), None)

        with self._arrived:
            if not self._arrived.wait_for(lambda: match() is not None, timeout):
                raise TimeoutError("no matching request reached the scripted model server")
        found = match()
        assert found is not None
        return found
    def embeddings(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and body answering an embeddings request (and record it)."""
        texts = request.get("input") or []
        texts = [texts] if isinstance(texts, str) else [str(t) for t in texts]
        with self.embedded:
            self.embedding_requests.append(texts)
            self.embedded.notify_all()
        if self.embedding_status != 200:
            return self.embedding_status, {"error": {"message": "scripted embedding failure",
                                                     "type": "scripted",
                                                     "code": self.embedding_status}}
        data = [{"object": "embedding", "index": i, "embedding": embed_text(t)}
                for i, t in enumerate(texts)]
        tokens = sum(len(t.split()) for t in texts)
        return 200, {"object": "list", "data": data, "model": request.get("model", "scripted"),
                     "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

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
            model.peers.append((int(self.client_address[1]), request))
            if self.path.rstrip("/").endswith("/embeddings"):
                self._json(*model.embeddings(request))
                return
            reply = model.next_reply(request)
            if reply.gate is not None:
                while not reply.gate.wait(0.05) and not model._stopping.is_set():
                    pass
            if reply.first_byte_delay:
                time.sleep(reply.first_byte_delay)
            if reply.fault in (Fault.EMPTY_BODY, Fault.HTML_BODY, Fault.SILENCE,
                               Fault.KEEPALIVE):
                self._fault(reply.fault)
                return
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

        def _fault(self, fault: Fault) -> None:
            body = HTML_PAGE.encode() if fault is Fault.HTML_BODY else b""
            self.send_response(200)
            if fault in (Fault.EMPTY_BODY, Fault.HTML_BODY):
                self.send_header("Content-Type", "text/html" if body else "text/event-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                return
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True
            while not model._stopping.wait(0.05):
                if fault is Fault.KEEPALIVE:
                    try:
                        self._send(": keep-alive\n\n")
                    except OSError:
                        return  # the client gave up
                elif _hung_up(self.connection):
                    return

        def _stream(self, reply: Reply, request: dict[str, Any]) -> None:
            # A killed server is modelled with a body delimited by closing the connection
            # (no chunked framing), so the client sees an orderly end of data, as after a kill.
            framed = reply.fault is not Fault.KILLED
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            if framed:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            events = list(_chunks(reply, model))
            include_usage = (request.get("stream_options") or {}).get("include_usage")
            if include_usage:
                events.append({"choices": [], "usage": _usage(reply)})
            cut = reply.cut_after
            if reply.fault in (Fault.KILLED, Fault.NO_FINISH):
                cut = _finish_index(events) if cut is None else cut
            for number, event in enumerate(events):
                if reply.hold_after is not None and number == reply.hold_after + 1:
                    self._hold()  # the first event carries the role, then the text chunks
                    return
                if cut is not None and number >= cut:
                    self.wfile.flush()
                    self.close_connection = True
                    if reply.fault is Fault.NO_FINISH:
                        self.wfile.write(b"0\r\n\r\n")  # a clean end, minus the final event
                        self.wfile.flush()
                    return  # cut_after alone: no terminating chunk, a broken stream
                try:
                    self._send(f"data: {json.dumps(_envelope(event))}\n\n", framed)
                except OSError:
                    model.hung_up()
                    return
                if reply.chunk_delay:
                    time.sleep(reply.chunk_delay)
            self._send("data: [DONE]\n\n", framed)
            if framed:
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _hold(self) -> None:
            self.close_connection = True
            while not model._stopping.wait(0.05):
                if _hung_up(self.connection):
                    model.hung_up()
                    return

        def _send(self, text: str, framed: bool = True) -> None:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if framed else data)
            self.wfile.flush()

    return Handler


def unpaired(messages: list[dict[str, Any]]) -> str | None:
    """OpenAI's refusal when tool calls and results are not paired as it requires (every
    assistant ``tool_calls`` directly followed by one tool message per call), else None."""
    waiting: list[str] = []
    for message in messages:
        if message.get("role") == "tool":
            if message.get("tool_call_id") not in waiting:
                return ("Invalid parameter: messages with role 'tool' must be a response to a "
                        "preceeding message with 'tool_calls'.")
            waiting.remove(message["tool_call_id"])
            continue
        if waiting:
            break
        waiting = [c["id"] for c in message.get("tool_calls") or []]
    if waiting:
        return ("An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(waiting)}")
    return None


def _finish_index(events: list[dict[str, Any]]) -> int:
    """The position of the event that carries ``finish_reason``."""
    return next(i for i, e in enumerate(events)
                if any(c.get("finish_reason") for c in e.get("choices", [])))


def _hung_up(conn: socket.socket) -> bool:
    """Whether the client closed its end (a readable socket with nothing to read)."""
    conn.settimeout(0.0)
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        conn.settimeout(None)


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


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


_FUNCTION_WORDS = frozenset({"the", "and", "are", "was", "were", "for", "with", "that", "this",
                             "what", "did", "you", "our", "use", "its", "from", "has", "have",
                             "how", "who", "why", "when", "which"})


def embed_text(text: str) -> list[float]:
    """A deterministic unit vector: hashed stemmed words (weight 1) and their character
    trigrams (0.6 each), short and function words left out."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if len(word) < 3 or word in _FUNCTION_WORDS:
            continue
        stem = _stem(word)
        padded = f"#{stem}#"
        features = [(stem, 1.0)] + [(padded[i:i + 3], 0.6) for i in range(len(padded) - 2)]
        for feature, weight in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % EMBEDDING_DIMENSIONS
            vector[slot] += weight if digest[4] & 1 else -weight
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]
