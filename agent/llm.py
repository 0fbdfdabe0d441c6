"""One streamed model call with retries, a deadline, and errors that lead with our words:
``openai/`` models straight over httpx (``agent.openai_http``), every other provider through
litellm, imported lazily and quietly.

``import litellm`` takes seconds, so it happens only for a model that needs it: on its first
call, or in a background warm-up that long-running processes start for such a model
(``needs_litellm``). It never prints to stdout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from agent import openai_http
from agent.model import DEFAULT_CONTEXT_WINDOW, ModelConfig, ProviderError, TurnTimeout

log = logging.getLogger("memfs.llm")
_lock = threading.Lock()
_module: ModuleType | None = None
LOCAL_KEY = openai_http.LOCAL_KEY


def litellm() -> ModuleType:
    """The litellm module, configured for a server: no network cost map, no telemetry, no
    debug output on stdout."""
    global _module
    if _module is not None:
        return _module
    with _lock:
        if _module is None:
            os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            os.environ.setdefault("LITELLM_LOG", "ERROR")
            import litellm as module

            module.suppress_debug_info = True
            module.telemetry = False
            module.set_verbose = False  # type: ignore[attr-defined]
            module.drop_params = True
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
                logging.getLogger(name).setLevel(logging.ERROR)
            _module = module
    return _module


def needs_litellm(model: str | None) -> bool:
    """Whether calls for ``model`` go through litellm (not the direct OpenAI route)."""
    return bool(model) and not openai_http.handles(ModelConfig(str(model), None, None))


def warm_up(model: str | None) -> threading.Thread | None:
    """Import litellm in a daemon thread so the first turn with ``model`` does not wait for
    it; nothing when ``model`` does not need litellm (or is not configured)."""
    if _module is not None or not needs_litellm(model):
        return None
    thread = threading.Thread(target=litellm, name="litellm-warm-up", daemon=True)
    thread.start()
    return thread


def context_window(config: ModelConfig) -> int:
    """Configured window, else litellm's model info (its bundled table, read as data for
    the direct route), else a conservative default."""
    if config.context_window:
        return config.context_window
    if openai_http.handles(config):
        known = openai_http.context_window(config.model)
        if known:
            return known
        log.info("context window of %s unknown; using %d", config.model, DEFAULT_CONTEXT_WINDOW)
        return DEFAULT_CONTEXT_WINDOW
    try:
        info = litellm().get_model_info(config.model)
        window = info.get("max_input_tokens") or info.get("max_tokens")
        if window:
            return int(window)
    except Exception:  # unknown to litellm (local models): fall back
        log.info("context window of %s unknown; using %d", config.model, DEFAULT_CONTEXT_WINDOW)
    return DEFAULT_CONTEXT_WINDOW


@dataclass
class StreamResult:
    """What one streamed model call produced."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None


