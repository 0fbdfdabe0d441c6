"""Layout: where memory lives, what a new memory holds, and independence from global git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memfs.home import DEFAULT_AGENT_ID, list_agent_ids, memfs_home, memory_dir
from memfs.store import MemoryStore
from tests.memfs.conftest import commit_count, git, head_message


def test_new_memory_is_a_seeded_git_repo_on_main(isolated_env: Path) -> None:
    store = MemoryStore.open(create=True)
    root = isolated_env / "agents" / DEFAULT_AGENT_ID / "memory"
    assert store.root == root
    assert git(root, "branch", "--show-current").strip() == "main"
    assert head_message(root) == "chore: initialize memory"
    assert commit_count(root) == 1
    assert sorted(git(root, "ls-files").split()) == ["system/human.md", "system/persona.md"]
    for rel in ("system/human.md", "system/persona.md"):
        assert store.read(rel).description.strip()
    assert git(root, "status", "--porcelain") == ""
    assert list_agent_ids() == [DEFAULT_AGENT_ID]


def test_repo_has_its_own_identity_and_no_signing(store: MemoryStore) -> None:
    assert git(store.root, "config", "--local", "user.name").strip() == "Memory Agent"
    assert git(store.root, "config", "--local", "user.email").strip().endswith("@memfs.local")
    assert git(store.root, "config", "--local", "commit.gpgsign").strip() == "false"


def test_commits_ignore_a_hostile_global_git_config(tmp_path: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    failing = hooks / "pre-commit"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    gitconfig = Path(os.environ["HOME"]) / ".gitconfig"
    gitconfig.write_text(
        "[commit]\n\tgpgsign = true\n[core]\n\tautocrlf = true\n"
        f"\thooksPath = {hooks}\n[user]\n\tuseConfigOnly = true\n"
    )
    store = MemoryStore.open(create=True)
    store.create("notes/crlf.md", "Line endings", "one\r\ntwo\n", "keep bytes")
    committed = git(store.root, "show", "HEAD:notes/crlf.md")
    assert "one\r\ntwo\n" in committed


def test_memfs_home_defaults_to_xdg_data_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMFS_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", "/data/x")
    assert memfs_home() == Path("/data/x/memfs")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert memfs_home() == Path.home() / ".local" / "share" / "memfs"


def test_opening_an_unknown_agent_says_how_to_create_it() -> None:
    with pytest.raises(Exception, match="memory init"):
        MemoryStore.open("someone-else")


def test_a_killed_creation_leaves_no_half_made_memory(isolated_env: Path) -> None:
    root = memory_dir(DEFAULT_AGENT_ID)
    root.parent.mkdir(parents=True)
    leftover = root.parent / ".memory-new-abc123"
    (leftover / "system").mkdir(parents=True)
    store = MemoryStore.open(create=True)
    assert not leftover.exists()
    assert commit_count(store.root) == 1
