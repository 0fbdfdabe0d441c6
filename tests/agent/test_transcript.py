"""The transcript as the user saw it (agent/transcript.py), built from real turns through the
scripted model, and paged over a large conversation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator

import pytest

from agent import transcript
from agent.commands.remember import remember
from agent.conversations import Conversation
from agent.events import TextDelta
from agent.runtime import Runtime
from agent.transcript import Item
from bench.messages import Words, chat_bodies, insert_messages
from memfs.errors import InvalidArgument
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.agent.conftest import collect

CREATE = ToolCall("memory", {
    "command": "create", "path": "system/preferences.md", "description": "User preferences",
    "content": "Prefers tabs.\n", "reason": "learn: user prefers tabs"})
BAD_EDIT = ToolCall("memory", {
    "command": "str_replace", "path": "system/missing.md", "old_text": "a", "new_text": "b",
    "reason": "fix a thing"})


def current(runtime: Runtime) -> Conversation:
    return runtime.conversation(runtime.agent())


def items(runtime: Runtime, limit: int = 50) -> list[Item]:
    return transcript.page(runtime.db, current(runtime), limit=limit).items


def shape(found: list[Item]) -> list[tuple[str, str | None]]:
    return [(i.kind, i.status) for i in found]


async def test_a_turn_shows_text_tool_calls_with_reasons_and_commits(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(text="Let me note that.", tool_calls=[CREATE, BAD_EDIT]),
                 "Noted: tabs.")
    await collect(runtime.chat("I prefer tabs."))
    found = items(runtime)
    assert shape(found) == [("user", "complete"), ("agent", "complete"),
                            ("toolCall", "complete"), ("memoryCommit", "complete"),
                            ("toolCall", "error"), ("agent", "complete")]
    user, said, created, commit, failed, reply = found
    assert user.text == "I prefer tabs." and said.text == "Let me note that."
    assert reply.text == "Noted: tabs." and {i.source for i in found} == {"chat"}
    assert created.tool_call is not None and created.tool_call.ok
    assert created.tool_call.name == "memory"
    assert created.tool_call.arguments["path"] == "system/preferences.md"
    sha = runtime.memory(runtime.agent()).repo.head()
    assert commit.commit is not None
    assert (commit.commit.sha, commit.commit.paths, commit.commit.message) == (
        sha, ["system/preferences.md"], "learn: user prefers tabs")
    assert failed.tool_call is not None and not failed.tool_call.ok
    assert failed.tool_call.error and "system/missing.md" in failed.tool_call.error
    assert len({i.id for i in found}) == len(found)
    assert all(i.time.endswith("Z") for i in found)
    model.script("ok")
    await collect(runtime.chat("next"))
    sent = model.requests[-1]["messages"]
    tool_results = [m for m in sent if m["role"] == "tool"]
    assert tool_results and all(set(m) == {"role", "tool_call_id", "content"}
                                for m in tool_results), "facts for clients stay off the wire"


async def _cancel(task: asyncio.Task[object]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_errors_interruptions_and_compaction_are_items(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(status=401, error="bad key"))
    await collect(runtime.chat("hello"))

    model.script(Reply(text="word " * 400, chunk_chars=5, chunk_delay=0.02))
    talking = asyncio.Event()

    async def consume() -> None:
        async for event in runtime.chat("talk a lot"):
            if isinstance(event, TextDelta):
                talking.set()

    task = asyncio.create_task(consume())
    await talking.wait()
    await _cancel(task)

    gate = threading.Event()  # the model never answers this one: stopped before any text
    model.script(Reply(text="never seen", gate=gate))
    silent = asyncio.create_task(collect(runtime.chat("stop at once")))
    await asyncio.to_thread(model.wait_for_requests, 3)
    await _cancel(silent)
    gate.set()

    model.summary = "SUMMARY"
    assert await runtime.compact() is not None
    found = items(runtime)
    assert shape(found) == [
        ("user", "complete"), ("error", "error"),
        ("user", "complete"), ("agent", "interrupted"),
        ("user", "complete"), ("agent", "interrupted"),
        ("compaction", "complete")]
    error = found[1]
    assert error.code == "auth-failed" and error.hint and "bad key" in (error.text or "")
    assert (found[3].text or "").startswith("word")
    assert found[5].text == "" and found[5].id.startswith(found[4].id + ".e")
    assert found[6].compaction is not None and found[6].compaction.summarized_messages > 0


async def test_remember_turns_and_reflections_are_marked(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(tool_calls=[CREATE]), "Saved to system/preferences.md.", "Hi.")
    await collect(remember(runtime, "I prefer tabs"))
    await collect(runtime.chat("hello"))
    conversation = current(runtime)
    run = runtime.runs.start(runtime.agent().id, conversation.id, "manual")
    runtime.runs.finish(run, "merged", "kept: tabs", "abc123", ["system/preferences.md"])
    found = items(runtime)
    assert [(i.kind, i.source) for i in found] == [
        ("user", "remember"), ("toolCall", "remember"), ("memoryCommit", "remember"),
        ("agent", "remember"), ("user", "chat"), ("agent", "chat"),
        ("reflection", "reflection")]
    assert found[0].text == "I prefer tabs", "the user's words, not the directed prompt"
    reflection = found[-1]
    assert reflection.text == "kept: tabs" and reflection.commit is not None
    assert reflection.commit.sha == "abc123" and reflection.reflection is not None
    assert reflection.reflection.outcome == "merged"


def _long_conversation(runtime: Runtime, count: int) -> Conversation:
    conversation = runtime.conversations.new(runtime.agent().id)
    bodies = chat_bodies(Words(seed=3, size=300, stream=20_000), count)
    insert_messages(runtime.db, ((conversation.id, conversation.agent_id, b) for b in bodies))
    return conversation


def test_pages_walk_back_through_the_whole_conversation(runtime: Runtime) -> None:
    conversation = _long_conversation(runtime, 1_000)
    seen: list[Item] = []
    before: str | None = None
    pages = 0
    while True:
        page = transcript.page(runtime.db, conversation, before, limit=120)
        assert 0 < len(page.items) <= 120
        seen = page.items + seen
        pages += 1
        if not page.has_more:
            assert page.before is None
            break
        assert page.before == page.items[0].id
        before = page.before
    assert pages >= 8
    ids = [i.id for i in seen]
    assert len(set(ids)) == len(ids)
    whole = transcript.page(runtime.db, conversation, limit=500)
    assert [i.id for i in whole.items] == ids[-len(whole.items):]
    users = [i for i in seen if i.kind == "user"]
    stored = [m for m in runtime.conversations.messages(conversation.id, limit=2_000)
              if m.role == "user"]
    assert [u.text for u in users] == [m.body["content"] for m in stored]


@contextlib.contextmanager
def counted(conn: sqlite3.Connection) -> Iterator[list[int]]:
    """Count the SQLite virtual-machine steps run inside the block (in hundreds)."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(tick, 100)
    try:
        yield steps
    finally:
        conn.set_progress_handler(None, 0)


