"""Memory operations: one commit each, with the caller's reason; clear refusals."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from memfs.errors import (
    AlreadyExists,
    InvalidArgument,
    InvalidFrontmatter,
    MatchError,
    NameClash,
    NoOpEdit,
    NotFound,
    OverLimit,
    ReadOnly,
)
from memfs.store import EditResult, MemoryStore
from tests.memfs.conftest import commit_count, git, head_message


def test_each_edit_is_one_commit_with_the_reason(store: MemoryStore) -> None:
    root = store.root
    steps: list[tuple[Callable[[], EditResult], str]] = [
        (lambda: store.create("notes/a", "Notes A", "alpha\nbeta\n", "add notes a"), "add notes a"),
        (lambda: store.str_replace("notes/a.md", "beta", "gamma", "fix beta"), "fix beta"),
        (lambda: store.insert("notes/a.md", 1, "first", "prepend"), "prepend"),
        (lambda: store.update_description("notes/a.md", "Notes about A", "clarify"), "clarify"),
        (lambda: store.rename("notes/a.md", "archive/a.md", "archive a"), "archive a"),
        (lambda: store.delete("archive/a.md", "drop a"), "drop a"),
    ]
    for number, (step, message) in enumerate(steps, start=2):
        result = step()
        assert commit_count(root) == number
        assert head_message(root) == message
        assert result.commit == git(root, "rev-parse", "HEAD").strip()
    assert git(root, "status", "--porcelain") == ""
    assert not (root / "archive").exists() and not (root / "notes").exists()


def test_view_numbers_body_lines_and_ranges(store: MemoryStore) -> None:
    store.create("notes/v.md", "View me", "one\ntwo\nthree\nfour\n", "add")
    whole = store.view("notes/v")
    assert "description: View me" in whole
    assert "     1\tone" in whole and "     4\tfour" in whole
    part = store.view("memory/notes/v.md", 2, 3)
    assert "     2\ttwo" in part and "     3\tthree" in part
    assert "one" not in part.split("---", 1)[1] and "four" not in part
    with pytest.raises(InvalidArgument, match="outside"):
        store.view("notes/v.md", 9, 12)


def test_view_of_a_folder_lists_it(store: MemoryStore) -> None:
    listing = store.view("system")
    assert "human.md" in listing and "persona.md" in listing


def test_insert_positions(store: MemoryStore) -> None:
    store.create("n.md", "d", "a\nb\n", "add")
    store.insert("n.md", 2, "middle", "mid")
    store.insert("n.md", 4, "end", "append")
    assert store.read("n.md").body == "a\nmiddle\nb\nend\n"
    with pytest.raises(InvalidArgument, match="from 1 to 5"):
        store.insert("n.md", 0, "x", "bad")


def test_str_replace_counts_matches(store: MemoryStore) -> None:
    store.create("n.md", "d", "cat cat dog\n", "add")
    with pytest.raises(MatchError, match="found 0 matches"):
        store.str_replace("n.md", "bird", "fish", "r")
    with pytest.raises(MatchError, match="found 2 matches"):
        store.str_replace("n.md", "cat", "fish", "r")
    store.str_replace("n.md", "dog", "fox", "r")
    assert store.read("n.md").body == "cat cat fox\n"


def test_refusals_leave_memory_untouched(store: MemoryStore) -> None:
    store.create("n.md", "d", "text\n", "add")
    store.write("locked.md", "Frozen", "keep\n", "add locked", read_only=True)
    store.write("short.md", "Short", "abc\n", "add short", limit=10)
    before = commit_count(store.root)
    cases: list[tuple[type[Exception], Callable[[], object]]] = [
        (NoOpEdit, lambda: store.str_replace("n.md", "text", "text", "r")),
        (NoOpEdit, lambda: store.update_description("n.md", "d", "r")),
        (NoOpEdit, lambda: store.write("n.md", "d", "text\n", "r")),
        (ReadOnly, lambda: store.str_replace("locked.md", "keep", "drop", "r")),
        (ReadOnly, lambda: store.delete("locked.md", "r")),
        (ReadOnly, lambda: store.rename("locked.md", "free.md", "r")),
        (OverLimit, lambda: store.insert("short.md", 1, "0123456789", "r")),
        (InvalidFrontmatter, lambda: store.create("e.md", "  ", "body", "r")),
        (AlreadyExists, lambda: store.create("n.md", "d", "x", "r")),
        (NotFound, lambda: store.str_replace("missing.md", "a", "b", "r")),
        (NotFound, lambda: store.delete("missing.md", "r")),
        (InvalidArgument, lambda: store.create("r.md", "d", "x", "   ")),
        (NameClash, lambda: store.create("n/child.md", "d", "x", "r")),
        (NameClash, lambda: store.create("system.md", "d", "x", "r")),
    ]
    for error, action in cases:
        with pytest.raises(error):
            action()
    assert commit_count(store.root) == before
    assert git(store.root, "status", "--porcelain") == ""
    assert not (store.root / "e.md").exists() and not (store.root / "n").exists()


def test_a_file_is_never_written_over_a_folder_of_the_same_name(store: MemoryStore) -> None:
    """A folder may be named like a file (``notes.md/``); creating, writing or renaming a file
    onto it is refused with the reason, and the folder and its files stay as they were."""
    store.create("notes.md/inner.md", "d", "kept\n", "add")
    store.create("other.md", "d", "x\n", "add")
    before = commit_count(store.root)
    actions: list[Callable[[], object]] = [
        lambda: store.create("notes.md", "d", "x", "r"),
        lambda: store.write("notes.md", "d", "x", "r"),
        lambda: store.rename("other.md", "notes.md", "r"),
    ]
    for action in actions:
        with pytest.raises(NameClash, match="a folder of that name exists"):
            action()
    assert commit_count(store.root) == before
    assert git(store.root, "status", "--porcelain") == ""
    assert store.read("notes.md/inner.md").body == "kept\n"


def test_read_only_can_be_overridden_explicitly(store: MemoryStore) -> None:
    store.write("locked.md", "Frozen", "keep\n", "add", read_only=True)
    store.str_replace("locked.md", "keep", "changed", "user edit", force=True)
    assert store.read("locked.md").body == "changed\n"
    assert store.read("locked.md").read_only


def test_rename_refuses_existing_target(store: MemoryStore) -> None:
    store.create("a.md", "A", "a\n", "add a")
    store.create("b.md", "B", "b\n", "add b")
    with pytest.raises(AlreadyExists):
        store.rename("a.md", "b.md", "r")


def test_search_substring_and_regex(store: MemoryStore) -> None:
    store.create("projects/x.md", "X", "Uses pytest\nand Ruff\n", "add")
    hits, truncated = store.search("PYTEST")
    assert [(h.path, h.line) for h in hits] == [("projects/x.md", 4)]
    assert not truncated
    hits, _ = store.search(r"^and \w+$", regex=True)
    assert [str(h) for h in hits] == ["projects/x.md:5: and Ruff"]
    with pytest.raises(InvalidArgument, match="invalid regex"):
        store.search("(", regex=True)


def test_edits_fold_in_uncommitted_manual_changes(store: MemoryStore) -> None:
    """A hand edit in the memory folder is never lost by a later tool edit."""
    human = store.root / "system" / "human.md"
    human.write_text(human.read_text() + "Likes tea.\n")
    store.insert("system/human.md", 1, "Name: Ada", "learn name")
    committed = git(store.root, "show", "HEAD:system/human.md")
    assert "Likes tea." in committed and "Name: Ada" in committed


def test_git_housekeeping_still_runs_when_it_is_due(store: MemoryStore) -> None:
    """Memory edits skip git's per-commit maintenance process but not its work: once the
    repository holds more packs than git's gc.autoPackLimit, the next edit packs them."""
    git(store.root, "config", "gc.autoDetach", "false")  # gc in the foreground, to look at
    pack_dir = store.root / ".git" / "objects" / "pack"
    for i in range(51):
        blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=store.root,
                              input=f"packed blob {i}\n".encode(), capture_output=True,
                              check=True).stdout
        subprocess.run(["git", "pack-objects", "-q", str(pack_dir / "pack")], cwd=store.root,
                       input=blob, capture_output=True, check=True)
    assert len(list(pack_dir.glob("*.pack"))) == 51
    store.insert("system/human.md", 1, "Name: Ada", "learn name")
    assert len(list(pack_dir.glob("*.pack"))) == 1
    assert "Name: Ada" in git(store.root, "show", "HEAD:system/human.md")


def test_edits_commit_with_the_git_config_the_environment_gives(
        store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """safe.directory given as GIT_CONFIG_* variables (a container, CI, a data home another
    user owns) holds for memory commits as it does for reads."""
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")  # git: as if another user's
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "safe.directory")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "*")
    assert "system/human.md" in store.list_files()
    result = store.create("notes/a.md", "A", "x\n", "add a")
    assert result.commit and head_message(store.root) == "add a"
    assert git(store.root, "status", "--porcelain") == ""
