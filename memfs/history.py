"""Memory history: log, show a file at a revision, diff, revert (as a new commit), one commit
in full (and each file's text before and after it), and each file's last change."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

from memfs import paths
from memfs.errors import GitError, InvalidArgument, MemfsError
from memfs.repo import MemoryRepo
from memfs.store import EditResult

_RS, _US = "\x1e", "\x1f"


@dataclass(frozen=True)
class LogEntry:
    """One commit of memory."""

    commit: str
    author: str
    date: str
    message: str
    paths: list[str]

    @property
    def subject(self) -> str:
        return self.message.splitlines()[0] if self.message else ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def log(repo: MemoryRepo, path: str | None = None, limit: int = 50) -> list[LogEntry]:
    """Newest-first commits, optionally only those touching ``path`` (followed across renames)."""
    if limit < 1:
        raise InvalidArgument("limit must be at least 1")
    args = ["log", f"--max-count={limit}", "-z", "--name-only",
            f"--format={_RS}%H{_US}%an{_US}%aI{_US}%B{_US}"]
    if path is not None:
        rel = paths.normalize(path, repo.root)
        args += ["--follow", "--", rel]
    else:
        args.insert(1, "--no-renames")
    out = repo.git.run(*args).decode("utf-8", "replace")
    entries: list[LogEntry] = []
    for record in out.split(_RS):
        if not record.strip("\0\n"):
            continue
        sha, author, date, message, names = record.split(_US, 4)
        changed = [n.strip("\n") for n in names.split("\0") if n.strip("\n")]
        entries.append(LogEntry(sha, author, date, message.strip(), changed))
    return entries


def show(repo: MemoryRepo, path: str, rev: str = "HEAD") -> str:
    """Text of ``path`` as it was at ``rev``."""
    rel = paths.normalize(path, repo.root)
    sha = repo.resolve_rev(rev)
    data = repo.read_at(rel, sha)
    if data is None:
        raise MemfsError(f"{rel} does not exist at {rev}", f"see 'memfs memory log {rel}'")
    return data.decode("utf-8", "replace")


def diff(
    repo: MemoryRepo, rev_a: str | None = None, rev_b: str | None = None, path: str | None = None
) -> str:
    """Unified diff. No revs: uncommitted changes; one rev: what that commit changed;
    two revs: from ``rev_a`` to ``rev_b``."""
    if rev_a is None and rev_b is not None:
        raise InvalidArgument("give the first revision too")
    args = ["diff", "--no-color", "--no-ext-diff"]
    if rev_a is not None and rev_b is None:
        sha = repo.resolve_rev(rev_a)
        parent = repo.git.run_full("rev-parse", "--verify", "--quiet", f"{sha}^")
        base = parent[1].decode().strip() if parent[0] == 0 else _EMPTY_TREE
        args += [base, sha]
    elif rev_a is not None and rev_b is not None:
        args += [repo.resolve_rev(rev_a), repo.resolve_rev(rev_b)]
    else:
        args += ["HEAD"]
    if path is not None:
        args += ["--", paths.normalize(path, repo.root)]
    return repo.git.text(*args)


_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def revert(repo: MemoryRepo, rev: str, reason: str | None = None) -> EditResult:
    """Undo one commit with a new commit; refuses when it cannot apply cleanly or would bring
    back a credential (the guard checks it like any commit: content, paths, message)."""
    from memfs.guard import check_commit  # heavy import, only needed here

    sha = repo.resolve_rev(rev)
    with repo.locked():
        subject = repo.git.text("log", "-1", "--format=%s", sha).strip()
        status, _, err = repo.git.run_full("revert", "--no-commit", "--no-edit", sha)
        try:
            if status != 0:
                raise GitError(
                    f"cannot revert {sha[:10]} cleanly: later commits changed the same lines",
                    "edit the file by hand instead, or revert the later commits first",
                )
            changed = [
                n for n in repo.git.text("diff", "--cached", "--name-only", "-z").split("\0") if n
            ]
            if not changed:
                raise InvalidArgument(f"reverting {sha[:10]} changes nothing", "nothing to undo")
            message = (reason or "").strip() or f"revert: {subject}"
            # ":path" is the staged content; None for a path the revert removes
            check_commit({rel: repo.read_at(rel, "") for rel in changed}, message, set())
            repo.git.run("commit", "-q", "--no-verify", "-m", message)
        except BaseException:
            repo.git.run_full("revert", "--abort")
            raise
        return EditResult(commit=repo.head(), paths=changed, message=message)


# ----- one commit in full, and each file's last change ---------------------------------------
DIFF_LIMIT = 200_000  # bytes of a commit's diff sent to a client
_SOURCES = (("chore(manual)", "manual"), ("chore(reflection)", "reflection"),
            ("merge(reflection)", "reflection"), ("feat(init)", "init"),
            ("fix(doctor)", "doctor"), ("remember:", "remember"), ("revert", "revert"),
            ('Revert "', "revert"), ("chore: initialize memory", "created"),
            ("chore: import", "import"))


def source_of(message: str) -> str:
    """Who made a commit, from its message's conventional prefix: ``manual`` (the user, in an
    editor), ``reflection``, ``init``, ``doctor``, ``remember``, ``revert``, ``created``,
    ``import``; anything else is ``agent`` (an edit made in a conversation)."""
    return next((source for prefix, source in _SOURCES if message.startswith(prefix)), "agent")


def iso_utc(timestamp: int | float) -> str:
    """Seconds since the epoch as ISO 8601 UTC (``2025-05-01T09:30:00Z``)."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class CommitDetails:
    """One commit with what it changed (``diff`` is cut at ``DIFF_LIMIT`` bytes, then
    ``truncated``)."""

    sha: str
    message: str
    author: str
    author_email: str
    date: str
    source: str
    paths: list[str]
    diff: str
    truncated: bool


