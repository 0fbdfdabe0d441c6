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


def test_accept_or_reject_with_nothing_pending_says_so_and_exits_1() -> None:
    for decision in ("--accept", "--reject"):
        done = run("review-reflection", decision)
        assert done.returncode == 1, done.stdout
        assert done.stderr.count("\n") == 1 and "no reflection is waiting" in done.stderr
        assert "dropped" not in done.stdout + done.stderr
    assert run("review-reflection").returncode == 0, "showing nothing is not a failure"


def test_the_model_in_use_and_its_source_are_shown_everywhere(tmp_path: Path) -> None:
    with ScriptedModel() as model:
        model.script("from env model", "from own model")
        env = {"MEMFS_MODEL": "openai/env-model", "MEMFS_API_BASE": model.url}
        ws = ["--workspace", str(tmp_path)]
        shown = run("agent", "model", "memory-agent", env=env).stdout
        assert "in use here: openai/env-model (from environment)" in shown
        assert run("chat", *ws, "one", env=env).returncode == 0
        assert model.requests[-1]["model"] == "env-model"
        shown = run("agent", "model", "memory-agent", "openai/own-model", env=env).stdout
        assert "in use here: openai/own-model (from agent)" in shown
        assert "wins over the model setting openai/env-model from environment" in shown
        listed = run("agent", "list", env=env).stdout
        assert "openai/own-model (from agent)" in listed
        status = json.loads(run("status", *ws, "--json", env=env).stdout)
        assert (status["model"]["name"], status["model"]["source"]) == (
            "openai/own-model", "agent")
        assert "model:        openai/own-model (from agent)" in run("status", *ws, env=env).stdout
        assert run("chat", *ws, "two", env=env).returncode == 0
        assert model.requests[-1]["model"] == "own-model", "what is shown is what is used"


def test_a_bad_nested_setting_is_named(tmp_path: Path) -> None:
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "memfs" / "settings.json"
    user.parent.mkdir(parents=True)
    user.write_text(json.dumps({"sleeptime": {"trigger": "sometimes"}}))
    done = run("sleeptime", "--workspace", str(tmp_path))
    assert done.returncode == 0 and "trigger: compaction" in done.stdout
    assert "'sleeptime.trigger'" in done.stderr and "sometimes" not in done.stdout


def test_conversation_list_marks_the_current_one(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=ws, check=True)
    side = json.loads(run("conversation", "new", "--title", "side", "--json", cwd=ws).stdout)
    listed = json.loads(run("conversation", "list", "--json", cwd=ws).stdout)
    assert [c["id"] for c in listed if c["is_current"]] == [side["id"]]
    lines = run("conversation", "list", cwd=ws).stdout.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("*")] == [side["id"]]
    elsewhere = json.loads(run("conversation", "list", "--json", cwd=tmp_path).stdout)
    assert [c["title"] for c in elsewhere if c["is_current"]] == ["Main conversation"]
