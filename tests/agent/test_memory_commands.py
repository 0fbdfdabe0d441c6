"""remember, doctor, sleeptime and init through the runtime (model = the scripted server)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from agent.commands.doctor import doctor
from agent.commands.init import init
from agent.commands.remember import remember
from agent.events import Done, MemoryCommit
from agent.runtime import Runtime
from memfs.errors import InvalidArgument
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.agent.conftest import collect


def _log(root: Path) -> list[str]:
    return subprocess.run(["git", "log", "--format=%s"], cwd=root, capture_output=True,
                          text=True).stdout.splitlines()


async def test_remember_with_text_makes_one_prefixed_commit(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "str_replace", "path": "system/human.md",
        "old_text": "Nothing recorded about the user yet.", "new_text": "Never uses emojis.",
        "reason": "user dislikes emojis"})]), "Saved to system/human.md.")
    events = await collect(remember(runtime, "never use emojis"))
    commit = next(e for e in events if isinstance(e, MemoryCommit))
    assert commit.message == "remember: user dislikes emojis"
    assert isinstance(events[-1], Done) and "system/human.md" in events[-1].text
    sent = model.requests[0]["messages"][-1]["content"]
    assert sent.startswith("/remember never use emojis") and "exactly one memory edit" in sent


async def test_remember_without_text_infers_from_the_conversation(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script("ok", "Nothing new to remember.")
    await collect(runtime.chat("we deploy on fridays"))
    await collect(remember(runtime, None))
    sent = model.requests[-1]["messages"]
    assert "Infer the most important" in sent[-1]["content"]
    assert any(m.get("content") == "we deploy on fridays" for m in sent)


async def test_doctor_reports_without_a_model(monkeypatch: pytest.MonkeyPatch,
                                              workspace: Path) -> None:
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    runtime = Runtime(workspace=workspace)
    store = runtime.memory(runtime.agent())
    (store.root / "notes.md").write_text("---\ndescription: ''\n---\nx\n")
    report = await doctor(runtime)
    assert [f.code for f in report.findings] == ["missing-description"]
    assert report.system_tokens_before == report.system_tokens_after > 0


async def test_doctor_fix_commits_and_reports_tokens(runtime: Runtime,
                                                     model: ScriptedModel) -> None:
    store = runtime.memory(runtime.agent())
    store.create("system/big.md", "Big notes", "detail line\n" * 400, "add big")
    store.create("dup.md", "Duplicate", "same\n", "add dup")
    model.script(Reply(tool_calls=[
        ToolCall("memory", {"command": "rename", "path": "system/big.md",
                            "new_path": "reference/big.md", "reason": "move detail out"}),
        ToolCall("memory", {"command": "delete", "path": "dup.md", "reason": "retire dup"}),
    ]), "Moved big notes out of system/.")
    report = await doctor(runtime, fix=True)
    assert [c["message"] for c in report.commits] == ["fix(doctor): move detail out",
                                                      "fix(doctor): retire dup"]
    assert store.read("archive/dup.md").body == "same\n", "doctor never loses content"
    assert report.system_tokens_after < report.system_tokens_before
    assert "Moved big notes" in report.summary
    assert "Lint findings" in model.requests[0]["messages"][1]["content"]


def test_sleeptime_per_agent_in_the_data_home_over_file_defaults(workspace: Path) -> None:
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "memfs" / "settings.json"
    user.parent.mkdir(parents=True)
    user.write_text(json.dumps({"sleeptime": {"stepCount": 40}}))
    runtime = Runtime(workspace=workspace)
    assert runtime.sleeptime("memory-agent").to_dict() == {
        "trigger": "compaction", "stepCount": 40, "merge": "auto"}
    runtime.set_sleeptime("memory-agent", {"trigger": "step_count", "merge": "review"})
    again = Runtime(workspace=workspace)
    assert again.sleeptime("memory-agent").to_dict() == {
        "trigger": "step_count", "stepCount": 40, "merge": "review"}
    assert again.sleeptime(again.agents.create("Other").id).trigger == "compaction"
    with pytest.raises(InvalidArgument, match="trigger"):
        again.set_sleeptime("memory-agent", {"trigger": "hourly"})
    editor = Runtime(workspace=workspace, editor_settings={"sleeptime": {"trigger": "off"}})
    assert editor.sleeptime("memory-agent").trigger == "off"
    assert editor.sleeptime("memory-agent").merge == "review"
    assert list(workspace.iterdir()) == [], "nothing is written into the project"


def _project(workspace: Path) -> None:
    (workspace / "README.md").write_text("# Widget\nA widget factory. Run `make test`.\n")
    (workspace / "Makefile").write_text("test:\n\tpytest\nrun:\n\tpython -m widget\n")
    (workspace / "pyproject.toml").write_text('[project]\nname = "widget"\n')
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    subprocess.run(["git", "add", "-A"], cwd=workspace, check=True)
    subprocess.run(["git", "-c", "user.name=Ada Lovelace", "-c", "user.email=ada@example.com",
                    "commit", "-qm", "first widget"], cwd=workspace, check=True)


async def test_init_without_a_model_writes_honest_reference_files(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    _project(workspace)
    runtime = Runtime(workspace=workspace)
    report = await init(runtime, "quick", history=False)
    assert not report.used_model and "configure a model" in report.message
    store = runtime.memory(runtime.agent())
    # the workspace folder is named "project", and project/ names the project memory tier
    assert "make test" in store.read_text("project-notes/commands.md")
    assert "Ada Lovelace" in store.read_text("project-notes/contributors.md")
    assert "A widget factory" in store.read_text("project-notes/overview.md")
    assert all(m.startswith("feat(init):") for m in _log(store.root)[:3])
    again = await init(runtime, "quick", history=False)
    assert again.files == [], "re-running updates instead of duplicating"


async def test_init_with_a_model_feeds_project_facts_and_prefixes_commits(
    runtime: Runtime, model: ScriptedModel, workspace: Path
) -> None:
    _project(workspace)
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/project.md", "description": "Widget essentials",
        "content": "Widget: a widget factory. Test with make test.\n",
        "reason": "record project essentials"})]), "Wrote system/project.md.")
    report = await init(runtime, "standard", history=False)
    assert report.used_model and report.files == ["system/project.md"]
    assert report.commits[0]["message"] == "feat(init): record project essentials"
    task = model.requests[0]["messages"][1]["content"]
    assert "A widget factory" in task and "make test" in task and "Ada Lovelace" in task
    tools = {t["function"]["name"] for t in model.requests[0]["tools"]}
    assert tools == {"memory", "memory_view", "memory_search", "read_file", "list_files",
                     "search_files"}


async def test_init_reads_past_sessions_redacted(monkeypatch: pytest.MonkeyPatch,
                                                 workspace: Path) -> None:
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    sessions = Path.home() / ".claude" / "projects" / "some-folder-name"
    sessions.mkdir(parents=True)
    records = [
        {"type": "user", "sessionId": "s1", "cwd": str(workspace), "uuid": "u1",
         "timestamp": "2026-01-01T10:00:00Z",
         "message": {"role": "user", "content": "deploy with key AKIAIOSFODNN7EXAMPLE please"}},
        {"type": "assistant", "sessionId": "s1", "cwd": str(workspace), "uuid": "a1",
         "timestamp": "2026-01-01T10:00:05Z",
         "message": {"id": "m1", "role": "assistant",
                     "content": [{"type": "text", "text": "Deployed with make deploy."}]}},
    ]
    (sessions / "s1.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n")
    runtime = Runtime(workspace=workspace)
    report = await init(runtime, "quick", history=True)
    assert report.sessions == 1
    digest = runtime.memory(runtime.agent()).read_text("project-notes/past-sessions.md")
    assert "Deployed with make deploy." in digest and "[REDACTED:" in digest
    assert "AKIAIOSFODNN7EXAMPLE" not in digest
