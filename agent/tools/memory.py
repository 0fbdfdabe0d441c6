"""Memory tools: ``memory`` (edits), ``memory_view`` and ``memory_search``, over two tiers.

A path starting with ``project/`` names the workspace's project memory (shared through the
repository: an edit is written to the working tree for the user to review and commit); any
other path names the agent's own memory (one commit per edit). Each tier's ``approval``
policy decides whether an edit lands at once (``auto``), is first shown to the user with its
diff (``ask``: the decision, a rejection's reason included, is the tool's result) or is
refused (``off``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from agent.approval import ApprovalRequest, Tier, refusal
from agent.tools.base import Tool, ToolContext, ToolFailure, ToolResult, int_arg, string_arg
from memfs.errors import InvalidArgument
from memfs.project import PREFIX
from memfs.staging import PreviewBackend
from memfs.store import EditResult, FileStore

COMMANDS = ("create", "str_replace", "insert", "delete", "rename", "update_description",
            "update_scope")


def _route(ctx: ToolContext, path: str) -> tuple[Tier, FileStore, str]:
    """(tier, store, path within that store) of a path as the agent writes it."""
    clean = path.strip().lstrip("/")
    if clean == PREFIX.rstrip("/") or clean.startswith(PREFIX):
        if ctx.project is None:
            raise ToolFailure("this workspace has no project memory (project/... paths); the "
                              "user can create it with 'memfs project init' or the editor's "
                              "'Create project memory' command")
        return "project", ctx.project, clean[len(PREFIX):] or "/"
    return "personal", ctx.memory, path


def _shown(tier: Tier, rel: str) -> str:
    return PREFIX + rel if tier == "project" else rel


def _globs(args: dict[str, Any]) -> tuple[str, ...] | None:
    value = args.get("paths")
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ToolFailure("'paths' must be a list of globs relative to the workspace, e.g. "
                          '["src/api/**"] ([] clears it)')
    return tuple(value)


def _expires(args: dict[str, Any]) -> date | None | bool:
    """The ``expires`` argument: a day, None to clear ('' or null), False when absent."""
    if "expires" not in args:
        return False
    value = args["expires"]
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ToolFailure("'expires' must be a day written YYYY-MM-DD ('' clears it)") from None


def _edit(store: FileStore, tier: Tier, command: str, rel: str, args: dict[str, Any],
          reason: str, archive: bool) -> EditResult:
    """Run one edit command on ``store``."""
    if command == "create":
        expires = _expires(args)
        return store.create(rel, string_arg(args, "description"),
                            string_arg(args, "content", required=False), reason,
                            globs=_globs(args) or (),
                            expires=expires if isinstance(expires, date) else None)
    if command == "str_replace":
        return store.str_replace(rel, string_arg(args, "old_text"),
                                 string_arg(args, "new_text", required=False), reason)
    if command == "insert":
        line = int_arg(args, "line")
        if line is None:
            raise ToolFailure("insert needs 'line' (1-based; last line + 1 appends)")
        return store.insert(rel, line, string_arg(args, "content"), reason)
    if command == "delete" and archive:
        norm = store.norm(rel)
        if norm.startswith("archive/"):
            raise ToolFailure("archived files are kept; there is nothing to retire")
        return store.rename(norm, f"archive/{norm}", reason)
    if command == "delete":
        return store.delete(rel, reason)
    if command == "rename":
        return store.rename(rel, _target(tier, args), reason)
    if command == "update_description":
        return store.update_description(rel, string_arg(args, "description"), reason)
    if command == "update_scope":
        globs, expires = _globs(args), _expires(args)
        if globs is None and expires is False:
            raise ToolFailure("update_scope needs 'paths' (globs; [] clears) or 'expires' "
                              "(YYYY-MM-DD; '' clears)")
        return store.update_scope(rel, reason, globs=globs, expires=expires)
    raise ToolFailure(f"unknown command {command!r}; use one of {', '.join(COMMANDS)}")


def _target(tier: Tier, args: dict[str, Any]) -> str:
    """``new_path`` of a rename, in the same tier as the file."""
    new_path = string_arg(args, "new_path")
    in_project = new_path.strip().lstrip("/").startswith(PREFIX)
    if in_project != (tier == "project"):
        raise ToolFailure("rename moves a file within one tier; to move it between your "
                          "memory and project memory, create it in the other tier and delete "
                          "this one")
    return new_path.strip().lstrip("/").removeprefix(PREFIX) if in_project else new_path


def run_memory(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    command = string_arg(args, "command")
    tier, store, rel = _route(ctx, string_arg(args, "path"))
    reason = string_arg(args, "reason")
    if ctx.commit_prefix and not reason.startswith(ctx.commit_prefix):
        reason = f"{ctx.commit_prefix} {reason}"
    policy = ctx.policy(tier)
    if policy == "off":
        raise ToolFailure(f"approval.{tier} is off: you may not edit {tier} memory; tell the "
                          "user what you would change instead")
    if policy == "ask":
        refused = _approve(ctx, tier, store, command, rel, args, reason)
        if refused is not None:
            return refused
    result = _edit(store, tier, command, rel, args, reason, ctx.archive_deletes)
    if tier == "project":
        shown = EditResult("", [_shown(tier, p) for p in result.paths], result.message)
        return ToolResult(f"wrote {', '.join(shown.paths)} to the workspace's project memory "
                          "(not committed: the user reviews and commits it with their code)",
                          written=shown)
    return ToolResult(f"committed {result.commit[:10]} '{result.message}' "
                      f"({', '.join(result.paths)})", commit=result)


def _approve(ctx: ToolContext, tier: Tier, store: FileStore, command: str, rel: str,
             args: dict[str, Any], reason: str) -> ToolResult | None:
    """Show the edit to the user before it lands; None when accepted, else the result that
    tells the model it was rejected (and why)."""
    preview = PreviewBackend(store.root)
    _edit(FileStore(preview), tier, command, rel, args, reason, ctx.archive_deletes)
    proposed = preview.last
    first = proposed.changes[0]
    request = ApprovalRequest(
        tier, _shown(tier, first.path), command, reason,
        proposed.diff(PREFIX if tier == "project" else ""), first.before, first.after,
        ctx.agent_id, ctx.conversation_id)
    decision = ctx.ask(request)
    if decision is None:
        raise ToolFailure(refusal(tier))
    if not decision.accepted:
        why = (decision.reason or "").strip() or "no reason given"
        return ToolResult(f"error: the user rejected this edit of {request.path}: {why}. "
                          "Nothing changed.", ok=False)
    if decision.outcome == "always" and ctx.approval is not None:
        ctx.approval.granted(tier)
    again = PreviewBackend(store.root)
    _edit(FileStore(again), tier, command, rel, args, reason, ctx.archive_deletes)
    if again.last.changes != proposed.changes:
        raise InvalidArgument(f"{request.path} changed while the edit waited for approval, so "
                              "it was not applied", "view the file again and propose the edit "
                              "anew")
    return None


def run_view(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    path = string_arg(args, "path", required=False) or "/"
    tier, store, rel = _route(ctx, path)
    text = store.view(rel, int_arg(args, "start_line"), int_arg(args, "end_line"))
    if tier == "project":
        text = text.replace("path: ", f"path: {PREFIX}", 1) if text.startswith("path: ") \
            else text.replace("folder: ", f"folder: {PREFIX}", 1)
        text = "(project memory: shared through the repository, provided by the project)\n" \
            + text
    elif rel.strip() in ("", "/") and ctx.project is not None:
        text += f"\n  {PREFIX}  (the workspace's project memory: view '{PREFIX}')"
    return ToolResult(text)


def run_search(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    query = string_arg(args, "query")
    regex = bool(args.get("regex", False))
    hits, truncated = ctx.memory.search(query, regex=regex)
    lines = [str(h) for h in hits]
    if ctx.project is not None:
        found, more = ctx.project.search(query, regex=regex)
        lines += [f"{PREFIX}{h}" for h in found]
        truncated = truncated or more
    if not lines:
        return ToolResult("no matches")
    if truncated:
        lines.append("... (more matches; narrow the query)")
    return ToolResult("\n".join(lines))


MEMORY = Tool(
    name="memory",
    description=(
        "Edit your memory. Paths starting with project/ name the workspace's project memory "
        "(shared with the team; written to the working tree for the user to commit); any "
        "other path names your own memory (each edit one git commit whose message is "
        "`reason`). Edits may need the user's approval: then the result says whether they "
        "accepted, and why not. Commands: create (path, description, content, optional "
        "paths/expires), str_replace (path, old_text, new_text: old_text must occur exactly "
        "once), insert (path, line, content: content starts at that 1-based body line), "
        "delete (path), rename (path, new_path), update_description (path, description), "
        "update_scope (path, paths and/or expires). `paths` (globs relative to the "
        "workspace) makes a file load only while the user works on a matching file; "
        "`expires` (YYYY-MM-DD) takes it out of context after that day."
    ),
    parameters={
        "type": "object",
        "properties": {
            "command": {"type": "string", "enum": list(COMMANDS)},
            "path": {"type": "string", "description": "memory file, e.g. system/human.md or "
                     "project/system/conventions.md"},
            "description": {"type": "string", "description": "what the file is for"},
            "content": {"type": "string", "description": "markdown body (create/insert)"},
            "old_text": {"type": "string"},
            "new_text": {"type": "string"},
            "line": {"type": "integer", "description": "1-based body line (insert)"},
            "new_path": {"type": "string"},
            "paths": {"type": "array", "items": {"type": "string"},
                      "description": "globs of workspace files this memory applies to, e.g. "
                                     "[\"migrations/**\"] (create/update_scope; [] clears)"},
            "expires": {"type": "string", "description": "YYYY-MM-DD after which the file "
                        "leaves your context (create/update_scope; '' clears)"},
            "reason": {"type": "string", "description": "why; becomes the commit message"},
        },
        "required": ["command", "path", "reason"],
    },
    run=run_memory,
)

MEMORY_VIEW = Tool(
    name="memory_view",
    description="Read a memory file with numbered body lines (optionally a line range), or "
                "list a memory folder ('project/' lists the project memory).",
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
    description="Find lines in memory files, yours and the project's (case-insensitive "
                "substring, or a regex).",
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
