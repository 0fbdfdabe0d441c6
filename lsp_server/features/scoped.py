"""Memory that follows the file: what the user is working on, and which scoped memories
(frontmatter ``paths:``) apply to it.

The client says which document is active (``memfs/activeDocument {uri}``, or ``activeUri`` on
``memfs/chat``); the open ones are known from didOpen/didClose. A turn loads the scoped files
that match the active document (the open ones when the client never said). The editor shows
them: ``textDocument/codeLens`` at the top of a matching file ("memfs: 2 memories apply
here") runs ``memfs.openScopedMemories``, which opens them (``window/showDocument``);
``memfs/scopedMemories {uri}`` answers for any file, for clients that track documents
themselves. After a turn that changed memory the editor is asked to fetch its lenses again
(``workspace/codeLens/refresh``, when it supports that).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from agent.runtime import Runtime
from lsp_server.errors import guarded
from lsp_server.jsonish import plain
from lsp_server.params import UriParams, parse
from memfs.project import PREFIX, memory_root
from memfs.projection import Projection, project
from memfs.scope import Focus, matching_glob

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

OPEN_COMMAND = "memfs.openScopedMemories"
log = logging.getLogger("memfs.lsp")


@dataclass
class _State:
    active: str | None = None  # the URI the client last said is active


STATE = _State()


@dataclass(frozen=True)
class ScopedMemory:
    """A scoped memory file that applies to a file: ``why`` names the glob that matched."""

    path: str  # as the agent addresses it (project/... for the project tier)
    tier: str  # personal | project
    description: str | None
    globs: list[str]
    uri: str
    why: str


def active_document(ls: MemfsServer, params: Any) -> None:
    """``memfs/activeDocument {uri}``: the document the user now works in (null: none)."""
    value = plain(params)
    uri = value.get("uri") if isinstance(value, dict) else None
    STATE.active = uri if isinstance(uri, str) and uri else None


def focus_for(ls: MemfsServer, runtime: Runtime, active_uri: str | None = None) -> Focus:
    """The files in hand for a turn: ``active_uri`` (else the last active document), and the
    documents open in the editor."""
    if active_uri:
        STATE.active = active_uri
    uri = active_uri or STATE.active
    active = _path(uri)
    open_files = [p for p in (_path(u) for u in list(ls.workspace.text_documents)) if p]
    return runtime.focus(active, open_files)


def _path(uri: str | None) -> Path | None:
    path = to_fs_path(uri) if uri and uri.startswith("file:") else None
    return Path(path) if path else None


def scoped_for(runtime: Runtime, uri: str) -> list[ScopedMemory]:
    """The scoped memories (both tiers) whose ``paths:`` match the file ``uri`` names."""
    path = _path(uri)
    if path is None or runtime.workspace is None:
        return []
    try:
        rel = path.resolve().relative_to(runtime.workspace).as_posix()
    except ValueError:
        return []
    store = runtime.memory(runtime.agent())
    tiers: list[tuple[Projection, str, Path]] = [(project(store.repo), "personal", store.root)]
    shared = runtime.project_memory()
    if shared is not None:
        tiers.append((shared.projection(), "project", memory_root(runtime.workspace)))
    found: list[ScopedMemory] = []
    for projection, tier, root in tiers:
        for item in projection.scoped:
            glob = matching_glob(item.globs, rel)
            if glob is None:
                continue
            inner = item.path.removeprefix(PREFIX) if tier == "project" else item.path
            found.append(ScopedMemory(item.path, tier, item.description, list(item.globs),
                                      (root / inner).as_uri(), f"{rel} matches {glob}"))
    return found


async def _runtime_of(ls: MemfsServer, uri: str, workspace_uri: str | None) -> Runtime | None:
    """The runtime of the workspace folder holding ``uri`` (None outside every folder)."""
    folder = ls.sessions.folder_for(workspace_uri or uri)
    if folder not in ls.folders:
        return None
    return await ls.sessions.runtime(folder)


@guarded
async def scoped_memories(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    """``memfs/scopedMemories {uri}`` -> ``{memories: [ScopedMemory]}``."""
    params = parse(UriParams, raw)
    runtime = await _runtime_of(ls, params.uri, params.workspace_uri)
    if runtime is None:
        return {"memories": []}
    return {"memories": await asyncio.to_thread(scoped_for, runtime, params.uri)}


async def code_lens(ls: MemfsServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    """One lens at the top of a file that scoped memories apply to."""
    uri = params.text_document.uri
    runtime = await _runtime_of(ls, uri, None)
    if runtime is None:
        return []
    found = await asyncio.to_thread(scoped_for, runtime, uri)
    if not found:
        return []
    title = f"memfs: {len(found)} {'memory applies' if len(found) == 1 else 'memories apply'} " \
            "here"
    top = types.Range(start=types.Position(line=0, character=0),
                      end=types.Position(line=0, character=0))
    return [types.CodeLens(range=top, command=types.Command(
        title=title, command=OPEN_COMMAND, arguments=[{"uri": uri}]))]


@guarded
async def open_scoped(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """``memfs.openScopedMemories {uri}``: open every scoped memory that applies to ``uri``
    (``window/showDocument``, when the client supports it); returns them."""
    params = parse(UriParams, args)
    runtime = await _runtime_of(ls, params.uri, params.workspace_uri)
    found = await asyncio.to_thread(scoped_for, runtime, params.uri) if runtime else []
    window = ls.client_capabilities.window
    if window is not None and window.show_document is not None and \
            window.show_document.support:
        for index, memory in enumerate(found):
            await ls.window_show_document_async(types.ShowDocumentParams(
                uri=memory.uri, take_focus=index == 0))
    return {"memories": found}


def refresh_lenses(ls: MemfsServer) -> None:
    """Memory changed, so which scoped memories apply may have: ask the editor to request
    its code lenses again, when it can (``workspace.codeLens.refreshSupport``)."""
    workspace = ls.client_capabilities.workspace
    lenses = workspace.code_lens if workspace is not None else None
    if lenses is None or not lenses.refresh_support:
        return

    async def refresh() -> None:
        try:
            await ls.workspace_code_lens_refresh_async(None)
        except Exception as exc:  # the lenses stay as they were until the editor asks again
            log.warning("workspace/codeLens/refresh failed: %s", exc)

    ls.background(refresh(), own_work=False)
