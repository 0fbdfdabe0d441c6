"""Memory files opened in the editor (an agent's memory, or a workspace's project memory):
lint diagnostics on open and change (each problem on its own line; stale memory too: cited
workspace paths that are gone, ``paths:`` globs matching nothing, a past ``expires:``),
completion of frontmatter keys and ``[[link]]`` targets, hover on links and, in the
frontmatter, on the file itself (its age, who last changed it, its scope). Saving is
``lsp_server.features.saves`` (project memory files are the user's own: never committed)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from memfs import history
from memfs import project as shared_memory
from memfs.errors import MemfsError
from memfs.frontmatter import ALLOWED_KEYS, SKILL_KEYS, parse
from memfs.home import memfs_home
from memfs.lint import ERROR, WARNING, Finding, lint_text
from memfs.project import PREFIX, ProjectStore
from memfs.store import FileStore, MemoryStore
from memfs.workspace import WorkspaceView

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
    "paths": "Globs of workspace files (e.g. [\"src/api/**\"]): the file is loaded in full "
             "only while you work on a matching file.",
    "expires": "YYYY-MM-DD: after that day the file leaves the agent's context and lint asks "
               "for a review.",
}
_WHO = {"agent": "the agent", "manual": "you", "reflection": "reflection", "init": "init",
        "doctor": "doctor", "remember": "remember", "revert": "a revert",
        "created": "memory's creation", "import": "an import", "uncommitted": "an uncommitted "
        "change", "file": "an edit (no git history)"}


@dataclass(frozen=True)
class MemoryDocument:
    """A memory file open in the editor: its store and path there, its tier, the workspace
    its citations are checked against, and the other tier (for ``[[project/...]]`` links)."""

    store: FileStore
    rel: str
    tier: str  # personal | project
    workspace: Path | None
    shared: ProjectStore | None  # the workspace's project memory, when there is one


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


def project_file(ls: MemfsServer, uri: str) -> tuple[ProjectStore, str] | None:
    """(store, path within it) when ``uri`` is a file of a workspace folder's project
    memory (one reached through a link is not)."""
    path = to_fs_path(uri)
    if not path:
        return None
    for folder in ls.folders:
        root = to_fs_path(folder)
        if not root:
            continue
        try:
            parts = Path(path).relative_to(shared_memory.memory_root(Path(root))).parts
        except ValueError:
            continue
        try:
            store = ProjectStore.open(Path(root))
        except MemfsError:
            return None
        return (store, "/".join(parts)) if store is not None and parts else None
    return None


def memory_document(ls: MemfsServer, uri: str) -> MemoryDocument | None:
    """The memory file ``uri`` names, in either tier."""
    found = memory_file(uri)
    if found is not None:
        first = to_fs_path(ls.folders[0]) if ls.folders else None
        workspace = Path(first) if first else None
        try:
            shared = ProjectStore.open(workspace)
        except MemfsError:
            shared = None
        return MemoryDocument(found[0], found[1], "personal", workspace, shared)
    in_project = project_file(ls, uri)
    if in_project is not None:
        store, rel = in_project
        return MemoryDocument(store, rel, "project", store.workspace, store)
    return None


def _known(doc: MemoryDocument) -> set[str]:
    """The link targets a document may use: its tier's files, and ``project/...`` ones."""
    known = set(doc.store.list_files())
    if doc.shared is not None:
        known |= {PREFIX + p for p in doc.shared.list_files()}
    return known


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
        doc = memory_document(ls, uri)
        if doc is None:
            return None
        text = ls.workspace.get_text_document(uri).source
        view = WorkspaceView(doc.workspace) if doc.workspace is not None else None
        return [_diagnostic(f) for f in lint_text(doc.rel, text, _known(doc), workspace=view,
                                                  today=date.today())]

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
        doc = memory_document(ls, uri)
        if doc is None:
            return None
        store, rel = doc.store, doc.rel
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
    """On a ``[[link]]``: the description and age of the memory file it points to; in the
    frontmatter: this file's age, who last changed it, its scope and expiry."""
    uri = params.text_document.uri

    def compute() -> types.Hover | None:
        doc = memory_document(ls, uri)
        if doc is None:
            return None
        lines = ls.workspace.get_text_document(uri).lines
        number = params.position.line
        if number >= len(lines):
            return None
        for match in _LINK.finditer(lines[number]):
            if match.start() <= params.position.character <= match.end():
                return _hover(_link_text(doc, match.group(1).strip()), number,
                              match.start(), match.end())
        block = _frontmatter_lines(lines)
        if number == 0 or (block is not None and (number in block or number == block.stop)):
            return _hover(_status_text(doc, "".join(lines)), number, 0, len(lines[number]))
        return None

    return await asyncio.to_thread(compute)


