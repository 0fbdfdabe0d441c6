"""init, remember, doctor, sleeptime, reflect and reviewReflection over LSP."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.lsp.conftest import Recorder, command, request

Session = tuple[LanguageClient, Recorder]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout


async def test_sleeptime_get_set_and_validation(lsp: Session, workspace: Path) -> None:
    client, _ = lsp
    assert await command(client, "memfs.sleeptime", {}) == {
        "trigger": "compaction", "stepCount": 25, "merge": "auto"}
    updated = await command(client, "memfs.sleeptime", {"trigger": "step_count",
                                                        "stepCount": 10})
    assert updated["trigger"] == "step_count" and updated["stepCount"] == 10
    assert not (workspace / ".memfs").exists(), "kept in the data home, not the project"
    assert (await command(client, "memfs.sleeptime", {}))["stepCount"] == 10
    with pytest.raises(JsonRpcException) as caught:
        await command(client, "memfs.sleeptime", {"trigger": "hourly"})
    assert "trigger" in str(caught.value)


async def test_remember_and_doctor(lsp: Session, model: ScriptedModel) -> None:
    client, _ = lsp
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "notes/rule.md", "description": "Team rules",
        "content": "Squash merges only.\n", "reason": "team rule"})]),
        "Saved to notes/rule.md.")
    result = await command(client, "memfs.remember", {"text": "we squash merges"})
    assert result["files"] == ["notes/rule.md"] and result["commit"]
    assert result["commits"][0]["message"] == "remember: team rule"
    root = Path((await request(client, "memfs/tree", {}))["root"])
    (root / "notes" / "bad.md").write_text("no frontmatter\n")
    report = await command(client, "memfs.doctor", {})
    assert [f["code"] for f in report["findings"]] == ["invalid-frontmatter"]


async def test_reflect_reports_progress_and_outcome(lsp: Session, model: ScriptedModel
                                                   ) -> None:
    client, recorder = lsp
    model.script("hi", Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/learned.md", "description": "Learned",
        "content": "User says hi.\n", "reason": "greeting habit"})]), "Done.")
    await request(client, "memfs/chat", {"text": "hello"})
    started = await command(client, "memfs.reflect", {})
    assert started["started"] is True
    outcome = await recorder.wait_for("memfs/reflection")
    assert outcome["status"] == "merged" and outcome["files"] == ["system/learned.md"]
    changed = await recorder.wait_for("memfs/memoryChanged",
                                      lambda c: c["commit"] == outcome["commit"])
    assert changed["source"] == "reflection"
    window = client.capabilities.window if client.capabilities else None
    if window is not None and window.work_done_progress:
        reports: list[Any] = [r for rs in client.progress_reports.values() for r in rs]
        ends = [r for r in reports if isinstance(r, types.WorkDoneProgressEnd)]
        assert any("updated 1 memory file" in (e.message or "") for e in ends)
        begins = [r for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
        assert any("Reflecting on" in (b.message or "") for b in begins)
    assert (await command(client, "memfs.reviewReflection", {}))["pending"] is False


async def test_init_asks_depth_and_history(lsp: Session, model: ScriptedModel,
                                           workspace: Path) -> None:
    client, _ = lsp
    (workspace / "README.md").write_text("# Gadget\nGadgets for everyone.\n")
    client.answers += ["Quick", "No"]  # type: ignore[attr-defined]
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "create", "path": "system/gadget.md", "description": "Gadget essentials",
        "content": "Gadgets for everyone.\n", "reason": "project essentials"})]), "Done.")
    result = await command(client, "memfs.init", {})
    assert result["usedModel"] is True and result["files"] == ["system/gadget.md"]
    assert result["commits"][0]["message"] == "feat(init): project essentials"
    task = model.requests[-2]["messages"][1]["content"]
    assert "Gadgets for everyone" in task and "Past sessions" not in task
    tools = {t["function"]["name"] for t in model.requests[-2]["tools"]}
    assert "read_file" not in tools, "quick depth reads no extra files"


async def test_init_dismissed_is_cancelled(lsp: Session) -> None:
    client, _ = lsp
    assert await command(client, "memfs.init", {}) == {"cancelled": True}