@dataclass(frozen=True)
class Deadline:
    """When a whole turn must end (event-loop time) and the ``turnTimeout`` that set it."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(asyncio.get_running_loop().time() + seconds, seconds)


@asynccontextmanager
async def within(deadline: Deadline | None) -> AsyncIterator[None]:
    """Run the block under ``deadline``: TurnTimeout when it passes."""
    if deadline is None:
        yield
        return
    scope = asyncio.timeout_at(deadline.at)
    try:
        async with scope:
            yield
    except TimeoutError:
        if scope.expired():
            raise TurnTimeout(deadline.seconds) from None
        raise


RETRY_STATUS = (429, 500, 502, 503, 504)


def _call_kwargs(config: ModelConfig, timeout: float) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"model": config.model, "timeout": timeout, "num_retries": 0}
    if config.api_base:
        kwargs["api_base"] = config.api_base
        if not _keys_in_environment(config.model):
            kwargs["api_key"] = LOCAL_KEY
    return kwargs


def _keys_in_environment(model: str) -> bool:
    """Whether the provider's key variables are set (asked of litellm, cached per model and
    environment)."""
    names = tuple(sorted(k for k in os.environ if k.endswith("_KEY") or k.endswith("_TOKEN")))
    key = (model, names)
    if key not in _KEY_CACHE:
        env = litellm().validate_environment(model=model)
        _KEY_CACHE[key] = bool(env.get("keys_in_environment", True))
    return _KEY_CACHE[key]


_KEY_CACHE: dict[tuple[str, tuple[str, ...]], bool] = {}


def check_environment(config: ModelConfig) -> None:
    """Raise ProviderError naming the missing API key variables, before any request."""
    if config.api_base:
        return
    if openai_http.handles(config):
        variable = openai_http.missing_key(config)
        if variable:
            raise ProviderError(
                f"missing API key for {config.model}: {variable} is not set",
                f"export {variable} in the environment that starts memfs (keys are read from "
                "the environment only)", code="missing-key")
        return
    try:
        env = litellm().validate_environment(model=config.model)
    except Exception:
        return
    missing = env.get("missing_keys") or []
    if missing and not env.get("keys_in_environment", False):
        raise ProviderError(
            f"missing API key for {config.model}: {', '.join(missing)} is not set",
            f"export {missing[0]} in the environment that starts memfs (keys are read from the "
            "environment only)", code="missing-key")


async def stream(
    config: ModelConfig, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None,
    result: StreamResult, *, timeout: float, max_retries: int, deadline: Deadline | None = None,
) -> AsyncIterator[str]:
    """One model call, streamed: yields text deltas and fills ``result``.

    ``openai/`` models go straight to the OpenAI-compatible endpoint over httpx
    (``agent.openai_http``), every other model through litellm; both fail the same way.
    ``timeout`` bounds each wait for the server (connect, first byte, every next chunk);
    ``deadline`` bounds the whole call, retries included (TurnTimeout). Connection failures,
    rate limits and 5xx answers before the first delta are retried with backoff; a refused
    connection, an unknown host and a timeout are not. A reply that ends without the model's
    finish (a killed server, a dropped connection, an empty or non-model body) is a
    ProviderError; the text so far stays in ``result``.
    """
    direct = openai_http.handles(config)
    attempt = 0
    while True:
        result.text, result.tool_calls, result.usage, result.finish_reason = "", [], {}, None
        started = False
        source = (openai_http.chunks(config, messages, tools, timeout) if direct
                  else _litellm_chunks(config, messages, tools, timeout))
        try:
            async with aclosing(source) as chunks:
                while True:
                    async with within(deadline):
                        try:
                            chunk = await chunks.__anext__()
                        except StopAsyncIteration:
                            break
                    _absorb(chunk, result)
                    text = _delta_text(chunk)
                    if text:
                        started = True
                        result.text += text
                        yield text
            result.tool_calls = [c for c in result.tool_calls if c]
            return
        except ProviderError:
            raise
        except openai_http.Unfinished as exc:
            result.tool_calls = [c for c in result.tool_calls if c]
            raise _unfinished(result, config, exc.content_type, exc.length) from None
        except Exception as exc:
            failure = _classify(exc)
            if started or failure != "transient" or attempt >= max_retries:
                raise _explain(exc, failure, config, started, attempt, timeout) from exc
            attempt += 1
            delay = min(8.0, 0.5 * 2 ** (attempt - 1))
            log.warning("model call failed (%s); retry %d in %.1fs", type(exc).__name__,
                        attempt, delay)
            async with within(deadline):
                await asyncio.sleep(delay)


async def _litellm_chunks(config: ModelConfig, messages: list[dict[str, Any]],
                          tools: list[dict[str, Any]] | None, timeout: float
                          ) -> AsyncGenerator[Any, None]:
    """litellm's chunks of one streamed call; Unfinished when it ends without a finish."""
    kwargs = _call_kwargs(config, timeout)
    if tools:
        kwargs["tools"] = tools
    response = await litellm().acompletion(messages=messages, stream=True,
                                           stream_options={"include_usage": True}, **kwargs)
    finished = False
    try:
        async for chunk in response:
            finished = finished or any(getattr(c, "finish_reason", None)
                                       for c in getattr(chunk, "choices", None) or [])
            yield chunk
        # litellm adds a finish of its own to the chunks; what the server sent is this:
        if getattr(response, "received_finish_reason", "stop" if finished else None) is None:
            hidden = getattr(response, "_hidden_params", None) or {}
            headers = hidden.get("additional_headers") or {}
            raise openai_http.Unfinished(str(headers.get("llm_provider-content-type") or ""),
                                         headers.get("llm_provider-content-length"))
    finally:
        if hasattr(response, "aclose"):
            await response.aclose()  # hang up: a cancelled or failed call stops at once


async def complete_text(config: ModelConfig, messages: list[dict[str, Any]], *,
                        timeout: float, max_retries: int, deadline: Deadline | None = None
                        ) -> str:
    """A whole text answer (used for summaries)."""
    result = StreamResult()
    async for _ in stream(config, messages, None, result, timeout=timeout,
                          max_retries=max_retries, deadline=deadline):
        pass
    return result.text


