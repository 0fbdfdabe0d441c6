"""Memory files opened in the editor: lint diagnostics on open and change, completion of
frontmatter keys and ``[[link]]`` targets, hover on links, and commit on save."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from memfs.errors import MemfsError, NoOpEdit
from memfs.frontmatter import ALLOWED_KEYS, split
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


async def did_save(ls: MemfsServer, params: types.DidSaveTextDocumentParams) -> None:
    """Commit a valid saved memory file as ``chore(manual): edit PATH``; an invalid one keeps
    its diagnostics and is not committed."""
    uri = params.text_document.uri

    def commit() -> tuple[str | None, str]:
        found = memory_file(uri)
        if found is None:
            return None, ""
        store, rel = found
        try:
            result = store.commit_file(rel, f"chore(manual): edit {rel}")
        except NoOpEdit:
            return None, ""
        except MemfsError as exc:
            return None, str(exc)
        return result.commit, ""

    commit_sha, problem = await asyncio.to_thread(commit)
    if commit_sha:
        ls.own_commits[commit_sha] = "manual"
    elif problem:
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Warning, message=f"memfs: not committed: {problem}"))
    await publish(ls, uri)


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
        if _in_frontmatter(document.source, params.position.line):
            present = {ln.split(":", 1)[0].strip() for ln in lines if ":" in ln}
            items = [types.CompletionItem(label=k, kind=types.CompletionItemKind.Property,
                                          insert_text=f"{k}: ", documentation=_KEY_HELP[k])
                     for k in ALLOWED_KEYS if k not in present]
            return types.CompletionList(is_incomplete=False, items=items)
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


def _in_frontmatter(text: str, line: int) -> bool:
    if not text.startswith("---"):
        return line == 0
    parts = split(text)
    if parts is None:
        return True  # an unclosed frontmatter: everything so far is frontmatter
    return 0 < line <= parts[0].count("\n") + (1 if parts[0] else 0)


def _description(store: MemoryStore, path: str) -> str:
    try:
        return store.read(path).description
    except MemfsError:
        return ""
