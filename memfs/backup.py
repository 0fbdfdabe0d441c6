"""Backups as git bundles under ``$MEMFS_HOME/backups``, and restore from them."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from memfs.errors import AlreadyExists, InvalidArgument, NotFound
from memfs.git import Git
from memfs.home import backups_dir, check_agent_id
from memfs.remote import get_url
from memfs.repo import MemoryRepo


@dataclass(frozen=True)
class Backup:
    """One bundle file."""

    path: str
    agent: str
    created: str
    size: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def backup(repo: MemoryRepo, agent_id: str, home: Path | None = None) -> Backup:
    """Write every branch and commit of ``repo`` to a new bundle file."""
    folder = backups_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{check_agent_id(agent_id)}-{stamp}.bundle"
    partial = target.with_suffix(".bundle.partial")
    with repo.locked():
        repo.git.run("bundle", "create", "-q", str(partial), "--all")
    os.replace(partial, target)
    return _describe(target)


def list_backups(home: Path | None = None, agent_id: str | None = None) -> list[Backup]:
    """Bundles, newest first, optionally for one agent."""
    folder = backups_dir(home)
    if not folder.is_dir():
        return []
    found = [_describe(p) for p in folder.glob("*.bundle")]
    if agent_id is not None:
        found = [b for b in found if b.agent == agent_id]
    return sorted(found, key=lambda b: b.created, reverse=True)


def restore(
    bundle: Path, root: Path, agent_name: str, agent_id: str, *, force: bool = False,
    home: Path | None = None,
) -> MemoryRepo:
    """Replace the memory at ``root`` with the bundle's ``main``.

    Refuses to overwrite existing memory without ``force``; with it, the current memory is
    backed up first, so a restore never destroys anything. Every commit of the bundle is
    checked by the secret guard before anything is replaced.
    """
    bundle = Path(bundle).expanduser().resolve()
    if not bundle.is_file():
        raise NotFound(f"no backup file {bundle}", "list backups with 'memfs memory backups'")
    status, heads, _ = Git(bundle.parent).run_full("bundle", "list-heads", str(bundle))
    if status != 0 or b" refs/heads/main" not in heads:
        raise InvalidArgument(
            f"{bundle.name} is not a memfs backup (a git bundle with branch main)",
            "pick a file listed by 'memfs memory backups'",
        )
    exists = (root / ".git").is_dir()
    if exists and not force:
        raise AlreadyExists(
            f"memory already exists at {root}",
            "pass --force to replace it (the current memory is backed up first)",
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-restore-", dir=root.parent))
    try:
        Git(root.parent).run("clone", "-q", "--branch", "main", "--single-branch", "--no-tags",
                             str(bundle), str(staging / "m"))
        restored = MemoryRepo(staging / "m")
        restored.git.run("remote", "remove", "origin", ok_codes=(0, 2))
        from memfs.guard import check_incoming  # the detectors are heavy to import

        check_incoming(restored.git, ["HEAD"], f"backup {bundle.name}",
                       "restore another backup ('memfs memory backups'), or remove the secret "
                       "from that commit of the bundle's history first")
        restored.configure(agent_name, agent_id)
        old_url = replace_memory(root, staging / "m", agent_id, home)
        if old_url:
            MemoryRepo(root).git.run("remote", "add", "origin", old_url)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return MemoryRepo(root)


def replace_memory(root: Path, new: Path, agent_id: str, home: Path | None) -> str | None:
    """Move the memory built at ``new`` to ``root``. Memory already there is backed up first
    and moved aside into ``new``'s folder (a staging folder the caller removes). Returns the
    replaced memory's remote URL, if it had one."""
    old_url = None
    if (root / ".git").is_dir():
        old = MemoryRepo(root)
        backup(old, agent_id, home)
        old_url = get_url(old)
        with old.locked():
            os.rename(root, new.parent / "old")
    os.rename(new, root)
    return old_url


def _describe(path: Path) -> Backup:
    stat = path.stat()
    agent, _, stamp = path.stem.rpartition("-")
    try:
        created = datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC).isoformat()
    except ValueError:
        agent = path.stem
        created = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat()
    return Backup(str(path), agent, created, stat.st_size)
