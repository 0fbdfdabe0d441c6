"""Reading framed messages (``Content-Length`` headers, then the body) from stdio or TCP.

pygls's reader trusts the header: ``Content-Length: 1000000000000`` makes it allocate that much
and die. Here a body over ``MAX_MESSAGE`` bytes is refused with a Parse error, skipped without
being held in memory (reading bounded lines up to the next header), and the server goes on.
"""

from __future__ import annotations

import asyncio
import re
import threading
from concurrent.futures import Executor
from typing import BinaryIO, Protocol

from lsp_server.protocol import PARSE_ERROR, MemfsProtocol

MAX_MESSAGE = 32 * 1024 * 1024
LINE_LIMIT = 64 * 1024
_HEADER = re.compile(rb"content-length:[ \t]*(\d+)[ \t]*\r?\n\Z", re.IGNORECASE)


class Source(Protocol):
    """Where frames come from."""

    async def readline(self) -> bytes:
        """One line, or at most ``LINE_LIMIT`` bytes of a longer one; b"" at the end."""
        ...

    async def read(self, size: int) -> bytes:
        """Exactly ``size`` bytes (fewer only at the end)."""
        ...


class StdinSource:
    """A blocking binary stream read in an executor thread."""

    def __init__(self, stream: BinaryIO, executor: Executor) -> None:
        self.stream = stream
        self.executor = executor

    async def readline(self) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, self.stream.readline, LINE_LIMIT)

    async def read(self, size: int) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, self.stream.read, size)


class StreamSource:
    """An asyncio stream (a TCP connection)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader

    async def readline(self) -> bytes:
        try:
            return await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial
        except asyncio.LimitOverrunError as exc:
            return await self.reader.read(max(exc.consumed, 1))

    async def read(self, size: int) -> bytes:
        try:
            return await self.reader.readexactly(size)
        except asyncio.IncompleteReadError as exc:
            return exc.partial


async def serve(source: Source, protocol: MemfsProtocol, stop: threading.Event) -> None:
    """Hand every framed body to the protocol until the input ends or ``stop`` is set (the
    protocol writes from this loop's thread)."""
    protocol.bind(asyncio.get_running_loop())
    length: int | None = None
    while not stop.is_set():
        line = await source.readline()
        if not line:
            return
        header = _HEADER.match(line)
        if header is not None:
            length = int(header.group(1))
            continue
        if line.strip() or length is None:  # another header (Content-Type), or a stray line
            continue
        if length > MAX_MESSAGE:
            protocol.send_error(None, PARSE_ERROR, f"a message of {length} bytes was refused "
                                f"(the limit is {MAX_MESSAGE} bytes); it was skipped")
            length = await _next_header(source)
            if length is None:
                return
            continue
        body = await source.read(length)
        if len(body) < length:
            return
        length = None
        protocol.handle_body(body)


async def _next_header(source: Source) -> int | None:
    """Skip a refused body: read bounded lines until one ends with the next message's
    ``Content-Length`` header (a JSON body cannot hold a line ending that way)."""
    tail = b""  # the end of a line cut at LINE_LIMIT, so a header split there is still seen
    while True:
        line = await source.readline()
        if not line:
            return None
        header = _HEADER.search(tail + line)
        if header is not None:
            return int(header.group(1))
        tail = b"" if line.endswith(b"\n") else line[-64:]
