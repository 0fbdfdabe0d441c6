"""History: log, show, diff, revert; backups and restore; export."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from memfs import backup, export, history
from memfs.errors import AlreadyExists, GitError, SecretDetected
from memfs.home import memory_dir
from memfs.objects import ObjectReader
from memfs.store import MemoryStore
from tests.memfs.conftest import commit_count, git


def test_log_for_all_and_one_path(store: MemoryStore) -> None:
    store.create("a.md", "A", "1\n", "add a")
    store.create("b.md", "B", "1\n", "add b")
    store.str_replace("a.md", "1", "2", "edit a")
    store.rename("a.md", "moved/a.md", "move a")
    entries = history.log(store.repo)
    assert [e.subject for e in entries][:4] == ["move a", "edit a", "add b", "add a"]
    assert entries[0].paths == ["a.md", "moved/a.md"]
    only = [e.subject for e in history.log(store.repo, "moved/a.md")]
    assert only == ["move a", "edit a", "add a"]
    assert [e.subject for e in history.log(store.repo, limit=1)] == ["move a"]


def test_subject_read_in_process_is_the_logs(store: MemoryStore) -> None:
    """``memfs memory status`` reads HEAD's subject from the object store (loose or packed)
    and must show what ``history.log`` shows; a message in another encoding is left to git."""
    store.create("a.md", "A", "1\n", "  add a: ünïcode\n\nwhy it matters\nmore  ")
    reader = ObjectReader(store.repo.common_dir)
    loose = reader.subject(store.repo.head())
    git(store.root, "gc", "--quiet")  # packs every object
    packed = ObjectReader(store.repo.common_dir).subject(store.repo.head())
    assert loose == packed == history.log(store.repo, limit=1)[0].subject == "add a: ünïcode"
    git(store.root, "-c", "i18n.commitEncoding=ISO-8859-1", "commit", "--allow-empty", "-m",
        "latin")
    assert reader.subject(store.repo.head()) is None


def test_show_and_diff(store: MemoryStore) -> None:
    store.create("a.md", "A", "old line\n", "add a")
    first = store.repo.head()
    store.str_replace("a.md", "old line", "new line", "edit a")
    assert "old line" in history.show(store.repo, "a.md", first)
    one = history.diff(store.repo, "HEAD")
    assert "-old line" in one and "+new line" in one
    two = history.diff(store.repo, first, "HEAD", "a.md")
    assert "-old line" in two
    (store.root / "a.md").write_text("---\ndescription: A\n---\nhand edit\n")
    assert "+hand edit" in history.diff(store.repo)


def test_revert_is_a_new_commit(store: MemoryStore) -> None:
    store.create("a.md", "A", "v1\n", "add a")
    edit = store.str_replace("a.md", "v1", "v2", "bump")
    count = commit_count(store.root)
    result = history.revert(store.repo, edit.commit)
    assert commit_count(store.root) == count + 1
    assert result.message == "revert: bump"
    assert store.read("a.md").body == "v1\n"
    assert git(store.root, "status", "--porcelain") == ""


def test_revert_conflict_is_refused_cleanly(store: MemoryStore) -> None:
    store.create("a.md", "A", "v1\n", "add a")
    edit = store.str_replace("a.md", "v1", "v2", "bump")
    store.str_replace("a.md", "v2", "v3", "bump again")
    head = store.repo.head()
    with pytest.raises(GitError, match="cleanly"):
        history.revert(store.repo, edit.commit)
    assert store.repo.head() == head
    assert git(store.root, "status", "--porcelain") == ""


def test_revert_that_would_restore_a_secret_is_refused(store: MemoryStore) -> None:
    store.repo.root.joinpath("leak.md").write_text(
        "---\ndescription: d\n---\nkey AKIAIOSFODNN7EXAMPLE\n")
    store.repo.git.run("add", "-A")
    store.repo.git.run("commit", "-q", "-m", "imported leak")
    cleanup = store.delete("leak.md", "remove leaked key")
    with pytest.raises(SecretDetected):
        history.revert(store.repo, cleanup.commit)
    assert not (store.root / "leak.md").exists()
    assert git(store.root, "status", "--porcelain") == ""


def test_backup_and_restore(store: MemoryStore, isolated_env: Path) -> None:
    store.create("a.md", "A", "precious\n", "add a")
    made = backup.backup(store.repo, "memory-agent")
    assert Path(made.path).parent == isolated_env / "backups"
    assert [b.path for b in backup.list_backups()] == [made.path]
    store.delete("a.md", "oops")
    root = memory_dir("memory-agent")
    with pytest.raises(AlreadyExists, match="--force"):
        backup.restore(Path(made.path), root, "Memory Agent", "memory-agent")
    restored = backup.restore(Path(made.path), root, "Memory Agent", "memory-agent", force=True)
    assert (restored.root / "a.md").read_text().endswith("precious\n")
    assert len(backup.list_backups()) == 2, "the replaced memory was backed up first"
    assert git(restored.root, "config", "--local", "user.name").strip() == "Memory Agent"
    MemoryStore(restored).create("b.md", "B", "after restore\n", "works")


def test_export_archive_and_agents_md(store: MemoryStore, tmp_path: Path) -> None:
    store.create("projects/x.md", "Project X", "X uses make.\n", "add x")
    archive = export.export(store.repo, "tar.gz", tmp_path / "m.tar.gz", "Memory Agent")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "memory/projects/x.md" in names and "memory/system/human.md" in names
    md = export.render_markdown(store.repo, "Memory Agent")
    assert md.startswith("# Memory of Memory Agent")
    assert md.index("## system/") < md.index("## projects/x.md")
    assert "X uses make." in md and "> Project X" in md and "description:" not in md
