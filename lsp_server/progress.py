"""Work-done progress (``$/progress``), one helper for chat, init and reflection alike.

A ``WorkDone`` uses the client's token when the request carried one; otherwise it asks the
client for a token (``window/workDoneProgress/create``) when the client can show progress, and
sends nothing when it cannot. ``begin``/``report``/``end`` are plain calls that keep their order
even while the token is still being created. A cancellable item stops its task when the user
presses cancel (``window/workDoneProgress/cancel``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

log = logging.getLogger("memfs.lsp")


class WorkDone:
    """One progress item shown by the editor."""

    def __init__(self, ls: MemfsServer, title: str, *, token: str | int | None = None,
                 cancellable: bool = False) -> None:
        self.ls = ls
        self.title = title
        self.token = token
        self.cancellable = cancellable
        self._created: asyncio.Task[bool] | None = None
        self._ended = False

    def begin(self, message: str) -> None:
        """Show the item (call from the task that does the work)."""
        if self.token is None:
            window = self.ls.client_capabilities.window
            if window is None or not window.work_done_progress:
                return
            self.token = f"memfs-{uuid.uuid4().hex[:12]}"
            self._created = asyncio.ensure_future(self._create(self.token))
        if self.cancellable and (task := asyncio.current_task()) is not None:
            self.ls.cancellable[self.token] = task
        begin = types.WorkDoneProgressBegin(title=self.title, message=message,
                                            cancellable=self.cancellable)
        self._send(lambda token: self.ls.work_done_progress.begin(token, begin))

    def report(self, message: str) -> None:
        """Update the item's message."""
        report = types.WorkDoneProgressReport(message=message)
        self._send(lambda token: self.ls.work_done_progress.report(token, report))

    def end(self, message: str) -> None:
        """Close the item with a final message (once; later calls do nothing)."""
        if self._ended:
            return
        self._ended = True
        if self.token is not None:
            self.ls.cancellable.pop(self.token, None)
        end = types.WorkDoneProgressEnd(message=message)

        def send(token: str | int) -> None:
            self.ls.work_done_progress.end(token, end)
            self.ls.work_done_progress.tokens.pop(token, None)

        self._send(send)

    async def _create(self, token: str) -> bool:
        try:
            await self.ls.work_done_progress.create_async(token)
        except JsonRpcException as exc:
            log.info("the editor refused a progress item: %s", exc)
            return False
        return True

    def _send(self, send: Callable[[str | int], Any]) -> None:
        token, created = self.token, self._created
        if token is None:
            return
        if created is None:
            send(token)
        elif created.done():
            if not created.cancelled() and created.result():
                send(token)
        else:  # done-callbacks run in the order they were added: begin, reports, end
            created.add_done_callback(
                lambda task: None if task.cancelled() or not task.result() else send(token))


def cancel(ls: MemfsServer, params: types.WorkDoneProgressCancelParams) -> None:
    """The user pressed cancel on a progress item: stop its task."""
    task = ls.cancellable.pop(params.token, None)
    if task is not None:
        task.cancel()
