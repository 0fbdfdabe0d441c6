"""One session per workspace folder (multi-root: each folder keeps its own agent and
conversation). Runtimes are created lazily, off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pygls.uris import to_fs_path

from agent.runtime import Runtime
from lsp_server.params import P, parse


class Sessions:
    """Runtimes by workspace folder, sharing the editor's settings. ``ready`` is awaited
    before the first runtime is handed out (the server takes its memory watcher's baseline
    there); ``on_new`` sees each runtime once, when it is created (the server attaches its
    reflection host there)."""

    def __init__(self, server: Any, *, on_new: Callable[[Runtime], None],
                 ready: Callable[[], Awaitable[None]]) -> None:
        self.server = server  # holds ``folders`` and ``editor_settings``
        self.on_new = on_new
        self.ready = ready
        self._runtimes: dict[str, Runtime] = {}
        self._lock = asyncio.Lock()

    def folder_for(self, uri: str | None) -> str:
        """The workspace folder a URI belongs to ('' when there is none)."""
        folders: list[str] = self.server.folders
        if uri:
            for folder in sorted(folders, key=len, reverse=True):
                if uri == folder or uri.startswith(folder.rstrip("/") + "/"):
                    return folder
            return uri
        return folders[0] if folders else ""

    async def runtime(self, uri: str | None = None) -> Runtime:
        """The runtime of the folder ``uri`` names or lies in."""
        folder = self.folder_for(uri)
        await self.ready()
        async with self._lock:
            runtime = self._runtimes.get(folder)
            if runtime is None:
                path = to_fs_path(folder) if folder else None
                runtime = await asyncio.to_thread(
                    Runtime, workspace=Path(path) if path else None,
                    editor_settings=self.server.editor_settings)
                self.on_new(runtime)
                self._runtimes[folder] = runtime
        return runtime

    def all(self) -> list[Runtime]:
        """Every runtime created so far."""
        return list(self._runtimes.values())

    async def reload(self) -> list[str]:
        """Apply the server's current editor settings (and folder trust) everywhere; returns
        the problems. A runtime being created meanwhile (with what it read before) is waited
        for and reloaded too."""
        problems: list[str] = []
        async with self._lock:
            runtimes = self.all()
        for runtime in runtimes:
            problems += await asyncio.to_thread(runtime.reload_settings,
                                                self.server.editor_settings)
        return sorted(set(problems))


async def resolve(ls: Any, model: type[P], raw: Any) -> tuple[P, Runtime]:
    """Validate a request's params and find the runtime of the workspace they name."""
    params = parse(model, raw)
    return params, await ls.sessions.runtime(params.workspace_uri)
