"""The user's workspace as memory sees it: its files (as git lists them, confined to the
workspace), the paths its history deleted, and who last changed a file there.

Everything here only reads. Git runs with ``core.fsmonitor`` off (a repository's own config
must not run a program of its choosing) and never prompts.
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from memfs.paths import inside

DELETED_COMMITS = 2_000  # how far back deleted paths are looked for
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def git(root: Path, *args: str) -> bytes | None:
    """``git ARGS`` in ``root``; None when it fails (not a repository, no git)."""
    try:
        done = subprocess.run(["git", "-c", "core.fsmonitor=false", *args], cwd=root,
                              capture_output=True, timeout=30,
                              env={**os.environ, **_GIT_ENV}, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def workspace_files(root: Path) -> list[str]:
    """Regular files of the workspace that git would not ignore (``git ls-files`` in a repo,
    else a walk that applies the root .gitignore), sorted; symbolic links, and files a linked
    folder leads outside the workspace to (a folder git tracks, replaced by a link), are
    left out."""
    listed = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is not None:
        names = {n for n in listed.decode("utf-8", "replace").split("\0") if n}
        return sorted(n for n in names if _regular_inside(root, n))
    import pathspec

    ignore = root / ".gitignore"
    lines = ignore.read_text(errors="replace").splitlines() if ignore.is_file() else []
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if d != ".git" and
                             not spec.match_file(rel_dir + d + "/") and
                             not os.path.islink(os.path.join(dirpath, d)))
        for name in filenames:
            rel = rel_dir + name
            if not spec.match_file(rel) and not os.path.islink(os.path.join(dirpath, name)):
                found.append(rel)
    return sorted(found)


def _regular_inside(root: Path, name: str) -> bool:
    path = root / name
    return not path.is_symlink() and path.is_file() and inside(root, path) is not None


def exists(root: Path, rel: str) -> bool:
    """Whether the workspace-relative ``rel`` names a file or folder inside the workspace
    (a link out of it does not count)."""
    path = root / rel
    return (path.exists() or path.is_symlink()) and inside(root, path) is not None


_DELETED: dict[str, tuple[str, frozenset[str]]] = {}  # workspace -> (HEAD, deleted paths)
_LOCK = threading.Lock()


def head(root: Path) -> str | None:
    """The workspace repository's HEAD commit; None outside a repository (or before its
    first commit)."""
    out = git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    return out.decode().strip() if out else None


def deleted_paths(root: Path) -> frozenset[str]:
    """Paths that the workspace's recent history (``DELETED_COMMITS`` commits) deleted,
    cached by HEAD; empty outside a git repository."""
    current = head(root)
    if current is None:
        return frozenset()
    key = str(root)
    with _LOCK:
        cached = _DELETED.get(key)
    if cached is not None and cached[0] == current:
        return cached[1]
    out = git(root, "log", f"--max-count={DELETED_COMMITS}", "--diff-filter=D", "--relative",
              "--no-renames", "--name-only", "-z", "--format=") or b""
    found = frozenset(n.strip("\n") for n in out.decode("utf-8", "replace").split("\0")
                      if n.strip("\n"))
    with _LOCK:
        _DELETED[key] = (current, found)
    return found


@dataclass(frozen=True)
class FileChange:
    """Who last changed a workspace file: its newest commit, else (uncommitted or outside
    git) its modification time."""

    sha: str | None
    date: str  # ISO 8601 UTC
    author: str | None
    source: str  # "git" (a commit), "uncommitted" (changed since), "file" (no git history)
    message: str | None


def file_changes(root: Path, folder: str, mtimes: dict[str, float]) -> dict[str, FileChange]:
    """The last change of each file under ``folder`` (workspace-relative) whose mtime is in
    ``mtimes`` (keys relative to ``folder``): the newest commit that touched it when it is
    unchanged since, else its mtime."""
    from memfs.history import iso_utc

    changes: dict[str, FileChange] = {}
    prefix = folder.rstrip("/") + "/"
    log = git(root, "log", "--relative", "--no-renames", "--name-only", "-z",
              "--format=\x1e%H\x1f%an\x1f%at\x1f%s\x1f", "--", folder)
    dirty: set[str] = set()
    if log is not None:  # changed since the last commit: staged, unstaged or untracked
        changed = (git(root, "diff", "--relative", "--name-only", "-z", "HEAD", "--", folder)
                   or b"") + b"\0" + (git(root, "ls-files", "-z", "--others",
                                            "--exclude-standard", "--", folder) or b"")
        dirty = {n.removeprefix(prefix) for n in changed.decode("utf-8", "replace").split("\0")
                 if n}
        for record in log.decode("utf-8", "replace").split("\x1e"):
            if not record.strip("\0\n"):
                continue
            sha, author, when, subject, names = record.split("\x1f", 4)
            for name in names.split("\0"):
                rel = name.strip("\n").removeprefix(prefix)
                if rel in mtimes and rel not in changes and rel not in dirty:
                    changes[rel] = FileChange(sha, iso_utc(int(when)), author, "git", subject)
    for rel, mtime in mtimes.items():
        if rel not in changes:
            source = "uncommitted" if log is not None else "file"
            changes[rel] = FileChange(None, iso_utc(mtime), None, source, None)
    return changes


class WorkspaceView:
    """What lint asks of a workspace, each answer computed once per view: whether a cited
    path is gone, and which files there are (for ``paths:`` globs)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: list[str] | None = None
        self._deleted: frozenset[str] | None = None
        self._deleted_dirs: frozenset[str] | None = None

    def files(self) -> list[str]:
        if self._files is None:
            self._files = workspace_files(self.root)
        return self._files

    def gone(self, rel: str) -> bool:
        """Whether ``rel`` (a path some memory cites) no longer exists although it once did:
        its history deleted it, or its folder is still there and it is not."""
        if exists(self.root, rel):
            return False
        first = rel.split("/", 1)[0]
        if "/" in rel and exists(self.root, first):
            return True
        if self._deleted is None:
            self._deleted = deleted_paths(self.root)
            self._deleted_dirs = frozenset(
                "/".join(p.split("/")[:i]) for p in self._deleted
                for i in range(1, p.count("/") + 1))
        assert self._deleted_dirs is not None
        return rel.rstrip("/") in self._deleted or rel.rstrip("/") in self._deleted_dirs
