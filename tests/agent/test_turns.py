"""The turn loop through litellm over real HTTP to the scripted model server."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from pathlib import Path

from agent.events import Done, MemoryCommit, TextDelta, ToolCallFinished
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.agent.conftest import collect, kinds

REMEMBER_TABS = ToolCall("memory", {
    "command": "create", "path": "system/preferences.md", "description": "User preferences",
    "content": "Prefers tabs over spaces.\n", "reason": "learn: user prefers tabs"})


async def test_memory_edit_commits_and_reaches_the_next_prompt(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(tool_calls=[REMEMBER_TABS]), "Noted: tabs.")
    events = await collect(runtime.chat("I prefer tabs."))
    assert kinds(events)[-1] == "done"
    assert [k for k in kinds(events) if k != "usage"] == [
        "toolCallStarted", "toolCallFinished", "memoryCommit", "text", "text", "done"]
    commit = next(e for e in events if isinstance(e, MemoryCommit))
    root = runtime.memory(runtime.agent()).root
    log = subprocess.run(["git", "log", "-1", "--format=%H %s"], cwd=root, capture_output=True,
                         text=True).stdout.split(" ", 1)
    assert log == [commit.commit, "learn: user prefers tabs\n"]
    assert "Prefers tabs" not in model.system_prompt(0)
    model.script("Hello again.")
    await collect(runtime.chat("hi"))
    assert "Prefers tabs over spaces." in model.system_prompt(-1)


async def test_deltas_stream_in_order_and_everything_persists(
    runtime: Runtime, model: ScriptedModel
) -> None:
    text = "The quick brown fox jumps over the lazy dog, twice over."
    model.script(Reply(text=text, chunk_chars=5))
    events = await collect(runtime.chat("tell me"))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 5 and "".join(deltas) == text
    done = events[-1]
    assert isinstance(done, Done) and done.stop_reason == "end_turn" and done.text == text
    stored = runtime.conversations.messages(done.conversation_id)
    assert [(m.role, m.body["content"]) for m in stored] == [("user", "tell me"),
                                                             ("assistant", text)]
    assert done.usage["total_tokens"] > 0


async def test_history_is_sent_on_the_next_turn(runtime: Runtime, model: ScriptedModel) -> None:
    model.script("first answer", "second answer")
    await collect(runtime.chat("first question"))
    await collect(runtime.chat("second question"))
    sent = [(m["role"], m.get("content")) for m in model.requests[-1]["messages"][1:]]
    assert sent == [("user", "first question"), ("assistant", "first answer"),
                    ("user", "second question")]


async def test_two_conversations_in_parallel(runtime: Runtime, model: ScriptedModel) -> None:
    def echo(request: dict[str, object]) -> Reply:
        return Reply(text=f"echo {model.last_user_text(request)}", chunk_chars=2,
                     chunk_delay=0.01)

    model.responder = echo
    agent = runtime.agent()
    other = runtime.conversations.new(agent.id, "side quest")
    main = runtime.conversations.default(agent.id)

    async def talk(conversation_id: str, words: list[str]) -> None:
        for word in words:
            await collect(runtime.chat(word, conversation_id=conversation_id))

    await asyncio.gather(talk(main.id, ["a1", "a2"]), talk(other.id, ["b1", "b2"]))
    for conversation, words in ((main, ["a1", "a2"]), (other, ["b1", "b2"])):
        texts = [m.body["content"] for m in runtime.conversations.messages(conversation.id)]
        assert texts == [words[0], f"echo {words[0]}", words[1], f"echo {words[1]}"]


async def test_cancellation_hangs_up_on_the_model_and_keeps_the_partial_reply(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script(Reply(text="word " * 400, chunk_chars=5, hold_after=5))
    seen: list[str] = []
    talking = asyncio.Event()

    async def consume() -> None:
        async for event in runtime.chat("talk a lot"):
            if isinstance(event, TextDelta):
                seen.append(event.text)
                if len(seen) == 3:
                    talking.set()

    task = asyncio.create_task(consume())
    await talking.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.to_thread(model.wait_for_hangups, 1)  # the model call stopped, not just us
    conversation = runtime.conversations.default(runtime.agent().id)
    last = runtime.conversations.messages(conversation.id)[-1]
    assert last.role == "assistant" and last.status == "interrupted"
    assert last.body["content"].startswith("word word")
    assert len(last.body["content"]) < len("word " * 400)


async def test_conversation_search_recalls_past_messages(
    runtime: Runtime, model: ScriptedModel
) -> None:
    model.script("Sure, the staging database is called heliotrope.")
    await collect(runtime.chat("What is the staging database called?"))
    model.script(Reply(tool_calls=[ToolCall("conversation_search", {"query": "heliotrope"})]),
                 "Found it.")
    events = await collect(runtime.chat("remind me", new=True))
    finished = next(e for e in events if isinstance(e, ToolCallFinished))
    assert finished.ok and "heliotrope" in finished.output


async def test_workspace_tools_are_confined_and_honour_gitignore(
    runtime: Runtime, model: ScriptedModel, workspace: Path
) -> None:
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    (workspace / ".gitignore").write_text("build/\n")
    (workspace / "src").mkdir()
    (workspace / "src" / "app.py").write_text("def main():\n    return 42\n")
    (workspace / "build").mkdir()
    (workspace / "build" / "out.py").write_text("generated\n")
    model.script(Reply(tool_calls=[
        ToolCall("list_files", {}),
        ToolCall("read_file", {"path": "src/app.py", "start_line": 2}),
        ToolCall("search_files", {"query": "return 42"}),
        ToolCall("read_file", {"path": "../outside.txt"}),
    ]), "done")
    events = await collect(runtime.chat("look around"))
    outputs = [e for e in events if isinstance(e, ToolCallFinished)]
    listing, read, search, escape = outputs
    assert "src/app.py" in listing.output and "build" not in listing.output
    assert "     2\t    return 42" in read.output and "def main" not in read.output
    assert search.output == "src/app.py:2: return 42"
    assert not escape.ok and "climbs out" in escape.output
