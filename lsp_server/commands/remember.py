"""memfs.remember: one directed memory edit in the current conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.commands.remember import remember
from agent.events import Done, ErrorEvent, MemoryCommit
from lsp_server.errors import guarded
from lsp_server.params import RememberParams
from lsp_server.sessions import resolve

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def run(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    params, runtime = await resolve(ls, RememberParams, args)
    commits: list[MemoryCommit] = []
    reply, error = "", None
    async for event in remember(runtime, params.text, params.conversation_id):
        if isinstance(event, MemoryCommit):
            commits.append(event)
            ls.own_commits[event.commit] = "remember"
        elif isinstance(event, ErrorEvent):
            error = event
        elif isinstance(event, Done):
            reply = event.text
    return {"files": sorted({p for c in commits for p in c.paths}), "commits": commits,
            "commit": commits[-1].commit if commits else None, "reply": reply,
            "error": error}
