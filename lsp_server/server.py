"""The server object and the table of what it handles.

This module imports only pygls and lsprotocol, so ``initialize`` is answered fast; every
handler lives in a feature or command module imported on first use (and warmed up in the
background after ``initialized``), so agent, memfs, git and litellm never sit on the start path.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage

if TYPE_CHECKING:
    from lsp_server.sessions import Sessions

log = logging.getLogger("memfs.lsp")
CUSTOM_PREFIX = "memfs/"

# (LSP method, "module:function", options)
FEATURES: list[tuple[str, str, Any]] = [
    (types.INITIALIZE, "lifecycle:initialize", None),
    (types.INITIALIZED, "lifecycle:initialized", None),
    (types.SHUTDOWN, "lifecycle:shutdown", None),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, "lifecycle:configuration_changed", None),
    ("memfs/chat", "chat:chat", None),
    ("memfs/tree", "memory:tree", None),
    ("memfs/read", "memory:read", None),
    ("memfs/status", "memory:status", None),
    ("memfs/messages", "history:messages", None),
    ("memfs/commit", "history:commit", None),
    (types.TEXT_DOCUMENT_DEFINITION, "links:definition", None),
    (types.TEXT_DOCUMENT_DID_OPEN, "documents:did_open", None),
    (types.TEXT_DOCUMENT_DID_CHANGE, "documents:did_change", None),
    (types.TEXT_DOCUMENT_DID_SAVE, "documents:did_save", types.SaveOptions(include_text=False)),
    (types.TEXT_DOCUMENT_COMPLETION, "documents:completion",
     types.CompletionOptions(trigger_characters=["[", "\n"])),
    (types.TEXT_DOCUMENT_HOVER, "documents:hover", None),
    (types.WINDOW_WORK_DONE_PROGRESS_CANCEL, "reflection_host:cancel", None),
]

# command name -> module under lsp_server.commands (each exposes ``run(ls, raw)``)
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
}


class MemfsServer(LanguageServer):
    """The memfs language server: sessions per workspace folder, status and background work."""

    def __init__(self, version: str) -> None:
        super().__init__("memfs-lsp", version, protocol_cls=LanguageServerProtocol,
                         converter_factory=_converter)
        self._sessions: Sessions | None = None
        self.folders: list[str] = []
        self.editor_settings: dict[str, Any] = {}
        self.busy = 0
        self.tasks: set[asyncio.Task[Any]] = set()
        self.own_commits: dict[str, str] = {}  # commit -> source, for memoryChanged
        self.cancellable: dict[Any, asyncio.Task[Any]] = {}  # progress token -> task
        self.model_state: dict[str, Any] | None = None  # on every memfs/status, once known

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            from lsp_server.sessions import Sessions

            self._sessions = Sessions(self)
        return self._sessions

    def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a custom notification."""
        self.protocol.notify(method, params)

    def set_status(self, state: str, message: str = "") -> None:
        """Tell the client the server is busy, idle or errored (``memfs/status``), and which
        model turns use (``lsp_server.features.model_state``)."""
        params: dict[str, Any] = {"state": state, "message": message, "busy": self.busy}
        if self.model_state is not None:
            params["model"] = self.model_state
        self.notify("memfs/status", params)

    def background(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run a coroutine in the background, keeping a reference until it finishes."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


def _converter() -> Any:
    """pygls's converter, except that params of our own ``memfs/`` methods stay plain dicts
    (pygls would turn them into namedtuples) so they can be validated by name."""
    converter = default_converter()

    def keep_params(obj: dict[str, Any], cls: type) -> Any:
        if not str(obj.get("method", "")).startswith(CUSTOM_PREFIX):
            from pygls.protocol import _dict_to_object

            if "params" in obj:
                obj["params"] = _dict_to_object(obj["params"])
        return cls(**obj)

    converter.register_structure_hook(JsonRPCRequestMessage, keep_params)
    converter.register_structure_hook(JsonRPCNotification, keep_params)
    return converter


_IMPORT_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}  # handler modules whose import has finished


def load_module(name: str) -> Any:
    """Import a handler module. One lock for every lazy import, so a request importing on one
    thread and the background warm-up importing on another can never deadlock each other; a
    module is handed out only once its import finished (``sys.modules`` holds it earlier)."""
    with _IMPORT_LOCK:
        module = _LOADED.get(name)
        if module is None:
            module = _LOADED[name] = importlib.import_module(name)
        return module


def _lazy(package: str, target: str) -> Callable[..., Awaitable[Any]]:
    module_name, _, function_name = target.partition(":")
    name = f"lsp_server.{package}.{module_name}"

    async def handler(ls: MemfsServer, *args: Any) -> Any:
        module = _LOADED.get(name)
        if module is None:
            # initialize must answer at once: its module is tiny; others load off the loop
            module = (load_module(name) if module_name == "lifecycle"
                      else await asyncio.to_thread(load_module, name))
        result = getattr(module, function_name)(ls, *args)
        return await result if asyncio.iscoroutine(result) else result

    handler.__name__ = function_name
    return handler


def build(version: str) -> MemfsServer:
    """A server with every feature and command registered (none of them imported yet)."""
    server = MemfsServer(version)
    for method, target, options in FEATURES:
        server.feature(method, options)(_lazy("features", target))
    for name, target in COMMANDS.items():
        server.command(name)(_lazy("commands", target))
    return server


def feature_modules() -> list[str]:
    """Every handler module, for the background warm-up."""
    names = {f"lsp_server.features.{t.split(':')[0]}" for _, t, _ in FEATURES}
    names |= {f"lsp_server.commands.{t.split(':')[0]}" for t in COMMANDS.values()}
    return sorted(names)
