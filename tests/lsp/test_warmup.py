"""The background warm-up keeps out of the way of the requests it speeds up: past what a chat
needs before its first reply, it loads a module only while no handler or background work runs,
and it gives the garbage collector back (off from launch) once everything is loaded."""

from __future__ import annotations

import asyncio
import gc
import importlib
import subprocess
import sys
import warnings
from pathlib import Path
from types import ModuleType

from lsp_server import watcher
from lsp_server.features import lifecycle
from lsp_server.server import build
from lsp_server.warmup import URGENT, WarmUp


def test_the_warm_up_waits_while_work_runs_and_collects_garbage_again_when_done() -> None:
    server = build("test")
    loads: list[tuple[str, int]] = []

    def load(name: str) -> ModuleType:
        loads.append((name, server.own_work))  # how much work ran at the time
        return importlib.import_module(name)

    server.warm_up = WarmUp(lambda: ["lsp_server.progress", "lsp_server.features.links"], load)
    collecting = gc.isenabled()
    gc.disable()
    try:
        with server.working():
            with server.working():
                assert not server.warm_up.quiet.is_set()
            assert not server.warm_up.quiet.is_set()  # the outer work still runs
            server.warm_up.start()  # as answering initialize does, if work runs already
        assert server.warm_up.quiet.is_set()
        assert server.warm_up.done.wait(120)
        assert gc.isenabled()
    finally:
        if not collecting:
            gc.disable()
    assert [name for name, _ in loads] == [*URGENT, "lsp_server.progress",
                                           "lsp_server.features.links"]
    assert loads[len(URGENT):] == [("lsp_server.progress", 0), ("lsp_server.features.links", 0)]


def test_the_server_starts_with_the_garbage_collector_off() -> None:
    """Until the warm-up ends (a full pass over the import-time objects costs tens of ms)."""
    script = ("import gc, sys\n"
              "from lsp_server import cli\n"
              "sys.argv = ['memfs-lsp', '--tcp', 'not-an-address']\n"
              "try:\n"
              "    cli.main()\n"
              "except SystemExit:\n"
              "    print(gc.isenabled())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "False", done.stderr


async def test_a_shutdown_before_the_memory_watcher_s_first_poll_stops_it_quietly(
    workspace: Path
) -> None:
    """The editor shuts the server down in the same pass of the event loop as the watcher's
    baseline ends: the watcher never starts polling after the shutdown, and nothing is left
    behind (it used to be a task made after the shutdown had cancelled the others, or, cancelled
    before its first step, a ``RuntimeWarning: coroutine '_watch' was never awaited`` in the
    editor's log; so did any background work cancelled before it began)."""
    server = build("test")
    server.folders = [workspace.as_uri()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        starting = asyncio.ensure_future(watcher.start(server))
        while server.watcher is None:
            await asyncio.sleep(0)
        server.watcher.add_done_callback(lambda _: lifecycle.shutdown(server, None))
        await starting
        # background work made just before the shutdown (a status refresh after settings)
        server.background(asyncio.sleep(0))
        lifecycle.shutdown(server, None)
        await asyncio.wait(list(server.tasks) or [starting])
        assert not server.tasks, "a watcher still runs after the shutdown"
        del starting
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
