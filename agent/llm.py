"""litellm, imported lazily and quietly, and one streamed model call with retries.

``import litellm`` takes seconds, so it happens on the first model call or in a background
warm-up that long-running processes start at once. It never prints to stdout.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from agent.model import DEFAULT_CONTEXT_WINDOW, ModelConfig, ProviderError

log = logging.getLogger("memfs.llm")
_lock = threading.Lock()
_module: ModuleType | None = None
LOCAL_KEY = "sk-memfs-local"  # placeholder key for keyless local servers reached via api_base


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


def warm_up() -> threading.Thread:
    """Import litellm in a daemon thread so the first turn does not wait for it."""
    thread = threading.Thread(target=litellm, name="litellm-warm-up", daemon=True)
    thread.start()
    return thread


def context_window(config: ModelConfig) -> int:
    """Configured window, else litellm's model info, else a conservative default."""
    if config.context_window:
        return config.context_window
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


TRANSIENT = ("RateLimitError", "Timeout", "APIConnectionError", "InternalServerError",
             "ServiceUnavailableError", "APIError")
RETRY_STATUS = (408, 429, 500, 502, 503, 504)


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
    result: StreamResult, *, timeout: float, max_retries: int,
) -> AsyncIterator[str]:
    """One model call, streamed: yields text deltas and fills ``result``.

    Transient failures before the first delta are retried with backoff; any failure after it
    raises ProviderError (the text so far stays in ``result``).
    """
    lm = litellm()
    attempt = 0
    while True:
        result.text, result.tool_calls, result.usage, result.finish_reason = "", [], {}, None
        started = False
        try:
            kwargs = _call_kwargs(config, timeout)
            if tools:
                kwargs["tools"] = tools
            response = await lm.acompletion(messages=messages, stream=True,
                                            stream_options={"include_usage": True}, **kwargs)
            async for chunk in response:
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
        except Exception as exc:
            transient = type(exc).__name__ in TRANSIENT or _status(exc) in RETRY_STATUS
            if started or not transient or attempt >= max_retries:
                raise _explain(exc, config, started, attempt) from exc
            attempt += 1
            delay = min(8.0, 0.5 * 2 ** (attempt - 1))
            log.warning("model call failed (%s); retry %d in %.1fs", type(exc).__name__,
                        attempt, delay)
            await asyncio.sleep(delay)


async def complete_text(config: ModelConfig, messages: list[dict[str, Any]], *,
                        timeout: float, max_retries: int) -> str:
    """A whole text answer (used for summaries)."""
    result = StreamResult()
    async for _ in stream(config, messages, None, result, timeout=timeout,
                          max_retries=max_retries):
        pass
    return result.text


def _delta_text(chunk: Any) -> str:
    choices = getattr(chunk, "choices", None) or []
    if not choices:
        return ""
    delta = getattr(choices[0], "delta", None)
    content = getattr(delta, "content", None) if delta is not None else None
    return content if isinstance(content, str) else ""


def _absorb(chunk: Any, result: StreamResult) -> None:
    usage = getattr(chunk, "usage", None)
    if usage:
        result.usage = {
            "prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
            "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0),
            "total_tokens": int(getattr(usage, "total_tokens", 0) or 0),
        }
    choices = getattr(chunk, "choices", None) or []
    if not choices:
        return
    choice = choices[0]
    if getattr(choice, "finish_reason", None):
        result.finish_reason = choice.finish_reason
    delta = getattr(choice, "delta", None)
    for fragment in getattr(delta, "tool_calls", None) or []:
        index = getattr(fragment, "index", None) or 0
        while len(result.tool_calls) <= index:
            result.tool_calls.append({})
        call = result.tool_calls[index]
        if not call:
            call.update({"id": "", "type": "function",
                         "function": {"name": "", "arguments": ""}})
        if getattr(fragment, "id", None):
            call["id"] = fragment.id
        function = getattr(fragment, "function", None)
        if function is not None:
            if getattr(function, "name", None):
                call["function"]["name"] += function.name
            if getattr(function, "arguments", None):
                call["function"]["arguments"] += function.arguments


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status_code", None)
    return int(status) if isinstance(status, int) else None


def _explain(exc: Exception, config: ModelConfig, started: bool, retries: int
             ) -> ProviderError:
    name = type(exc).__name__
    status = _status(exc)
    model = config.model
    detail = str(exc).splitlines()[0][:300] if str(exc) else name
    if started:
        error = ProviderError(f"the reply from {model} broke off mid-stream ({detail})",
                              "send the message again; what arrived so far is kept",
                              code="stream-interrupted")
    elif name == "AuthenticationError" or status in (401, 403):
        error = ProviderError(f"{model} rejected the API key ({detail})",
                              "check the provider's API key variable in your environment",
                              code="auth-failed")
    elif name == "NotFoundError" or status == 404:
        error = ProviderError(f"model {model} was not found ({detail})",
                              "check the model name (litellm form: provider/model) and api_base",
                              code="unknown-model")
    elif name == "RateLimitError" or status == 429:
        error = ProviderError(f"{model} is rate limiting requests (gave up after {retries} "
                              "retries)", "wait a minute and try again, or raise your quota",
                              code="rate-limited")
    elif name == "Timeout" or status == 408:
        error = ProviderError(f"{model} did not answer in time", "try again, or raise "
                              "'requestTimeout' in settings", code="timeout")
    elif name == "ContextWindowExceededError":
        error = ProviderError(f"the conversation no longer fits {model}'s context window",
                              "run 'memfs.compact' or start a new conversation",
                              code="context-overflow")
    elif name == "BadRequestError" and "model" in detail.lower():
        error = ProviderError(f"{model} refused the request: {detail}",
                              "check the model name and provider settings", code="unknown-model")
    elif name in TRANSIENT or (status is not None and status >= 500):
        error = ProviderError(f"{model}'s provider failed ({detail}; {retries} retries)",
                              "the provider is having trouble; try again shortly",
                              code="provider-unavailable")
    else:
        error = ProviderError(f"the call to {model} failed: {detail}",
                              "check the model settings ('memfs agent list')")
    return error
