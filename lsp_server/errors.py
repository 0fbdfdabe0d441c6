"""Domain refusals as JSON-RPC errors: bad input is InvalidParams, anything else the memory
or agent refuses is RequestFailed; both carry the memfs code and the hint."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from memfs.errors import InvalidArgument, InvalidPath, MemfsError, NotFound

REQUEST_FAILED = -32803
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class RequestFailed(JsonRpcException):
    """LSP's RequestFailed (-32803)."""

    CODE = REQUEST_FAILED


def to_rpc(exc: MemfsError) -> JsonRpcException:
    """The JSON-RPC error a client receives for a memfs refusal."""
    data = exc.to_dict()
    if isinstance(exc, InvalidPath | InvalidArgument | NotFound):
        return JsonRpcInvalidParams(message=str(exc), data=data)
    return RequestFailed(message=str(exc), data=data)


def guarded(handler: F) -> F:
    """Wrap a handler so that memfs refusals become JSON-RPC errors."""

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await handler(*args, **kwargs)
        except MemfsError as exc:
            raise to_rpc(exc) from None

    return wrapper  # type: ignore[return-value]
