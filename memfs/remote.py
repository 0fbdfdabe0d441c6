"""Remote sync on git itself: one ``origin`` remote, branch ``main``.

pull: the remote's new commits are checked by the secret guard before they land (they would
reach every prompt); then fast-forward when possible, else rebase local commits onto the
remote; on a conflict the rebase is aborted, every local commit is kept, and SyncConflict says
what to do.
push: only when ahead; a rejected push pulls (rebase) once and pushes again.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from memfs.errors import GitError, InvalidArgument, SyncConflict
from memfs.repo import MemoryRepo

REMOTE = "origin"
BRANCH = "main"
TRACKING = f"refs/remotes/{REMOTE}/{BRANCH}"


@dataclass(frozen=True)
class RemoteStatus:
    """Where local memory stands against its remote."""

    url: str | None
    ahead: int
    behind: int
    state: str  # no-remote | in-sync | ahead | behind | diverged

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def get_url(repo: MemoryRepo) -> str | None:
    """The remote URL, or None when memory is local only."""
    if _no_remote_anywhere(repo):
        return None  # what git would answer, without its process
    status, out, _ = repo.git.run_full("remote", "get-url", REMOTE)
    return out.decode().strip() if status == 0 else None


def _no_remote_anywhere(repo: MemoryRepo) -> bool:
    """True only when nothing git reads could name a remote: no config git takes from the
    environment, no remote file of the old layouts (``remotes/``, ``branches/``), and neither
    the repository's nor the user's git config files say 'remote' or 'include' at all (the
    system's is off for our git). Anything else asks git."""
    if any(name in os.environ for name in _CONFIG_VARIABLES):
        return False
    home = os.environ.get("HOME")
    if not home:
        return False
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = [repo.common_dir / "config", repo.common_dir / "config.worktree",
             repo.git_dir / "config.worktree", Path(home, ".gitconfig"),
             Path(xdg, "git", "config")]
    for legacy in (repo.common_dir / "remotes" / REMOTE, repo.common_dir / "branches" / REMOTE):
        if os.path.lexists(legacy):
            return False
    for path in files:
        try:
            text = path.read_bytes().lower()
        except FileNotFoundError:
            continue
        except OSError:
            return False
        if b"remote" in text or b"include" in text:
            return False
    return True


_CONFIG_VARIABLES = ("GIT_DIR", "GIT_COMMON_DIR", "GIT_CONFIG", "GIT_CONFIG_GLOBAL",
                     "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT")


def set_url(repo: MemoryRepo, url: str) -> None:
    """Point memory at ``url`` (any URL git understands, including a local bare repo)."""
    if not url or url.startswith("-") or any(ch in url for ch in "\0\n\r"):
        raise InvalidArgument(f"invalid remote URL {url!r}", "pass e.g. git@host:me/memory.git")
    with repo.locked():
        if get_url(repo) is None:
            repo.git.run("remote", "add", REMOTE, url)
        else:
            repo.git.run("remote", "set-url", REMOTE, url)


def unset_url(repo: MemoryRepo) -> None:
    """Forget the remote; local memory and history stay."""
    with repo.locked():
        if get_url(repo) is not None:
            repo.git.run("remote", "remove", REMOTE)


def status(repo: MemoryRepo) -> RemoteStatus:
    """Ahead/behind counts against the last fetched remote state (no network)."""
    url = get_url(repo)
    if url is None:
        return RemoteStatus(None, 0, 0, "no-remote")
    ahead, behind = _counts(repo)
    state = ("in-sync" if not ahead and not behind else "ahead" if not behind
             else "behind" if not ahead else "diverged")
    return RemoteStatus(url, ahead, behind, state)


def pull(repo: MemoryRepo) -> RemoteStatus:
    """Fetch and integrate remote commits (fast-forward, else rebase)."""
    with repo.locked():
        _pull_locked(repo)
    return status(repo)


def push(repo: MemoryRepo) -> RemoteStatus:
    """Push local commits when ahead; on rejection, pull once and push again."""
    with repo.locked():
        _require_remote(repo)
        _fetch(repo)
        ahead, _ = _counts(repo)
        if ahead:
            code, _, err = repo.git.run_full("push", "-q", REMOTE, f"{BRANCH}:{BRANCH}")
            if code != 0:
                _pull_locked(repo)
                repo.git.run("push", "-q", REMOTE, f"{BRANCH}:{BRANCH}")
            _fetch(repo)
    return status(repo)


def sync(repo: MemoryRepo) -> RemoteStatus:
    """Pull, then push when ahead."""
    pull(repo)
    return push(repo)


def _pull_locked(repo: MemoryRepo) -> None:
    _require_remote(repo)
    _fetch(repo)
    if not _has_tracking(repo):
        return
    ahead, behind = _counts(repo)
    if not behind:
        return
    from memfs.guard import check_incoming  # the detectors are heavy to import

    check_incoming(repo.git, [TRACKING, "^HEAD"], f"the remote {get_url(repo)}",
                   "remove the secret from the remote's history (rewrite it and force-push), "
                   "then pull again; local memory is unchanged")
    if not ahead:
        repo.git.run("merge", "-q", "--ff-only", TRACKING)
        return
    code, _, err = repo.git.run_full("rebase", "-q", TRACKING)
    if code != 0:
        repo.git.run_full("rebase", "--abort")
        raise SyncConflict(
            f"memory diverged from {get_url(repo)}: {ahead} local and {behind} remote commits "
            "change the same lines; nothing was lost, local commits are kept",
            "resolve it in the memory folder with git (rebase onto origin/main), "
            "or revert one side with 'memfs memory revert'",
        )


def _require_remote(repo: MemoryRepo) -> None:
    if get_url(repo) is None:
        raise InvalidArgument("memory has no remote", "set one with 'memfs memory remote set URL'")


def _fetch(repo: MemoryRepo) -> None:
    code, _, err = repo.git.run_full("fetch", "-q", "--no-tags", REMOTE)
    if code != 0:
        detail = err.strip().splitlines()[-1] if err.strip() else f"exit {code}"
        raise GitError(
            f"cannot reach the memory remote: {detail}",
            "check the URL and your git credentials, then run 'memfs memory remote pull'",
        )


def _has_tracking(repo: MemoryRepo) -> bool:
    code, _, _ = repo.git.run_full("rev-parse", "--verify", "--quiet", TRACKING)
    return code == 0


def _counts(repo: MemoryRepo) -> tuple[int, int]:
    if not _has_tracking(repo):
        return (int(repo.git.text("rev-list", "--count", "HEAD").strip()), 0)
    out = repo.git.text("rev-list", "--left-right", "--count", f"HEAD...{TRACKING}").split()
    return int(out[0]), int(out[1])
