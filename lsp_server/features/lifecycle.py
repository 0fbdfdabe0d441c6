"""initialize / initialized / shutdown and settings. Kept light: initialize imports nothing
beyond pygls and touches neither git nor litellm."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.jsonish import plain

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

log = logging.getLogger("memfs.lsp")
SECTION = "memfs"


def initialize(ls: MemfsServer, params: types.InitializeParams) -> None:
    """Remember the workspace folders and the settings passed as initializationOptions."""
    folders = [f.uri for f in params.workspace_folders or []]
    if not folders and params.root_uri:
        folders = [params.root_uri]
    ls.folders = folders
    ls.editor_settings = _section(params.initialization_options)
    ls.init_options = dict(ls.editor_settings)  # client features (approvalUi), kept as sent


async def initialized(ls: MemfsServer, params: types.InitializedParams) -> None:
    """Attach client logging, pull settings, start the memory watcher."""
    from lsp_server.logs import ClientLogHandler

    logging.getLogger("memfs").addHandler(ClientLogHandler(ls))
    from lsp_server import watcher

    ls.background(watcher.start(ls), own_work=False)
    await pull_settings(ls)
    from lsp_server.features.trust import ask_folders

    # consent for withheld project settings (waits on the user, so not the server's own work)
    ls.background(ask_folders(ls), own_work=False)


def shutdown(ls: MemfsServer, params: Any) -> None:
    """Stop background work; pending chats are cancelled by pygls."""
    for task in list(ls.tasks):
        task.cancel()


async def configuration_changed(ls: MemfsServer,
                                params: types.DidChangeConfigurationParams) -> None:
    """Settings changed in the editor: pull them again (or take the pushed ones)."""
    pushed = _section(params.settings)
    await pull_settings(ls, fallback=pushed or None)


async def pull_settings(ls: MemfsServer, fallback: dict[str, Any] | None = None) -> None:
    """Read the ``memfs`` section with workspace/configuration, apply it, report bad values."""
    settings = fallback
    caps = ls.client_capabilities.workspace
    if caps is not None and caps.configuration:
        try:
            result = await asyncio.wait_for(ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])), 10)
            if result and isinstance(plain(result[0]), dict):
                settings = plain(result[0])
        except Exception as exc:  # a client that cannot answer keeps the current settings
            log.warning("could not read the editor's memfs settings: %s", exc)
    if settings is not None:
        ls.editor_settings = settings
    from agent.settings import load

    problems = (await asyncio.to_thread(load, None, ls.editor_settings)).problems
    problems = sorted(set(problems) | set(await ls.sessions.reload()))
    for problem in problems:
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Warning, message=f"memfs: {problem}"))
    from lsp_server.features.model_state import refresh

    ls.background(refresh(ls))  # the status shows the model these settings choose


def _section(value: Any) -> dict[str, Any]:
    value = plain(value)
    if isinstance(value, dict) and isinstance(value.get(SECTION), dict):
        return dict(value[SECTION])
    return dict(value) if isinstance(value, dict) else {}
