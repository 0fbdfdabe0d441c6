"""``conversation_search``: full-text recall over the agent's past messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.tools.base import Tool, ToolContext, ToolResult, int_arg, string_arg


def run_conversation_search(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    limit = max(1, min(int_arg(args, "limit") or 10, 50))
    hits = ctx.conversations.search(ctx.agent_id, string_arg(args, "query"), limit)
    if not hits:
        return ToolResult("no past messages match")
    lines = []
    for hit in hits:
        when = datetime.fromtimestamp(hit.created, UTC).strftime("%Y-%m-%d %H:%M")
        lines.append(f"[{when}] {hit.role} in {hit.conversation_id}: {hit.snippet}")
    return ToolResult("\n".join(lines))


CONVERSATION_SEARCH = Tool(
    name="conversation_search",
    description="Search your past conversations with this user (all conversations of this "
                "agent) by words; returns dated snippets.",
    parameters={
        "type": "object",
        "properties": {"query": {"type": "string"}, "limit": {"type": "integer"}},
        "required": ["query"],
    },
    run=run_conversation_search,
)
