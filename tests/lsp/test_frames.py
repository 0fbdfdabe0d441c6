"""Every frame the server writes leaves from its event loop's thread: a message sent from a
worker thread (a log record forwarded as ``window/logMessage``) can never land inside a large
answer the loop is writing (an unbuffered stdout, ``PYTHONUNBUFFERED=1``, keeps no two writes
apart; the editor then reads a broken message)."""

from __future__ import annotations

import asyncio
import threading

from lsprotocol import types

from lsp_server.server import build


class _Sink:
    """Where the server's frames go, with the thread that wrote each."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes]] = []

    def write(self, data: bytes) -> None:
        self.frames.append((threading.get_ident(), data))

    def close(self) -> None:
        """Nothing to close."""


async def test_a_message_sent_from_a_worker_thread_is_written_by_the_loop() -> None:
    server = build("test")
    sink = _Sink()
    server.protocol.set_writer(sink)
    server.protocol.bind(asyncio.get_running_loop())
    await asyncio.to_thread(server.window_log_message, types.LogMessageParams(
        type=types.MessageType.Info, message="from a worker"))
    # the worker handed the frame to the loop before its own result: it is written now
    assert [thread for thread, _ in sink.frames] == [threading.get_ident()]
    assert b"from a worker" in sink.frames[0][1]
