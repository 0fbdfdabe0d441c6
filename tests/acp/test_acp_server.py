"""``memfs-acp`` over real stdio with the SDK's client: sessions are conversations, turns
stream, cancel keeps the partial reply, load replays, permissions, errors, trust."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from acp import PROTOCOL_VERSION, RequestError, text_block
from acp.schema import ClientCapabilities

from agent import transcript, trust
from agent.conversations import Conversation
from agent.runtime import Runtime
from memfs import history
from memfs.home import DEFAULT_AGENT_ID
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.acp.conftest import Recorder, acp_agent

REMEMBER = ToolCall("memory", {"command": "create", "path": "system/drinks.md",
                               "description": "what the user drinks",
                               "content": "The user drinks green tea.",
                               "reason": "the user said they drink green tea"})


def user_settings(values: dict[str, Any]) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "memfs" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values), encoding="utf-8")


def diff_of(update: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in update.get("content", []) if c["type"] == "diff")


async def test_initialize_advertises_sessions(tmp_path: Path) -> None:
    recorder = Recorder()
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        answer = await conn.initialize(protocol_version=PROTOCOL_VERSION,
                                       client_capabilities=ClientCapabilities())
    assert answer.protocol_version == PROTOCOL_VERSION
    assert answer.agent_capabilities is not None
    assert answer.agent_capabilities.load_session is True
    assert answer.agent_info is not None and answer.agent_info.name == "memfs"


async def test_memory_turn_streams_and_load_replays(model: ScriptedModel, workspace: Path,
                                                    tmp_path: Path) -> None:
    model.script(Reply(tool_calls=[REMEMBER]), Reply(text="Noted: you drink green tea."))
    recorder = Recorder()
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        session = await conn.new_session(cwd=str(workspace))
        answer = await conn.prompt(session_id=session.session_id,
                                   prompt=[text_block("I drink green tea")])
    sid = session.session_id
    assert answer.stop_reason == "end_turn"
    assert recorder.text(session_id=sid) == "Noted: you drink green tea."
    started = recorder.of("tool_call", sid)
    assert [(u["title"], u["kind"], u["status"]) for u in started] == [
        ("memory create system/drinks.md", "edit", "in_progress")]
    call_id = started[0]["toolCallId"]
    progress = [u for u in recorder.of("tool_call_update", sid) if u["toolCallId"] == call_id]
    assert progress[0]["status"] == "completed"
    diff = diff_of(progress[-1])
    assert diff["path"].endswith("/system/drinks.md") and Path(diff["path"]).is_file()
    assert "The user drinks green tea." in diff["newText"]
    assert "oldText" not in diff  # a new file
    # The session is the workspace's conversation: the language server and CLI continue it.
    runtime = Runtime(workspace=workspace)
    assert runtime.conversation(runtime.agent()).id == sid
    assert "green tea" in runtime.memory(runtime.agent()).read("system/drinks.md").body

    replayed = Recorder()
    async with acp_agent(replayed, tmp_path / "acp.log") as conn:
        await conn.load_session(cwd=str(workspace), session_id=sid)
    assert replayed.text("user_message_chunk", sid) == "I drink green tea"
    assert replayed.text(session_id=sid) == "Noted: you drink green tea."
    calls = replayed.of("tool_call", sid)
    assert [(u["toolCallId"], u["status"]) for u in calls] == [(call_id, "completed")]
    assert "green tea" in diff_of(replayed.of("tool_call_update", sid)[-1])["newText"]
    kinds = [u["sessionUpdate"] for u in replayed.updates]
    assert kinds.index("user_message_chunk") < kinds.index("tool_call") < \
        kinds.index("agent_message_chunk")


async def test_cancel_keeps_the_partial_reply(model: ScriptedModel, workspace: Path,
                                              tmp_path: Path) -> None:
    model.script(Reply(text="The first part, and then much more to come", chunk_chars=9,
                       hold_after=2), Reply(text="Back again."))
    recorder = Recorder()
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        session = await conn.new_session(cwd=str(workspace))
        sid = session.session_id
        turn = asyncio.ensure_future(conn.prompt(session_id=sid,
                                                 prompt=[text_block("tell me a story")]))
        await recorder.wait_for(lambda u: u["sessionUpdate"] == "agent_message_chunk"
                                and "first" in recorder.text(session_id=sid))
        await conn.cancel(session_id=sid)
        # The next message right after the cancel, as an editor sends it, without waiting
        # for the cancelled prompt's answer: it runs once the cancelled turn is put away.
        again = await conn.prompt(session_id=sid, prompt=[text_block("go on")])
        answer = await turn
        assert answer.stop_reason == "cancelled"
        assert again.stop_reason == "end_turn"
        partial = recorder.text(session_id=sid).removesuffix("Back again.")
    model.wait_for_hangups(1)
    replayed = Recorder()
    async with acp_agent(replayed, tmp_path / "acp.log") as conn:
        await conn.load_session(cwd=str(workspace), session_id=sid)
    assert replayed.text(session_id=sid).startswith(partial)
    assert replayed.text("user_message_chunk", sid) == "tell me a storygo on"


@pytest.mark.parametrize(("answer", "lands"), [("allow", True), ("reject", False),
                                                (None, False)])
async def test_permission_for_memory_edits_under_ask(model: ScriptedModel, workspace: Path,
                                                     tmp_path: Path, answer: str | None,
                                                     lands: bool) -> None:
    user_settings({"approval": {"personal": "ask"}})
    model.script(Reply(tool_calls=[REMEMBER]), Reply(text="Done."))
    recorder = Recorder(answers=[answer])
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        session = await conn.new_session(cwd=str(workspace))
        result = await conn.prompt(session_id=session.session_id,
                                   prompt=[text_block("I drink green tea")])
    assert result.stop_reason == "end_turn"
    [asked] = recorder.permissions
    assert asked["sessionId"] == session.session_id
    assert asked["options"] == ["allow", "always", "reject"]
    call = asked["toolCall"]
    assert call["toolCallId"] == recorder.of("tool_call")[0]["toolCallId"]
    assert "green tea" in diff_of(call)["newText"]
    finished = recorder.of("tool_call_update")[0]
    assert finished["status"] == ("completed" if lands else "failed")
    runtime = Runtime(workspace=workspace)
    memory = runtime.memory(runtime.agent())
    assert ("system/drinks.md" in memory.list_files()) is lands
    if not lands:  # the model was told why
        told = model.requests[-1]["messages"][-1]["content"]
        assert "reject" in told or "dismissed" in told


async def test_no_model_is_a_clear_error_and_sessions_still_work(
        workspace: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MEMFS_MODEL", "MEMFS_API_BASE")}
    recorder = Recorder()
    async with acp_agent(recorder, tmp_path / "acp.log", env) as conn:
        session = await conn.new_session(cwd=str(workspace))
        with pytest.raises(RequestError) as refused:
            await conn.prompt(session_id=session.session_id, prompt=[text_block("hello")])
        listed = await conn.list_sessions(cwd=str(workspace))
        with pytest.raises(RequestError) as no_reflection:
            await conn.prompt(session_id=session.session_id, prompt=[text_block("/reflect")])
        initialized = await conn.prompt(session_id=session.session_id,
                                        prompt=[text_block("/init")])
    assert initialized.stop_reason == "end_turn"
    assert "Init wrote:" in recorder.text() and "configure a model" in recorder.text()
    assert str(no_reflection.value).startswith("no model is configured")
    message = str(refused.value)
    assert message.startswith("no model is configured")
    assert "MEMFS_MODEL" in message
    assert isinstance(refused.value.data, dict) and refused.value.data["code"] == "no-model"
    assert session.session_id in [s.session_id for s in listed.sessions]


async def test_untrusted_cwd_cannot_choose_api_base(model: ScriptedModel, workspace: Path,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMFS_API_BASE")
    user_settings({"apiBase": model.url})
    with ScriptedModel() as elsewhere:
        (workspace / ".memfs").mkdir()
        (workspace / ".memfs" / "settings.json").write_text(
            json.dumps({"apiBase": elsewhere.url}), encoding="utf-8")
        elsewhere.script("from the project's server")
        recorder = Recorder()
        async with acp_agent(recorder, tmp_path / "acp.log") as conn:
            session = await conn.new_session(cwd=str(workspace))
            with pytest.raises(RequestError) as refused:
                await conn.prompt(session_id=session.session_id, prompt=[text_block("hi")])
            assert "not trusted" in str(refused.value)
            assert f"memfs trust {workspace}" in str(refused.value)
            assert elsewhere.requests == [] and model.requests == []
            trust.trust(workspace)  # the user's decision, read again at the next prompt
            answer = await conn.prompt(session_id=session.session_id,
                                       prompt=[text_block("hi")])
        assert answer.stop_reason == "end_turn"
        assert len(elsewhere.requests) == 1


async def test_bad_requests_are_errors_and_the_agent_keeps_serving(
        model: ScriptedModel, workspace: Path, tmp_path: Path) -> None:
    model.script("Still here.")
    recorder = Recorder()
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        with pytest.raises(RequestError) as unknown:
            await conn.prompt(session_id="nope", prompt=[text_block("hi")])
        assert unknown.value.code == -32602 and "sessionId" in str(unknown.value)
        with pytest.raises(RequestError) as relative:
            await conn.new_session(cwd="relative/path")
        assert relative.value.code == -32602 and "cwd" in str(relative.value)
        with pytest.raises(RequestError) as missing:
            await conn.load_session(cwd=str(workspace), session_id="c-missing")
        assert missing.value.code == -32602
        session = await conn.new_session(cwd=str(workspace))
        with pytest.raises(RequestError) as empty:
            await conn.prompt(session_id=session.session_id, prompt=[text_block("  ")])
        assert "prompt" in str(empty.value)
        answer = await conn.prompt(session_id=session.session_id, prompt=[text_block("hi")])
    assert answer.stop_reason == "end_turn"
    assert recorder.text() == "Still here."


async def test_slash_commands_are_advertised_and_run(model: ScriptedModel, workspace: Path,
                                                     tmp_path: Path) -> None:
    model.script(Reply(tool_calls=[REMEMBER]), Reply(text="Saved to system/drinks.md."))
    recorder = Recorder()
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        session = await conn.new_session(cwd=str(workspace))
        sid = session.session_id
        advertised = await recorder.wait_for(
            lambda u: u["sessionUpdate"] == "available_commands_update")
        remembered = await conn.prompt(session_id=sid,
                                       prompt=[text_block("/remember I drink green tea")])
        doctored = await conn.prompt(session_id=sid, prompt=[text_block("/doctor")])
        with pytest.raises(RequestError) as bad:
            await conn.prompt(session_id=sid, prompt=[text_block("/doctor now")])
        await conn.prompt(session_id=sid,
                          prompt=[text_block("/sleeptime trigger=step_count stepCount=10")])
        with pytest.raises(RequestError) as bad_sleeptime:
            await conn.prompt(session_id=sid, prompt=[text_block("/sleeptime stepCount=0")])
        await conn.prompt(session_id=sid, prompt=[text_block("/agents")])
    names = [c["name"] for c in advertised["availableCommands"]]
    assert names == ["remember", "reflect", "doctor", "init", "sleeptime", "agents", "new"]
    assert "trigger: step_count, stepCount: 10" in recorder.text(session_id=sid)
    assert bad_sleeptime.value.code == -32602 and "stepCount" in str(bad_sleeptime.value)
    assert f"(`{DEFAULT_AGENT_ID}`) \u2190 this session" in recorder.text(session_id=sid)
    assert advertised["sessionId"] == sid
    assert remembered.stop_reason == "end_turn" and doctored.stop_reason == "end_turn"
    sent = ScriptedModel.last_user_text(model.requests[0])
    assert sent.startswith("/remember I drink green tea") and "exactly one memory edit" in sent
    runtime = Runtime(workspace=workspace)
    subjects = [e.subject for e in history.log(runtime.memory(runtime.agent()).repo)]
    assert any(s.startswith("remember:") for s in subjects)
    assert "Saved to system/drinks.md." in recorder.text(session_id=sid)
    assert "Memory doctor:" in recorder.text(session_id=sid)
    assert "/doctor takes 'fix' or nothing" in str(bad.value)
    assert len(model.requests) == 2  # /doctor without fix needs no model


@pytest.mark.parametrize("offered", [True, False])
async def test_workspace_reads_go_through_a_client_that_offers_them(
        model: ScriptedModel, workspace: Path, tmp_path: Path, offered: bool) -> None:
    notes = workspace / "notes.txt"
    notes.write_text("saved on disk\n", encoding="utf-8")
    model.script(Reply(tool_calls=[ToolCall("read_file", {"path": "notes.txt"})]), "Read it.")
    buffers = {str(notes.resolve()): "unsaved in the editor\n"} if offered else {}
    recorder = Recorder(buffers=buffers)
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        session = await conn.new_session(cwd=str(workspace))
        await conn.prompt(session_id=session.session_id, prompt=[text_block("read notes")])
    result = model.requests[1]["messages"][-1]["content"]
    assert ("unsaved in the editor" in result) is offered
    assert ("saved on disk" in result) is not offered
    assert recorder.reads == list(buffers)


def said(runtime: Runtime, conversation: Conversation) -> list[tuple[str, str]]:
    """What the user and the agent said in ``conversation``, oldest first."""
    items = transcript.page(runtime.db, conversation, limit=transcript.MAX_LIMIT).items
    return [(i.kind, i.text or "") for i in items if i.kind in ("user", "agent")]


async def test_new_moves_the_session_to_a_fresh_conversation(
        model: ScriptedModel, workspace: Path, tmp_path: Path) -> None:
    model.script("First reply.", "Second reply.")
    recorder = Recorder()
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        session = await conn.new_session(cwd=str(workspace))
        sid = session.session_id
        advertised = await recorder.wait_for(
            lambda u: u["sessionUpdate"] == "available_commands_update")
        await conn.prompt(session_id=sid, prompt=[text_block("hello first")])
        moved = await conn.prompt(session_id=sid, prompt=[text_block("/new Tea research")])
        second = await conn.prompt(session_id=sid, prompt=[text_block("hello second")])
        runtime = Runtime(workspace=workspace)
        current = runtime.conversation(runtime.agent())
        reply = recorder.text(session_id=sid)
        # Loading the session again (as Zed does when its thread is reopened) replays the
        # conversation its turns go to now.
        seen = len(recorder.updates)
        await conn.load_session(cwd=str(workspace), session_id=sid)
        replay = recorder.updates[seen:]
    # So does an agent started again: the move is kept in the data home.
    restarted = Recorder()
    async with acp_agent(restarted, tmp_path / "acp.log") as conn:
        await conn.load_session(cwd=str(workspace), session_id=sid)
        untitled = await conn.prompt(session_id=sid, prompt=[text_block("/new")])
    assert moved.stop_reason == "end_turn" and second.stop_reason == "end_turn"
    assert untitled.stop_reason == "end_turn"
    # The workspace's current conversation (where VS Code and `memfs chat` continue) is the
    # new one, titled as asked; the session kept its id.
    assert current.id != sid and current.title == "Tea research"
    assert current.agent_id == runtime.conversations.get(sid).agent_id
    assert f"New conversation \u201cTea research\u201d (`{current.id}`)" in reply
    assert f"previous one (`{sid}`) is kept" in reply
    assert said(runtime, current) == [("user", "hello second"), ("agent", "Second reply.")]
    assert said(runtime, runtime.conversations.get(sid)) == [("user", "hello first"),
                                                           ("agent", "First reply.")]
    for updates in (replay, restarted.updates):
        assert {u["sessionId"] for u in updates} == {sid}
        assert "".join(u["content"]["text"] for u in updates
                       if u["sessionUpdate"] == "user_message_chunk") == "hello second"
    assert "titled after its first exchange" in restarted.text(session_id=sid)
    new = next(c for c in advertised["availableCommands"] if c["name"] == "new")
    assert new["input"]["hint"] == "title (optional)"


def _waiting_on_the_database(pid: int) -> bool:
    """Whether a thread of process ``pid`` sleeps in SQLite's wait for a busy database (the
    agent has nothing else that sleeps on a timer; Linux only)."""
    tasks = Path(f"/proc/{pid}/task")
    return any((task / "wchan").read_text() == "hrtimer_nanosleep" for task in tasks.iterdir())


def _kernel_names_a_sleep() -> bool:
    """Whether this kernel shows a thread asleep in libc's ``usleep`` (SQLite's busy wait) as
    ``hrtimer_nanosleep`` in /proc (some kernels or containers hide the symbol)."""
    import ctypes
    import threading

    if not Path("/proc/self/task").is_dir():
        return False
    libc = ctypes.CDLL(None)
    napping = threading.Event()

    def nap() -> None:
        napping.set()
        libc.usleep(1_000_000)

    thread = threading.Thread(target=nap)
    thread.start()
    napping.wait()
    seen = False
    while thread.is_alive() and not seen:
        wchan = Path(f"/proc/self/task/{thread.native_id}/wchan")
        seen = wchan.exists() and wchan.read_text() == "hrtimer_nanosleep"
    thread.join()
    return seen


@pytest.mark.skipif(not _kernel_names_a_sleep(), reason="needs Linux's /proc wchan")
async def test_a_new_cancelled_while_it_moves_the_session_still_moves_it(
        model: ScriptedModel, workspace: Path, tmp_path: Path) -> None:
    """``/new`` cancelled while the fresh conversation is being stored (another process was
    writing to the database): the move it made is the session's too, so what the user says
    next is in the conversation the session (and VS Code, and ``memfs chat``) goes on in,
    not in the one left (where a reload of the session no longer showed it)."""
    import sqlite3

    from agent.db import db_path

    model.script("First reply.", "After reply.")
    recorder = Recorder()
    async with acp_agent(recorder, tmp_path / "acp.log") as conn:
        sid = (await conn.new_session(cwd=str(workspace))).session_id
        await conn.prompt(session_id=sid, prompt=[text_block("hello first")])
        runtime = Runtime(workspace=workspace)
        assert not _waiting_on_the_database(recorder.pid)
        other = sqlite3.connect(db_path(runtime.home), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's write
        moving = asyncio.ensure_future(conn.prompt(session_id=sid, prompt=[text_block("/new")]))
        deadline = asyncio.get_running_loop().time() + 60  # stops a hung test only
        while not _waiting_on_the_database(recorder.pid):
            assert asyncio.get_running_loop().time() < deadline, "the move never waited"
            await asyncio.sleep(0.05)
        await conn.cancel(session_id=sid)
        await conn.list_sessions(cwd=str(workspace))  # answered after the cancel is handled
        other.execute("COMMIT")
        other.close()
        assert (await moving).stop_reason == "cancelled"
        # the cancelled turn ended only once its move had landed
        assert runtime.conversations.session_conversation(sid) != sid
        await conn.prompt(session_id=sid, prompt=[text_block("hello after")])
    current = runtime.conversation(runtime.agent())
    assert runtime.conversations.session_conversation(sid) == current.id != sid
    assert said(runtime, current) == [("user", "hello after"), ("agent", "After reply.")]
    assert said(runtime, runtime.conversations.get(sid)) == [("user", "hello first"),
                                                           ("agent", "First reply.")]
