"""The embedded store (migrations, recall, crash safety) and settings precedence."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agent.db import Database, db_path
from agent.runtime import Runtime
from agent.settings import load
from memfs.errors import InvalidArgument
from testkit.model_server import Reply, ScriptedModel

MEMFS = str(Path(sys.executable).parent / "memfs")


def test_schema_is_versioned_and_wal(isolated_env: Path) -> None:
    db = Database(db_path())
    assert db.query("PRAGMA user_version")[0][0] >= 1
    assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    Database(db_path())  # reopening does not re-run migrations


def test_agents_and_conversations_lifecycle(isolated_env: Path) -> None:
    rt = Runtime()
    default = rt.agents.default()
    assert default.name == "Memory Agent"
    work = rt.agents.create("Work")
    rt.agents.pin(work.id)
    assert [a.id for a in rt.agents.all()][0] == work.id
    rt.agents.rename(work.id, "Work agent")
    rt.agents.set_model(work.id, "openai/gpt-5")
    assert rt.agents.get(work.id).model == "openai/gpt-5"
    main = rt.conversations.default(work.id)
    side = rt.conversations.new(work.id, "side")
    rt.conversations.add_message(side, {"role": "user", "content": "newest activity"})
    assert [c.id for c in rt.conversations.for_agent(work.id)] == [side.id, main.id]
    rt.conversations.rename(side.id, "renamed")
    with pytest.raises(InvalidArgument):
        rt.conversations.delete(main.id)
    rt.conversations.delete(side.id)
    saved = rt.agents.delete(work.id)
    assert Path(saved).is_file() and saved.endswith(".bundle")
    assert work.id not in [a.id for a in rt.agents.all()]
    assert not (isolated_env / "agents" / work.id).exists()


def test_settings_precedence_and_bad_values(workspace: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "memfs"
    config.mkdir(parents=True)
    (config / "settings.json").write_text(json.dumps(
        {"model": "global/model", "maxSteps": 7, "tokenBudget": 30000, "contextWindow": 5000}))
    (workspace / ".memfs").mkdir()
    (workspace / ".memfs" / "settings.json").write_text(json.dumps(
        {"model": "project/model", "maxSteps": 9, "requestTimeout": "soon"}))
    (workspace / ".memfs" / "settings.local.json").write_text(json.dumps(
        {"maxSteps": 11, "compactionThreshold": 5}))
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    report = load(workspace)
    s = report.settings
    assert (s.model, s.max_steps, s.token_budget, s.context_window) == (
        "project/model", 11, 30000, 5000)
    assert s.request_timeout == 120.0 and s.compaction_threshold == 0.8
    assert any("'requestTimeout'" in p for p in report.problems)
    assert any("'compactionThreshold'" in p for p in report.problems)
    monkeypatch.setenv("MEMFS_MODEL", "env/model")
    monkeypatch.setenv("MEMFS_CONTEXT_WINDOW", "64000")
    s = load(workspace).settings
    assert (s.model, s.context_window) == ("env/model", 64000)
    s = load(workspace, {"model": "editor/model", "maxSteps": "x"}).settings
    assert s.model == "editor/model" and s.max_steps == 11


def test_workspace_remembers_agent_and_conversation(model: ScriptedModel, workspace: Path
                                                    ) -> None:
    rt = Runtime(workspace=workspace)
    work = rt.agents.create("Work")
    conversation = rt.conversations.new(work.id, "feature x")
    rt.bind(work, conversation)
    again = Runtime(workspace=workspace)
    assert again.agent().id == work.id
    assert again.conversation(again.agent()).id == conversation.id
    assert (workspace / ".memfs" / ".gitignore").read_text().count("settings.local.json") == 1


def test_store_survives_sigkill_mid_turn(model: ScriptedModel, workspace: Path) -> None:
    model.script(Reply(text="streaming " * 300, chunk_chars=4, chunk_delay=0.01))
    env = {**os.environ, "MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url}
    proc = subprocess.Popen([MEMFS, "chat", "--workspace", str(workspace), "hello there"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    assert proc.stdout is not None
    first = proc.stdout.read(20)
    assert first.startswith(b"streaming")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db_path())
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    rt = Runtime(workspace=workspace)
    conversation = rt.conversation(rt.agent())
    roles = [m.role for m in rt.conversations.messages(conversation.id)]
    assert roles == ["user"]
    model.script("fine")
    done = subprocess.run([MEMFS, "chat", "--workspace", str(workspace), "again"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "fine"
    assert [m.role for m in rt.conversations.messages(conversation.id)] == [
        "user", "user", "assistant"]
