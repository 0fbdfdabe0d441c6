"""``memfs/tree``, ``memfs/read`` and ``memfs/status``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from agent.status import status as runtime_status
from lsp_server.errors import guarded
from lsp_server.features.tree import answer as tree_answer
from lsp_server.params import Params, ReadParams
from lsp_server.sessions import resolve
from lsp_server.wire import Encoded, to_wire
from memfs import project as shared_memory
from memfs.errors import NotFound

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def tree(ls: MemfsServer, raw: Any) -> Encoded:
    """The memory tree (``lsp_server.features.tree``), built and encoded off the event loop
    only when the memory changed: chats keep streaming."""
    params, runtime = await resolve(ls, Params, raw)
    return await asyncio.to_thread(tree_answer, runtime)


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
