"""No conversation can be left broken: tool calls stay paired with their results (cancelled,
interleaved or stored by an older version), and one turn at a time runs in a conversation."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from agent.conversations import NO_RESULT, ConversationBusy, StoredMessage
from agent.events import Done, Event, ToolCallStarted
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel, ToolCall, unpaired
from tests.agent.conftest import collect

REMEMBER_TABS = ToolCall("memory", {
    "command": "create", "path": "system/preferences.md", "description": "User preferences",
    "content": "Prefers tabs.\n", "reason": "learn: user prefers tabs"})


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a state another thread or process brings about (fails after ~30 s)."""
    for _ in range(1500):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the awaited state never came")


def stored(runtime: Runtime) -> list[StoredMessage]:
    conversation = runtime.conversations.default(runtime.agent().id)
    return runtime.conversations.messages(conversation.id)


def log(root: Path) -> list[str]:
    return subprocess.run(["git", "log", "--format=%s"], cwd=root, capture_output=True,
                          text=True, check=True).stdout.splitlines()


async def test_orphans_stored_earlier_are_repaired_for_a_strict_provider(
    runtime: Runtime, model: ScriptedModel
) -> None:
    """What two servers interleaving in one conversation used to leave behind: a call with no
    result, a result whose call is gone, and another window's message between a call and its
    result. A strict provider (OpenAI) refuses all three; the next turn must still work."""
    conversation = runtime.conversations.default(runtime.agent().id)

    def add(body: dict[str, object]) -> None:
        runtime.conversations.add_message(conversation, body)

    def call(call_id: str) -> dict[str, object]:
        return {"id": call_id, "type": "function",
                "function": {"name": "memory_view", "arguments": '{"path": "/"}'}}

    add({"role": "user", "content": "first"})
    add({"role": "assistant", "content": None, "tool_calls": [call("call_lost")]})
    add({"role": "user", "content": "from the other window"})
    add({"role": "tool", "tool_call_id": "call_gone", "content": "a result without its call"})
    add({"role": "assistant", "content": None, "tool_calls": [call("call_split")]})
    add({"role": "user", "content": "typed meanwhile"})
    add({"role": "tool", "tool_call_id": "call_split", "content": "the split result"})
    add({"role": "assistant", "content": "done"})
    model.strict = True
    model.script("Still here.")
    events = await collect(runtime.chat("are you there?"))
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "end_turn", events
    assert done.text == "Still here."
    sent = model.requests[-1]["messages"]
    assert unpaired(sent) is None
    roles = [(m["role"], m.get("tool_call_id") or m.get("content")) for m in sent[1:]]
    assert roles == [
        ("user", "first"), ("assistant", None), ("tool", "call_lost"),
        ("user", "from the other window"), ("assistant", None), ("tool", "call_split"),
        ("user", "typed meanwhile"), ("assistant", "done"), ("user", "are you there?")]
    assert sent[3]["content"] == NO_RESULT and "interrupted" in NO_RESULT


async def test_a_turn_cancelled_while_its_memory_edit_waits_tells_what_happened(
    runtime: Runtime, model: ScriptedModel
) -> None:
    """Cancel while the edit waits for the memory lock: the call has a result at once (so a
    process killed now leaves no orphan), and once the lock frees and the edit commits, the
    result says so. A strict provider accepts the next turn."""
    memory = runtime.memory(runtime.agent())
    model.script(Reply(tool_calls=[REMEMBER_TABS]))
    started = asyncio.Event()

    async def consume() -> None:
        async for event in runtime.chat("I prefer tabs."):
            if isinstance(event, ToolCallStarted):
                started.set()

    held = FileLock(str(memory.repo.git_dir / "memfs-write.flock"))
    held.acquire()
    try:
        task = asyncio.create_task(consume())
        await started.wait()
        call, result = stored(runtime)[-2:]
        assert call.body["tool_calls"][0]["id"] == result.body["tool_call_id"]
        assert (result.status, result.body["content"]) == ("interrupted", NO_RESULT)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        result = stored(runtime)[-1]
        assert result.status == "interrupted"
        assert "cancelled while this call was running" in result.body["content"]
        assert "learn: user prefers tabs" not in log(memory.root)
    finally:
        held.release()
    await until(lambda: "committed anyway" in stored(runtime)[-1].body["content"])
    assert "learn: user prefers tabs" in log(memory.root)
    model.strict = True
    model.script("Tabs it is.")
    events = await collect(runtime.chat("so?"))
    assert isinstance(events[-1], Done) and events[-1].stop_reason == "end_turn", events
    assert unpaired(model.requests[-1]["messages"]) is None


async def test_a_second_turn_in_a_busy_conversation_is_told_so(
    model: ScriptedModel, workspace: Path
) -> None:
    """Two runtimes on one data home (as two editor windows or servers): while one turn runs
    in the shared conversation, another is refused with a clear error instead of
    interleaving; once the first ends, the second gets its turn."""
    first, second = Runtime(workspace=workspace), Runtime(workspace=workspace)
    release = threading.Event()
    model.script(Reply(text="first answer", gate=release), "second answer")
    conversation = first.conversations.default(first.agent().id)

    async def run_first() -> list[Event]:
        return await collect(first.chat("first question", conversation_id=conversation.id))

    task = asyncio.create_task(run_first())
    await asyncio.to_thread(model.wait_for_requests, 1)
    with pytest.raises(ConversationBusy) as refused:
        await collect(second.chat("second question", conversation_id=conversation.id))
    assert "busy" in refused.value.message and "new conversation" in refused.value.hint
    release.set()
    events = await task
    assert isinstance(events[-1], Done) and events[-1].text == "first answer"
    events = await collect(second.chat("second question", conversation_id=conversation.id))
    assert isinstance(events[-1], Done) and events[-1].text == "second answer"
    texts = [m.body["content"] for m in second.conversations.messages(conversation.id)]
    assert texts == ["first question", "first answer", "second question", "second answer"]
