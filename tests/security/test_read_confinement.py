"""Issue 9 item 2: every read on the user's behalf (init's gathering, read_file, list_files,
search_files, history import) stays inside the workspace (or the transcript folders),
whichever path component is a symbolic link."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pytest_lsp import LanguageClient

from agent.importers import load_history
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.lsp.conftest import Recorder, request
from tests.security.keys import git, run

SSH_MARKER = "OUTSIDE-SSH-KEY-MARKER"
RULES_MARKER = "OUTSIDE-RULES-MARKER"
ETC_MARKER = "OUTSIDE-ETC-MARKER"
MAKE_MARKER = "outside-make-target"


def outside(tmp_path: Path) -> Path:
    """Files outside the workspace that links will point at."""
    home = tmp_path / "elsewhere"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(f"{SSH_MARKER}\n")
    (home / "rules").mkdir()
    (home / "rules" / "style.md").write_text(f"{RULES_MARKER}\n")
    (home / "etc").mkdir()
    (home / "etc" / "passwd").write_text(f"root:x:0:0:{ETC_MARKER}:/root:/bin/sh\n")
    (home / "Makefile").write_text(f"{MAKE_MARKER}:\n\techo hi\n")
    return home


def hostile_workspace(workspace: Path, elsewhere: Path) -> None:
    """AGENTS.md, a rules folder, another rules folder and the Makefile link outside."""
    (workspace / "README.md").write_text("# Widget\nA widget.\n")
    os.symlink(elsewhere / ".ssh" / "id_rsa", workspace / "AGENTS.md")
    (workspace / ".claude").mkdir()
    os.symlink(elsewhere / "rules", workspace / ".claude" / "rules")
    (workspace / ".cursor").mkdir()
    os.symlink("/etc", workspace / ".cursor" / "rules")
    os.symlink(elsewhere / "Makefile", workspace / "Makefile")
    git(workspace, "init", "-q", "-b", "main")


def test_init_follows_no_link_out_of_the_workspace(model: ScriptedModel, workspace: Path,
                                                   tmp_path: Path) -> None:
    hostile_workspace(workspace, outside(tmp_path))
    model.script("Done.")
    done = run("init", "--workspace", str(workspace), "--depth", "standard", "--no-history")
    assert done.returncode == 0, done.stderr
    sent = json.dumps(model.requests)
    assert "A widget." in sent
    for marker in (SSH_MARKER, RULES_MARKER, MAKE_MARKER, "root:x:0:0"):
        assert marker not in sent, marker


def test_init_without_a_model_writes_nothing_a_link_leads_to(
    workspace: Path, tmp_path: Path
) -> None:
    hostile_workspace(workspace, outside(tmp_path))
    env = {k: v for k, v in os.environ.items() if k not in ("MEMFS_MODEL", "MEMFS_API_BASE")}
    done = run("init", "--workspace", str(workspace), "--no-history", env=env)
    assert done.returncode == 0, done.stderr
    # the workspace folder is named "project", and project/ names the project memory tier
    written = run("memory", "show", "project-notes/overview").stdout
    assert "A widget." in written
    for marker in (SSH_MARKER, RULES_MARKER, "root:x:0:0"):
        assert marker not in written, marker


def tool_results(model: ScriptedModel) -> list[str]:
    """The tool results the agent sent back to the model, in order."""
    return [str(m["content"]) for m in model.requests[-1]["messages"] if m["role"] == "tool"]


async def test_workspace_tools_do_not_read_through_a_linked_folder(
    lsp: tuple[LanguageClient, Recorder], model: ScriptedModel, workspace: Path,
    tmp_path: Path
) -> None:
    client, _ = lsp
    elsewhere = outside(tmp_path)
    (workspace / "d").mkdir()
    (workspace / "d" / "passwd").write_text("nothing here\n")
    (workspace / "ok.txt").write_text("root of the project\n")
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "init")
    (workspace / "d" / "passwd").unlink()
    (workspace / "d").rmdir()
    os.symlink(elsewhere / "etc", workspace / "d")  # git still tracks d/passwd
    calls: list[tuple[str, dict[str, Any]]] = [
        ("search_files", {"query": "root"}),
        ("search_files", {"query": "root", "path": "d"}),
        ("read_file", {"path": "d/passwd"}),
        ("list_files", {"path": ""}),
        ("list_files", {"path": "d"}),
    ]
    model.script(Reply(tool_calls=[ToolCall(name, args) for name, args in calls]), "Done.")
    result = await request(client, "memfs/chat", {"text": "look around",
                                                  "workspaceUri": workspace.as_uri()})
    assert result["text"] == "Done."
    results = tool_results(model)
    assert len(results) == len(calls)
    assert all(ETC_MARKER not in r for r in results), results
    assert "ok.txt:1: root of the project" in results[0]
    assert "d/passwd" not in results[3]
    for refused in (results[1], results[2], results[4]):
        assert "outside" in refused and "link" in refused


def claude_session(path: Path, cwd: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "type": "user", "cwd": str(cwd), "sessionId": path.stem,
        "timestamp": "2026-01-01T00:00:00Z", "message": {"role": "user", "content": text}})
        + "\n")


def test_history_import_reads_only_inside_the_transcript_folders(
    workspace: Path, tmp_path: Path
) -> None:
    claude = tmp_path / "claude"
    claude_session(claude / "projects" / "p" / "own.jsonl", workspace, "my own prompt")
    foreign = tmp_path / "foreign"
    claude_session(foreign / "projects" / "q" / "linked.jsonl", workspace, "FOREIGN-FILE")
    claude_session(foreign / "folder" / "inner.jsonl", workspace, "FOREIGN-FOLDER")
    os.symlink(foreign / "projects" / "q" / "linked.jsonl",
               claude / "projects" / "p" / "linked.jsonl")
    os.symlink(foreign / "folder", claude / "projects" / "linked-folder")
    found = load_history(workspace, 10_000, ("claude-code",), claude_dir=claude)
    texts = [step.text for t in found for step in t.steps]
    assert texts == ["my own prompt"]


def test_init_runs_no_filter_an_untrusted_repository_configures(
    model: ScriptedModel, workspace: Path, tmp_path: Path
) -> None:
    ran = tmp_path / "filter-ran"
    (workspace / ".gitattributes").write_text("*.txt filter=evil\n")
    (workspace / "notes.txt").write_text("one\n")
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", "-A")
    git(workspace, "commit", "-qm", "start")
    # what an archive shipped with its .git could hold: a filter that runs a command
    git(workspace, "config", "filter.evil.clean", f"touch {ran}; cat")
    (workspace / "notes.txt").write_text("two\n")
    model.script("Done.")
    done = run("init", "--workspace", str(workspace), "--depth", "quick", "--no-history")
    assert done.returncode == 0, done.stderr
    assert not ran.exists()
    assert "start" in json.dumps(model.requests)  # the history was still read
