"""The real server (``python -m lsp_server``) over pipes, spoken to in raw frames, for the
malformed input pytest-lsp's client cannot send."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

PING = {"command": "memfs.noSuchCommand"}  # answered at once (InvalidParams), imports nothing


class RawServer:
    """One server process; ``send`` frames a message, ``response`` waits for an answer."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.notifications: list[dict[str, Any]] = []
        self._responses: list[dict[str, Any]] = []
        self._next_id = 0

    @classmethod
    async def start(cls) -> RawServer:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "lsp_server", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        return cls(process)

    def write(self, data: bytes) -> None:
        """Bytes exactly as given (headers included)."""
        assert self.process.stdin is not None
        self.process.stdin.write(data)

    def frame(self, body: bytes) -> None:
        """``body`` with a correct Content-Length header."""
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, method: str, params: Any = None, *, request: bool = True) -> int | None:
        """A request (returns its id) or a notification."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        msg_id = None
        if request:
            self._next_id += 1
            msg_id = message["id"] = self._next_id
        self.frame(json.dumps(message).encode())
        return msg_id

    async def _read(self) -> dict[str, Any] | None:
        stdout = self.process.stdout
        assert stdout is not None
        length = 0
        while True:
            line = await stdout.readline()
            if not line:
                return None
            if line == b"\r\n":
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data: dict[str, Any] = json.loads(await stdout.readexactly(length))
        return data

    async def response(self, msg_id: int | None, timeout: float = 60) -> dict[str, Any]:
        """The answer to request ``msg_id`` (None: an error not tied to a request)."""
        async def wait() -> dict[str, Any]:
            while True:
                for item in self._responses:
                    if item.get("id") == msg_id:
                        self._responses.remove(item)
                        return item
                message = await self._read()
                if message is None:
                    raise EOFError(f"the server closed its output (exit code "
                                   f"{await self.process.wait()}) before answering {msg_id}")
                if "method" in message and "id" in message:  # a request of the server's
                    self.frame(json.dumps({"jsonrpc": "2.0", "id": message["id"],
                                           "result": None}).encode())
                elif "method" in message:
                    self.notifications.append(message)
                else:
                    self._responses.append(message)

        return await asyncio.wait_for(wait(), timeout)

    async def request(self, method: str, params: Any = None) -> dict[str, Any]:
        return await self.response(self.send(method, params))

    async def initialize(self, root_uri: str) -> None:
        answer = await self.request("initialize", {"processId": None, "rootUri": root_uri,
                                                   "capabilities": {}})
        assert "result" in answer, answer
        self.send("initialized", {}, request=False)

    async def ping(self) -> None:
        """The server still answers."""
        answer = await self.request("workspace/executeCommand", PING)
        assert answer["error"]["code"] == -32602, answer

    async def close(self) -> int:
        """shutdown + exit when the server still listens; the exit code."""
        if self.process.returncode is None:
            with contextlib.suppress(Exception):
                await self.request("shutdown")
                self.send("exit", request=False)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
        return await self.process.wait()
