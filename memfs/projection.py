"""Prompt projection: how memory appears in the agent's system prompt.

Rendered from committed HEAD only. ``system/**/*.md`` in full; every other file as a tree of
paths with descriptions; ``skills/<name>/SKILL.md`` listed by name and description.
Cached by (repo, HEAD); blobs are parsed once per content hash, so after an edit only the
changed files are read again. The exact shape is documented in the README.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from memfs.errors import InvalidFrontmatter
from memfs.frontmatter import parse, peek_description
from memfs.objects import reader_for
from memfs.repo import MemoryRepo
from memfs.tokens import estimate_tokens

TREE_MAX_LINES = 500
TREE_MAX_CHARS = 20_000
TREE_MAX_CHILDREN = 50
SYSTEM_DIR = "system/"
SKILLS_DIR = "skills/"


@dataclass(frozen=True)
class FileEntry:
    """One committed memory file as the projection sees it."""

    path: str
    description: str | None
    size: int
    tokens: int
    in_context: bool
    skill: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Projection:
    """The rendered memory block and what went into it."""

    head: str
    text: str
    files: tuple[FileEntry, ...]
    system_tokens: int
    tokens: int
    tree_truncated: bool


@dataclass(frozen=True)
class _Blob:
    size: int
    description: str | None
    body: str | None
    problem: str | None
    skill: str | None


class ProjectionCache:
    """Projections by (root, HEAD) and parsed blobs by sha; thread-safe, bounded."""

    def __init__(self, max_projections: int = 16, max_blobs: int = 200_000) -> None:
        self._projections: OrderedDict[tuple[str, str], Projection] = OrderedDict()
        self._blobs: dict[tuple[str, bool], _Blob] = {}
        self._max_projections = max_projections
        self._max_blobs = max_blobs
        self._lock = threading.Lock()

    def get(self, root: Path, head: str) -> Projection | None:
        with self._lock:
            key = (str(root), head)
            hit = self._projections.get(key)
            if hit is not None:
                self._projections.move_to_end(key)
            return hit

    def put(self, root: Path, projection: Projection) -> None:
        with self._lock:
            self._projections[(str(root), projection.head)] = projection
            while len(self._projections) > self._max_projections:
                self._projections.popitem(last=False)

    def blob(self, sha: str, full: bool) -> _Blob | None:
        return self._blobs.get((sha, full))

    def put_blob(self, sha: str, full: bool, blob: _Blob) -> None:
        if len(self._blobs) >= self._max_blobs:
            self._blobs.clear()
        self._blobs[(sha, full)] = blob


CACHE = ProjectionCache()


def project(repo: MemoryRepo, cache: ProjectionCache = CACHE) -> Projection:
    """The projection of ``repo`` at its current HEAD (a cache hit costs two small file reads)."""
    head = repo.head()
    cached = cache.get(repo.root, head)
    if cached is not None:
        return cached
    projection = _build(repo, head, cache)
    cache.put(repo.root, projection)
    return projection


def _build(repo: MemoryRepo, head: str, cache: ProjectionCache) -> Projection:
    reader = reader_for(repo.common_dir)
    listing = [(path, sha, path.startswith(SYSTEM_DIR) and path.endswith(".md"))
               for path, sha in reader.files(head)]
    raw = reader.blobs([sha for _, sha, full in listing if cache.blob(sha, full) is None])
    files: list[FileEntry] = []
    system_parts: list[str] = []
    for path, sha, in_context in listing:
        blob = cache.blob(sha, in_context)
        if blob is None:
            blob = _parse_blob(path, raw.get(sha, b""), in_context)
            cache.put_blob(sha, in_context, blob)
        tokens = estimate_tokens(blob.size)
        files.append(FileEntry(path, blob.description, blob.size, tokens, in_context,
                               blob.skill, blob.problem))
        if in_context:
            system_parts.append(_render_system_file(path, tokens, blob))
    tree_text, truncated = render_tree([f for f in files if not f.in_context and not f.skill])
    skills = [f for f in files if f.skill]
    sections = [
        "<memory_system>",
        "These files are always in context (system/). Edit them with the memory tool.",
        *system_parts,
        "</memory_system>",
        "<memory_tree>",
        "Other memory files, by path and description. Read one with memory_view.",
        tree_text or "(no other files)",
        "</memory_tree>",
    ]
    if skills:
        sections += ["<skills>"]
        sections += [f"- {f.skill}: {f.description or '(no description)'} ({f.path})"
                     for f in skills]
        sections += ["</skills>"]
    body = "\n".join(sections)
    system_tokens = sum(f.tokens for f in files if f.in_context)
    header = (f'<memory head="{head[:12]}" files="{len(files)}" '
              f'system_tokens="{system_tokens}">')
    text = f"{header}\n{body}\n</memory>"
    return Projection(head, text, tuple(files), system_tokens, estimate_tokens(len(text.encode())),
                      truncated)


def _parse_blob(path: str, data: bytes, full: bool) -> _Blob:
    text = data.decode("utf-8", "replace")
    skill = _skill_name(path)
    try:
        file = parse(text, path)
    except InvalidFrontmatter as exc:
        return _Blob(len(data), peek_description(text), text if full else None, exc.message,
                     skill)
    if skill and isinstance(file.extra.get("name"), str):
        skill = str(file.extra["name"])
    return _Blob(len(data), file.description, file.body if full else None, None, skill)


def _skill_name(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "skills" and parts[2] == "SKILL.md":
        return parts[1]
    return None


def _render_system_file(path: str, tokens: int, blob: _Blob) -> str:
    attrs = f"path={quoteattr(path)} tokens=\"{tokens}\""
    if blob.description:
        attrs += f" description={quoteattr(blob.description)}"
    if blob.problem:
        attrs += f" problem={quoteattr(blob.problem)}"
    body = blob.body or ""
    if body and not body.endswith("\n"):
        body += "\n"
    return f"<file {attrs}>\n{body}</file>"


def render_tree(files: list[FileEntry]) -> tuple[str, bool]:
    """Folders first, sorted; per-folder, line and character limits with explicit markers.

    Returns (text, truncated).
    """
    root: dict[str, object] = {}
    for f in files:
        node = root
        parts = f.path.split("/")
        for part in parts[:-1]:
            child = node.setdefault(part + "/", {})
            assert isinstance(child, dict)
            node = child
        node[parts[-1]] = f
    writer = _TreeWriter()
    if not writer.walk(root, 0):
        writer.lines.append(
            f"... (tree truncated after {writer.files_shown} of {len(files)} files: "
            "find the rest with memory_search)"
        )
    return "\n".join(writer.lines), writer.truncated


class _TreeWriter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.chars = 0
        self.files_shown = 0
        self.truncated = False

    def emit(self, line: str) -> bool:
        full = len(self.lines) >= TREE_MAX_LINES - 1
        if full or self.chars + len(line) + 1 > TREE_MAX_CHARS - 100:
            self.truncated = True
            return False
        self.lines.append(line)
        self.chars += len(line) + 1
        return True

    def walk(self, node: dict[str, object], depth: int) -> bool:
        names = sorted(node, key=lambda n: (not n.endswith("/"), n))
        indent = "  " * depth
        for index, name in enumerate(names):
            if index == TREE_MAX_CHILDREN:
                self.truncated = True
                return self.emit(f"{indent}... ({len(names) - index} more entries)")
            value = node[name]
            if isinstance(value, dict):
                if not self.emit(f"{indent}{name}") or not self.walk(value, depth + 1):
                    return False
                continue
            assert isinstance(value, FileEntry)
            desc = (value.description or "(no description)").splitlines()[0]
            if not self.emit(f"{indent}{name}: {desc}"):
                return False
            self.files_shown += 1
        return True
