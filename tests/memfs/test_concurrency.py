"""Several processes at once, and processes killed mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from memfs.frontmatter import parse
from memfs.repo import MemoryRepo
from memfs.store import MemoryStore
from tests.memfs.conftest import commit_count, git

WRITER = textwrap.dedent(
    """
    import sys
    from memfs.store import MemoryStore
    store = MemoryStore.open()
    worker, edits = sys.argv[1], int(sys.argv[2])
    for n in range(edits):
        body = store.read("shared.md").body
        store.insert("shared.md", body.count("\\n") + 1, f"{worker}-{n}", f"{worker} edit {n}")
        store.create(f"workers/{worker}/{n}.md", f"note {n} of {worker}", f"{n}\\n", "own file")
    """
)

LOOPER = textwrap.dedent(
    """
    import itertools
    from memfs.store import MemoryStore
    store = MemoryStore.open()
    for n in itertools.count():
        store.insert("shared.md", 1, f"line {n}", f"edit {n}")
        store.write(f"churn/{n % 5}.md", "churn", f"version {n}\\n", f"churn {n}")
    """
)


def _spawn(script: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _assert_healthy(store: MemoryStore) -> None:
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=store.root,
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert git(store.root, "status", "--porcelain") == ""


def test_parallel_processes_lose_no_update(store: MemoryStore) -> None:
    store.create("shared.md", "Shared log", "", "start")
    workers, edits = 4, 8
    procs = [_spawn(WRITER, f"w{i}", str(edits)) for i in range(workers)]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err.decode()
    lines = store.read("shared.md").body.splitlines()
    expected = {f"w{i}-{n}" for i in range(workers) for n in range(edits)}
    assert sorted(lines) == sorted(expected)
    assert commit_count(store.root) == 2 + 2 * workers * edits
    assert len(list((store.root / "workers").rglob("*.md"))) == workers * edits
    _assert_healthy(store)


def _install_hook(store: MemoryStore, name: str, tmp_path: Path) -> Path:
    hooks = tmp_path / "hooks"
    hooks.mkdir(exist_ok=True)
    marker = tmp_path / f"{name}.started"
    hook = hooks / name
    hook.write_text(f"#!/bin/sh\ntouch '{marker}'\nsleep 60\n")
    hook.chmod(0o755)
    git(store.root, "config", "core.hooksPath", str(hooks))
    return marker


def _kill_when(marker: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "the hook never ran"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


CREATE_ONE = "from memfs.store import MemoryStore\n" \
    "MemoryStore.open().create('notes/killed.md', 'd', 'half\\n', 'doomed')"


def test_killed_in_the_middle_of_a_commit_is_rolled_back(
    store: MemoryStore, tmp_path: Path
) -> None:
    marker = _install_hook(store, "prepare-commit-msg", tmp_path)
    _kill_when(marker, _spawn(CREATE_ONE))
    assert (store.root / ".git" / "index.lock").exists()
    git(store.root, "config", "core.hooksPath", "/dev/null")
    store.create("notes/next.md", "d", "next\n", "next write")
    assert not (store.root / "notes" / "killed.md").exists()
    assert "notes/killed.md" not in git(store.root, "ls-files")
    assert commit_count(store.root) == 2
    _assert_healthy(store)


def test_killed_after_the_commit_landed_keeps_the_commit(
    store: MemoryStore, tmp_path: Path
) -> None:
    marker = _install_hook(store, "post-commit", tmp_path)
    _kill_when(marker, _spawn(CREATE_ONE))
    git(store.root, "config", "core.hooksPath", "/dev/null")
    store.create("notes/next.md", "d", "next\n", "next write")
    assert store.read("notes/killed.md").body == "half\n"
    assert commit_count(store.root) == 3
    _assert_healthy(store)


def test_random_kills_never_corrupt_memory(store: MemoryStore) -> None:
    store.create("shared.md", "Shared", "", "start")
    rng = random.Random(7)
    for _ in range(8):
        proc = _spawn(LOOPER)
        time.sleep(rng.uniform(0.6, 1.4))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        store.insert("shared.md", 1, "survivor", "after a kill")
        parse((store.root / "shared.md").read_text(), "shared.md")
        for churn in (store.root / "churn").glob("*.md"):
            parse(churn.read_text(), churn.name)
        _assert_healthy(store)
    assert commit_count(store.root) > 10


def test_a_reflection_tree_and_the_main_tree_leave_each_others_git_locks(
    store: MemoryStore, tmp_path: Path
) -> None:
    """A reflection edits memory in a linked worktree while the user's turn commits to main:
    each one's recovery clears only what its own killed writers can have left, never a lock
    the other's git commit holds at that moment (its commit would fail, or land while the
    edit is reported failed and rolled back)."""
    worktree = tmp_path / "reflection"
    git(store.root, "worktree", "add", "-q", "-b", "reflection/run", str(worktree), "main")
    work = MemoryStore(MemoryRepo(worktree))
    refs = store.root / ".git" / "refs" / "heads"
    mains = [store.root / ".git" / "index.lock", refs / "main.lock"]
    for lock in mains:
        lock.write_text("held by the main tree's git commit")
    work.create("notes/r.md", "R", "x\n", "reflect")
    assert all(lock.exists() for lock in mains)
    for lock in mains:
        lock.unlink()
    theirs = refs / "reflection" / "run.lock"
    theirs.write_text("held by the reflection's git commit")
    (refs / "stale.lock").write_text("left by a killed writer of the main tree")
    store.create("notes/m.md", "M", "y\n", "main edit")
    assert theirs.exists() and not (refs / "stale.lock").exists()
    theirs.unlink()
    (refs / "reflection" / "run.lock").write_text("left by a killed reflection writer")
    work.create("notes/r2.md", "R2", "z\n", "reflect again")
    assert work.read("notes/r2.md").body == "z\n"
