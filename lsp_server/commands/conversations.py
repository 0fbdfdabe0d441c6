"""memfs.newConversation, memfs.switchConversation, memfs.listConversations,
memfs.renameConversation, memfs.compact."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from agent.conversations import Conversation
from agent.transcript import iso
from lsp_server.errors import guarded
from lsp_server.features import titles
from lsp_server.params import (
    ConversationParams,
    NewConversationParams,
    OptionalAgentParams,
    OptionalConversationParams,
    RenameConversationParams,
)
from lsp_server.sessions import resolve
from lsp_server.wire import to_wire

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def new(ls: MemfsServer, *args: Any) -> Conversation:
    """Start a conversation with the workspace's agent; it becomes the current one."""
    params, runtime = await resolve(ls, NewConversationParams, args)

    return await asyncio.to_thread(
        lambda: runtime.new_conversation(runtime.agent(), params.title or ""))


@guarded
async def switch(ls: MemfsServer, *args: Any) -> Conversation:
    """Make an existing conversation the workspace's current one."""
    params, runtime = await resolve(ls, ConversationParams, args)

    def run() -> Conversation:
        agent = runtime.agent()
        conversation = runtime.conversation(agent, params.conversation_id)
        runtime.bind(agent, conversation)
        return conversation

    return await asyncio.to_thread(run)


@guarded
async def list_all(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """The agent's conversations, most recently active first, with the current one marked."""
    params, runtime = await resolve(ls, OptionalAgentParams, args)

    def run() -> dict[str, Any]:
        agent = runtime.agent(params.agent_id)
        current = runtime.conversation(agent).id
        counts = runtime.conversations.message_counts(agent.id)
        return {"agentId": agent.id, "current": current, "conversations": [
            {**to_wire(c), "lastActivity": iso(c.updated), "messageCount": counts.get(c.id, 0),
             "isCurrent": c.id == current} for c in runtime.conversations.for_agent(agent.id)]}

    return await asyncio.to_thread(run)


@guarded
async def rename(ls: MemfsServer, *args: Any) -> Any:
    """Give a conversation the user's title (a made title never replaces it)."""
    params, runtime = await resolve(ls, RenameConversationParams, args)
    conversation = await asyncio.to_thread(runtime.conversations.rename,
                                           params.conversation_id, params.title)
    titles.changed(ls, conversation.agent_id, conversation.id, conversation.title)
    return to_wire(conversation)


@guarded
async def compact(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """Summarise the conversation now."""
    params, runtime = await resolve(ls, OptionalConversationParams, args)
    event = await runtime.compact(params.conversation_id)
    return {"compacted": event is not None, **(to_wire(event) if event else {})}
