"""Memory tools: ``memory`` (edits, one commit each), ``memory_view`` and ``memory_search``."""

from __future__ import annotations

from typing import Any

from agent.tools.base import Tool, ToolContext, ToolFailure, ToolResult, int_arg, string_arg

COMMANDS = ("create", "str_replace", "insert", "delete", "rename", "update_description")


def run_memory(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    command = string_arg(args, "command")
    path = string_arg(args, "path")
    reason = string_arg(args, "reason")
    if ctx.commit_prefix and not reason.startswith(ctx.commit_prefix):
        reason = f"{ctx.commit_prefix} {reason}"
    store = ctx.memory
    if command == "create":
        result = store.create(path, string_arg(args, "description"),
                              string_arg(args, "content", required=False), reason)
    elif command == "str_replace":
        result = store.str_replace(path, string_arg(args, "old_text"),
                                   string_arg(args, "new_text", required=False), reason)
    elif command == "insert":
        line = int_arg(args, "line")
        if line is None:
            raise ToolFailure("insert needs 'line' (1-based; last line + 1 appends)")
        result = store.insert(path, line, string_arg(args, "content"), reason)
    elif command == "delete" and ctx.archive_deletes:
        rel = store.norm(path)
        if rel.startswith("archive/"):
            raise ToolFailure("archived files are kept; there is nothing to retire")
        result = store.rename(rel, f"archive/{rel}", reason)
    elif command == "delete":
        result = store.delete(path, reason)
    elif command == "rename":
        result = store.rename(path, string_arg(args, "new_path"), reason)
    elif command == "update_description":
        result = store.update_description(path, string_arg(args, "description"), reason)
    else:
        raise ToolFailure(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}")
    return ToolResult(f"committed {result.commit[:10]} '{result.message}' "
                      f"({', '.join(result.paths)})", commit=result)


def run_view(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    path = string_arg(args, "path", required=False) or "/"
    return ToolResult(ctx.memory.view(path, int_arg(args, "start_line"),
                                      int_arg(args, "end_line")))


def run_search(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    hits, truncated = ctx.memory.search(string_arg(args, "query"),
                                        regex=bool(args.get("regex", False)))
    if not hits:
        return ToolResult("no matches")
    lines = [str(h) for h in hits]
    if truncated:
        lines.append("... (more matches; narrow the query)")
    return ToolResult("\n".join(lines))


MEMORY = Tool(
    name="memory",
    description=(
        "Edit your memory. Each call is one git commit whose message is `reason`. Commands: "
        "create (path, description, content), str_replace (path, old_text, new_text: old_text "
        "must occur exactly once), insert (path, line, content: content starts at that 1-based "
        "body line), delete (path), rename (path, new_path), update_description (path, "
        "description). Paths are relative to memory, e.g. system/human.md."
    ),
    parameters={
        "type": "object",
        "properties": {
            "command": {"type": "string", "enum": list(COMMANDS)},
            "path": {"type": "string", "description": "memory file, e.g. system/human.md"},
            "description": {"type": "string", "description": "what the file is for"},
            "content": {"type": "string", "description": "markdown body (create/insert)"},
            "old_text": {"type": "string"},
            "new_text": {"type": "string"},
            "line": {"type": "integer", "description": "1-based body line (insert)"},
            "new_path": {"type": "string"},
            "reason": {"type": "string", "description": "why; becomes the commit message"},
        },
        "required": ["command", "path", "reason"],
    },
    run=run_memory,
)

MEMORY_VIEW = Tool(
    name="memory_view",
    description="Read a memory file with numbered body lines (optionally a line range), or "
                "list a memory folder.",
    parameters={
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "file or folder; '/' for the root"},
            "start_line": {"type": "integer"},
            "end_line": {"type": "integer"},
        },
        "required": ["path"],
    },
    run=run_view,
)

MEMORY_SEARCH = Tool(
    name="memory_search",
    description="Find lines in memory files (case-insensitive substring, or a regex).",
    parameters={
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "regex": {"type": "boolean",
                      "description": "RE2 syntax (no look-around or backreferences)"},
        },
        "required": ["query"],
    },
    run=run_search,
)
