"""OpenAI-compatible chat completions spoken directly with httpx: the route for ``openai/...``
models (OpenAI itself, and the local servers users point ``apiBase`` at: llama.cpp, vLLM,
Ollama, LM Studio). Every other provider goes through litellm (``agent.llm``).

Why: ``import litellm`` takes seconds and hundreds of MB, and its per-request transform grows
with the conversation; this route needs neither. It resolves the endpoint and key exactly as
litellm does for ``openai/`` models (``apiBase``, else ``OPENAI_BASE_URL`` / ``OPENAI_API_BASE``,
else api.openai.com; ``OPENAI_API_KEY``, else a placeholder for a keyless local server), and
raises errors that ``agent.llm`` classifies and explains exactly as litellm's.
``MEMFS_DIRECT_HTTP=0`` sends these models through litellm too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import ssl
import sys
import weakref
from asyncio import AbstractEventLoop, get_running_loop
from collections.abc import AsyncGenerator
from functools import lru_cache
from pathlib import Path
from typing import Any

# httpx imports its command-line client when click, rich and pygments are installed (~50 ms
# for a CLI nobody runs in this process); marked absent, httpx keeps its stub in its place.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
import httpx  # noqa: E402

from agent import background  # noqa: E402
from agent.model import ModelConfig  # noqa: E402

PREFIX = "openai/"
DEFAULT_BASE = "https://api.openai.com/v1"
LOCAL_KEY = "sk-memfs-local"  # placeholder key for keyless local servers reached via api_base
KEY_VARIABLE = "OPENAI_API_KEY"
_CONTEXT_WORDS = re.compile(r"context length|context window|context_length_exceeded|"
                            r"maximum context|reduce the length|too many tokens", re.I)
_clients: weakref.WeakKeyDictionary[AbstractEventLoop,
                                    dict[tuple[bool, bool], httpx.AsyncClient]] = \
    weakref.WeakKeyDictionary()


def handles(config: ModelConfig) -> bool:
    """Whether ``config`` takes this route (an ``openai/`` model, unless turned off)."""
    return (config.model.startswith(PREFIX)
            and os.environ.get("MEMFS_DIRECT_HTTP", "1").strip().lower() not in ("0", "false"))


def missing_key(config: ModelConfig) -> str | None:
    """The key variable a call would lack (None when it has one or needs none)."""
    if config.api_base or os.environ.get(KEY_VARIABLE):
        return None
    return KEY_VARIABLE


class HTTPStatusFailure(Exception):
    """The server answered with an error status; ``str`` is its own message."""

    reached = True

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


class ContextWindowExceededError(HTTPStatusFailure):
    """A 400 saying the conversation does not fit the model's context window."""


class StreamErrorEvent(Exception):
    """The server sent an error event in the middle of an event stream."""

    reached = True


class Unfinished(Exception):
    """The body ended without the model's finish; carries what the headers said it was."""

    def __init__(self, content_type: str, length: str | None) -> None:
        super().__init__(content_type)
        self.content_type = content_type
        self.length = length


def _client(url: str) -> httpx.AsyncClient:
    """One connection pool per event loop (connections are bound to their loop), kind of
    endpoint and kind of work. Loading the certificate authorities costs ~30 ms of a cold
    turn, and a plain ``http://`` endpoint (a local server) never uses them: its pool gets a
    TLS context that trusts no one, so it could not even reach an ``https://`` one by mistake.
    Background work (a reflection, ``agent.background.ACTIVE``) has pools of its own, so it
    never holds the connection a user's turn would reuse (a new one costs a TLS handshake)."""
    tls = not url.startswith("http://")
    key = (tls, background.ACTIVE.get())
    clients = _clients.setdefault(get_running_loop(), {})
    client = clients.get(key)
    if client is None or client.is_closed:
        verify: ssl.SSLContext | bool = tls or ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client = clients[key] = httpx.AsyncClient(trust_env=False, verify=verify)
    return client


def _endpoint(config: ModelConfig) -> str:
    base = (config.api_base or os.environ.get("OPENAI_BASE_URL")
            or os.environ.get("OPENAI_API_BASE") or DEFAULT_BASE)
    return base.rstrip("/") + "/chat/completions"


