"""Remote sync: a local bare repo and two clones stand in for two machines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from memfs import remote
from memfs.errors import InvalidArgument, SyncConflict
from memfs.repo import MemoryRepo
from memfs.store import MemoryStore
from tests.memfs.conftest import commit_count, git


@pytest.fixture
def machines(tmp_path: Path) -> tuple[MemoryStore, MemoryStore]:
    """Machine A and machine B share memory through a bare repo."""
    bare = tmp_path / "team-memory.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    a = MemoryStore.open("laptop", create=True)
    remote.set_url(a.repo, str(bare))
    assert remote.push(a.repo).state == "in-sync"
    b_root = tmp_path / "desktop-home" / "agents" / "desktop" / "memory"
    b_root.parent.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", str(bare), str(b_root)], check=True)
    b = MemoryStore(MemoryRepo(b_root))
    b.repo.configure("Desktop", "desktop")
    return a, b


def test_no_remote_is_a_clear_state(store: MemoryStore) -> None:
    assert remote.status(store.repo).state == "no-remote"
    with pytest.raises(InvalidArgument, match="remote set"):
        remote.pull(store.repo)


def test_push_then_pull_fast_forwards(machines: tuple[MemoryStore, MemoryStore]) -> None:
    a, b = machines
    a.create("notes/from-a.md", "From A", "hello\n", "a writes")
    assert remote.status(a.repo).state in ("ahead", "in-sync")
    assert remote.push(a.repo).state == "in-sync"
    assert remote.pull(b.repo).state == "in-sync"
    assert b.read("notes/from-a.md").body == "hello\n"


def test_diverged_edits_to_different_files_rebase(
    machines: tuple[MemoryStore, MemoryStore]
) -> None:
    a, b = machines
    a.create("a.md", "A", "a\n", "a writes")
    remote.push(a.repo)
    b.create("b.md", "B", "b\n", "b writes")
    state = remote.sync(b.repo)
    assert state.state == "in-sync"
    assert (b.root / "a.md").exists() and (b.root / "b.md").exists()
    remote.pull(a.repo)
    assert (a.root / "b.md").exists()
    assert git(a.root, "log", "--format=%s", "-3").split("\n")[:2] == ["b writes", "a writes"]


def test_conflict_stops_and_keeps_every_local_commit(
    machines: tuple[MemoryStore, MemoryStore]
) -> None:
    a, b = machines
    a.str_replace("system/human.md", "Nothing recorded about the user yet.", "Name: Ada", "a")
    remote.push(a.repo)
    b.str_replace("system/human.md", "Nothing recorded about the user yet.", "Name: Bob", "b")
    local_head = b.repo.head()
    count = commit_count(b.root)
    with pytest.raises(SyncConflict, match="local commits are kept"):
        remote.pull(b.repo)
    assert b.repo.head() == local_head and commit_count(b.root) == count
    assert "Name: Bob" in b.read("system/human.md").body
    assert remote.status(b.repo).state == "diverged"
    assert git(b.root, "status", "--porcelain") == ""
    b.create("still.md", "Still works", "yes\n", "after conflict")


def test_unset_keeps_local_memory(machines: tuple[MemoryStore, MemoryStore]) -> None:
    a, _ = machines
    remote.unset_url(a.repo)
    assert remote.status(a.repo).url is None
    assert commit_count(a.root) >= 1
