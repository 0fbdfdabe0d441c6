"""Importing a Letta Code memory folder as an agent's memory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from memfs.errors import AlreadyExists, SecretDetected
from memfs.home import memory_dir
from memfs.letta_import import import_letta
from memfs.store import MemoryStore
from tests.memfs.conftest import commit_count, git


def _letta_folder(root: Path, with_git: bool) -> Path:
    (root / "system").mkdir(parents=True)
    (root / "system" / "persona.md").write_text("---\ndescription: Me\n---\nI am Letta.\n")
    (root / "reference").mkdir()
    (root / "reference" / "api.md").write_text("---\ndescription: API notes\n---\nREST.\n")
    if with_git:
        run = {"cwd": root, "check": True, "capture_output": True}
        subprocess.run(["git", "init", "-q", "-b", "master"], **run)  # type: ignore[call-overload]
        subprocess.run(["git", "add", "-A"], **run)  # type: ignore[call-overload]
        subprocess.run(["git", "-c", "user.name=L", "-c", "user.email=l@x", "commit", "-qm",
                        "one"], **run)  # type: ignore[call-overload]
        (root / "system" / "human.md").write_text("---\ndescription: User\n---\nAda.\n")
        subprocess.run(["git", "add", "-A"], **run)  # type: ignore[call-overload]
        subprocess.run(["git", "-c", "user.name=L", "-c", "user.email=l@x", "commit", "-qm",
                        "two"], **run)  # type: ignore[call-overload]
    return root


def test_import_keeps_git_history(tmp_path: Path) -> None:
    src = _letta_folder(tmp_path / "letta", with_git=True)
    repo = import_letta(src, memory_dir("imported"), "Imported", "imported")
    assert commit_count(repo.root) == 2
    assert git(repo.root, "branch", "--show-current").strip() == "main"
    store = MemoryStore.open("imported")
    assert store.read("system/human.md").body == "Ada.\n"
    store.create("new.md", "New", "x\n", "works after import")


def test_import_without_git_commits_once(tmp_path: Path) -> None:
    src = _letta_folder(tmp_path / "letta", with_git=False)
    repo = import_letta(src, memory_dir("plain"), "Plain", "plain")
    assert commit_count(repo.root) == 1
    assert "import Letta Code memory" in git(repo.root, "log", "-1", "--format=%s")


def test_import_refuses_existing_memory_and_secrets(tmp_path: Path) -> None:
    src = _letta_folder(tmp_path / "letta", with_git=False)
    MemoryStore.open(create=True)
    with pytest.raises(AlreadyExists, match="--force"):
        import_letta(src, memory_dir("memory-agent"), "Memory Agent", "memory-agent")
    (src / "leak.md").write_text("---\ndescription: d\n---\nAKIAIOSFODNN7EXAMPLE\n")
    with pytest.raises(SecretDetected, match="credential in leak.md"):
        import_letta(src, memory_dir("other"), "Other", "other")
    assert not memory_dir("other").exists()
