"""The JSON-RPC rules pygls leaves open, so every message gets the spec's answer.

- A body that is not UTF-8 JSON is a Parse error (-32700, id null); a JSON value that is not a
  JSON-RPC 2.0 message is an Invalid Request (-32600); a request whose params do not fit its
  method is Invalid Params (-32602), with the field when it is known.
- Before ``initialize`` a request gets ServerNotInitialized (-32002); after ``shutdown`` it gets
  Invalid Request; notifications then are dropped (``exit`` always works).
- ``shutdown`` cancels the requests in flight (each answered RequestCancelled) and answers null.
- Params of our own ``memfs/`` methods stay plain dicts (pygls would make namedtuples of
  them), so ``lsp_server.params`` can validate them by field name.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, cast

from cattrs import transform_error
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, RPCRequest
from pygls.protocol.language_server import lsp_method

from lsp_server.wire import Encoded

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

log = logging.getLogger("memfs.lsp")
CUSTOM_PREFIX = "memfs/"
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
SERVER_NOT_INITIALIZED = -32002


class MemfsProtocol(LanguageServerProtocol):
    """pygls's LSP protocol plus the checks above; ``handle_body`` is the entry for one
    framed message (see ``lsp_server.transport``)."""

    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self.initialize_received = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """From now on every frame is written from ``loop``'s thread (the caller's)."""
        self.loop, self._loop_thread = loop, threading.get_ident()

    def _send_data(self, data: Any) -> None:
        """Write one message, always from the event loop's thread: a frame sent from a worker
        thread (a log record forwarded as ``window/logMessage``) is handed to the loop, so it
        can never land inside a large answer the loop is writing (an unbuffered stdout,
        ``PYTHONUNBUFFERED=1``, is a raw file that keeps no two writes apart). A response
        whose result is ``Encoded`` goes out as those bytes; anything else as pygls sends it."""
        loop = self.loop
        if loop is not None and threading.get_ident() != self._loop_thread:
            try:
                loop.call_soon_threadsafe(self._send_data, data)
                return
            except RuntimeError:  # the loop is closed (shutting down): write it here
                pass
        result = getattr(data, "result", None)
        if not isinstance(result, Encoded) or not hasattr(data, "id") or self.writer is None:
            super()._send_data(data)
            return
        body = b'{"jsonrpc":"2.0","id":%s,"result":%s}' % (json.dumps(data.id).encode(),
                                                          result.json)
        if self._include_headers:
            body = (f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; "
                    f"charset={self.CHARSET}\r\n\r\n").encode("ascii") + body
        try:
            written = self.writer.write(body)
            if inspect.isawaitable(written):
                asyncio.ensure_future(written)
        except BrokenPipeError:
            raise
        except Exception as exc:  # as pygls's own _send_data reports a failed write
            log.exception("sending the answer to request %s failed", data.id)
            self._server._report_server_error(exc, JsonRpcInternalError)

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        """Send a response; once ``initialize`` is answered the server's warm-up starts
        (``lsp_server.warmup``)."""
        super()._send_response(msg_id, result, error)
        if isinstance(result, types.InitializeResult):
            cast("MemfsServer", self._server).warm_up.start()

    def send_error(self, msg_id: Any, code: int, message: str) -> None:
        """An error response (``msg_id`` None when the request's id is unknown)."""
        self._send_data({"jsonrpc": "2.0", "id": msg_id,
                         "error": {"code": code, "message": message}})

    def handle_body(self, body: bytes) -> None:
        """Parse, check and dispatch one message; answer every malformed request."""
        try:
            data = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            self.send_error(None, PARSE_ERROR, "Parse error: the message is not valid UTF-8 "
                            f"(byte {exc.start}: {exc.reason})")
            return
        except (ValueError, RecursionError) as exc:
            self.send_error(None, PARSE_ERROR, f"Parse error: {exc}")
            return
        msg_id = _id_of(data)
        problem = _request_problem(data)
        if problem is not None:
            self.send_error(msg_id, INVALID_REQUEST, f"Invalid Request: {problem}")
            return
        method = data.get("method")
        is_request = method is not None and "id" in data
        problem = _params_problem(data) if is_request else None
        if problem is not None:
            self.send_error(msg_id, INVALID_PARAMS, f"invalid params of {method}: {problem}")
            return
        try:
            message = self.structure_message(data)
        except JsonRpcException as exc:
            detail = _structure_detail(exc)
            if is_request:
                self.send_error(msg_id, INVALID_PARAMS, f"invalid params of {method}: {detail}")
            else:
                log.warning("ignored a malformed %s notification: %s", method, detail)
            return
        self.handle_message(message)

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        if method is not None and method != types.EXIT:
            request = isinstance(message, RPCRequest)
            if not self.initialize_received and method != types.INITIALIZE:
                if request:
                    self.send_error(message.id, SERVER_NOT_INITIALIZED,
                                    "the server is not initialized: send 'initialize' first")
                return
            if self._shutdown:
                if request:
                    self.send_error(message.id, INVALID_REQUEST,
                                    "the server is shutting down: only 'exit' is accepted")
                return
            if method == types.INITIALIZE:
                self.initialize_received = True
        super().handle_message(message)

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Generator[Any, Any, None]:
        """Run our shutdown handler, cancel what is in flight (each gets its answer), stop."""
        if (user_handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        # A copy: cancelling a request's future answers it, which removes it from the dict.
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None


def _id_of(data: Any) -> Any:
    """The message's id when it is a valid one (string or number), else None."""
    if isinstance(data, dict):
        value = data.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return value
    return None


def _request_problem(data: Any) -> str | None:
    """Why ``data`` is not a JSON-RPC 2.0 request, notification or response (None if it is)."""
    if isinstance(data, list):
        return "batches are not part of LSP; send one message per frame"
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    if data.get("jsonrpc") != "2.0":
        return "'jsonrpc' must be \"2.0\""
    if "id" in data and data["id"] is not None and _id_of(data) is None:
        return "'id' must be a string or a number"
    if "method" in data:
        if not isinstance(data["method"], str):
            return "'method' must be a string"
        return None
    if "id" not in data or ("result" not in data and "error" not in data):
        return "a message needs a 'method' (request, notification) or an 'id' with a " \
               "'result' or 'error' (response)"
    return None


def _params_problem(data: dict[str, Any]) -> str | None:
    """Shape errors pygls would not answer: params that are not structured, and command
    arguments that are not a list."""
    params = data.get("params")
    if params is not None and not isinstance(params, dict | list):
        return f"'params' must be an object, got {type(params).__name__}"
    if data["method"] == types.WORKSPACE_EXECUTE_COMMAND and isinstance(params, dict):
        arguments = params.get("arguments")
        if arguments is not None and not isinstance(arguments, list):
            return ("invalid 'arguments': expected a list (e.g. [{...}]), got "
                    f"{type(arguments).__name__}")
    return None


def _structure_detail(exc: JsonRpcException) -> str:
    cause = exc.__cause__
    return str(exc) if cause is None else "; ".join(transform_error(cause)[:3])


def converter() -> Any:
    """pygls's converter, except that params of ``memfs/`` methods stay plain dicts."""
    result = default_converter()

    def keep_params(obj: dict[str, Any], cls: type) -> Any:
        if not str(obj.get("method", "")).startswith(CUSTOM_PREFIX):
            from pygls.protocol import _dict_to_object

            if "params" in obj:
                obj["params"] = _dict_to_object(obj["params"])
        return cls(**obj)

    result.register_structure_hook(JsonRPCRequestMessage, keep_params)
    result.register_structure_hook(JsonRPCNotification, keep_params)
    return result
