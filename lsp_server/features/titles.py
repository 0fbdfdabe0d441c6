"""``memfs/conversationChanged``: a conversation got a title (made after its first exchange,
or given by the user)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.runtime import Runtime

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


def attach(ls: MemfsServer, runtime: Runtime) -> None:
    """Tell the client about every title the runtime makes."""
    runtime.on_title = lambda agent_id, conversation_id, title: changed(
        ls, agent_id, conversation_id, title)


def changed(ls: MemfsServer, agent_id: str, conversation_id: str, title: str) -> None:
    ls.notify("memfs/conversationChanged",
              {"agentId": agent_id, "conversationId": conversation_id, "title": title})
