"""Newline-delimited JSON-RPC on stdio that answers what it cannot read.

The SDK's own framing logs and skips a line that is not JSON (the client waits forever for
an answer) and stops serving at one that is JSON but not an object. Here a line that is not
JSON gets Parse error (-32700, id null), one that is not a request, notification or response
gets Invalid Request (-32600), a message over the stream limit is skipped unread with a
Parse error, and the agent goes on serving.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600


def error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


class LineTransport:
    """An ``acp`` message transport over a stream reader and writer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 limit: int) -> None:
        self.reader = reader
        self.writer = writer
        self.limit = limit
        self._writing = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        async with self._writing:
            self.writer.write(data)
            await self.writer.drain()

    async def receive(self) -> dict[str, Any] | None:
        """The next well-formed message; None at the end of the input."""
        while True:
            line = await self._line()
            if line is None:
                return None
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError as exc:
                await self.send(error(None, PARSE_ERROR, f"Parse error: not JSON ({exc})"))
                continue
            problem = _malformed(message)
            if problem is None:
                return dict(message)
            request_id = message.get("id") if isinstance(message, dict) else None
            await self.send(error(request_id if isinstance(request_id, str | int) else None,
                                  INVALID_REQUEST, f"Invalid request: {problem}"))

    async def close(self) -> None:
        self.writer.close()

    async def _line(self) -> bytes | None:
        while True:
            try:
                return await self.reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                return exc.partial or None  # a last line without its newline, or the end
            except asyncio.LimitOverrunError as exc:
                await self.reader.readexactly(exc.consumed)
                await self._skip()
                await self.send(error(None, PARSE_ERROR, f"Parse error: a message over "
                                      f"{self.limit} bytes was skipped"))

    async def _skip(self) -> None:
        """Drop the rest of an over-long line."""
        while True:
            try:
                await self.reader.readuntil(b"\n")
                return
            except asyncio.IncompleteReadError:
                return
            except asyncio.LimitOverrunError as exc:
                await self.reader.readexactly(exc.consumed)


def _malformed(message: Any) -> str | None:
    """Why ``message`` is not a JSON-RPC request, notification or response (None: it is)."""
    if not isinstance(message, dict):
        return "a message must be a JSON object"
    if "method" in message:
        if not isinstance(message["method"], str):
            return "'method' must be a string"
        if "params" in message and not isinstance(message["params"], dict | list | None):
            return "'params' must be an object"
        return None
    if "id" not in message or not ("result" in message or "error" in message):
        return "neither a request, a notification nor a response"
    return None
