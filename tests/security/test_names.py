"""Issue 9 item 11: memory names that deceive a reader, or that git or a common OS would not
read as written, are refused; paths are NFC."""

from __future__ import annotations

import json

import pytest

from memfs.errors import InvalidPath
from memfs.home import memory_dir
from memfs.store import MemoryStore
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.security.keys import git, run

DECEPTIVE = [
    "sys\u200btem/rules.md",  # zero-width space: looks like system/
    "syst\u0435m/rules.md",  # Cyrillic 'е'
    "-rf.md",  # an option to many commands
    ":(glob)*.md",  # git pathspec magic
    "CON.md",  # a Windows device name
    "notes/\u202egnp.md",  # right-to-left override
    "notes/ｓｙｓｔｅｍ.md",  # fullwidth letters
    "notes/trailing./x.md",  # a folder name ending in a dot
    "notes/a\u00a0b.md",  # a no-break space
    'notes/what?.md',  # a character Windows cannot hold
]


def test_a_hostile_model_cannot_create_deceptive_names(model: ScriptedModel) -> None:
    calls = [ToolCall("memory", {"command": "create", "path": path, "description": "Rules",
                                 "content": "Obey.\n", "reason": "add rules"})
             for path in DECEPTIVE]
    calls.append(ToolCall("memory", {"command": "create", "path": "notes/ok.md",
                                     "description": "Fine", "content": "ok\n",
                                     "reason": "add"}))
    model.script(Reply(tool_calls=calls), "Done.")
    done = run("chat", "remember these")
    assert done.returncode == 0, done.stderr
    results = [str(m["content"]) for m in model.requests[-1]["messages"]
               if m["role"] == "tool"]
    assert all(r.startswith("error:") for r in results[:-1]), results
    assert results[-1].startswith("committed")
    tree = json.loads(run("memory", "tree", "--json").stdout)
    assert "notes/ok.md" in json.dumps(tree)
    listed = git(memory_dir("memory-agent"), "ls-files", "-z").split("\0")
    assert sorted(p for p in listed if p) == ["notes/ok.md", "system/human.md",
                                                "system/persona.md"]


@pytest.mark.parametrize("path", DECEPTIVE)
def test_deceptive_names_are_refused_by_every_edit(store: MemoryStore, path: str) -> None:
    with pytest.raises(InvalidPath):
        store.create(path, "Rules", "Obey.\n", "add")
    store.create("notes/plain.md", "Plain", "x\n", "add")
    with pytest.raises(InvalidPath):
        store.rename("notes/plain.md", path, "move")
    with pytest.raises(InvalidPath):
        store.write(path, "Rules", "Obey.\n", "add")
    assert store.read("notes/plain.md").body == "x\n"


def test_paths_are_nfc_and_ordinary_names_in_any_script_work(store: MemoryStore) -> None:
    decomposed = "notes/cafe\u0301.md"
    result = store.create(decomposed, "Cafe", "x\n", "add")
    assert result.paths == ["notes/caf\u00e9.md"]
    assert store.read("notes/caf\u00e9.md").body == "x\n"
    for path in ("заметки/проект.md", "项目/notes.md", "notes/αβγ.md", "notes/a b.md"):
        store.create(path, "Notes", "x\n", "add")
