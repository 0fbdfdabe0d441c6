"""memfs.remember: one directed memory edit in the current conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.commands.remember import RememberResult, remember
from agent.events import MemoryCommit, MemoryWrite
from lsp_server.errors import guarded
from lsp_server.params import RememberParams
from lsp_server.sessions import resolve
from lsp_server.watcher import label_writes

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def run(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    params, runtime = await resolve(ls, RememberParams, args)
    result = RememberResult()
    async for event in remember(runtime, params.text, params.conversation_id):
        if isinstance(event, MemoryCommit):
            ls.own_commits[event.commit] = "remember"
        elif isinstance(event, MemoryWrite):
            label_writes(ls, runtime.workspace, event.paths, "remember")
        result.add(event)
    return {"files": result.files, "commits": result.commits,
            "commit": result.commits[-1].commit if result.commits else None,
            "reply": result.reply, "error": result.error, "changed": result.changed,
            "reason": None if result.changed else result.reason}
