"""``memfs/tree``, ``memfs/read`` and ``memfs/status``."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.status import status as runtime_status
from lsp_server.errors import guarded
from lsp_server.params import Params, ReadParams
from lsp_server.sessions import resolve
from lsp_server.wire import Wire, to_wire
from memfs import history
from memfs import project as shared_memory
from memfs.errors import NotFound
from memfs.projection import FileEntry, project
from memfs.repo import MemoryRepo

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def tree(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    """Every committed memory file with description, size, tokens, in-context flag and last
    change (when, by whom, which commit); then the project memory's files as they are on
    disk (paths under ``project/``), with ``tier``, scope (``globs``) and expiry on both."""
    params, runtime = await resolve(ls, Params, raw)

    def build() -> Wire:
        store = runtime.memory(runtime.agent())
        projection = project(store.repo)
        changes = _last_changes(store.repo, projection.head)
        root = str(store.root)
        files = [_file(f, "personal", _uri(root, f.path), changes.get(f.path))
                 for f in projection.files]
        shared = runtime.project_memory()
        about = None
        if shared is not None:
            team = shared.projection()
            touched = shared_memory.last_changes(shared, team.head)
            for f in team.files:
                rel = f.path.removeprefix(shared_memory.PREFIX)
                files.append(_file(f, "project", _uri(str(shared.root), rel),
                                   to_wire(touched.get(rel))))
            about = {"root": str(shared.root), "systemTokens": team.system_tokens}
        # every value above is wire JSON already (plain fields, converted changes)
        return Wire({"root": str(store.root), "head": projection.head,
                     "systemTokens": projection.system_tokens, "files": files,
                     "project": about})

    return await asyncio.to_thread(build)  # converted off the loop: chats keep streaming


@lru_cache(maxsize=65_536)
def _uri(root: str, rel: str) -> str:
    """A memory file's ``file://`` URI (pathlib's quoting costs ~10 us a file, per tree)."""
    return (Path(root) / rel).as_uri()


def _file(entry: FileEntry, tier: str, uri: str, change: Any) -> dict[str, Any]:
    return {"path": entry.path, "description": entry.description, "size": entry.size,
            "tokens": entry.tokens, "inContext": entry.in_context, "uri": uri,
            "lastChange": change, "tier": tier, "globs": list(entry.globs),
            "expires": entry.expires, "expired": entry.expired}


_WIRE_CHANGES: dict[str, tuple[str, dict[str, Any]]] = {}  # git dir -> (head, by path)


def _last_changes(repo: MemoryRepo, head: str) -> dict[str, Any]:
    """Each file's last change as wire JSON, converted once per HEAD (a warm tree stays a
    few milliseconds on a thousand files)."""
    cached = _WIRE_CHANGES.get(str(repo.common_dir))
    if cached is None or cached[0] != head:
        cached = (head, {path: to_wire(change)
                         for path, change in history.last_changes(repo, head).items()})
        _WIRE_CHANGES[str(repo.common_dir)] = cached
    return cached[1]


@guarded
async def read(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    """One memory file (working tree, or ``rev``); a ``project/...`` path reads the
    workspace's project memory, as it is on disk."""
    params, runtime = await resolve(ls, ReadParams, raw)

    def load() -> dict[str, Any]:
        wanted = params.path.strip().lstrip("/")
        if wanted.startswith(shared_memory.PREFIX):
            shared = runtime.project_memory(strict=True)
            if shared is None:
                raise NotFound("this workspace has no project memory (project/... paths)",
                               "create it with memfs.initProjectMemory")
            inner = shared.norm(wanted[len(shared_memory.PREFIX):])
            return {"path": shared_memory.PREFIX + inner, "rev": params.rev,
                    "text": shared.read_text(inner, params.rev),
                    "uri": (shared.root / inner).as_uri()}
        store = runtime.memory(runtime.agent())
        rel = store.norm(params.path)
        return {"path": rel, "rev": params.rev, "text": store.read_text(rel, params.rev),
                "uri": (store.root / rel).as_uri()}

    return await asyncio.to_thread(load)


@guarded
async def status(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    """Agent, conversation, model, memory HEAD and sync state, token budget, busy state."""
    params, runtime = await resolve(ls, Params, raw)
    result = await asyncio.to_thread(runtime_status, runtime)
    return {**to_wire(result), "busy": ls.busy > 0}
