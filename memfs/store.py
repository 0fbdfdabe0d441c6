"""Memory operations: view, create, str_replace, insert, delete, rename, update_description,
update_scope, write and search. Every edit is validated and lands as one transaction of its
backend: for an agent's memory (``MemoryStore``) one commit whose message is the caller's
reason (the commit itself is secret-checked, see ``memfs.guard``); for project memory
(``memfs.project``) atomic writes to the working tree, checked the same way. An edit of a file
whose frontmatter is already invalid is allowed when its result is valid, so a broken file
can be repaired with the same tools.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Protocol

from memfs import paths
from memfs.errors import (
    AlreadyExists,
    InvalidArgument,
    InvalidFrontmatter,
    MatchError,
    NameClash,
    NoOpEdit,
    NotFound,
    ReadOnly,
)
from memfs.frontmatter import (
    MemoryFile,
    check_limit,
    load_lenient,
    parse,
    peek_description,
    render_meta,
    split,
)
from memfs.home import DEFAULT_AGENT_ID, default_name, memory_dir
from memfs.regex import compile_pattern
from memfs.repo import MemoryRepo

MAX_SEARCH_HITS = 200
MAX_HIT_CHARS = 240


@dataclass(frozen=True)
class EditResult:
    """What an edit committed."""

    commit: str
    paths: list[str]
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"commit": self.commit, "paths": self.paths, "message": self.message}


@dataclass(frozen=True)
class SearchHit:
    """One matching line."""

    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


class Edit(Protocol):
    """One transaction of a backend: reads see its own writes; ``changed`` lists what it
    wrote; ``commit_sha`` is the commit it made (None when the backend does not commit)."""

    changed: list[str]
    commit_sha: str | None

    def read(self, rel: str) -> str | None: ...
    def write(self, rel: str, text: str) -> None: ...
    def delete(self, rel: str) -> None: ...
    def mark_changed(self, rel: str) -> None: ...


class Backend(Protocol):
    """Where a store's files live and how an edit of them lands."""

    root: Path

    def transaction(self, touched: list[str], reason: str, *, keep_worktree: bool = False
                    ) -> AbstractContextManager[Edit]: ...


