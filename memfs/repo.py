"""The memory repository: creation, reading committed HEAD, and crash-safe write transactions.

Write protocol (one transaction = one commit), all under an inter-process lock:
1. recover whatever a killed writer left (journal, stale git lock files);
2. journal the original bytes of every path the edit touches;
3. replace files atomically in the working tree (temp file + rename);
4. the guard checks what is about to be committed (``memfs.guard.check_commit``: the
   resulting content of every path, every path, the message), then ``git add`` +
   ``git commit -- paths`` (only those paths);
5. drop the journal.
A writer killed anywhere in 2-4 is rolled back by the next writer; one killed after the commit
landed is simply cleaned up. Readers of the working tree see whole files only; prompt
projection reads committed HEAD and so never sees an uncommitted edit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memfs import paths
from memfs.atomic import write_atomic
from memfs.errors import GitError, InvalidArgument, LockTimeout, NotFound
from memfs.frontmatter import MemoryFile
from memfs.git import REPO_CONFIG, Git

LOCK_NAME = "memfs-write.flock"
JOURNAL_DIR = "memfs-journal"
TMP_DIR = "memfs-tmp"
DEFAULT_LOCK_TIMEOUT = 60.0
# Our commits skip git's own after-commit maintenance (a second git process on every
# commit, and worker threads to stat the index in parallel: both cost more than they save
# for a memory repo) and run ``git gc --auto`` only when git's own estimate says it is due.
_COMMIT_CONFIG = {"maintenance.auto": "false", "core.preloadIndex": "false"}
_GC_AUTO = 6700  # git's default gc.auto (loose objects)
_GC_AUTO_PACK_LIMIT = 50  # git's default gc.autoPackLimit
_STALE_GIT_LOCKS = ("index.lock", "HEAD.lock", "ORIG_HEAD.lock", "packed-refs.lock", "config.lock")

SEED_FILES: dict[str, MemoryFile] = {
    "system/persona.md": MemoryFile(
        description="Who I am: my role, personality and how I work with the user.",
        body=(
            "I am a coding agent with persistent memory. I keep what I learn about the user,\n"
            "their projects and their preferences in this memory, and I improve it over time.\n"
        ),
    ),
    "system/human.md": MemoryFile(
        description="What I know about the user: name, role, preferences and working style.",
        body="Nothing recorded about the user yet.\n",
    ),
}


class MemoryRepo:
    """A git-backed memory folder (the working tree) with its repository in ``.git``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        dot_git = self.root / ".git"
        if dot_git.is_file():  # a linked worktree (reflection works in one)
            pointer = dot_git.read_text().strip().removeprefix("gitdir:").strip()
            self.git_dir = (self.root / pointer).resolve()
            common = (self.git_dir / "commondir").read_text().strip()
            self.common_dir = (self.git_dir / common).resolve()
        elif dot_git.is_dir():
            self.git_dir = self.common_dir = dot_git
        else:
            raise NotFound(
                f"no memory repository at {self.root}",
                "create it with 'memfs memory init'",
            )
        self.git = Git(self.root)

    # ----- creation -------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, agent_name: str, agent_id: str) -> MemoryRepo:
        """Initialise a repo on branch ``main``, seed persona and human, commit.

        Built in a temporary sibling folder and renamed into place, so a killed process never
        leaves a half-made memory; creators take turns (a lock beside the folder), and one
        that finds the memory made meanwhile opens it.
        """
        from filelock import FileLock

        root = Path(root)
        if (root / ".git").exists():
            raise InvalidArgument(f"memory already exists at {root}", "open it instead")
        root.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(root.parent / f".{root.name}-create.flock")):
            if (root / ".git").is_dir():
                return cls(root)
            return cls._build(root, agent_name, agent_id)

    @classmethod
    def _build(cls, root: Path, agent_name: str, agent_id: str) -> MemoryRepo:
        import shutil  # shutil and tempfile load where memory is made or edited, not read
        import tempfile

        for stale in root.parent.glob(f".{root.name}-new-*"):  # left by a killed creator
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-new-", dir=root.parent))
        try:
            Git(staging).run("init", "-q", "-b", "main")
            repo = cls(staging)
            repo.configure(agent_name, agent_id)
            with repo.transaction(list(SEED_FILES), "chore: initialize memory") as tx:
                for rel, file in SEED_FILES.items():
                    tx.write(rel, file.render())
            if root.exists() and not any(root.iterdir()):
                root.rmdir()
            try:
                os.rename(staging, root)
            except OSError:
                if not (root / ".git").is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return cls(root)

    def configure(self, agent_name: str, agent_id: str) -> None:
        """Write the repo-local config that makes commits independent of global git config."""
        settings = dict(REPO_CONFIG)
        settings["user.name"] = agent_name
        settings["user.email"] = f"{agent_id}@memfs.local"
        for key, value in settings.items():
            self.git.run("config", "--local", key, value)

    # ----- reading committed state -----------------------------------------------------------
    def head(self) -> str:
        """The commit HEAD points at, read from the ref files without running git ('' if none)."""
        try:
            head = (self.git_dir / "HEAD").read_text().strip()
        except OSError as exc:
            raise GitError(f"cannot read HEAD of {self.root}: {exc}") from exc
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        try:
            return (self.common_dir / ref).read_text().strip()
        except FileNotFoundError:
            pass
        try:
            for line in (self.common_dir / "packed-refs").read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
        except FileNotFoundError:
            pass
        return ""

    def resolve_rev(self, rev: str) -> str:
        """Full sha of a revision (sha, HEAD~2, a tag...), or NotFound."""
        if not rev or rev.startswith("-"):
            raise InvalidArgument(f"invalid revision {rev!r}", "pass a commit sha or e.g. HEAD~1")
        status, out, _ = self.git.run_full("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        if status != 0:
            raise NotFound(f"no commit {rev!r} in memory", "see 'memfs memory log' for commits")
        return out.decode().strip()

    def read_at(self, rel: str, rev: str = "HEAD") -> bytes | None:
        """Bytes of ``rel`` as committed at ``rev``; None when it does not exist there."""
        status, out, _ = self.git.run_full("cat-file", "blob", f"{rev}:{rel}")
        return out if status == 0 else None

    def dirty_paths(self) -> list[str]:
        """Working-tree paths that differ from HEAD (edited outside memfs or not yet saved)."""
        out = self.git.run("status", "--porcelain=v1", "-z", "--untracked-files=all")
        found: list[str] = []
        records = out.decode("utf-8", "surrogateescape").split("\0")
        skip = False
        for record in records:
            if skip:
                skip = False
                continue
            if len(record) > 3:
                found.append(record[3:])
                skip = record[0] in "RC"
        return found

    def gc_due(self) -> bool:
        """git's own estimate of whether ``git gc --auto`` has work: more than 1/256th of
        ``gc.auto`` loose objects in the ``objects/17`` fan-out folder, or more packs than
        ``gc.autoPackLimit`` (git then applies the repository's actual settings)."""
        objects = self.common_dir / "objects"
        try:
            loose = sum(1 for name in os.listdir(objects / "17") if len(name) == 38)
        except FileNotFoundError:
            loose = 0
        if loose > (_GC_AUTO + 255) // 256:
            return True
        try:
            packs = os.listdir(objects / "pack")
        except FileNotFoundError:
            return False
        kept = {name[:-5] for name in packs if name.endswith(".keep")}
        return sum(1 for name in packs if name.endswith(".pack")
                   and name[:-5] not in kept) > _GC_AUTO_PACK_LIMIT

    # ----- writing ---------------------------------------------------------------------------
    @contextmanager
    def locked(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the inter-process write lock and repair what a killed writer left."""
        from filelock import FileLock  # imported on first write: keeps read-only starts fast
        from filelock import Timeout as FileLockTimeout

        lock = FileLock(str(self.git_dir / LOCK_NAME), timeout=timeout)
        try:
            lock.acquire()
        except FileLockTimeout:
            raise LockTimeout(
                f"memory at {self.root} is busy: another process held its lock for {timeout:.0f}s",
                "wait for the other edit to finish and try again",
            ) from None
        try:
            self._recover()
            yield
        finally:
            lock.release()

    @contextmanager
    def transaction(self, touched: list[str], reason: str, *, keep_worktree: bool = False
                    ) -> Iterator[Transaction]:
        """One edit of ``touched`` paths, committed with ``reason`` as the message. With
        ``keep_worktree`` (for a transaction that writes nothing, only commits files as they
        stand) a failure never rewrites them: an editor's saved file stays as it wrote it."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidArgument("a reason is required", "say why: it becomes the commit message")
        with self.locked():
            tx = Transaction(self, touched, keep_worktree)
            tx.begin()
            try:
                yield tx
                tx.commit(reason)
            except BaseException:
                tx.rollback()
                raise

    def _recover(self) -> None:
        git_names = _names(self.git_dir)
        stale = [self.git_dir / name for name in git_names if name in _STALE_GIT_LOCKS
                 or (name.startswith("next-index-") and name.endswith(".lock"))]
        for path in stale + self._stale_ref_locks():
            path.unlink(missing_ok=True)
        if "REVERT_HEAD" in git_names:
            self.git.run_full("revert", "--abort")
        if "rebase-merge" in git_names or "rebase-apply" in git_names:
            self.git.run_full("rebase", "--abort")
        if "MERGE_HEAD" in git_names:
            self.git.run_full("merge", "--abort")
        journal = self.git_dir / JOURNAL_DIR
        manifest = journal / "manifest.json"
        if manifest.exists():
            data = json.loads(manifest.read_text())
            if data.get("head") == self.head() and not data.get("keep_worktree"):
                _restore_originals(self.root, journal, data["paths"])
            if data["paths"]:
                self.git.run("reset", "-q", "HEAD", "--", *data["paths"], ok_codes=(0, 1))
        for scratch in (JOURNAL_DIR, TMP_DIR):
            if scratch in git_names:
                _clear(self.git_dir / scratch)

    def _stale_ref_locks(self) -> list[Path]:
        """The ref locks only a killed writer of this working tree can have left. The main
        tree and a linked one (a reflection's) share the refs but not the write lock: a
        linked tree's writers lock only its own branch, and the main tree leaves the branches
        checked out in linked trees to theirs (their live commits hold those locks)."""
        if self.common_dir != self.git_dir:
            branch = _head_ref(self.git_dir)
            return [self.common_dir / f"{branch}.lock"] if branch else []
        theirs = {f"{branch}.lock" for folder in _names(self.common_dir / "worktrees")
                  if (branch := _head_ref(self.common_dir / "worktrees" / folder))}
        found: list[Path] = []
        for dirpath, _, filenames in os.walk(self.common_dir / "refs"):
            for name in filenames:
                lock = Path(dirpath, name)
                if name.endswith(".lock") and \
                        lock.relative_to(self.common_dir).as_posix() not in theirs:
                    found.append(lock)
        return found


class Transaction:
    """Working-tree edits of one commit; created by ``MemoryRepo.transaction``."""

    def __init__(self, repo: MemoryRepo, touched: list[str], keep_worktree: bool = False
                 ) -> None:
        self.repo = repo
        self.touched = list(dict.fromkeys(touched))
        self.keep_worktree = keep_worktree
        self.changed: list[str] = []
        self.commit_sha: str | None = None
        self._journal = repo.git_dir / JOURNAL_DIR
        self._added: set[str] = set()

    def begin(self) -> None:
        """Journal the original bytes of every touched path (the journal's commit point is
        the atomic rename of its manifest)."""
        import shutil

        journal = self._journal
        journal.mkdir(exist_ok=True)
        for index, rel in enumerate(self.touched):
            target = paths.resolve(self.repo.root, rel)
            if not target.is_file():
                self._added.add(rel)
            elif not self.keep_worktree:
                shutil.copyfile(target, journal / f"orig-{index}")
        manifest = {"head": self.repo.head(), "paths": self.touched,
                    "keep_worktree": self.keep_worktree}
        tmp = journal / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest))
        os.replace(tmp, journal / "manifest.json")

    def path(self, rel: str) -> Path:
        """Absolute path of a touched file (refusing symlinks and escapes)."""
        if rel not in self.touched:
            raise InvalidArgument(f"{rel} is not part of this edit")
        return paths.resolve(self.repo.root, rel)

    def read(self, rel: str) -> str | None:
        """Current text of a touched file; None when it does not exist."""
        target = self.path(rel)
        if not target.is_file():
            return None
        return target.read_bytes().decode("utf-8")

    def write(self, rel: str, text: str) -> None:
        """Replace (or create) a touched file atomically."""
        target = self.path(rel)
        write_atomic(target, text.encode("utf-8"), self.repo.git_dir / TMP_DIR)
        self.changed.append(rel)

    def mark_changed(self, rel: str) -> None:
        """Commit a touched file as it already stands in the working tree."""
        self.path(rel)
        self.changed.append(rel)

    def delete(self, rel: str) -> None:
        """Remove a touched file and any folders it leaves empty."""
        target = self.path(rel)
        target.unlink()
        _prune_empty_dirs(target.parent, self.repo.root)
        self.changed.append(rel)

    def commit(self, reason: str) -> None:
        """Check what would be committed, stage and commit exactly the touched paths, then
        drop the journal."""
        if self.changed:
            from memfs.guard import check_commit  # the detectors are heavy to import

            files = {rel: (target.read_bytes() if (target := self.path(rel)).is_file() else None)
                     for rel in self.touched}
            check_commit(files, reason, {rel for rel in self._added if files[rel] is not None})
            git = self.repo.git
            commit = ("commit", "-q", "--no-verify", "-m", reason, "--", *self.touched)
            # Tracked paths commit in one git call; new (or untracked) ones are added first.
            env = _commit_env()
            if self._added or git.run_full(*commit, env=env)[0] != 0:
                git.run("add", "-A", "--", *self.touched)
                git.run(*commit, env=env)
            self.commit_sha = self.repo.head()
            if self.repo.gc_due():
                git.run_full("gc", "--auto", "--quiet")
        _clear(self._journal)

    def rollback(self) -> None:
        """Put every touched path back as it was before the transaction."""
        if not self.keep_worktree:
            _restore_originals(self.repo.root, self._journal, self.touched)
        if self.changed:
            self.repo.git.run("reset", "-q", "HEAD", "--", *self.touched, ok_codes=(0, 1))
        _clear(self._journal)


