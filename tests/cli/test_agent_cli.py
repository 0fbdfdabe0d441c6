"""``memfs agent``, ``memfs conversation`` and ``memfs chat`` as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from testkit.model_server import Reply, ScriptedModel, ToolCall

MEMFS = str(Path(sys.executable).parent / "memfs")


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEMFS, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def test_agents_and_conversations(tmp_path: Path) -> None:
    created = json.loads(run("agent", "create", "Work", "--json").stdout)
    assert created["name"] == "Work" and created["id"].startswith("agent-")
    listed = json.loads(run("agent", "list", "--json").stdout)
    assert {a["name"] for a in listed} == {"Memory Agent", "Work"}
    assert run("agent", "pin", created["id"]).returncode == 0
    assert json.loads(run("agent", "list", "--json").stdout)[0]["id"] == created["id"]
    assert "openai/gpt-5" in run("agent", "model", created["id"], "openai/gpt-5").stdout
    new = json.loads(run("--agent", created["id"], "conversation", "new", "--title", "spike",
                         "--json").stdout)
    titles = [c["title"] for c in json.loads(
        run("--agent", created["id"], "conversation", "list", "--json").stdout)]
    assert titles[0] == "spike" and "Main conversation" in titles
    assert run("conversation", "rename", new["id"], "renamed").returncode == 0
    deleted = run("agent", "delete", created["id"])
    assert deleted.returncode == 0 and "backed up" in deleted.stdout
    assert run("agent", "delete", "memory-agent").returncode == 1


def test_chat_one_shot_streams_and_edits_memory(tmp_path: Path) -> None:
    with ScriptedModel() as model:
        model.script(Reply(tool_calls=[ToolCall("memory", {
            "command": "create", "path": "notes/cli.md", "description": "CLI facts",
            "content": "Uses make.\n", "reason": "learn: build tool"})]), "Remembered.")
        env = {"MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url}
        done = run("chat", "--workspace", str(tmp_path), "we use make", env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "Remembered.\n"
        assert "memory" in done.stderr and "learn: build tool" in done.stderr
        assert "Uses make." in run("memory", "show", "notes/cli").stdout
        conversations = json.loads(run("conversation", "list", "--json",
                                       cwd=tmp_path).stdout)
        shown = run("conversation", "show", conversations[0]["id"]).stdout
        assert "user: we use make" in shown and "assistant:" in shown


def test_chat_without_a_model_says_how_to_configure_one() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MEMFS_MODEL", "MEMFS_API_BASE")}
    done = subprocess.run([MEMFS, "chat", "hello"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "no model is configured" in done.stderr
    assert "MEMFS_MODEL" in done.stderr
    assert run("memory", "status").returncode == 0, "everything else works without a model"
