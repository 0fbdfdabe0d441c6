"""``conversation_search``: ranked recall over the agent's past messages (agent/recall.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from agent import embeddings, recall
from agent.tools.base import Tool, ToolContext, ToolFailure, ToolResult, int_arg, string_arg

DEFAULT_LIMIT = 8
MAX_LIMIT = 20


def _day(args: dict[str, Any], name: str) -> date | None:
    value = string_arg(args, name, required=False).strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise ToolFailure(f"argument '{name}' must be an ISO date such as 2025-03-14, "
                          f"not {value!r}") from None


def _filters(args: dict[str, Any]) -> recall.Filters:
    start, end = _day(args, "start_date"), _day(args, "end_date")
    if start and end and end < start:
        raise ToolFailure("'end_date' is before 'start_date'")
    role = string_arg(args, "role", required=False).strip().lower() or None
    if role not in (None, "user", "assistant"):
        raise ToolFailure("argument 'role' must be 'user' or 'assistant'")
    conversation = string_arg(args, "conversation", required=False).strip() or None

    def epoch(day: date) -> float:
        return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()

    return recall.Filters(start=epoch(start) if start else None,
                          end=epoch(end + timedelta(days=1)) if end else None,
                          role=role, conversation=conversation)


def _when(created: float, fmt: str) -> str:
    return datetime.fromtimestamp(created, UTC).strftime(fmt)


def render(result: recall.RecallResult) -> str:
    """The groups as the model reads them: header, then one line per message ('>' = hit)."""
    note = " Messages already in your context are not searched." \
        if result.excluded_window else ""
    if not result.groups:
        return f"no past messages match {result.query}.{note}"
    how = "words and meaning" if result.semantic else "words"
    lines = [f"{len(result.groups)} past exchange(s) match {result.query}, best first "
             f"(ranked by {how}).{note}"]
    for number, group in enumerate(result.groups, 1):
        first = group.messages[0].created if group.messages else 0.0
        day = _when(first, "%Y-%m-%d")
        title = f'"{group.conversation_title}" ' if group.conversation_title else ""
        lines.append(f"\n{number}. {day}, conversation {title}({group.conversation_id})")
        for message in group.messages:
            stamp = _when(message.created, "%H:%M" if _when(message.created, "%Y-%m-%d") == day
                          else "%Y-%m-%d %H:%M")
            mark = ">" if message.hit else " "
            lines.append(f" {mark} [{stamp}] {message.role}: {message.text}")
    return "\n".join(lines)


def run_conversation_search(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    limit = max(1, min(int_arg(args, "limit") or DEFAULT_LIMIT, MAX_LIMIT))
    scope = recall.Scope(ctx.agent_id, ctx.conversation_id)
    text = string_arg(args, "query")
    semantic = embeddings.semantic(ctx.conversations.db, ctx.embedding, ctx.agent_id, text)
    result = recall.search(ctx.conversations.db, text, scope, _filters(args), limit, semantic)
    return ToolResult(render(result))


CONVERSATION_SEARCH = Tool(
    name="conversation_search",
    description=(
        "Search what was said in your past conversations with this user (every conversation "
        "of this agent). Use it when the user refers to something discussed before, or asks "
        "what was decided, preferred or said earlier. Pass a question or a few keywords: any "
        "of the words may match and results are ranked, so more specific words help. Quote "
        "an exact phrase (\"retry policy\"); AND, NOT and a trailing * work. Code, paths and "
        "error codes (C++, node.js, foo_bar, src/app.py, E1234) are found as written. Each "
        "result is an exchange: date, conversation title, who spoke, the matching excerpt "
        "with the match in **bold** (marked '>'), and one message of context on each side. "
        "Messages already in your context are not searched."),
    parameters={
        "type": "object",
        "properties": {
            "query": {"type": "string",
                      "description": "a question or keywords, e.g. 'what did we decide about "
                                     "retrying failed uploads'"},
            "start_date": {"type": "string",
                           "description": "only messages on or after this date (YYYY-MM-DD, "
                                          "UTC); e.g. for 'last week' pass the date 7 days ago"},
            "end_date": {"type": "string",
                         "description": "only messages on or before this date (YYYY-MM-DD, "
                                        "UTC)"},
            "role": {"type": "string", "enum": ["user", "assistant"],
                     "description": "only what the user said, or only what you said"},
            "conversation": {"type": "string",
                             "description": "'current' (this conversation's earlier, "
                                            "summarised part), 'others' (every other "
                                            "conversation) or a conversation id"},
            "limit": {"type": "integer", "description": f"exchanges to return (default "
                                                       f"{DEFAULT_LIMIT}, at most {MAX_LIMIT})"},
        },
        "required": ["query"],
    },
    run=run_conversation_search,
)
