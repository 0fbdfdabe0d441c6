"""Hosting reflections in the server: background tasks, work-done progress (cancellable from
the editor) and the ``memfs/reflection`` notification."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from agent.reflection import Outcome, Progress
from agent.runtime import Runtime

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


def attach(ls: MemfsServer, runtime: Runtime) -> None:
    """Let the runtime start reflections in the background and report them to the client."""
    runtime.spawn = ls.background
    runtime.on_reflection = lambda outcome: _finished(ls, outcome)
    runtime.reflection_progress = lambda: progress(ls, "memfs: reflecting")


def _finished(ls: MemfsServer, outcome: Outcome) -> None:
    if outcome.commit:
        ls.own_commits[outcome.commit] = "reflection"
    ls.notify("memfs/reflection", outcome.to_dict())


def progress(ls: MemfsServer, title: str) -> Progress:
    """A Progress whose begin/report/end drive LSP work-done progress (when supported)."""
    window = ls.client_capabilities.window
    if window is None or not window.work_done_progress:
        return Progress()
    token = f"memfs-{uuid.uuid4().hex[:12]}"
    state: dict[str, Any] = {"started": False}

    def begin(message: str) -> None:
        ls.work_done_progress.create(token)
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=title, message=message, cancellable=True))
        import asyncio

        task = asyncio.current_task()
        if task is not None:
            ls.cancellable[token] = task
        state["started"] = True

    def report(message: str) -> None:
        if state["started"]:
            ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

    def end(message: str) -> None:
        if state["started"]:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
            ls.cancellable.pop(token, None)

    return Progress(begin, report, end)


def cancel(ls: MemfsServer, params: types.WorkDoneProgressCancelParams) -> None:
    """The user pressed cancel on a progress item: stop that task."""
    task = ls.cancellable.pop(params.token, None)
    if task is not None:
        task.cancel()