def test_the_newest_page_costs_the_same_in_a_huge_conversation(runtime: Runtime) -> None:
    small = _long_conversation(runtime, 300)
    huge = _long_conversation(runtime, 10_000)
    conn = runtime.db.connection()
    with counted(conn) as small_steps:
        transcript.page(runtime.db, small)
    with counted(conn) as huge_steps:
        page = transcript.page(runtime.db, huge)
    assert page.has_more and len(page.items) == 50
    assert huge_steps[0] <= small_steps[0] * 1.5 + 5, (small_steps, huge_steps)


def test_a_bad_before_or_limit_is_refused(runtime: Runtime) -> None:
    conversation = current(runtime)
    for before in ("abc", "12.x.y", "-3"):
        with pytest.raises(InvalidArgument, match="'before' is not an item id"):
            transcript.page(runtime.db, conversation, before)
    with pytest.raises(InvalidArgument, match="limit must be 1 to 500"):
        transcript.page(runtime.db, conversation, limit=501)


def test_a_stored_tool_result_without_facts_still_reads(runtime: Runtime) -> None:
    """Rows written before tool facts were stored: outcome from the status, reason from the
    result text."""
    conversation = current(runtime)
    call = {"id": "call_1", "type": "function",
            "function": {"name": "memory", "arguments": "{broken"}}
    runtime.conversations.add_messages(conversation, [
        ({"role": "user", "content": "go"}, "complete"),
        ({"role": "assistant", "content": None, "tool_calls": [call]}, "complete"),
        ({"role": "tool", "tool_call_id": "call_1", "content": "error: no such file"},
         "error")])
    [user, tool] = items(runtime)
    assert tool.tool_call is not None and tool.tool_call.arguments == "{broken"
    assert not tool.tool_call.ok and tool.tool_call.error == "no such file"
    assert json.loads(json.dumps(tool.tool_call.arguments)) == "{broken"
