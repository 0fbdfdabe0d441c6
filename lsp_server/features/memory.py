"""``memfs/tree``, ``memfs/read`` and ``memfs/status``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from agent.status import status as runtime_status
from lsp_server.errors import guarded
from lsp_server.params import Params, ReadParams
from lsp_server.sessions import resolve
from lsp_server.wire import to_wire
from memfs import history
from memfs.projection import project
from memfs.repo import MemoryRepo

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def tree(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    """Every committed memory file with description, size, tokens, in-context flag and last
    change (when, by whom, which commit)."""
    params, runtime = await resolve(ls, Params, raw)

    def build() -> dict[str, Any]:
        store = runtime.memory(runtime.agent())
        projection = project(store.repo)
        changes = _last_changes(store.repo, projection.head)
        return {"root": str(store.root), "head": projection.head,
                "systemTokens": projection.system_tokens,
                "files": [{"path": f.path, "description": f.description, "size": f.size,
                           "tokens": f.tokens, "inContext": f.in_context,
                           "uri": (store.root / f.path).as_uri(),
                           "lastChange": changes.get(f.path)}
                          for f in projection.files]}

    return await asyncio.to_thread(build)


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
    """One memory file (working tree, or ``rev``)."""
    params, runtime = await resolve(ls, ReadParams, raw)

    def load() -> dict[str, Any]:
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
