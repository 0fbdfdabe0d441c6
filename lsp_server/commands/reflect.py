"""memfs.reflect (start a reflection in the background) and memfs.reviewReflection."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lsp_server.errors import guarded
from lsp_server.params import OptionalConversationParams, ReviewParams
from lsp_server.sessions import resolve

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def run(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """Start reflecting now; the outcome arrives as ``memfs/reflection``."""
    params, runtime = await resolve(ls, OptionalConversationParams, args)
    agent = await asyncio.to_thread(runtime.agent)
    await asyncio.to_thread(runtime.turn, agent, await asyncio.to_thread(
        runtime.conversation, agent, params.conversation_id))  # fails fast without a model
    await asyncio.to_thread(runtime.check_reflection_allowed)  # and under approval off
    ls.background(runtime.reflect(params.conversation_id))
    return {"started": True, "agentId": agent.id}


@guarded
async def review(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """Without ``accept``: the pending reflection's diff. accept true merges, false drops."""
    params, runtime = await resolve(ls, ReviewParams, args)
    agent = await asyncio.to_thread(runtime.agent)
    memory = await asyncio.to_thread(runtime.memory, agent)
    result = await runtime.reflections.review(agent.id, memory, params.accept)
    if result.get("commit"):
        ls.own_commits[str(result["commit"])] = "reflection"
    return result
