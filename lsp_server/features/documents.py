"""Memory files opened in the editor: lint diagnostics on open and change (each problem on
its own line), completion of frontmatter keys and ``[[link]]`` targets, hover on links.
Saving is ``lsp_server.features.saves``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from memfs.errors import MemfsError
from memfs.frontmatter import ALLOWED_KEYS, SKILL_KEYS
from memfs.home import memfs_home
from memfs.lint import ERROR, WARNING, Finding, lint_text
from memfs.store import MemoryStore

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

_LINK_OPEN = re.compile(r"\[\[([^\]]*)$")
_LINK = re.compile(r"\[\[([^\]\|#\n]+)(?:#[^\]\|\n]*)?(?:\|[^\]\n]*)?\]\]")
_SEVERITY = {ERROR: types.DiagnosticSeverity.Error, WARNING: types.DiagnosticSeverity.Warning}
_KEY_HELP = {
    "description": "What this file is for (required). Shown in the memory tree.",
    "read_only": "true: the agent may not change or delete this file.",
    "limit": "Maximum characters of body, enforced on every edit.",
    "name": "The skill's name (skills/<name>/SKILL.md only).",
}


def memory_file(uri: str) -> tuple[MemoryStore, str] | None:
    """(store, memory-relative path) when ``uri`` is a file inside an agent's memory."""
    path = to_fs_path(uri)
    if not path:
        return None
    agents = memfs_home().resolve() / "agents"
    try:
        parts = Path(path).resolve().relative_to(agents).parts
    except ValueError:
        return None
    if len(parts) < 3 or parts[1] != "memory":
        return None
    try:
        return MemoryStore.open(parts[0]), "/".join(parts[2:])
    except MemfsError:
        return None


def _diagnostic(finding: Finding) -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=finding.start_line - 1, character=0),
                          end=types.Position(line=finding.end_line - 1, character=10_000)),
        message=finding.message, severity=_SEVERITY.get(finding.severity,
                                                        types.DiagnosticSeverity.Information),
        code=finding.code, source="memfs")


async def publish(ls: MemfsServer, uri: str, version: int | None = None) -> None:
    """Lint the open document and publish its diagnostics."""
    def compute() -> list[types.Diagnostic] | None:
        found = memory_file(uri)
        if found is None:
            return None
        store, rel = found
        text = ls.workspace.get_text_document(uri).source
        return [_diagnostic(f) for f in lint_text(rel, text, set(store.list_files()))]

    diagnostics = await asyncio.to_thread(compute)
    if diagnostics is not None:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=version))


async def did_open(ls: MemfsServer, params: types.DidOpenTextDocumentParams) -> None:
    await publish(ls, params.text_document.uri, params.text_document.version)


async def did_change(ls: MemfsServer, params: types.DidChangeTextDocumentParams) -> None:
    await publish(ls, params.text_document.uri, params.text_document.version)


async def completion(ls: MemfsServer, params: types.CompletionParams
                     ) -> types.CompletionList | None:
    """Frontmatter keys inside the frontmatter; memory paths after ``[[``."""
    uri = params.text_document.uri

    def compute() -> types.CompletionList | None:
        found = memory_file(uri)
        if found is None:
            return None
        store, rel = found
        document = ls.workspace.get_text_document(uri)
        lines = document.lines
        line = lines[params.position.line] if params.position.line < len(lines) else ""
        before = line[: params.position.character]
        block = _frontmatter_lines(lines)
        if block is not None and params.position.line in block:
            return _key_completion(rel, [lines[i] for i in block
                                         if i < len(lines) and i != params.position.line])
        match = _LINK_OPEN.search(before)
        if match is None:
            return None
        items = []
        for path in store.list_files():
            if not path.endswith(".md") or path == rel:
                continue
            target = path[: -len(".md")]
            items.append(types.CompletionItem(label=target, kind=types.CompletionItemKind.File,
                                              detail=_description(store, path)))
        return types.CompletionList(is_incomplete=False, items=items)

    return await asyncio.to_thread(compute)


async def hover(ls: MemfsServer, params: types.HoverParams) -> types.Hover | None:
    """The description of the memory file a ``[[link]]`` points to."""
    uri = params.text_document.uri

    def compute() -> types.Hover | None:
        found = memory_file(uri)
        if found is None:
            return None
        store, _ = found
        lines = ls.workspace.get_text_document(uri).lines
        if params.position.line >= len(lines):
            return None
        line = lines[params.position.line]
        for match in _LINK.finditer(line):
            if match.start() <= params.position.character <= match.end():
                target = match.group(1).strip()
                try:
                    rel = store.norm(target)
                    description = store.read(rel).description
                except MemfsError as exc:
                    description = f"(broken link: {exc.message})"
                    rel = target
                return types.Hover(
                    contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                 value=f"**{rel}**\n\n{description}"),
                    range=types.Range(
                        start=types.Position(line=params.position.line, character=match.start()),
                        end=types.Position(line=params.position.line, character=match.end())))
        return None

    return await asyncio.to_thread(compute)


def _frontmatter_lines(lines: Sequence[str]) -> range | None:
    """0-based numbers of the lines inside the frontmatter block (all lines after an
    unclosed opener, and the empty line the cursor may be on); None without frontmatter."""
    if not lines or lines[0].rstrip("\r\n") != "---":
        return None
    for number in range(1, len(lines)):
        if lines[number].rstrip("\r\n") == "---":
            return range(1, number)
    return range(1, len(lines) + 1)


def _key_completion(rel: str, others: list[str]) -> types.CompletionList:
    """The frontmatter keys not yet present, ``description`` first."""
    present = {line.split(":", 1)[0].strip() for line in others if ":" in line}
    keys = ALLOWED_KEYS + (SKILL_KEYS if rel.endswith("SKILL.md") else ())
    items = [types.CompletionItem(label=key, kind=types.CompletionItemKind.Property,
                                  insert_text=f"{key}: ", documentation=_KEY_HELP[key],
                                  sort_text=f"{index:02d}", preselect=index == 0)
             for index, key in enumerate(keys) if key not in present]
    return types.CompletionList(is_incomplete=False, items=items)


def _description(store: MemoryStore, path: str) -> str:
    try:
        return store.read(path).description
    except MemfsError:
        return ""
