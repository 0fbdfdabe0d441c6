"""Import an existing Letta Code memory folder (same file format) as an agent's memory.

With a git history (``~/.letta/agents/<id>/memory``), the history is kept unless
``history=False``; without one the current files are committed once. The secret guard checks
every commit that would land (the content of every file, markdown or not, every path and
every message) and a credential anywhere stops the import.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from memfs.backup import replace_memory
from memfs.errors import AlreadyExists, InvalidArgument
from memfs.git import Git
from memfs.repo import MemoryRepo


def import_letta(
    src: Path, root: Path, agent_name: str, agent_id: str, *, force: bool = False,
    home: Path | None = None, history: bool = True,
) -> MemoryRepo:
    """Make ``root`` a copy of the Letta memory at ``src`` (its history kept when it has one
    and ``history`` is set; otherwise its current files in one commit)."""
    from memfs.guard import check_incoming  # the detectors are heavy to import

    src = Path(src).expanduser().resolve()
    if not src.is_dir():
        raise InvalidArgument(f"{src} is not a folder",
                              "pass a Letta memory folder, e.g. ~/.letta/agents/<id>/memory")
    if (root / ".git").is_dir() and not force:
        raise AlreadyExists(f"agent {agent_id!r} already has memory",
                            "pass --force to replace it (it is backed up first), or --agent NEW")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-import-", dir=root.parent))
    target = staging / "m"
    try:
        if history and (src / ".git").exists():
            Git(staging).run("clone", "-q", "--no-local", "--single-branch", "--no-tags",
                             str(src), str(target))
            repo = MemoryRepo(target)
            repo.git.run("branch", "-M", "main")
            repo.git.run("remote", "remove", "origin", ok_codes=(0, 2))
            hint = (f"import only its current files with 'memfs memory import --no-history "
                    f"{src}' (remove the secret from them first if it is still there)")
        else:
            _copy_tree(src, target)
            Git(target).run("init", "-q", "-b", "main")
            repo = MemoryRepo(target)
            repo.configure(agent_name, agent_id)
            repo.git.run("add", "-A")
            repo.git.run("commit", "-q", "--no-verify", "--allow-empty", "-m",
                         f"chore: import Letta Code memory from {src.name}")
            hint = "remove the secret from that file first; memfs never stores secrets"
        check_incoming(repo.git, ["HEAD"], f"Letta memory {src}", hint)
        repo.configure(agent_name, agent_id)
        replace_memory(root, target, agent_id, home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return MemoryRepo(root)


def _copy_tree(src: Path, dest: Path) -> None:
    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n.startswith(".") or os.path.islink(os.path.join(folder, n))]

    shutil.copytree(src, dest, ignore=ignore)
