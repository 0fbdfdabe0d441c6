"""The agent's tools and the one function that runs a tool call safely: every result, whatever
the tool, has its credentials redacted before it reaches the model or the database."""

from __future__ import annotations

import json
import logging
from typing import Any

from agent.tools.base import Tool, ToolContext, ToolFailure, ToolResult
from agent.tools.memory import MEMORY, MEMORY_SEARCH, MEMORY_VIEW
from agent.tools.recall import CONVERSATION_SEARCH
from agent.tools.workspace import LIST_FILES, READ_FILE, SEARCH_FILES
from memfs.errors import MemfsError

log = logging.getLogger("memfs.tools")

TOOLS: dict[str, Tool] = {t.name: t for t in (
    MEMORY, MEMORY_VIEW, MEMORY_SEARCH, CONVERSATION_SEARCH, READ_FILE, LIST_FILES, SEARCH_FILES)}


def schemas(ctx: ToolContext) -> list[dict[str, Any]]:
    """The tool schemas offered to the model in this context."""
    return [t.schema() for t in TOOLS.values()
            if (ctx.workspace or not t.needs_workspace)
            and (ctx.tools is None or t.name in ctx.tools)]


def parse_arguments(raw: str) -> dict[str, Any]:
    """A tool call's JSON arguments, or ToolFailure explaining what was wrong."""
    if not raw or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ToolFailure(f"the arguments were not valid JSON ({exc.msg} at character "
                          f"{exc.pos}); call the tool again with a JSON object") from None
    if not isinstance(value, dict):
        raise ToolFailure("the arguments must be a JSON object")
    return value


def execute(ctx: ToolContext, name: str, args: dict[str, Any]) -> ToolResult:
    """Run one tool call; every failure becomes an error result for the model, never a crash."""
    tool = TOOLS.get(name)
    try:
        unavailable = tool is not None and (
            (tool.needs_workspace and ctx.workspace is None)
            or (ctx.tools is not None and tool.name not in ctx.tools))
        if tool is None or unavailable:
            offered = ", ".join(t["function"]["name"] for t in schemas(ctx))
            raise ToolFailure(f"unknown tool {name!r}; available tools: {offered}")
        result = tool.run(ctx, args)
    except ToolFailure as exc:
        result = ToolResult(f"error: {exc}", ok=False)
    except MemfsError as exc:
        result = ToolResult(f"error: {exc}", ok=False)
    except Exception as exc:  # a bug must not end the turn
        log.exception("tool %s failed", name)
        result = ToolResult(f"error: the tool failed unexpectedly ({type(exc).__name__}: {exc})",
                            ok=False)
    return _finished(result, ctx.output_limit)


REDACT_MARGIN = 1_000  # characters beyond the cut that are redacted with it (a key across it)


def _finished(result: ToolResult, limit: int) -> ToolResult:
    """The result cut to ``limit`` characters, credentials redacted and both said."""
    from memfs.secrets import redact  # the detectors are heavy to import

    total = len(result.output)
    text, redacted = redact(result.output[:limit + REDACT_MARGIN])
    redacted += result.redacted
    notes = []
    if total > limit or len(text) > limit:
        text = text[:limit]
        notes.append(f"... (output truncated at {limit} of {total} characters; ask for a "
                     "narrower range)")
    if redacted:
        notes.append(f"({redacted} credential{'s' if redacted != 1 else ''} redacted: shown "
                     "as [REDACTED:<kind>]; the values stay out of the conversation)")
    if not notes:
        return result
    return ToolResult("\n".join([text, *notes]), result.ok, result.commit, redacted,
                      result.written)


__all__ = ["TOOLS", "ToolContext", "ToolResult", "execute", "parse_arguments", "schemas"]
