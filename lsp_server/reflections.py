"""Hosting reflections in the server: they run as background tasks, show cancellable
work-done progress, and end with a ``memfs/reflection`` notification (the outcome)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.reflection import Outcome, Progress
from agent.runtime import Runtime
from lsp_server.progress import WorkDone

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


def attach(ls: MemfsServer, runtime: Runtime) -> None:
    """Let the runtime start reflections in the background and report them to the client."""
    runtime.spawn = ls.background
    runtime.on_reflection = lambda outcome: _finished(ls, outcome)
    runtime.reflection_progress = lambda: _progress(ls)


def _progress(ls: MemfsServer) -> Progress:
    bar = WorkDone(ls, "memfs: reflecting", cancellable=True)
    return Progress(bar.begin, bar.report, bar.end)


def _finished(ls: MemfsServer, outcome: Outcome) -> None:
    if outcome.commit:
        ls.own_commits[outcome.commit] = "reflection"
    ls.notify("memfs/reflection", outcome)
