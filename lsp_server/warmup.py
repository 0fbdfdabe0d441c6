"""The background warm-up, kept out of the way of the requests it is meant to speed up.

Handler modules load on first use (``lsp_server.server.load_module``); the warm-up imports all
of them in a background thread so that later requests find them loaded. It starts as soon as
``initialize`` is answered, with what a chat needs before its first reply (``URGENT``): that
work is the chat's own, done while the server would otherwise wait (for the editor's next
messages, its configuration, the model's first bytes). On a 2-core machine a thread importing
modules takes the interpreter (the GIL) from the request being answered, so the other modules
load only while the server has nothing else to do: before each, the warm-up waits while a
request or background work runs (``MemfsServer.working``). A chat sent at once gets the CPU
first.

The cyclic garbage collector is off from launch (``lsp_server.cli``) until the warm-up has
loaded everything: each full collection walks every object the imports made (pygls's and
lsprotocol's classes alone are tens of thousands), tens of milliseconds several times during
a start. What is loaded then lives as long as the server, so it is frozen out of the
collector's passes (``gc.freeze``) before collection resumes.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from types import ModuleType

log = logging.getLogger("memfs.lsp")
# What a chat needs before its first reply, in the order it needs it: its handler (the agent
# runtime, settings, memory), the session's reflection host, the turn loop, and what its first
# HTTP request imports (httpx's transport, anyio's asyncio backend).
URGENT = ("lsp_server.features.chat", "lsp_server.reflections", "agent.loop", "httpcore",
          "anyio._backends._asyncio")


class WarmUp:
    """Loads ``modules`` in a daemon thread, one at a time, each only while the server is
    quiet."""

    def __init__(self, modules: Callable[[], list[str]], load: Callable[[str], ModuleType]
                 ) -> None:
        self.modules = modules
        self.load = load
        self.quiet = threading.Event()  # set while no request or background work runs
        self.quiet.set()
        self.thread: threading.Thread | None = None
        self.done = threading.Event()

    def busy(self) -> None:
        """Work started: the warm-up waits before its next module."""
        self.quiet.clear()

    def idle(self) -> None:
        """No work is running any more: the warm-up goes on."""
        self.quiet.set()

    def start(self) -> None:
        """Start the thread (once)."""
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="memfs-warm-up", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            for name in URGENT:
                try:
                    self.load(name)
                except ModuleNotFoundError as exc:  # a library reorganised: only slower
                    log.warning("warm-up: %s", exc)
            for name in self.modules():
                self.quiet.wait()
                self.load(name)
        finally:
            gc.freeze()
            gc.enable()
            self.done.set()
