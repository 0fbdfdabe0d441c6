"""Prompt projection: how memory appears in the agent's system prompt.

An agent's memory is rendered from committed HEAD only; project memory (``project_folder``)
from the files as they are on disk. ``system/**/*.md`` in full; every other file as a tree of
paths with descriptions; ``skills/<name>/SKILL.md`` listed by name and description. A file
with ``paths:`` (scoped) is in full only for turns where the user works on a matching file
(``render_scoped``); a file past its ``expires:`` day leaves the in-context tier; both stay in
the tree, marked. Cached by (repo, HEAD, day) or, on disk, by each file's mtime and size;
blobs are parsed once per content hash, so after an edit only the changed files are read
again. The exact shape is documented in the README.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from memfs import paths
from memfs.errors import InvalidFrontmatter
from memfs.frontmatter import parse, peek_description
from memfs.objects import reader_for
from memfs.repo import MemoryRepo
from memfs.scope import Focus
from memfs.tokens import estimate_tokens

TREE_MAX_LINES = 500
TREE_MAX_CHARS = 20_000
TREE_MAX_CHILDREN = 50
SYSTEM_DIR = "system/"
SKILLS_DIR = "skills/"
MAX_DISK_FILE = 256_000  # bytes of one project memory file read into the prompt


@dataclass(frozen=True)
class FileEntry:
    """One memory file as the projection sees it. ``globs``: its ``paths:`` (scoped: in full
    only while a matching file is worked on); ``expired``: past its ``expires`` day, so out of
    the in-context tier."""

    path: str
    description: str | None
    size: int
    tokens: int
    in_context: bool
    skill: str | None = None
    problem: str | None = None
    globs: tuple[str, ...] = ()
    expires: str | None = None  # YYYY-MM-DD
    expired: bool = False


@dataclass(frozen=True)
class ScopedFile:
    """A scoped memory file, with its body, for turns where it applies."""

    path: str
    description: str | None
    globs: tuple[str, ...]
    tokens: int
    body: str


@dataclass(frozen=True)
class Projection:
    """The rendered memory block and what went into it."""

    head: str
    text: str
    files: tuple[FileEntry, ...]
    system_tokens: int
    tokens: int
    tree_truncated: bool
    scoped: tuple[ScopedFile, ...] = ()


@dataclass(frozen=True)
class _Blob:
    size: int
    description: str | None
    body: str | None
    problem: str | None
    skill: str | None
    globs: tuple[str, ...] = ()
    expires: date | None = None


@dataclass(frozen=True)
class Labels:
    """How one tier's block is introduced in the prompt."""

    block: str  # the outer tag
    system: str
    tree: str
    skills: str
    system_intro: str
    tree_intro: str
    prefix: str = ""  # put before every path (project/)
    intro: str = ""  # a paragraph at the top of the block


PERSONAL = Labels(
    "memory", "memory_system", "memory_tree", "skills",
    "These files are always in context (system/). Edit them with the memory tool.",
    "Other memory files, by path and description. Read one with memory_view.")


class ProjectionCache:
    """Projections by (root, HEAD, day) and parsed blobs by sha; thread-safe, bounded."""

    def __init__(self, max_projections: int = 16, max_blobs: int = 200_000) -> None:
        self._projections: OrderedDict[tuple[str, str, str], Projection] = OrderedDict()
        self._blobs: dict[tuple[str, bool], _Blob] = {}
        self._max_projections = max_projections
        self._max_blobs = max_blobs
        self._lock = threading.Lock()
        self.disk: dict[tuple[str, str], tuple[int, int, _Blob]] = {}  # (root, path) -> blob

    def get(self, root: Path, head: str, day: str = "") -> Projection | None:
        with self._lock:
            key = (str(root), head, day)
            hit = self._projections.get(key)
            if hit is not None:
                self._projections.move_to_end(key)
            return hit

    def put(self, root: Path, projection: Projection, day: str = "") -> None:
        with self._lock:
            self._projections[(str(root), projection.head, day)] = projection
            while len(self._projections) > self._max_projections:
                self._projections.popitem(last=False)

    def blob(self, sha: str, full: bool) -> _Blob | None:
        return self._blobs.get((sha, full))

    def put_blob(self, sha: str, full: bool, blob: _Blob) -> None:
        if len(self._blobs) >= self._max_blobs:
            self._blobs.clear()
        self._blobs[(sha, full)] = blob


