"""Project memory's store: made only on purpose, never through a link, edits checked whole
and written atomically to the working tree, nothing else written into the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memfs import project
from memfs.errors import InvalidArgument, InvalidPath, SecretDetected

KEY = "AKIA" + "Z7QX3M5N8P2R4T6V"  # an AWS access key id's shape


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_create_seeds_once_and_writes_only_the_memory_folder(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    assert project.find(workspace) is None
    assert project.ProjectStore.open(workspace) is None

    store, written = project.create(workspace)
    assert written == ["system/project.md"]
    assert _files(workspace) == [".memfs/memory/system/project.md"]
    assert project.find(workspace) == workspace / ".memfs" / "memory"

    store.create("notes/build.md", "how to build", "make all\n", "record the build")
    again, written = project.create(workspace)
    assert written == []  # an existing project memory is never reseeded
    assert again.read("system/project.md").description.startswith("What this project is")
    # the writers' lock lives in the data home, not in the project
    assert _files(workspace) == [".memfs/memory/notes/build.md",
                                 ".memfs/memory/system/project.md"]
    assert store.backend.lock_path.is_relative_to(Path(os.environ["MEMFS_HOME"]))


@pytest.mark.parametrize("link", [".memfs", ".memfs/memory"])
def test_a_link_for_either_folder_is_refused_and_nothing_is_written_outside(
        tmp_path: Path, link: str) -> None:
    workspace = tmp_path / "ws"
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "memory" / "system").mkdir(parents=True)
    (workspace / ".memfs").mkdir(parents=True)
    target = elsewhere if link == ".memfs" else elsewhere / "memory"
    if link == ".memfs":
        (workspace / ".memfs").rmdir()
    (workspace / link).symlink_to(target, target_is_directory=True)

    with pytest.raises(InvalidPath, match="symbolic link"):
        project.find(workspace)
    with pytest.raises(InvalidPath, match="symbolic link"):
        project.create(workspace)
    assert project.snapshot(workspace) == {}  # the watcher sees no project memory
    assert _files(elsewhere) == []


def test_a_refused_edit_writes_nothing(tmp_path: Path) -> None:
    store, _ = project.create(tmp_path / "ws")
    before = _files(tmp_path)
    with pytest.raises(SecretDetected):
        store.create("notes/aws.md", "aws", f"our key is {KEY}\n", "record the key")
    with pytest.raises(InvalidArgument, match="reason"):
        store.create("notes/ok.md", "ok", "fine\n", "  ")
    assert _files(tmp_path) == before


def test_a_killed_writers_leftovers_are_cleared_and_deletes_prune_empty_folders(
        tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    store, _ = project.create(workspace)
    store.create("a/b/deep.md", "deep", "text\n", "add a deep file")
    root = project.memory_root(workspace)
    leftover = root / "a" / ".deep.md.memfs-tmp-1234"
    leftover.write_text("half a file")

    store.delete("a/b/deep.md", "no longer true")
    assert not leftover.exists()
    assert not (root / "a").exists()  # the emptied folders went with the file
    assert _files(workspace) == [".memfs/memory/system/project.md"]


def test_snapshot_follows_each_files_size_and_time(tmp_path: Path) -> None:
    assert project.snapshot(tmp_path) == {}
    store, _ = project.create(tmp_path)
    first = project.snapshot(tmp_path)
    assert list(first) == ["system/project.md"]
    store.create("notes/x.md", "x", "one\n", "add x")
    second = project.snapshot(tmp_path)
    assert sorted(second) == ["notes/x.md", "system/project.md"]
    assert second["system/project.md"] == first["system/project.md"]
