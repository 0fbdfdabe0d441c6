"""Provider failures end a turn with one clear message, or are retried when transient."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from agent.events import Done, ErrorEvent, TextDelta, ToolCallFinished
from agent.model import NoModelConfigured
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.agent.conftest import collect

pytestmark = pytest.mark.usefixtures("route")  # every case on both routes


def _error(events: Sequence[object]) -> ErrorEvent:
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1, events
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "error"
    return errors[0]


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, "auth-failed"), (404, "unknown-model"), (400, "provider-error")],
)
async def test_permanent_errors_are_not_retried(
    runtime: Runtime, model: ScriptedModel, status: int, code: str
) -> None:
    model.script(Reply(status=status, error="scripted"))
    error = _error(await collect(runtime.chat("hi")))
    assert error.code == code and error.hint
    assert len(model.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_transient_errors_are_retried(
    runtime: Runtime, model: ScriptedModel, status: int
) -> None:
    model.script(Reply(status=status), "recovered")
    events = await collect(runtime.chat("hi"))
    assert isinstance(events[-1], Done) and events[-1].text == "recovered"
    assert len(model.requests) == 2


async def test_rate_limit_that_persists_gives_up_clearly(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(status=429), Reply(status=429), Reply(status=429))
    error = _error(await collect(runtime.chat("hi")))
    assert error.code == "rate-limited" and "retries" in error.message


async def test_slow_first_byte_times_out(model: ScriptedModel, workspace: Path) -> None:
    runtime = Runtime(workspace=workspace,
                      editor_settings={"requestTimeout": 0.5, "maxRetries": 0})
    model.script(Reply(text="late", first_byte_delay=2.0))
    error = _error(await collect(runtime.chat("hi")))
    assert error.code == "timeout"


async def test_stream_cut_midway_keeps_what_arrived(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(text="partial answer that never finishes", chunk_chars=4, cut_after=4))
    events = await collect(runtime.chat("hi"))
    error = _error(events)
    assert error.code == "stream-interrupted"
    arrived = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert arrived
    conversation = runtime.conversations.default(runtime.agent().id)
    last = runtime.conversations.messages(conversation.id)[-1]
    assert (last.role, last.status, last.body["content"]) == ("assistant", "error", arrived)
    assert len(model.requests) == 1, "a stream cut after text arrived is not retried"


async def test_bad_tool_json_and_unknown_tools_go_back_to_the_model(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(tool_calls=[ToolCall("memory", '{"command": "create", "path": '),
                                   ToolCall("launch_rockets", {"count": 3})]),
                 "Sorry, fixed.")
    events = await collect(runtime.chat("do things"))
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert [f.ok for f in finished] == [False, False]
    assert "not valid JSON" in finished[0].output
    assert "unknown tool 'launch_rockets'" in finished[1].output
    assert isinstance(events[-1], Done) and events[-1].stop_reason == "end_turn"
    tool_messages = [m for m in model.requests[-1]["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 2


async def test_a_failed_memory_edit_leaves_no_partial_write(
    runtime: Runtime, model: ScriptedModel
) -> None:
    root = runtime.memory(runtime.agent()).root
    before = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                            text=True).stdout
    model.script(Reply(tool_calls=[ToolCall("memory", {
        "command": "str_replace", "path": "system/human.md", "old_text": "not there",
        "new_text": "x", "reason": "bad edit"})]), "oops")
    events = await collect(runtime.chat("edit"))
    finished = next(e for e in events if isinstance(e, ToolCallFinished))
    assert not finished.ok and "0 matches" in finished.output
    after = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                           text=True).stdout
    assert before == after
    assert subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                          text=True).stdout == ""


async def test_step_limit_stops_a_tool_loop(model: ScriptedModel, workspace: Path) -> None:
    runtime = Runtime(workspace=workspace, editor_settings={"maxSteps": 3})
    model.responder = lambda request: Reply(tool_calls=[ToolCall("memory_view", {"path": "/"})])
    events = await collect(runtime.chat("loop"))
    assert isinstance(events[-1], Done) and events[-1].stop_reason == "max_steps"
    assert len(model.requests) == 3


async def test_missing_api_key_is_named(monkeypatch: pytest.MonkeyPatch,
                                        workspace: Path) -> None:
    monkeypatch.setenv("MEMFS_MODEL", "anthropic/claude-sonnet-4-5")
    monkeypatch.delenv("MEMFS_API_BASE", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    error = _error(await collect(Runtime(workspace=workspace).chat("hi")))
    assert error.code == "missing-key" and "ANTHROPIC_API_KEY" in error.message


async def test_no_model_configured_says_how_to_configure_one(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    monkeypatch.delenv("MEMFS_MODEL", raising=False)
    with pytest.raises(NoModelConfigured) as caught:
        await collect(Runtime(workspace=workspace).chat("hi"))
    assert "MEMFS_MODEL" in caught.value.hint and "settings.json" in caught.value.hint
