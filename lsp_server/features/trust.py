"""Consent for a project folder's own settings: when a workspace folder's ``.memfs/`` sets
something withheld until the folder is trusted (model, apiBase, agent, ...), ask the user once
per session with ``window/showMessageRequest``; on "Trust Folder" record it and reload."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from agent import settings, trust
from agent.settings import Withheld
from lsp_server.features.model_state import refresh

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

log = logging.getLogger("memfs.lsp")
TRUST = "Trust Folder"
NOT_NOW = "Not Now"


def question(folder: Path, withheld: list[Withheld]) -> str:
    """``This folder's .memfs/settings.json sets apiBase to http://... Trust this folder?``"""
    by_file: dict[str, list[str]] = {}
    for item in withheld:
        name = Path(item.file).relative_to(folder) if Path(item.file).is_relative_to(
            folder) else Path(item.file)
        by_file.setdefault(str(name), []).append(f"{item.key} to {item.value}")
    parts = [f"{name} sets {' and '.join(values)}" for name, values in by_file.items()]
    return (f"memfs: this folder's {'; its '.join(parts)}. Trust this folder? Its settings "
            "can then choose where requests (and your API keys) go.")


async def ask_folders(ls: MemfsServer) -> None:
    """Ask about every workspace folder whose withheld project settings need consent."""
    for uri in list(ls.folders):
        path = to_fs_path(uri)
        if path:
            await ask(ls, Path(path).resolve())


async def ask(ls: MemfsServer, folder: Path) -> None:
    """Ask about one folder (nothing when it is trusted or withholds nothing)."""
    report = await asyncio.to_thread(settings.load, folder, ls.editor_settings)
    if report.trusted or not report.withheld:
        return
    try:
        answer: Any = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
            type=types.MessageType.Warning, message=question(folder, report.withheld),
            actions=[types.MessageActionItem(title=TRUST), types.MessageActionItem(
                title=NOT_NOW)]))
    except Exception as exc:  # a client that cannot ask keeps the folder untrusted
        log.warning("could not ask whether to trust %s: %s", folder, exc)
        return
    if answer is None or getattr(answer, "title", None) != TRUST:
        return
    await asyncio.to_thread(trust.trust, folder)
    await ls.sessions.reload()
    await refresh(ls)
    ls.window_show_message(types.ShowMessageParams(
        type=types.MessageType.Info,
        message=f"memfs: trusted {folder}; its project settings now apply"))