def _commit_env() -> dict[str, str]:
    """``_COMMIT_CONFIG`` as ``GIT_CONFIG_*`` variables, after any the user's environment
    already gives git (such as ``safe.directory`` for a data home another user owns), which
    stay in force; a count git itself would refuse is left for git to report."""
    try:
        given = int(os.environ.get("GIT_CONFIG_COUNT") or 0)
    except ValueError:
        return {}
    if given < 0:
        return {}
    env = {"GIT_CONFIG_COUNT": str(given + len(_COMMIT_CONFIG))}
    for index, (key, value) in enumerate(_COMMIT_CONFIG.items(), start=given):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def _head_ref(git_dir: Path) -> str | None:
    """The ref ``git_dir``'s HEAD names (``refs/heads/main``), if it names one."""
    try:
        head = (git_dir / "HEAD").read_text().strip()
    except OSError:
        return None
    return head[5:] if head.startswith("ref: refs/") else None


def _names(folder: Path) -> set[str]:
    """The entries of ``folder`` (none when it is missing)."""
    try:
        return set(os.listdir(folder))
    except FileNotFoundError:
        return set()


def _clear(folder: Path) -> None:
    """Empty a scratch folder, manifest first (it is the journal's commit point)."""
    (folder / "manifest.json").unlink(missing_ok=True)
    if folder.is_dir():
        for leftover in folder.iterdir():
            leftover.unlink(missing_ok=True)


def _restore_originals(root: Path, journal: Path, touched: list[str]) -> None:
    tmp_dir = journal.parent / TMP_DIR
    for index, rel in enumerate(touched):
        target = root / rel
        original = journal / f"orig-{index}"
        if original.exists():
            write_atomic(target, original.read_bytes(), tmp_dir)
        elif target.is_file() and not target.is_symlink():
            target.unlink()
            _prune_empty_dirs(target.parent, root)


def _prune_empty_dirs(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