def _get(item: Any, name: str) -> Any:
    """A field of a chunk part: a dict key (direct route) or an attribute (litellm)."""
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _delta_text(chunk: Any) -> str:
    choices = _get(chunk, "choices") or []
    if not choices:
        return ""
    delta = _get(choices[0], "delta")
    content = _get(delta, "content") if delta is not None else None
    return content if isinstance(content, str) else ""


def _absorb(chunk: Any, result: StreamResult) -> None:
    usage = _get(chunk, "usage")
    if usage:
        result.usage = {
            "prompt_tokens": int(_get(usage, "prompt_tokens") or 0),
            "completion_tokens": int(_get(usage, "completion_tokens") or 0),
            "total_tokens": int(_get(usage, "total_tokens") or 0),
        }
    choices = _get(chunk, "choices") or []
    if not choices:
        return
    choice = choices[0]
    if _get(choice, "finish_reason"):
        result.finish_reason = _get(choice, "finish_reason")
    delta = _get(choice, "delta")
    for fragment in (_get(delta, "tool_calls") if delta is not None else None) or []:
        index = _get(fragment, "index") or 0
        while len(result.tool_calls) <= index:
            result.tool_calls.append({})
        call = result.tool_calls[index]
        if not call:
            call.update({"id": "", "type": "function",
                         "function": {"name": "", "arguments": ""}})
        if _get(fragment, "id"):
            call["id"] = _get(fragment, "id")
        function = _get(fragment, "function")
        if function is not None:
            if _get(function, "name"):
                call["function"]["name"] += _get(function, "name")
            if _get(function, "arguments"):
                call["function"]["arguments"] += _get(function, "arguments")


