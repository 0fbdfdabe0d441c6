"""Path safety: normalisation, refusals, and a property test that nothing escapes the root."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from memfs.errors import InvalidPath, MemfsError
from memfs.paths import normalize
from memfs.store import MemoryStore


@pytest.mark.parametrize(
    ("given_path", "expected"),
    [
        ("notes", "notes.md"),
        ("memory/system/human", "system/human.md"),
        ("./a//b.md", "a/b.md"),
        ("system/human.md", "system/human.md"),
    ],
)
def test_normalisation(given_path: str, expected: str) -> None:
    assert normalize(given_path) == expected


@pytest.mark.parametrize(
    "bad",
    ["../x.md", "a/../../x", "~/x.md", "a/~b.md", "a\x00b", "/etc/passwd", ".git/config",
     "a/.git/x.md", "notes.txt", "", "   ", "a\\b.md", "memory"],
)
def test_refusals(bad: str) -> None:
    with pytest.raises(InvalidPath):
        normalize(bad)


def test_absolute_path_inside_root_is_accepted(store: MemoryStore) -> None:
    assert store.norm(str(store.root / "system" / "human.md")) == "system/human.md"


def test_symlinks_are_refused_everywhere(store: MemoryStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("---\ndescription: s\n---\nSECRET\n")
    os.symlink(outside, store.root / "linked")
    os.symlink(outside / "secret.md", store.root / "file-link.md")
    for action in (
        lambda: store.read_text("linked/secret.md"),
        lambda: store.create("linked/new.md", "d", "x", "r"),
        lambda: store.read_text("file-link.md"),
        lambda: store.str_replace("file-link.md", "SECRET", "gone", "r"),
        lambda: store.delete("file-link.md", "r"),
    ):
        with pytest.raises(InvalidPath, match="symlink"):
            action()
    assert (outside / "secret.md").read_text().endswith("SECRET\n")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.md"]


_SEGMENTS = st.sampled_from(
    ["..", ".", "~", "memory", "system", "notes", "a", "link", "filelink.md", ".git", "x.md",
     "", "/", "\x00", "b.txt", "HEAD", "config", "..md"]
)
_PATHS = st.lists(_SEGMENTS, min_size=1, max_size=5).map("/".join) | st.sampled_from(
    ["/etc/passwd", "../../outside/sentinel.md", "/OUTSIDE/sentinel.md", "link/sentinel.md"]
)
_OPS = st.lists(
    st.tuples(
        st.sampled_from(["create", "write", "str_replace", "insert", "delete", "rename",
                         "update_description", "read", "view"]),
        _PATHS,
        _PATHS,
    ),
    min_size=1,
    max_size=8,
)


def _snapshot(folder: Path) -> dict[str, str]:
    found = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            full = Path(dirpath, name)
            found[str(full)] = hashlib.sha1(full.read_bytes()).hexdigest()
    return found


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_OPS)
# The store lives across examples: one example's folder x.md/ met a later one's file x.md
# (an IsADirectoryError, so the test failed only when the draws happened to line up).
@example(ops=[("create", "x.md/notes", "a"), ("create", "x.md", "a"),
              ("rename", "x.md/notes", "x.md")])
def test_no_sequence_of_operations_escapes_the_root(
    ops: list[tuple[str, str, str]], store: MemoryStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    if not outside.exists():
        outside.mkdir()
        (outside / "sentinel.md").write_text("---\ndescription: s\n---\nSENTINEL\n")
        os.symlink(outside, store.root / "link")
        os.symlink(outside / "sentinel.md", store.root / "filelink.md")
    parent_before = sorted(p.name for p in store.root.parent.iterdir())
    outside_before = _snapshot(outside)
    git_config = (store.root / ".git" / "config").read_bytes()
    for op, path, other in ops:
        path = path.replace("/OUTSIDE", str(outside))
        try:
            if op == "create":
                store.create(path, "d", "SAFE", "r")
            elif op == "write":
                store.write(path, "d", "SAFE", "r")
            elif op == "str_replace":
                store.str_replace(path, "SENTINEL", "SAFE", "r")
            elif op == "insert":
                store.insert(path, 1, "SAFE", "r")
            elif op == "delete":
                store.delete(path, "r")
            elif op == "rename":
                store.rename(path, other, "r")
            elif op == "update_description":
                store.update_description(path, "SAFE", "r")
            else:
                text = store.view(path) if op == "view" else store.read_text(path)
                assert "SENTINEL" not in text
        except MemfsError:
            pass
    assert _snapshot(outside) == outside_before
    assert sorted(p.name for p in store.root.parent.iterdir()) == parent_before
    assert (store.root / ".git" / "config").read_bytes() == git_config
