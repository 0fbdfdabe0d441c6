"""The server object and the table of what it handles.

This module imports only pygls and lsprotocol, so ``initialize`` is answered fast; every
handler lives in a module imported on first use (and warmed up in the background once
``initialize`` is answered: ``lsp_server.warmup``), so agent, memfs, git and litellm never sit
on the start path; litellm is imported only when the configured model needs it (not for
``openai/`` models). Every result and notification leaves through ``lsp_server.wire.to_wire``
(camelCase field names).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import inspect
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from lsp_server.protocol import MemfsProtocol, converter
from lsp_server.transport import StdinSource, StreamSource, serve
from lsp_server.warmup import WarmUp
from lsp_server.wire import to_wire

if TYPE_CHECKING:
    from agent.runtime import Runtime
    from lsp_server.sessions import Sessions

log = logging.getLogger("memfs.lsp")

# (LSP method, "module:function" under lsp_server, options)
FEATURES: list[tuple[str, str, Any]] = [
    (types.INITIALIZE, "features.lifecycle:initialize", None),
    (types.INITIALIZED, "features.lifecycle:initialized", None),
    (types.SHUTDOWN, "features.lifecycle:shutdown", None),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, "features.lifecycle:configuration_changed", None),
    ("memfs/chat", "features.chat:chat", None),
    ("memfs/tree", "features.memory:tree", None),
    ("memfs/read", "features.memory:read", None),
    ("memfs/status", "features.memory:status", None),
    ("memfs/messages", "features.history:messages", None),
    ("memfs/commit", "features.history:commit", None),
    (types.TEXT_DOCUMENT_DEFINITION, "features.links:definition", None),
    (types.TEXT_DOCUMENT_DID_OPEN, "features.documents:did_open", None),
    (types.TEXT_DOCUMENT_DID_CHANGE, "features.documents:did_change", None),
    (types.TEXT_DOCUMENT_WILL_SAVE, "features.saves:will_save", None),
    (types.TEXT_DOCUMENT_DID_SAVE, "features.saves:did_save",
     types.SaveOptions(include_text=False)),
    (types.TEXT_DOCUMENT_DID_CLOSE, "features.saves:did_close", None),
    (types.TEXT_DOCUMENT_COMPLETION, "features.documents:completion",
     types.CompletionOptions(trigger_characters=["[", "\n"])),
    (types.TEXT_DOCUMENT_HOVER, "features.documents:hover", None),
    (types.WINDOW_WORK_DONE_PROGRESS_CANCEL, "progress:cancel", None),
    ("memfs/activeDocument", "features.scoped:active_document", None),
    ("memfs/scopedMemories", "features.scoped:scoped_memories", None),
    (types.TEXT_DOCUMENT_CODE_LENS, "features.scoped:code_lens",
     types.CodeLensOptions(resolve_provider=False)),
    ("memfs/pendingApprovals", "features.approval:pending", None),
]

# command name -> "module:function" under lsp_server.commands (each ``(ls, *arguments)``)
COMMANDS: dict[str, str] = {
    "memfs.newConversation": "conversations:new",
    "memfs.switchConversation": "conversations:switch",
    "memfs.listConversations": "conversations:list_all",
    "memfs.renameConversation": "conversations:rename",
    "memfs.listAgents": "agents:list_all",
    "memfs.switchAgent": "agents:switch",
    "memfs.createAgent": "agents:create",
    "memfs.memoryStatus": "memory:status",
    "memfs.memoryLog": "memory:log",
    "memfs.revert": "memory:revert",
    "memfs.compact": "conversations:compact",
    "memfs.lint": "memory:lint",
    "memfs.init": "init:run",
    "memfs.remember": "remember:run",
    "memfs.doctor": "doctor:run",
    "memfs.sleeptime": "sleeptime:run",
    "memfs.reflect": "reflect:run",
    "memfs.reviewReflection": "reflect:review",
    "memfs.initProjectMemory": "project:init",
    "memfs.openScopedMemories": "project:open_scoped",
    "memfs.approval": "project:approval",
    "memfs.resolveApproval": "project:resolve_approval",
}


class MemfsServer(LanguageServer):
    """The memfs language server: sessions per workspace folder, status and background work."""

    protocol: MemfsProtocol

    def __init__(self, version: str) -> None:
        super().__init__("memfs-lsp", version, protocol_cls=MemfsProtocol,
                         converter_factory=converter)
        self._sessions: Sessions | None = None
        self.folders: list[str] = []
        self.editor_settings: dict[str, Any] = {}
        self.init_options: dict[str, Any] = {}  # initializationOptions (client features)
        self.busy = 0
        self.tasks: set[asyncio.Task[Any]] = set()
        self.own_commits: dict[str, str] = {}  # commit -> source, for memoryChanged
        self.own_work = 0  # handlers and background tasks running (they label their commits)
        self.cancellable: dict[Any, asyncio.Task[Any]] = {}  # progress token -> task
        self.watcher: asyncio.Future[Any] | None = None  # memory HEADs baseline, once taken
        # project memory: each watched workspace's files (mtime, size), and the server's own
        # writes, (workspace, path) -> (state written, source), for memoryChanged
        self.project_files: dict[str, dict[str, tuple[int, int]]] = {}
        self.own_writes: dict[tuple[str, str], tuple[tuple[int, int] | None, str]] = {}
        self.document_events: asyncio.Task[Any] | None = None  # the last one queued
        self.model_state: dict[str, Any] | None = None  # on every memfs/status, once known
        self.warm_up = WarmUp(handler_modules, load_module)  # runs while nothing else does

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            from lsp_server import watcher
            from lsp_server.features import approval, titles
            from lsp_server.reflections import attach
            from lsp_server.sessions import Sessions

            def on_new(runtime: Runtime) -> None:
                watcher.watch_workspace(self, runtime.workspace)
                attach(self, runtime)
                titles.attach(self, runtime)
                approval.attach(self, runtime)

            self._sessions = Sessions(self, on_new=on_new, ready=lambda: watcher.start(self))
        return self._sessions

    def notify(self, method: str, params: Any) -> None:
        """Send a custom notification (its fields in camelCase)."""
        self.protocol.notify(method, to_wire(params))

    def set_status(self, state: str, message: str = "") -> None:
        """Tell the client the server is busy, idle or errored (``memfs/status``), and which
        model turns use (``lsp_server.features.model_state``)."""
        params: dict[str, Any] = {"state": state, "message": message, "busy": self.busy}
        if self.model_state is not None:
            params["model"] = self.model_state
        self.notify("memfs/status", params)

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        """Count this as the server's own work: until it ends, a memory commit that carries no
        label (``own_commits``) yet may be ours, so the watcher waits before calling it
        external. The warm-up waits while any runs."""
        self.own_work += 1
        self.warm_up.busy()
        try:
            yield
        finally:
            self.own_work -= 1
            if not self.own_work:
                self.warm_up.idle()

    def background(self, coro: Awaitable[Any], *, own_work: bool = True) -> asyncio.Task[Any]:
        """Run a coroutine in the background (as own work, unless told otherwise), keeping a
        reference until it finishes."""
        async def run() -> Any:
            with self.working():
                return await coro

        task: asyncio.Task[Any] = asyncio.ensure_future(run() if own_work else coro)
        self.tasks.add(task)
        task.add_done_callback(functools.partial(self._finished, coro))
        return task

    def _finished(self, coro: Awaitable[Any], task: asyncio.Task[Any]) -> None:
        """Forget a finished background task; one cancelled before it started (a shutdown
        right after it was made) closes its coroutine, which was never awaited."""
        self.tasks.discard(task)
        if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
            coro.close()

    def shutdown(self) -> None:
        """Stop reading and release the thread pool (pygls's, typed)."""
        super().shutdown()  # type: ignore[no-untyped-call]

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve over stdio (frames read by ``lsp_server.transport``)."""
        self._stop_event = stop = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        source = StdinSource(stdin or sys.stdin.buffer, self.thread_pool)
        try:
            asyncio.run(serve(source, self.protocol, stop))
        except BrokenPipeError:
            log.error("the editor closed the connection; stopping")
        finally:
            self.shutdown()

    def start_tcp(self, host: str, port: int) -> None:
        """Serve one TCP client at a time on ``host:port``."""
        self._stop_event = stop = threading.Event()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                             ) -> None:
            self.protocol.set_writer(writer)
            await serve(StreamSource(reader), self.protocol, stop)
            self.shutdown()

        async def listen() -> None:
            server = await asyncio.start_server(connection, host, port)
            self._server = server
            log.info("listening on %s:%s", host, port)
            async with server:
                await server.serve_forever()

        try:
            asyncio.run(listen())
        except asyncio.CancelledError:
            log.debug("TCP server stopped")


# Notifications about one document are handled one after another, in the order they came
# (a didSave must see the reason of the willSave before it; diagnostics follow the edits).
IN_ORDER = {types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE,
            types.TEXT_DOCUMENT_WILL_SAVE, types.TEXT_DOCUMENT_DID_SAVE,
            types.TEXT_DOCUMENT_DID_CLOSE}
_IMPORT_LOCK = threading.Lock()
_LOADED: dict[str, ModuleType] = {}


def load_module(name: str) -> ModuleType:
    """A handler module, imported once under one lock. A module is handed out only after
    its import has finished (``sys.modules`` holds it while it is still running), so a
    request arriving while the warm-up imports that module waits for it; one lock for every
    lazy import, so the two threads can never deadlock each other."""
    module = _LOADED.get(name)
    if module is not None:
        return module
    with _IMPORT_LOCK:
        module = _LOADED.get(name)
        if module is None:
            module = _LOADED[name] = importlib.import_module(name)
    return module


def _lazy(target: str) -> Callable[..., Awaitable[Any]]:
    module_name, _, function_name = target.partition(":")
    name = f"lsp_server.{module_name}"

    async def handler(ls: MemfsServer, *args: Any) -> Any:
        with ls.working():  # from the start, so the warm-up waits while this loads
            module = _LOADED.get(name)
            if module is None:
                # initialize must answer at once: its module is tiny; others load off the loop
                module = (load_module(name) if module_name == "features.lifecycle"
                          else await asyncio.to_thread(load_module, name))
            result = getattr(module, function_name)(ls, *args)
            if asyncio.iscoroutine(result):
                result = await result
        return to_wire(result)

    handler.__name__ = function_name
    return handler


def _in_order(method: str, handler: Callable[..., Awaitable[Any]]) -> Callable[..., None]:
    """A notification handler that queues ``handler`` behind the previous document event."""

    def queue(ls: MemfsServer, params: Any) -> None:
        previous = ls.document_events

        async def run() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            try:
                await handler(ls, params)
            except Exception as exc:  # a notification has no answer: log it and tell the user
                log.exception("handling %s failed", method)
                ls.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Error,
                    message=f"memfs: handling {method} failed: {exc}"))

        ls.document_events = ls.background(run())

    return queue


def build(version: str) -> MemfsServer:
    """A server with every feature and command registered (none of them imported yet)."""
    server = MemfsServer(version)
    for method, target, options in FEATURES:
        handler = _lazy(target)
        server.feature(method, options)(_in_order(method, handler) if method in IN_ORDER
                                        else handler)
    for name, target in COMMANDS.items():
        server.command(name)(_lazy(f"commands.{target}"))
    return server


def handler_modules() -> list[str]:
    """Every handler module, for the background warm-up."""
    names = {f"lsp_server.{t.split(':')[0]}" for _, t, _ in FEATURES}
    names |= {f"lsp_server.commands.{t.split(':')[0]}" for t in COMMANDS.values()}
    return sorted(names)
