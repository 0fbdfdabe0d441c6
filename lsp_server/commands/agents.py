"""memfs.listAgents, memfs.switchAgent, memfs.createAgent."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from agent.agents import Agent
from lsp_server.errors import guarded
from lsp_server.params import AgentParams, CreateAgentParams, Params
from lsp_server.sessions import resolve

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def list_all(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """Every agent, pinned first, with the workspace's current one marked."""
    params, runtime = await resolve(ls, Params, args)

    def run() -> dict[str, Any]:
        return {"current": runtime.agent().id, "agents": runtime.agents.all()}

    return await asyncio.to_thread(run)


@guarded
async def switch(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """Use another agent in this workspace (in the conversation last used here with it)."""
    params, runtime = await resolve(ls, AgentParams, args)

    def run() -> dict[str, Any]:
        agent, conversation = runtime.switch_agent(params.agent_id)
        return {"agent": agent, "conversation": conversation}

    return await asyncio.to_thread(run)


@guarded
async def create(ls: MemfsServer, *args: Any) -> Agent:
    """A new agent with fresh memory (not switched to)."""
    params, runtime = await resolve(ls, CreateAgentParams, args)
    return await asyncio.to_thread(runtime.agents.create, params.name, params.model)