class FileStore:
    """The operations on a folder of memory files, whatever backend makes the edits land."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.root = backend.root

    # ----- reading ---------------------------------------------------------------------------
    def norm(self, path: str) -> str:
        """Normalise a user- or model-supplied memory path."""
        return paths.normalize(path, self.root)

    def read_text(self, path: str, rev: str | None = None) -> str:
        """Raw text of a memory file, from the working tree or a revision."""
        rel = self.norm(path)
        if rev is not None:
            return self._read_rev(rel, rev)
        target = paths.resolve(self.root, rel)
        if not target.is_file():
            raise NotFound(f"no memory file {rel}", _suggest(self, rel))
        return target.read_bytes().decode("utf-8", "replace")

    def _read_rev(self, rel: str, rev: str) -> str:
        raise InvalidArgument(f"this memory has no revisions to read {rel} at {rev} from",
                              "read the file as it is now")

    def read(self, path: str, rev: str | None = None) -> MemoryFile:
        """Parsed memory file."""
        rel = self.norm(path)
        return parse(self.read_text(rel, rev), rel)

    def view(
        self, path: str, start: int | None = None, end: int | None = None, rev: str | None = None
    ) -> str:
        """A file with numbered body lines (optionally a 1-based inclusive range), or a folder
        listing when ``path`` names a folder."""
        folder = self._as_folder(path)
        if folder is not None and rev is None:
            return self._folder_listing(folder)
        rel = self.norm(path)
        text = self.read_text(rel, rev)
        try:
            file = parse(text, rel)
            header = [f"path: {rel}", f"description: {file.description}"]
            if file.read_only:
                header.append("read_only: true")
            if file.limit is not None:
                header.append(f"limit: {file.limit} characters (now {len(file.body)})")
            if file.paths:
                header.append(f"paths: {', '.join(file.paths)} (loaded while the user works "
                              "on a matching file)")
            if file.expires is not None:
                header.append(f"expires: {file.expires.isoformat()}")
            body = file.body
        except InvalidFrontmatter as exc:
            header = [f"path: {rel}", f"warning: {exc.message}",
                      "repair: str_replace edits this file's whole text (shown below) until "
                      "it is valid; update_description sets its description"]
            body = text
        lines = body.splitlines()
        first, last = 1, len(lines)
        if start is not None or end is not None:
            first = start or 1
            last = min(end or len(lines), len(lines))
            if first < 1 or first > max(len(lines), 1) or last < first:
                raise InvalidArgument(
                    f"line range {start}-{end} is outside {rel} (1-{len(lines)})",
                    f"ask for lines between 1 and {len(lines)}",
                )
        numbered = [f"{n:>6}\t{lines[n - 1]}" for n in range(first, last + 1)]
        if not lines:
            numbered = ["(empty body)"]
        return "\n".join(header + ["---"] + numbered)

    def _as_folder(self, path: str) -> str | None:
        try:
            folder = paths.normalize_folder(path, self.root)
        except Exception:
            return None
        if folder.endswith(".md"):
            return None
        target = paths.resolve(self.root, folder) if folder else self.root
        return folder if target.is_dir() else None

    def _folder_listing(self, folder: str) -> str:
        base = self.root / folder if folder else self.root
        lines = [f"folder: {folder or '/'}"]
        for entry in sorted(base.iterdir(), key=lambda p: (not p.is_dir(), p.name)):
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            rel = f"{folder}/{entry.name}" if folder else entry.name
            if entry.is_dir():
                lines.append(f"  {entry.name}/")
            else:
                desc = _description_of(entry) or "(no description)"
                lines.append(f"  {entry.name}: {desc}  [{rel}]")
        return "\n".join(lines)

    def list_files(self) -> list[str]:
        """Every file in the working tree (not only markdown), sorted, memory-relative."""
        return paths.walk(self.root)[0]

    def search(
        self, query: str, *, regex: bool = False, ignore_case: bool = True,
        limit: int = MAX_SEARCH_HITS,
    ) -> tuple[list[SearchHit], bool]:
        """Lines matching ``query`` (substring or regex) across memory; (hits, truncated)."""
        if not query:
            raise InvalidArgument("empty search query", "pass the text or regex to look for")
        pattern = compile_pattern(query, regex=regex, ignore_case=ignore_case)
        hits: list[SearchHit] = []
        for rel in self.list_files():
            if not rel.endswith(".md"):
                continue
            text = (self.root / rel).read_bytes().decode("utf-8", "replace")
            for number, line in enumerate(text.splitlines(), start=1):
                if pattern.search(line):
                    if len(hits) >= limit:
                        return hits, True
                    hits.append(SearchHit(rel, number, line.strip()[:MAX_HIT_CHARS]))
        return hits, False

    # ----- edits -----------------------------------------------------------------------------
    def create(
        self, path: str, description: str, content: str, reason: str, *,
        read_only: bool = False, limit: int | None = None, globs: tuple[str, ...] = (),
        expires: date | None = None,
    ) -> EditResult:
        """Create a new memory file (optionally scoped to ``globs`` or expiring); refuses
        when it exists."""
        rel = self.norm(path)
        file = MemoryFile(description=description or "", body=content, read_only=read_only,
                          limit=limit, paths=globs, expires=expires)
        with self.backend.transaction([rel], reason) as tx:
            if tx.read(rel) is not None:
                raise AlreadyExists(f"{rel} already exists", "edit it, or choose another path")
            self._check_clash(rel)
            self._put(tx, rel, file)
        return self._result(tx, reason)

    def write(
        self, path: str, description: str, content: str, reason: str, *,
        read_only: bool = False, limit: int | None = None, force: bool = False,
    ) -> EditResult:
        """Create or wholly replace a memory file (the CLI's and scripts' entry point)."""
        rel = self.norm(path)
        file = MemoryFile(description=description or "", body=content, read_only=read_only,
                          limit=limit)
        with self.backend.transaction([rel], reason) as tx:
            old = tx.read(rel)
            if old is None:
                self._check_clash(rel)
            else:
                self._check_writable(old, rel, force)
                if old == file.render():
                    raise NoOpEdit(f"{rel} already has exactly this content", "nothing to do")
            self._put(tx, rel, file)
        return self._result(tx, reason)

    def str_replace(
        self, path: str, old_text: str, new_text: str, reason: str, *, force: bool = False
    ) -> EditResult:
        """Replace the one occurrence of ``old_text`` in a file's body."""
        rel = self.norm(path)
        if not old_text:
            raise InvalidArgument("old_text is empty", "pass the exact text to replace")
        if old_text == new_text:
            raise NoOpEdit("old_text and new_text are identical", "nothing to change")
        with self.backend.transaction([rel], reason) as tx:
            text, file = self._load_any(tx, rel, force)
            # A valid file's body is edited; a broken file's whole text, so that the edit
            # can repair its frontmatter.
            target = text if file is None else file.body
            count = target.count(old_text)
            if count != 1:
                hint = ("copy the text exactly as 'memory_view' shows it (without line numbers)"
                        if count == 0 else "include more surrounding text so it matches once")
                raise MatchError(
                    f"old_text must occur exactly once in {rel}, found {count} matches", hint
                )
            edited = target.replace(old_text, new_text)
            if file is None:
                self._put_repaired(tx, rel, edited, force)
            else:
                self._put(tx, rel, replace(file, body=edited))
        return self._result(tx, reason)

    def insert(
        self, path: str, line: int, content: str, reason: str, *, force: bool = False
    ) -> EditResult:
        """Insert ``content`` so it starts at body line ``line`` (1-based; n+1 appends)."""
        rel = self.norm(path)
        if not content:
            raise NoOpEdit("nothing to insert", "pass the text to insert")
        with self.backend.transaction([rel], reason) as tx:
            file = self._load(tx, rel, force)
            lines = file.body.splitlines(keepends=True)
            valid = isinstance(line, int) and not isinstance(line, bool)
            if not valid or not 1 <= line <= len(lines) + 1:
                raise InvalidArgument(
                    f"line {line} is outside {rel}, which has {len(lines)} body lines",
                    f"use a line from 1 to {len(lines) + 1} ({len(lines) + 1} appends)",
                )
            nl = file.newline
            if lines and not lines[-1].endswith(("\n", "\r")) and line == len(lines) + 1:
                lines[-1] += nl
            chunk = content if content.endswith(("\n", "\r")) else content + nl
            lines.insert(line - 1, chunk)
            self._put(tx, rel, replace(file, body="".join(lines)))
        return self._result(tx, reason)

    def update_description(
        self, path: str, description: str, reason: str, *, force: bool = False
    ) -> EditResult:
        """Change a file's description."""
        rel = self.norm(path)
        with self.backend.transaction([rel], reason) as tx:
            text, file = self._load_any(tx, rel, force)
            if file is None:
                meta, body, nl = load_lenient(text)
                if meta is None:
                    raise InvalidFrontmatter(
                        f"the frontmatter of {rel} is not valid YAML, so its description "
                        "cannot be set alone", "rewrite the frontmatter with str_replace")
                meta["description"] = description or ""
                self._put_repaired(tx, rel, render_meta(meta, body, nl), force)
            else:
                if file.description == description:
                    raise NoOpEdit(f"{rel} already has this description", "nothing to change")
                self._put(tx, rel, replace(file, description=description or ""))
        return self._result(tx, reason)

    def update_scope(
        self, path: str, reason: str, *, globs: tuple[str, ...] | None = None,
        expires: date | None | bool = False, force: bool = False,
    ) -> EditResult:
        """Set (or clear with ``()``) a file's ``paths`` globs and set (or clear with None) its
        ``expires`` day; an argument left out (``globs`` None, ``expires`` False) is kept."""
        rel = self.norm(path)
        with self.backend.transaction([rel], reason) as tx:
            file = self._load(tx, rel, force)
            changed = file
            if globs is not None:
                changed = replace(changed, paths=tuple(globs))
            if expires is not False:
                changed = replace(changed, expires=expires if isinstance(expires, date)
                                  else None)
            if changed == file:
                raise NoOpEdit(f"{rel} already has this scope", "nothing to change")
            self._put(tx, rel, changed)
        return self._result(tx, reason)

    def delete(self, path: str, reason: str, *, force: bool = False) -> EditResult:
        """Delete a memory file."""
        rel = self.norm(path)
        with self.backend.transaction([rel], reason) as tx:
            old = tx.read(rel)
            if old is None:
                raise NotFound(f"no memory file {rel}", _suggest(self, rel))
            self._check_writable(old, rel, force)
            tx.delete(rel)
        return self._result(tx, reason)

    def rename(self, path: str, new_path: str, reason: str, *, force: bool = False) -> EditResult:
        """Move a memory file to ``new_path``."""
        rel, dest = self.norm(path), self.norm(new_path)
        if rel == dest:
            raise NoOpEdit(f"{rel} is already at that path", "pick a different new_path")
        with self.backend.transaction([rel, dest], reason) as tx:
            old = tx.read(rel)
            if old is None:
                raise NotFound(f"no memory file {rel}", _suggest(self, rel))
            self._check_writable(old, rel, force)
            if tx.read(dest) is not None:
                raise AlreadyExists(f"{dest} already exists", "delete it first or pick another")
            self._check_clash(dest)
            tx.write(dest, old)
            tx.delete(rel)
        return self._result(tx, reason)

    # ----- helpers ---------------------------------------------------------------------------
    def _load(self, tx: Edit, rel: str, force: bool) -> MemoryFile:
        """A valid file (an edit of the body only cannot repair a broken one)."""
        text, file = self._load_any(tx, rel, force)
        if file is None:
            raise _left_invalid(rel, text, "repair it first with update_description or "
                                "str_replace (an edit whose result is a valid file)")
        return file

    def _load_any(self, tx: Edit, rel: str, force: bool
                  ) -> tuple[str, MemoryFile | None]:
        """A file's text and its parsed form (None when its frontmatter is invalid); a
        read_only file is refused either way."""
        text = tx.read(rel)
        if text is None:
            raise NotFound(f"no memory file {rel}", _suggest(self, rel))
        try:
            file = parse(text, rel)
        except InvalidFrontmatter:
            meta = load_lenient(text)[0]
            raw = split(text)
            locked = (meta.get("read_only") is True if meta is not None
                      else raw is not None and "read_only" in raw[0])
            if locked and not force:
                raise _read_only(rel) from None
            return text, None
        if file.read_only and not force:
            raise _read_only(rel)
        return text, file

    def _put_repaired(self, tx: Edit, rel: str, text: str, force: bool) -> None:
        """Write the result of editing a broken file: only when it is a valid file."""
        try:
            file = parse(text, rel)
        except InvalidFrontmatter:
            raise _left_invalid(rel, text, "fix the frontmatter in the same edit") from None
        if file.read_only and not force:
            raise ReadOnly(f"an edit may not make {rel} read_only",
                           "only the user can mark a file read_only (CLI --force)")
        check_limit(file, rel)
        tx.write(rel, text)

    def _check_writable(self, text: str, rel: str, force: bool) -> None:
        if force:
            return
        try:
            file = parse(text, rel)
        except InvalidFrontmatter:
            return
        if file.read_only:
            raise _read_only(rel)

    def _put(self, tx: Edit, rel: str, file: MemoryFile) -> None:
        rendered = file.render()
        parse(rendered, rel)
        check_limit(file, rel)
        tx.write(rel, rendered)

    def _check_clash(self, rel: str) -> None:
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if (self.root / f"{folder}.md").is_file():
                raise NameClash(
                    f"cannot create {rel}: file {folder}.md and folder {folder}/ would clash",
                    f"put it beside {folder}.md or rename that file",
                )
            if (self.root / folder).is_file():
                raise NameClash(f"cannot create {rel}: {folder} is a file", "pick another path")
        if (self.root / rel).is_dir():
            raise NameClash(f"cannot create {rel}: a folder of that name exists",
                            "pick another name, or write a file inside that folder")
        if (self.root / rel[: -len(".md")]).is_dir():
            raise NameClash(
                f"cannot create {rel}: a folder {rel[:-3]}/ exists",
                f"put the file inside {rel[:-3]}/ or pick another name",
            )

    def _result(self, tx: Edit, reason: str) -> EditResult:
        return EditResult(commit=tx.commit_sha or "", paths=tx.changed, message=reason.strip())