def _headers() -> dict[str, str]:
    key = os.environ.get(KEY_VARIABLE) or LOCAL_KEY
    return {"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}


def _error_message(status: int, body: bytes) -> str:
    """The provider's own words from an error body (OpenAI's ``{"error": {"message"}}``,
    Ollama's ``{"error": "..."}``, or the text itself)."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text or f"HTTP {status}"
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or json.dumps(error)
        return str(message)
    return str(error) or f"HTTP {status}"


async def chunks(config: ModelConfig, messages: list[dict[str, Any]],
                 tools: list[dict[str, Any]] | None, timeout: float
                 ) -> AsyncGenerator[dict[str, Any], None]:
    """The parsed events of one streamed completion; raises HTTPStatusFailure for an error
    status, StreamErrorEvent for an error event and Unfinished when the body ends before an
    event carried a finish reason. httpx's own errors (connect, timeout, a cut body) pass up
    unchanged for ``agent.llm`` to classify."""
    body: dict[str, Any] = {"model": config.model[len(PREFIX):], "messages": messages,
                            "stream": True, "stream_options": {"include_usage": True}}
    if tools:
        body["tools"] = tools
    content = json.dumps(body).encode()
    headers = {**_headers(), "Content-Type": "application/json"}
    url = _endpoint(config)
    client = _client(url)
    request = client.build_request("POST", url, content=content, headers=headers,
                                   timeout=httpx.Timeout(timeout))
    response = await client.send(request, stream=True)
    try:
        if response.status_code >= 400:
            raw = await response.aread()
            message = _error_message(response.status_code, raw)
            kind = (ContextWindowExceededError if response.status_code == 400
                    and _CONTEXT_WORDS.search(message) else HTTPStatusFailure)
            raise kind(response.status_code, message)
        finished = done = False
        data: list[str] = []
        async for line in response.aiter_lines():
            if done:
                continue  # read to the end of the body, so the connection is reused
            if line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
                continue
            if line or not data:
                continue  # comments (keep-alives), event names, ids, blank lines
            payload, data = "\n".join(data), []
            if payload == "[DONE]":
                done = True
                continue
            event = json.loads(payload)
            if isinstance(event, dict) and event.get("error"):
                raise StreamErrorEvent(_error_message(200, json.dumps(event).encode()))
            if not isinstance(event, dict):
                continue
            finished = finished or any(isinstance(c, dict) and c.get("finish_reason")
                                       for c in event.get("choices") or [])
            yield event
        if not finished:
            raise Unfinished(response.headers.get("content-type", ""),
                             response.headers.get("content-length"))
    finally:
        await response.aclose()


@lru_cache(maxsize=32)
def context_window(model: str) -> int | None:
    """The model's input window from litellm's bundled model table, read as data (without
    importing litellm); None when the table does not know it. A model the table never names
    (most local ones) is settled by a text search, without parsing the whole table (~25 ms)."""
    name = model[len(PREFIX):] if model.startswith(PREFIX) else model
    text = _table_text()
    if not _may_name(text, (name, model)):
        return None
    table = _model_table(text)
    for key in (name, model):
        info = table.get(key)
        if isinstance(info, dict):
            window = info.get("max_input_tokens") or info.get("max_tokens")
            if isinstance(window, int) and window > 0:
                return window
    return None


def _may_name(text: str, keys: tuple[str, ...]) -> bool:
    """Whether the table's text may hold one of ``keys`` (False only when it cannot: none
    appears in a spelling ``json.dump`` writes, and no slash is escaped)."""
    spellings = {json.dumps(key, ensure_ascii=ascii) for key in keys for ascii in (True, False)}
    return "\\/" in text or any(spelling in text for spelling in spellings)


def _table_text() -> str:
    spec = importlib.util.find_spec("litellm")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "model_prices_and_context_window_backup.json"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return "{}"


@lru_cache(maxsize=1)
def _model_table(text: str) -> dict[str, Any]:
    data = json.loads(text)
    return data if isinstance(data, dict) else {}
