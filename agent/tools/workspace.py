"""Read-only workspace tools: ``read_file``, ``list_files`` (honours .gitignore) and
``search_files``, confined to the workspace: every path is resolved to its real path, and
anything a symbolic link leads outside the workspace (whichever component is the link) is
refused or left out. Search patterns run on RE2 (linear time). Credentials in file contents
are redacted here, before lines are numbered or cut (a private key spans lines); every tool's
output is redacted again where it is produced (``agent.tools.execute``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.tools.base import Tool, ToolContext, ToolFailure, ToolResult, int_arg, string_arg
from memfs.paths import confine, inside, normalize_workspace
from memfs.regex import compile_pattern
from memfs.workspace import workspace_files

MAX_FILE_BYTES = 2_000_000
MAX_LIST = 2_000
MAX_HITS = 200


def _root(ctx: ToolContext) -> Path:
    if ctx.workspace is None:
        raise ToolFailure("no workspace is open, so there are no files to read")
    return ctx.workspace


def _target(ctx: ToolContext, path: str) -> tuple[str, Path]:
    """The workspace-relative path and the real path it names (refused when a link leads
    it outside the workspace)."""
    root = _root(ctx)
    rel = normalize_workspace(path, root)
    return rel, confine(root, root / rel) if rel else Path(os.path.realpath(root))


def _read_text(path: Path, host: Callable[[Path], str | None] | None = None
               ) -> tuple[str, int]:
    """A text file's content (the host's view of it when ``host`` has one: an editor's
    unsaved buffer) with its credentials redacted (line numbers kept), and how many were
    redacted."""
    if not path.is_file():
        raise ToolFailure("not a file (list folders with list_files)")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ToolFailure(f"file is larger than {MAX_FILE_BYTES} bytes; search it instead")
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise ToolFailure("binary file; only text files can be read")
    shown = host(path) if host is not None else None
    return _redact(shown if shown is not None else data.decode("utf-8", "replace"))


def _redact(text: str) -> tuple[str, int]:
    from memfs.secrets import redact  # the detectors are heavy to import

    return redact(text, keep_lines=True)


def run_read_file(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    rel, target = _target(ctx, string_arg(args, "path"))
    text, redacted = _read_text(target, ctx.read_through)
    lines = text.splitlines()
    start = int_arg(args, "start_line") or 1
    end = min(int_arg(args, "end_line") or len(lines), len(lines))
    if start < 1 or (lines and start > len(lines)) or end < start - 1:
        raise ToolFailure(f"line range {start}-{end} is outside {rel} (1-{len(lines)})")
    body = "\n".join(f"{n:>6}\t{lines[n - 1]}" for n in range(start, end + 1))
    return ToolResult(f"{rel} (lines {start}-{end} of {len(lines)})\n{body}", redacted=redacted)


def run_list_files(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    rel, target = _target(ctx, string_arg(args, "path", required=False))
    if not target.is_dir():
        raise ToolFailure(f"{rel} is not a folder")
    depth = int_arg(args, "max_depth") or 3
    prefix = rel + "/" if rel else ""
    shown: list[str] = []
    folders: set[str] = set()
    for name in workspace_files(_root(ctx)):
        if not name.startswith(prefix):
            continue
        inner = name[len(prefix):].split("/")
        if len(inner) > depth:
            folders.add(prefix + "/".join(inner[:depth]) + "/")
            continue
        shown.append(name)
    entries = sorted(shown + sorted(folders))
    more = len(entries) - MAX_LIST
    text = "\n".join(entries[:MAX_LIST]) or "(no files)"
    if more > 0:
        text += f"\n... ({more} more entries; list a subfolder)"
    return ToolResult(text)


def run_search_files(ctx: ToolContext, args: dict[str, Any]) -> ToolResult:
    query = string_arg(args, "query")
    rel, _ = _target(ctx, string_arg(args, "path", required=False))
    pattern = compile_pattern(query, regex=bool(args.get("regex")))
    root = _root(ctx)
    prefix = rel + "/" if rel else ""
    hits: list[str] = []
    redacted = 0
    for name in workspace_files(root):
        if prefix and not (name.startswith(prefix) or name == rel):
            continue
        path = inside(root, root / name)
        if path is None:
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        text = data.decode("utf-8", "replace")
        lines = text.splitlines()
        found = [n for n, line in enumerate(lines, 1) if pattern.search(line)]
        if not found:
            continue
        # Lines are shown from the redacted text (a key may span lines: a private key).
        clean, count = _redact(text)
        redacted += count
        shown = clean.splitlines() if count else lines
        for number in found:
            hits.append(f"{name}:{number}: {shown[number - 1].strip()[:200]}")
            if len(hits) >= MAX_HITS:
                return ToolResult("\n".join(hits) + "\n... (more matches; narrow it)",
                                  redacted=redacted)
    return ToolResult("\n".join(hits) or "no matches", redacted=redacted)


READ_FILE = Tool(
    name="read_file",
    description="Read a text file of the user's workspace with numbered lines (optionally a "
                "line range).",
    parameters={"type": "object", "properties": {
        "path": {"type": "string", "description": "relative to the workspace root"},
        "start_line": {"type": "integer"}, "end_line": {"type": "integer"}},
        "required": ["path"]},
    run=run_read_file, needs_workspace=True,
)
LIST_FILES = Tool(
    name="list_files",
    description="List the workspace's files (git-ignored files are left out).",
    parameters={"type": "object", "properties": {
        "path": {"type": "string", "description": "folder; empty for the root"},
        "max_depth": {"type": "integer", "description": "default 3"}}},
    run=run_list_files, needs_workspace=True,
)
SEARCH_FILES = Tool(
    name="search_files",
    description="Find lines in the workspace's files (case-insensitive substring or regex).",
    parameters={"type": "object", "properties": {
        "query": {"type": "string"},
        "regex": {"type": "boolean", "description": "RE2 syntax (no look-around or "
                                                    "backreferences)"},
        "path": {"type": "string", "description": "limit to a folder or file"}},
        "required": ["query"]},
    run=run_search_files, needs_workspace=True,
)