def commit_details(repo: MemoryRepo, rev: str, diff_limit: int = DIFF_LIMIT) -> CommitDetails:
    """Message, author, date, source, changed paths and unified diff of one commit (a merge
    is compared with its first parent)."""
    sha = repo.resolve_rev(rev)
    head = repo.git.text("show", "-s", f"--format=%an{_US}%ae{_US}%at{_US}%B", sha)
    author, email, when, message = head.split(_US, 3)
    parent = repo.git.run_full("rev-parse", "--verify", "--quiet", f"{sha}^")
    base = parent[1].decode().strip() if parent[0] == 0 else _EMPTY_TREE
    names = repo.git.text("diff", "--name-only", "--no-renames", "-z", base, sha)
    patch = repo.git.run("diff", "--no-color", "--no-ext-diff", base, sha)
    truncated = len(patch) > diff_limit
    if truncated:
        patch = patch[:patch.rfind(b"\n", 0, diff_limit) + 1]
    message = message.strip()
    return CommitDetails(sha, message, author, email, iso_utc(int(when)), source_of(message),
                         [n for n in names.split("\0") if n],
                         patch.decode("utf-8", "replace"), truncated)


@dataclass(frozen=True)
class FileChange:
    """One file a commit changed: its text before and after (None: absent)."""

    path: str
    before: str | None
    after: str | None


def file_changes(repo: MemoryRepo, rev: str, limit: int = 20) -> list[FileChange]:
    """The text before and after ``rev`` of (at most ``limit`` of) the files it changed."""
    sha = repo.resolve_rev(rev)
    parent = repo.git.run_full("rev-parse", "--verify", "--quiet", f"{sha}^")
    base = parent[1].decode().strip() if parent[0] == 0 else None
    names = repo.git.text("diff", "--name-only", "--no-renames", "-z", base or _EMPTY_TREE, sha)

    def text(rel: str, at: str | None) -> str | None:
        data = repo.read_at(rel, at) if at is not None else None
        return data.decode("utf-8", "replace") if data is not None else None

    return [FileChange(n, text(n, base), text(n, sha)) for n in names.split("\0") if n][:limit]


@dataclass(frozen=True)
class LastChange:
    """The newest commit that changed a file."""

    sha: str
    date: str
    author: str
    source: str
    message: str  # its subject line


_CHANGES: dict[str, tuple[str, dict[str, LastChange]]] = {}  # git dir -> (head, by path)
_CHANGES_LOCK = threading.Lock()


def last_changes(repo: MemoryRepo, head: str) -> dict[str, LastChange]:
    """Each path's newest commit up to ``head``: one ``git log`` pass, cached by HEAD; when
    HEAD moved forward only the new commits are read."""
    key = str(repo.common_dir)
    with _CHANGES_LOCK:
        cached = _CHANGES.get(key)
    if cached is not None and cached[0] == head:
        return cached[1]
    if not head:
        return {}
    if cached is not None and repo.git.run_full("merge-base", "--is-ancestor", cached[0],
                                                head)[0] == 0:
        changes = {**cached[1], **_log_changes(repo, f"{cached[0]}..{head}")}
    else:
        changes = _log_changes(repo, head)
    with _CHANGES_LOCK:
        _CHANGES[key] = (head, changes)
    return changes


def _log_changes(repo: MemoryRepo, revisions: str) -> dict[str, LastChange]:
    out = repo.git.run("log", "--no-renames", "--name-only", "-z",
                       f"--format={_RS}%H{_US}%an{_US}%at{_US}%s{_US}", revisions)
    changes: dict[str, LastChange] = {}
    for record in out.decode("utf-8", "replace").split(_RS):
        if not record.strip("\0\n"):
            continue
        sha, author, when, subject, names = record.split(_US, 4)
        change: LastChange | None = None
        for name in names.split("\0"):
            name = name.strip("\n")
            if name and name not in changes:
                change = change or LastChange(sha, iso_utc(int(when)), author,
                                              source_of(subject), subject)
                changes[name] = change
    return changes