CACHE = ProjectionCache()


def project(repo: MemoryRepo, cache: ProjectionCache = CACHE, today: date | None = None
            ) -> Projection:
    """The projection of ``repo`` at its current HEAD on ``today`` (default: the local date);
    a cache hit costs two small file reads."""
    head = repo.head()
    day = (today or date.today()).isoformat()
    cached = cache.get(repo.root, head, day)
    if cached is not None:
        return cached
    reader = reader_for(repo.common_dir)
    listing = [(path, sha, path.startswith(SYSTEM_DIR) and path.endswith(".md"))
               for path, sha in reader.files(head)]
    raw = reader.blobs([sha for _, sha, full in listing if cache.blob(sha, full) is None])
    items: list[tuple[str, _Blob]] = []
    for path, sha, full in listing:
        blob = cache.blob(sha, full)
        if blob is None:
            blob = _parse_blob(path, raw.get(sha, b""), full)
            cache.put_blob(sha, full, blob)
        items.append((path, blob))
    projection = _assemble(head, items, PERSONAL, date.fromisoformat(day),
                           f'head="{head[:12]}"')
    cache.put(repo.root, projection, day)
    return projection


def project_folder(root: Path, labels: Labels, cache: ProjectionCache = CACHE,
                   today: date | None = None, attrs: str = "") -> Projection:
    """The projection of a memory folder as it is on disk (project memory): every file is
    re-read only when its mtime or size changed; symbolic links and hidden entries are left
    out, and a file over ``MAX_DISK_FILE`` bytes is listed with a problem, not loaded."""
    import hashlib  # only here (project memory): the personal tier is keyed by its HEAD

    day = (today or date.today()).isoformat()
    stats = [(rel, mtime, size) for rel, (mtime, size) in paths.stats(root).items()]
    head = hashlib.sha1(repr(stats).encode()).hexdigest()
    cached = cache.get(root, head, day)
    if cached is not None:
        return cached
    items: list[tuple[str, _Blob]] = []
    for rel, mtime, size in stats:
        key = (str(root), rel)
        known = cache.disk.get(key)
        if known is not None and known[:2] == (mtime, size):
            items.append((rel, known[2]))
            continue
        blob = _read_disk(root, rel, size)
        cache.disk[key] = (mtime, size, blob)
        items.append((rel, blob))
    projection = _assemble(head, items, labels, date.fromisoformat(day), attrs)
    cache.put(root, projection, day)
    return projection


def _read_disk(root: Path, rel: str, size: int) -> _Blob:
    if size > MAX_DISK_FILE:
        return _Blob(size, None, None, f"too large to load ({size} bytes; at most "
                     f"{MAX_DISK_FILE})", _skill_name(rel))
    try:
        with open(root / rel, "rb") as handle:
            data = handle.read(MAX_DISK_FILE + 1)
    except OSError as exc:
        return _Blob(0, None, None, f"unreadable: {exc.strerror}", _skill_name(rel))
    from memfs.secrets import redact  # the detectors are heavy to import

    # Files on disk were never checked by the guard (a pull brings whatever was committed):
    # what reaches the prompt has its credentials redacted.
    text, found = redact(data.decode("utf-8", "replace"), keep_lines=True)
    return _parse_blob(rel, text.encode("utf-8") if found else data, True)


