"""Our events and transcript items as ACP ``session/update`` payloads (pure conversions).

A turn's ``TextDelta`` is an ``agent_message_chunk``; a tool call is a ``tool_call`` (status
``in_progress``) then a ``tool_call_update`` (``completed`` or ``failed``, with the tool's
output or the reason it failed); a memory commit adds the edit's diff to its call's content.
A replayed transcript uses the same shapes, plus ``user_message_chunk`` for the user's words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from acp import (
    start_tool_call,
    text_block,
    tool_content,
    tool_diff_content,
    update_agent_message_text,
    update_agent_thought_text,
    update_tool_call,
    update_user_message_text,
)
from acp.schema import (
    AgentMessageChunk,
    AgentThoughtChunk,
    ContentToolCallContent,
    FileEditToolCallContent,
    StopReason,
    TerminalToolCallContent,
    ToolCallProgress,
    ToolCallStart,
    ToolKind,
    UserMessageChunk,
)

from agent.events import ToolCallFinished, ToolCallStarted
from agent.transcript import Item
from memfs.history import FileChange

Update = AgentMessageChunk | AgentThoughtChunk | UserMessageChunk | ToolCallStart | \
    ToolCallProgress
Content = ContentToolCallContent | FileEditToolCallContent | TerminalToolCallContent

KINDS: dict[str, ToolKind] = {
    "memory": "edit", "memory_view": "read", "read_file": "read", "memory_search": "search",
    "conversation_search": "search", "search_files": "search", "list_files": "search",
}
# The stop reasons of our turns as ACP's (a turn that ended in "error" is a JSON-RPC error).
STOP_REASONS: dict[str, StopReason] = {"end_turn": "end_turn", "max_steps": "max_turn_requests",
                "cancelled": "cancelled"}


def title(name: str, arguments: Any) -> str:
    """``memory create system/human.md``, ``read_file src/app.py``, ``memory_search tea``."""
    if not isinstance(arguments, dict):
        return name
    parts = [name]
    if name == "memory" and arguments.get("command"):
        parts.append(str(arguments["command"]))
    target = arguments.get("path") or arguments.get("query") or arguments.get("pattern")
    if target:
        parts.append(str(target))
    return " ".join(parts)


def text_content(text: str) -> ContentToolCallContent:
    return tool_content(text_block(text))


def started(event: ToolCallStarted) -> ToolCallStart:
    return start_tool_call(event.call_id, title(event.name, event.arguments),
                           kind=KINDS.get(event.name, "other"), status="in_progress",
                           raw_input=event.arguments)


def finished(event: ToolCallFinished) -> ToolCallProgress:
    shown = event.output if event.ok else (event.error or event.output)
    return update_tool_call(event.call_id, status="completed" if event.ok else "failed",
                            content=[text_content(shown)] if shown else None,
                            raw_output={"ok": event.ok, "output": event.output,
                                        "error": event.error})


def diffs(root: Path, changes: list[FileChange]) -> list[Content]:
    """A diff content per changed file (absolute paths under ``root``)."""
    return [tool_diff_content(str(root / change.path), change.after or "", change.before)
            for change in changes]


def committed(call_id: str, output: str, sha: str, message: str, root: Path,
              changes: list[FileChange]) -> ToolCallProgress:
    """The call's content once its edit is committed: its output, the commit, the diffs."""
    note = f"memory commit {sha[:7]}: {message}"
    return update_tool_call(call_id, content=[text_content(output), text_content(note),
                                              *diffs(root, changes)])


def written(call_id: str, output: str, paths: list[str]) -> ToolCallProgress:
    """Project memory written to the working tree, for the user to review and commit."""
    note = "written to the project's working tree (review and commit it): " + ", ".join(paths)
    return update_tool_call(call_id, content=[text_content(output), text_content(note)])


def summarized(count: int) -> AgentThoughtChunk:
    return update_agent_thought_text(f"{count} earlier messages were summarized")


def notice(text: str) -> AgentMessageChunk:
    """A line of ours in the agent's reply (an error, a reflection's outcome)."""
    return update_agent_message_text(f"\n\n_memfs: {text}_\n")


def replay(item: Item) -> list[Update]:
    """What a client shows for one transcript item (a memory commit is ``replay_commit``)."""
    if item.kind == "user":
        return [update_user_message_text(item.text)] if item.text else []
    if item.kind == "agent":
        return [update_agent_message_text(item.text)] if item.text else []
    if item.kind == "toolCall" and item.tool_call is not None:
        call = item.tool_call
        shown = call.output if call.ok else (call.error or call.output)
        return [start_tool_call(call.call_id, title(call.name, call.arguments),
                                kind=KINDS.get(call.name, "other"),
                                status="completed" if call.ok else "failed",
                                content=[text_content(shown)] if shown else None,
                                raw_input=call.arguments)]
    if item.kind == "compaction":
        return [update_agent_thought_text(item.text or "earlier messages were summarized")]
    if item.kind == "error":
        hint = f" ({item.hint})" if item.hint else ""
        return [notice(f"{item.text}{hint}")]
    if item.kind == "reflection":
        return [notice(f"reflection: {item.text}")]
    return []
