"""One commit in full (memfs/commit), each file's last change (memfs/tree), and memory
created by several threads at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from memfs import history
from memfs.store import MemoryStore
from tests.memfs.conftest import git


@pytest.mark.parametrize(("message", "source"), [
    ("chore(manual): edit a.md", "manual"), ("chore(reflection): tabs", "reflection"),
    ("merge(reflection): tabs", "reflection"), ("feat(init): project map", "init"),
    ("fix(doctor): descriptions", "doctor"), ("remember: tabs", "remember"),
    ("revert: learn tabs", "revert"), ('Revert "learn tabs"', "revert"),
    ("chore: initialize memory", "created"), ("learn: user prefers tabs", "agent"),
])
def test_a_commit_source_comes_from_its_message(message: str, source: str) -> None:
    assert history.source_of(message) == source


def test_commit_details_with_diff(store: MemoryStore) -> None:
    store.create("notes/a.md", "A", "one\n", "add a")
    edit = store.str_replace("notes/a.md", "one", "two", "chore(manual): edit notes/a.md")
    details = history.commit_details(store.repo, edit.commit[:8])
    assert (details.sha, details.message, details.source) == (
        edit.commit, "chore(manual): edit notes/a.md", "manual")
    assert details.paths == ["notes/a.md"] and not details.truncated
    assert "-one\n+two\n" in details.diff and details.date.endswith("Z")
    assert details.author == "Memory Agent" and details.author_email.endswith("@memfs.local")
    first = history.commit_details(store.repo, git(store.root, "rev-list", "--max-parents=0",
                                                   "HEAD").strip())
    assert first.source == "created" and "system/persona.md" in first.paths


def test_a_huge_diff_is_cut_at_a_line(store: MemoryStore) -> None:
    body = "".join(f"line {n} of a long note\n" for n in range(3000))
    made = store.create("big.md", "big", body, "add big")
    details = history.commit_details(store.repo, made.commit, diff_limit=10_000)
    assert details.truncated and len(details.diff.encode()) <= 10_000
    assert details.diff.endswith("\n") and "+line 1 of a long note" in details.diff


def test_last_changes_follow_head(store: MemoryStore) -> None:
    store.create("a.md", "A", "1\n", "add a")
    store.create("b.md", "B", "1\n", "add b")
    before = history.last_changes(store.repo, store.repo.head())
    assert before["a.md"].message == "add a" and before["b.md"].message == "add b"
    assert before["system/human.md"].source == "created"
    edit = store.str_replace("a.md", "1", "2", "chore(manual): edit a.md")
    moved = store.rename("b.md", "c.md", "move b")
    after = history.last_changes(store.repo, store.repo.head())
    assert after["a.md"].sha == edit.commit and after["a.md"].source == "manual"
    assert after["c.md"].sha == moved.commit
    # HEAD moved backwards (a reset): read again rather than keep changes that are gone
    git(store.root, "reset", "-q", "--hard", "HEAD~2")
    reset = history.last_changes(store.repo, store.repo.head())
    assert reset["a.md"].message == "add a" and "c.md" not in reset


def _create_at_once(home: Path, threads: int = 4) -> list[Exception]:
    """Open (creating) the default agent's memory from ``threads`` threads at the same moment;
    the errors they met."""
    start = threading.Barrier(threads)
    errors: list[Exception] = []

    def create() -> None:
        start.wait()
        try:
            MemoryStore.open("memory-agent", home, create=True)
        except Exception as exc:  # collected: the assertion names it
            errors.append(exc)

    workers = [threading.Thread(target=create) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


def test_memory_created_by_several_threads_at_once(tmp_path: Path) -> None:
    """Two windows opening a fresh data home at the same moment: neither may remove the
    other's half-built memory (it did, as a stale leftover)."""
    for attempt in range(3):
        home = tmp_path / f"home-{attempt}"
        assert _create_at_once(home) == []
        assert MemoryStore.open("memory-agent", home).read("system/human.md").description