def _unfinished(result: StreamResult, config: ModelConfig, content_type: str,
                length: str | None) -> ProviderError:
    """The error for a reply that ended without the model's finish, naming what came back
    (``content_type`` and ``length`` are the response's headers)."""
    if result.text or result.tool_calls:
        return ProviderError(f"the reply from {config.model} broke off before the model "
                             "finished (the connection closed without the final event)",
                             "send the message again; what arrived so far is kept, marked as "
                             "an error", code="stream-interrupted")
    kind = content_type.split(";")[0].strip()
    size = f", {length} bytes" if length not in (None, "0") else ""
    if "html" in kind:
        body = f"an HTML page ({kind}{size})"
    elif length == "0" or not kind:
        body = "an empty body"
    elif "event-stream" in kind:
        body = "an event stream with no model output"
    else:
        body = f"a {kind} body{size}"
    where = f"the server at {config.api_base}" if config.api_base else f"{config.model}'s provider"
    hint = ("check that apiBase is the model server's OpenAI-compatible URL (it usually ends "
            "in /v1)" if config.api_base else "try again; if it persists, the provider is failing")
    return ProviderError(f"{where} answered HTTP 200 with {body}, not a model reply", hint,
                         code="bad-response")


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception behind it (causes, contexts, litellm's originals)."""
    found: list[BaseException] = []
    queue: list[BaseException | None] = [exc]
    while queue:
        current = queue.pop(0)
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        queue += [current.__cause__, current.__context__,
                  getattr(current, "original_exception", None)]
    return found


TIMEOUT_NAMES = ("Timeout", "APITimeoutError", "ReadTimeout", "ConnectTimeout", "PoolTimeout",
                 "WriteTimeout", "SocketTimeoutError", "ServerTimeoutError")


CONNECTION_NAMES = ("APIConnectionError", "RemoteProtocolError", "ReadError", "WriteError",
                    "ConnectError")


def _reached(exc: BaseException) -> bool:
    """Whether the failure came from the network (an HTTP client or a socket), not from
    litellm refusing the call before sending it (it reports those as HTTP 400 or 500 too)."""
    return any(type(e).__module__.split(".")[0] in ("httpx", "httpcore", "aiohttp")
               or isinstance(e, OSError) or getattr(e, "reached", False) for e in _chain(exc))


def _status(exc: BaseException) -> int | None:
    """The HTTP status the provider answered with, if the request reached it."""
    if not _reached(exc):
        return None
    for item in _chain(exc):
        status = getattr(item, "status_code", None)
        if isinstance(status, int):
            return status
    return None


def _classify(exc: BaseException) -> str:
    """refused | unknown-host | timeout | local (never sent) | transient | permanent."""
    chain = _chain(exc)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "refused"
    if any(isinstance(e, socket.gaierror) for e in chain):
        return "unknown-host"
    if any(type(e).__name__ in TIMEOUT_NAMES or isinstance(e, TimeoutError) for e in chain):
        return "timeout"
    if not _reached(exc):
        return "local"
    status = _status(exc)
    if status in RETRY_STATUS or (status is not None and status >= 500):
        return "transient"
    if any(type(e).__name__ in CONNECTION_NAMES for e in chain):
        return "transient"  # a dropped or reset connection
    return "permanent"


_LITELLM_PREFIX = re.compile(r"^\s*(?:litellm\.)?[A-Z]\w*(?:Error|Exception|Timeout)\s*(?::|-)\s*")
_LITELLM_TAILS = (" Original exception:", " Error_str:", "\nReceived Model Group",
                  " LiteLLM Retried:", "\nAvailable Model Group")


def provider_detail(exc: BaseException, failure: str) -> str:
    """The provider's own words: litellm's class-name prefixes and tails trimmed,
    credentials redacted, one line of at most 300 characters."""
    if failure in ("refused", "unknown-host"):
        text = next(str(e) for e in _chain(exc)
                    if isinstance(e, ConnectionRefusedError | socket.gaierror))
    else:
        text = str(exc)
    for tail in _LITELLM_TAILS:
        text = text.split(tail)[0]
    previous = None
    while previous != text:
        previous, text = text, _LITELLM_PREFIX.sub("", text, count=1)
    text = " ".join(text.split())
    from memfs.secrets import redact  # the detectors are heavy to import; errors are rare

    return redact(text)[0][:300] or type(exc).__name__


def _explain(exc: Exception, failure: str, config: ModelConfig, started: bool, retries: int,
             timeout: float) -> ProviderError:
    """Our words for a failed call, then the provider's detail."""
    name = type(exc).__name__
    status = _status(exc)
    model = config.model
    detail = provider_detail(exc, failure)
    tried = f" (after {retries} retries)" if retries else ""
    if failure == "refused" and config.api_base:
        return ProviderError(f"nothing is listening at {config.api_base}",
                             "start the model server, or fix apiBase: MEMFS_API_BASE or the "
                             "'apiBase' setting", code="connection-refused", detail=detail)
    if failure == "refused":
        return ProviderError(f"{model}'s provider refused the connection", "check your "
                             "network and proxy settings", code="connection-refused",
                             detail=detail)
    if failure == "unknown-host":
        where = config.api_base or f"{model}'s provider"
        return ProviderError(f"the host of {where} cannot be found", "check the address in "
                             "apiBase and your network", code="unknown-host", detail=detail)
    if failure == "local" and "LLM Provider NOT provided" in detail:
        return ProviderError(f"memfs cannot tell which provider serves the model {model}",
                             "write the model as provider/name, e.g. openai/gpt-4o, "
                             "anthropic/claude-sonnet-4-5 or ollama_chat/llama3",
                             code="unknown-model", detail=detail)
    if failure == "local":
        return ProviderError(f"the call to {model} failed before it reached the provider",
                             "check the model name, apiBase and the provider's API key "
                             "variable", detail=detail)
    if started:
        return ProviderError(f"the reply from {model} broke off mid-stream",
                             "send the message again; what arrived so far is kept",
                             code="stream-interrupted", detail=detail)
    if failure == "timeout":
        return ProviderError(f"{model} sent nothing for {timeout:g} s (requestTimeout)",
                             "the model server may be overloaded or stuck; try again, or raise "
                             "'requestTimeout' for a slow local model", code="timeout",
                             detail=detail)
    if name == "AuthenticationError" or status in (401, 403):
        return ProviderError(f"the model provider refused the API key for {model}",
                             "check the provider's API key variable (e.g. OPENAI_API_KEY) in "
                             "the environment that starts memfs", code="auth-failed",
                             detail=detail)
    if name == "NotFoundError" or status == 404:
        return ProviderError(f"the model provider does not know the model {model}",
                             "check the model name (litellm form: provider/model) and apiBase",
                             code="unknown-model", detail=detail)
    if name == "RateLimitError" or status == 429:
        return ProviderError(f"the model provider is rate limiting requests{tried}",
                             "wait a minute and try again, or raise your quota",
                             code="rate-limited", detail=detail)
    if name == "ContextWindowExceededError":
        return ProviderError(f"the conversation no longer fits {model}'s context window",
                             "run 'memfs.compact' or start a new conversation",
                             code="context-overflow", detail=detail)
    if failure == "transient":
        code = f"HTTP {status}" if status else "a connection error"
        return ProviderError(f"the model provider failed with {code}{tried}",
                             "the provider is having trouble; try again shortly",
                             code="provider-unavailable", detail=detail)
    code = f" with HTTP {status}" if status else ""
    return ProviderError(f"the model provider rejected the request to {model}{code}",
                         "check the model name and apiBase; if the model cannot use tools, "
                         "pick one that can", detail=detail)
