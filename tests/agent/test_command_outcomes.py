"""/remember and /init say what went wrong: a remember that changed nothing says why, init's
progress marks failed tool calls, and failed tool calls carry their reason."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agent.commands.init import init
from agent.commands.remember import RememberResult, remember
from agent.events import Done, ToolCallFinished
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel, ToolCall

MISSING_TEXT = ToolCall("memory", {
    "command": "str_replace", "path": "system/human.md", "old_text": "not there",
    "new_text": "Prefers tabs.", "reason": "learn: tabs"})


async def test_a_remember_whose_edit_fails_is_not_changed_and_says_why(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(tool_calls=[MISSING_TEXT]), "I could not save that.")
    outcome = RememberResult()
    async for event in remember(runtime, "I prefer tabs"):
        outcome.add(event)
    assert not outcome.changed and outcome.files == [] and outcome.commits == []
    assert outcome.reason.startswith("the memory edit failed: ")
    assert "0 matches" in outcome.reason


async def test_a_remember_without_an_edit_gives_the_agents_reply_as_the_reason(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script("That is already in memory.")
    outcome = RememberResult()
    async for event in remember(runtime, "I prefer tabs"):
        outcome.add(event)
    assert not outcome.changed
    assert outcome.reason == ("the agent made no memory edit; it replied: "
                              "That is already in memory.")


async def test_failed_tool_calls_carry_their_reason(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(tool_calls=[MISSING_TEXT, ToolCall("memory", '{"command": ')]), "oops")
    events = [event async for event in runtime.chat("edit")]
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    refusal, broken = finished
    assert not refusal.ok and refusal.error is not None and "0 matches" in refusal.error
    assert not refusal.error.startswith("error:")
    assert broken.error is not None and broken.error.startswith("the arguments were not valid")
    done = events[-1]
    assert isinstance(done, Done)
    assert [c["error"] for c in done.tool_calls] == [refusal.error, broken.error]
    ok = [e for e in await _view(runtime, model) if isinstance(e, ToolCallFinished)]
    assert ok[0].ok and ok[0].error is None


async def _view(runtime: Runtime, model: ScriptedModel) -> list[object]:
    model.script(Reply(tool_calls=[ToolCall("memory_view", {"path": "/"})]), "seen")
    return [event async for event in runtime.chat("look")]


async def test_init_progress_marks_a_failed_tool_call_with_its_reason(
    runtime: Runtime, model: ScriptedModel, workspace: Path
) -> None:
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    model.script(Reply(tool_calls=[MISSING_TEXT, ToolCall("memory", {
        "command": "create", "path": "system/project.md", "description": "Project",
        "content": "A project.\n", "reason": "record the project"})]), "Done.")
    notes: list[str] = []
    await init(runtime, "quick", history=False, progress=notes.append)
    failed = [n for n in notes if n.startswith("memory system/human.md")]
    assert len(failed) == 1 and " failed: " in failed[0] and "0 matches" in failed[0]
    assert "memory system/project.md" in notes