def _assemble(head: str, items: list[tuple[str, _Blob]], labels: Labels, today: date,
              attrs: str) -> Projection:
    """The block of one tier from its parsed files."""
    files: list[FileEntry] = []
    system_parts: list[str] = []
    scoped: list[ScopedFile] = []
    for rel, blob in items:
        path = labels.prefix + rel
        tokens = estimate_tokens(blob.size)
        expired = blob.expires is not None and blob.expires < today
        system = rel.startswith(SYSTEM_DIR) and rel.endswith(".md")
        in_context = system and not blob.globs and not expired
        files.append(FileEntry(path, blob.description, blob.size, tokens, in_context,
                               blob.skill, blob.problem, blob.globs,
                               blob.expires.isoformat() if blob.expires else None, expired))
        if in_context:
            system_parts.append(_render_system_file(path, tokens, blob))
        elif blob.globs and not expired and blob.body is not None:
            scoped.append(ScopedFile(path, blob.description, blob.globs, tokens, blob.body))
    tree_text, truncated = render_tree([f for f in files if not f.in_context and not f.skill])
    skills = [f for f in files if f.skill]
    sections = [*([labels.intro] if labels.intro else []),
                f"<{labels.system}>", labels.system_intro, *system_parts, f"</{labels.system}>",
                f"<{labels.tree}>", labels.tree_intro, tree_text or "(no other files)",
                f"</{labels.tree}>"]
    if skills:
        sections += [f"<{labels.skills}>"]
        sections += [f"- {f.skill}: {f.description or '(no description)'} ({f.path})"
                     for f in skills]
        sections += [f"</{labels.skills}>"]
    body = "\n".join(sections)
    system_tokens = sum(f.tokens for f in files if f.in_context)
    header = (f'<{labels.block}{" " + attrs if attrs else ""} files="{len(files)}" '
              f'system_tokens="{system_tokens}">')
    text = f"{header}\n{body}\n</{labels.block}>"
    return Projection(head, text, tuple(files), system_tokens, estimate_tokens(len(text.encode())),
                      truncated, tuple(scoped))


def render_scoped(tiers: list[tuple[Projection, str]], focus: Focus) -> tuple[str, list[str]]:
    """The block of scoped files that apply to ``focus``, each with why it was loaded (and,
    per tier, a note: ``tiers`` pairs a projection with the note its files carry, e.g. that
    project memory is provided by the repository); ('', []) when none applies. Also returns
    the paths loaded."""
    parts: list[str] = []
    loaded: list[str] = []
    for projection, note in tiers:
        for item in projection.scoped:
            why = focus.why(item.globs)
            if why is None:
                continue
            attrs = (f"path={quoteattr(item.path)} tokens=\"{item.tokens}\" "
                     f"loaded={quoteattr('scoped: ' + why)}")
            if item.description:
                attrs += f" description={quoteattr(item.description)}"
            if note:
                attrs += f" source={quoteattr(note)}"
            body = item.body if item.body.endswith("\n") or not item.body else item.body + "\n"
            parts.append(f"<file {attrs}>\n{body}</file>")
            loaded.append(item.path)
    if not parts:
        return "", []
    return "\n".join(["<memory_scoped>", "Scoped memory (frontmatter paths:) that applies to "
                      "the files the user is working on now; loaded for this turn only.",
                      *parts, "</memory_scoped>"]), loaded


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
    keep = full or bool(file.paths)  # a scoped file's body is loaded when it applies
    return _Blob(len(data), file.description, file.body if keep else None, None, skill,
                 file.paths, file.expires)


def quoteattr(text: str) -> str:
    """``text`` escaped and quoted as an XML attribute value, exactly as
    ``xml.sax.saxutils.quoteattr`` does (that module imports urllib, http and ssl)."""
    text = (text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


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
            if value.expired:
                desc += f" [expired {value.expires}: review it]"
            elif value.globs:
                desc += f" [applies to: {', '.join(value.globs)}]"
            if not self.emit(f"{indent}{name}: {desc}"):
                return False
            self.files_shown += 1
        return True