def _hover(value: str, line: int, start: int, end: int) -> types.Hover:
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value),
        range=types.Range(start=types.Position(line=line, character=start),
                          end=types.Position(line=line, character=end)))


def _link_text(doc: MemoryDocument, target: str) -> str:
    """A link target's path, description and age (``project/...`` in the project tier)."""
    store, tier, shown = doc.store, doc.tier, target
    if target.startswith(PREFIX) and doc.shared is not None:
        store, tier, target = doc.shared, "project", target[len(PREFIX):]
    try:
        rel = store.norm(target)
        description = store.read(rel).description
    except MemfsError as exc:
        return f"**{shown}**\n\n(broken link: {exc.message})"
    label = PREFIX + rel if tier == "project" else rel
    age = _age_line(store, tier, rel)
    return f"**{label}**\n\n{description}" + (f"\n\n{age}" if age else "")


def _status_text(doc: MemoryDocument, text: str) -> str:
    """What the hover on a file's frontmatter says about it."""
    label = PREFIX + doc.rel if doc.tier == "project" else doc.rel
    where = "project memory (shared through the repository)" if doc.tier == "project" \
        else "your agent's memory"
    parts = [f"**{label}** \u00b7 {where}"]
    age = _age_line(doc.store, doc.tier, doc.rel)
    if age:
        parts.append(age)
    try:
        file = parse(text, doc.rel)
    except MemfsError:
        return "\n\n".join(parts)
    if file.paths:
        parts.append(f"Loaded in full while you work on: {', '.join(file.paths)}")
    if file.expires is not None:
        state = "expired" if file.expired(date.today()) else "expires"
        parts.append(f"{state.capitalize()} on {file.expires.isoformat()}"
                     + (": out of the agent's context until reviewed" if state == "expired"
                        else ""))
    return "\n\n".join(parts)


def _age_line(store: FileStore, tier: str, rel: str) -> str:
    """``Last changed 3 days ago by reflection (abc1234: message)``, or ''."""
    change: Any
    if tier == "project" and isinstance(store, ProjectStore):
        change = shared_memory.last_changes(store, store.projection().head).get(rel)
        who = (change.author or _WHO.get(change.source, change.source)) if change else ""
    elif isinstance(store, MemoryStore):
        change = history.last_changes(store.repo, store.repo.head()).get(rel)
        who = _WHO.get(change.source, change.source) if change else ""
    else:
        return ""
    if change is None:
        return "Not committed yet"
    commit = f" (`{change.sha[:7]}` {change.message})" if change.sha else ""
    return f"Last changed {_ago(change.date)} by {who}{commit}"


def _ago(iso: str) -> str:
    """``today``, ``yesterday``, ``12 days ago``, ``3 months ago``, ``2 years ago``."""
    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    days = (datetime.now(UTC) - then).days
    if days < 1:
        return "today"
    if days < 2:
        return "yesterday"
    if days < 60:
        return f"{days} days ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


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


def _description(store: FileStore, path: str) -> str:
    try:
        return store.read(path).description
    except MemfsError:
        return ""
