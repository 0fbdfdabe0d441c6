"""Issue 10 item 2: an edit whose result is valid is allowed on a file whose frontmatter is
already invalid, so ``memfs doctor --fix`` can repair what lint finds."""

from __future__ import annotations

import json

import pytest

from memfs.errors import InvalidFrontmatter, ReadOnly
from memfs.lint import lint
from memfs.store import MemoryStore
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.security.keys import git, run


def commit_broken(store: MemoryStore, rel: str, text: str) -> None:
    """Commit ``text`` straight through git, past every memfs check."""
    path = store.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(store.root, "add", "--", rel)
    git(store.root, "commit", "-q", "-m", "hand edit", "--", rel)


def codes(store: MemoryStore) -> set[str]:
    return {f.code for f in lint(store.root) if f.severity == "error"}


def test_an_edit_whose_result_is_valid_repairs_a_broken_file(store: MemoryStore) -> None:
    commit_broken(store, "notes/empty.md", '---\ndescription: ""\n---\nBody.\n')
    commit_broken(store, "notes/extra.md", "---\ndescription: Notes\ncolour: red\n---\nBody.\n")
    commit_broken(store, "notes/bare.md", "Just text, no frontmatter.\n")
    assert codes(store) == {"missing-description", "unknown-key", "invalid-frontmatter"}
    store.update_description("notes/empty.md", "What the notes are for", "fix(doctor): describe")
    store.str_replace("notes/extra.md", "colour: red\n", "", "fix(doctor): drop unknown key")
    store.update_description("notes/bare.md", "Loose notes", "fix(doctor): add frontmatter")
    assert codes(store) == set()
    assert store.read("notes/extra.md").body == "Body.\n"
    assert store.read("notes/bare.md").body == "Just text, no frontmatter.\n"


def test_an_edit_that_leaves_a_broken_file_broken_is_refused(store: MemoryStore) -> None:
    commit_broken(store, "notes/extra.md", "---\ndescription: Notes\ncolour: red\n---\nBody.\n")
    with pytest.raises(InvalidFrontmatter, match="would leave it invalid.*colour"):
        store.update_description("notes/extra.md", "Better", "fix")
    with pytest.raises(InvalidFrontmatter, match="would leave it invalid"):
        store.insert("notes/extra.md", 1, "more\n", "add")
    commit_broken(store, "notes/locked.md",
                  "---\ndescription: Locked\nread_only: true\ncolour: red\n---\nBody.\n")
    with pytest.raises(ReadOnly):
        store.str_replace("notes/locked.md", "colour: red\n", "", "fix")
    commit_broken(store, "notes/open.md", "---\ndescription: Open\ncolour: red\n---\nBody.\n")
    with pytest.raises(ReadOnly):
        store.str_replace("notes/open.md", "colour: red", "read_only: true", "lock it")


def test_doctor_fix_clears_the_findings(model: ScriptedModel, store: MemoryStore) -> None:
    commit_broken(store, "notes/empty.md", '---\ndescription: ""\n---\nBody.\n')
    commit_broken(store, "notes/extra.md", "---\ndescription: Notes\ncolour: red\n---\nBody.\n")
    model.script(Reply(tool_calls=[
        ToolCall("memory", {"command": "update_description", "path": "notes/empty.md",
                            "description": "What the notes are for", "reason": "describe"}),
        ToolCall("memory", {"command": "str_replace", "path": "notes/extra.md",
                            "old_text": "colour: red\n", "new_text": "",
                            "reason": "drop unknown key"})]), "Repaired two files.")
    done = run("doctor", "--fix", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [c["message"] for c in report["commits"]] == [
        "fix(doctor): describe", "fix(doctor): drop unknown key"]
    assert not [f for f in report["findings"] if f["severity"] == "error"]
