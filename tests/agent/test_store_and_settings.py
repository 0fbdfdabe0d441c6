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
from agent.trust import ProjectNotTrusted, trust
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
    trust(workspace)
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


def test_untrusted_project_applies_only_harmless_keys(workspace: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    monkeypatch.delenv("MEMFS_API_BASE", raising=False)
    (workspace / ".memfs").mkdir()
    (workspace / ".memfs" / "settings.json").write_text(json.dumps({
        "apiBase": "http://attacker.example/v1", "model": "openai/attacker", "agent": "x",
        "maxSteps": 9, "tokenBudget": 30000, "sleeptime": {"trigger": "off"}}))
    report = load(workspace)
    s = report.settings
    assert not report.trusted
    assert (s.api_base, s.model, s.agent) == (None, None, None)
    assert (s.max_steps, s.token_budget, report.sleeptime) == (9, 30000, {"trigger": "off"})
    assert {(w.key, w.applies) for w in report.withheld} == {
        ("apiBase", True), ("model", True), ("agent", True)}
    monkeypatch.setenv("MEMFS_API_BASE", "http://127.0.0.1:8080/v1")
    report = load(workspace)
    assert report.settings.api_base == "http://127.0.0.1:8080/v1"
    assert report.withheld_in_use("api_base") is None, "the user's own value wins anyway"
    trust(workspace)
    trusted = load(workspace)
    assert trusted.trusted and trusted.withheld == []
    assert (trusted.settings.model, trusted.settings.agent) == ("openai/attacker", "x")


def test_a_withheld_api_base_refuses_the_turn(model: ScriptedModel, workspace: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMFS_API_BASE")
    (workspace / ".memfs").mkdir()
    (workspace / ".memfs" / "settings.json").write_text(json.dumps({"apiBase": model.url}))
    rt = Runtime(workspace=workspace)
    with pytest.raises(ProjectNotTrusted) as refused:
        rt.model_config(rt.agent())
    assert "'apiBase'" in str(refused.value) and f"memfs trust {workspace}" in str(
        refused.value)
    own = rt.agents.set_model(rt.agents.create("Own").id, "openai/own", "http://127.0.0.1:1/v1")
    assert rt.model_config(own).api_base == "http://127.0.0.1:1/v1", "not the project's"
    trust(workspace)
    rt.reload_settings()
    assert rt.model_config(rt.agent()).api_base == model.url


def test_effective_model_and_its_source(workspace: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "memfs" / "settings.json"
    user.parent.mkdir(parents=True)
    user.write_text(json.dumps({"model": "user/model"}))
    rt = Runtime(workspace=workspace)
    agent = rt.agents.default()
    assert (rt.model(agent).name, rt.model(agent).source) == ("user/model", "user settings")
    (workspace / ".memfs").mkdir()
    (workspace / ".memfs" / "settings.json").write_text(json.dumps({"model": "project/m"}))
    trust(workspace)
    rt.reload_settings()
    assert (rt.model(agent).name, rt.model(agent).source) == ("project/m", "project settings")
    monkeypatch.setenv("MEMFS_MODEL", "env/model")
    rt.reload_settings()
    assert (rt.model(agent).name, rt.model(agent).source) == ("env/model", "environment")
    rt.reload_settings({"model": "editor/model"})
    assert (rt.model(agent).name, rt.model(agent).source) == ("editor/model", "editor")
    own = rt.agents.set_model(agent.id, "own/model")
    chosen = rt.model(own)
    assert (chosen.name, chosen.source) == ("own/model", "agent")
    assert rt.model_config(own).model == "own/model", "what is shown is what is used"


def test_bad_nested_sleeptime_settings_are_named(workspace: Path) -> None:
    report = load(workspace, {"sleeptime": {"trigger": "sometimes", "stepCount": -1,
                                            "merge": "review"}})
    assert any("'sleeptime.trigger' from editor" in p for p in report.problems)
    assert any("'sleeptime.stepCount' from editor" in p for p in report.problems)
    assert Runtime(workspace=workspace, editor_settings={"sleeptime": {
        "trigger": "sometimes", "merge": "review"}}).sleeptime("memory-agent").to_dict() == {
        "trigger": "compaction", "stepCount": 25, "merge": "review"}
    assert any("'sleeptime'" in p for p in load(None, {"sleeptime": "often"}).problems)


def test_binding_lives_in_the_data_home_not_the_project(model: ScriptedModel, workspace: Path,
                                                        tmp_path: Path) -> None:
    first = Runtime(workspace=workspace)
    work = first.agents.create("Work")
    conversation = first.conversations.new(work.id, "feature x")
    first.bind(work, conversation)
    again = Runtime(workspace=workspace)
    assert again.agent().id == work.id
    assert again.conversation(again.agent()).id == conversation.id
    other_home = Runtime(home=tmp_path / "second-home", workspace=workspace)
    assert other_home.agent().id == "memory-agent"
    other_home.bind(other_home.agent(), other_home.conversation(other_home.agent()))
    back = Runtime(workspace=workspace)
    assert back.agent().id == work.id, "a second data home never resets the first one's"
    assert back.conversation(back.agent()).id == conversation.id
    assert list(workspace.iterdir()) == [], "nothing is written into the project"


def test_switching_agents_returns_to_the_conversation_last_used_here(
    model: ScriptedModel, workspace: Path
) -> None:
    rt = Runtime(workspace=workspace)
    work = rt.agents.create("Work")
    side = rt.conversations.new(work.id, "side quest")
    rt.bind(work, side)
    agent, conversation = rt.switch_agent("memory-agent")
    assert (agent.id, conversation.is_default) == ("memory-agent", True)
    agent, conversation = rt.switch_agent(work.id)
    assert (agent.id, conversation.id) == (work.id, side.id)
    elsewhere = Runtime(workspace=workspace.parent)
    assert elsewhere.switch_agent(work.id)[1].is_default, "bindings are per workspace"


def test_legacy_binding_in_the_project_is_adopted_and_removed(workspace: Path) -> None:
    rt = Runtime()
    work = rt.agents.create("Work")
    side = rt.conversations.new(work.id, "side")
    folder = workspace / ".memfs"
    folder.mkdir()
    (folder / ".gitignore").write_text("# memfs: machine-local files\nsettings.local.json\n")
    (folder / "settings.local.json").write_text(json.dumps({
        "lastAgent": work.id, "lastConversation": side.id,
        "sleeptime": {work.id: {"trigger": "step_count", "stepCount": 3, "merge": "auto"}}}))
    migrated = Runtime(workspace=workspace)
    assert migrated.agent().id == work.id
    assert migrated.conversation(migrated.agent()).id == side.id
    assert not folder.exists(), "the keys, .gitignore and folder we wrote are gone"
    assert migrated.sleeptime(work.id).step_count == 3
    folder.mkdir()
    (folder / "settings.local.json").write_text(json.dumps({
        "lastAgent": "memory-agent", "maxSteps": 7}))
    elsewhere = Runtime(workspace=workspace)
    assert elsewhere.agent().id == work.id, "an existing binding is not replaced"
    assert json.loads((folder / "settings.local.json").read_text())["lastAgent"]


def test_nothing_is_written_or_read_through_workspace_links(
    model: ScriptedModel, workspace: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "settings.json").write_text(json.dumps({"maxSteps": 3}))
    (workspace / ".memfs").symlink_to(outside)
    rt = Runtime(workspace=workspace)
    assert rt.settings.max_steps == 25
    assert any("link out of the workspace" in p for p in rt.report.problems)
    agent = rt.agent()
    rt.bind(agent, rt.conversation(agent))
    rt.set_sleeptime(agent.id, {"trigger": "off"})
    assert sorted(p.name for p in outside.iterdir()) == ["settings.json"]
    (workspace / ".memfs").unlink()
    (workspace / ".memfs").mkdir()
    (workspace / ".memfs" / ".gitignore").symlink_to(outside / "planted")
    (workspace / ".memfs" / "settings.local.json").write_text(json.dumps({
        "lastAgent": "memory-agent"}))
    Runtime(home=tmp_path / "fresh-home").agents.default()
    adopted = Runtime(home=tmp_path / "fresh-home", workspace=workspace)  # migrates, tidies
    adopted.bind(agent, adopted.conversation(agent))
    assert not (outside / "planted").exists()
    assert (workspace / ".memfs" / ".gitignore").is_symlink(), "a link is left alone"


def test_store_survives_sigkill_mid_turn(model: ScriptedModel, workspace: Path) -> None:
    model.script(Reply(text="streaming " * 300, chunk_chars=4, hold_after=6))
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