class MemoryStore(FileStore):
    """The operations on one agent's memory: a git repository, one commit per edit."""

    def __init__(self, repo: MemoryRepo) -> None:
        super().__init__(repo)
        self.repo = repo

    @classmethod
    def open(
        cls,
        agent_id: str = DEFAULT_AGENT_ID,
        home: Path | None = None,
        *,
        create: bool = False,
        agent_name: str | None = None,
    ) -> MemoryStore:
        """Open an agent's memory; with ``create``, initialise it when missing."""
        root = memory_dir(agent_id, home)
        if not (root / ".git").is_dir():
            if not create:
                raise NotFound(
                    f"agent {agent_id!r} has no memory yet",
                    f"create it with 'memfs --agent {agent_id} memory init'",
                )
            return cls(MemoryRepo.create(root, agent_name or default_name(agent_id), agent_id))
        return cls(MemoryRepo(root))

    def _read_rev(self, rel: str, rev: str) -> str:
        data = self.repo.read_at(rel, self.repo.resolve_rev(rev))
        if data is None:
            raise NotFound(f"{rel} does not exist at {rev}", "check 'memfs memory log " + rel)
        return data.decode("utf-8", "replace")

    def commit_file(self, path: str, reason: str) -> EditResult:
        """Commit a file as it stands in the working tree (an edit saved by the user's editor),
        after the same checks as any write; NoOpEdit when it matches HEAD."""
        rel = self.norm(path)
        with self.repo.transaction([rel], reason, keep_worktree=True) as tx:
            text = tx.read(rel)
            if text is None:
                raise NotFound(f"no memory file {rel}", _suggest(self, rel))
            file = parse(text, rel)
            check_limit(file, rel)
            if self.repo.read_at(rel) == text.encode("utf-8"):
                raise NoOpEdit(f"{rel} has no unsaved changes", "nothing to commit")
            tx.mark_changed(rel)
        return self._result(tx, reason)


def _left_invalid(rel: str, text: str, hint: str) -> InvalidFrontmatter:
    """The refusal of an edit that would leave ``rel`` (now ``text``) with invalid
    frontmatter, naming what is wrong."""
    try:
        parse(text, rel)
        problem = "invalid frontmatter"
    except InvalidFrontmatter as exc:
        problem = f"{exc.message} ({exc.hint})"
    return InvalidFrontmatter(f"{rel} has invalid frontmatter and this edit would leave it "
                              f"invalid: {problem}", hint)


def _read_only(rel: str) -> ReadOnly:
    return ReadOnly(f"{rel} is read_only", "it can only be changed by the user (CLI --force)")


def _description_of(path: Path) -> str | None:
    try:
        return peek_description(path.read_bytes()[:8192].decode("utf-8", "replace"))
    except OSError:
        return None


def _suggest(store: FileStore, rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    close = [p for p in store.list_files() if p.rsplit("/", 1)[-1] == name]
    if close:
        return f"did you mean {close[0]}?"
    return "list files with 'memfs memory tree'"
