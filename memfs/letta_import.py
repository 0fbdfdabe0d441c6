"""Import an existing Letta Code memory folder (same file format) as an agent's memory.

With a git history (``~/.letta/agents/<id>/memory``), the history is kept; without one the
files are committed once. Credentials in the imported files stop the import.
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
    home: Path | None = None,
) -> MemoryRepo:
    """Make ``root`` a copy of the Letta memory at ``src`` (history kept when it has one)."""
    src = Path(src).expanduser().resolve()
    if not src.is_dir():
        raise InvalidArgument(f"{src} is not a folder",
                              "pass a Letta memory folder, e.g. ~/.letta/agents/<id>/memory")
    if (root / ".git").is_dir() and not force:
        raise AlreadyExists(f"agent {agent_id!r} already has memory",
                            "pass --force to replace it (it is backed up first), or --agent NEW")
    _refuse_secrets(src)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-import-", dir=root.parent))
    target = staging / "m"
    try:
        if (src / ".git").exists():
            Git(staging).run("clone", "-q", "--no-local", str(src), str(target))
            repo = MemoryRepo(target)
            repo.git.run("branch", "-M", "main")
            repo.git.run("remote", "remove", "origin", ok_codes=(0, 2))
            repo.configure(agent_name, agent_id)
        else:
            _copy_tree(src, target)
            Git(target).run("init", "-q", "-b", "main")
            repo = MemoryRepo(target)
            repo.configure(agent_name, agent_id)
            repo.git.run("add", "-A")
            repo.git.run("commit", "-q", "--no-verify", "--allow-empty", "-m",
                         f"chore: import Letta Code memory from {src.name}")
        replace_memory(root, target, agent_id, home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return MemoryRepo(root)


def _refuse_secrets(src: Path) -> None:
    from memfs.secrets import find_secrets  # heavy import, only needed here

    for path in sorted(src.rglob("*.md")):
        if ".git" in path.relative_to(src).parts or path.is_symlink():
            continue
        hits = find_secrets(path.read_bytes().decode("utf-8", "replace"))
        if hits:
            line, kind = hits[0]
            raise InvalidArgument(
                f"{path.relative_to(src)} holds a credential ({kind} on line {line})",
                "remove it from the Letta memory first; memfs never stores secrets",
            )


def _copy_tree(src: Path, dest: Path) -> None:
    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n.startswith(".") or os.path.islink(os.path.join(folder, n))]

    shutil.copytree(src, dest, ignore=ignore)
