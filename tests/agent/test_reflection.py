"""Reflection: triggers, background runs, merges, conflicts, cancel, crash, review."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from agent.reflection import Outcome
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel, ToolCall
from tests.agent.conftest import collect

MEMFS = str(Path(sys.executable).parent / "memfs")


def _host(runtime: Runtime) -> list[asyncio.Task[Any]]:
    """Act as a long-running host: background reflections become tasks we can await."""
    tasks: list[asyncio.Task[Any]] = []

    def spawn(coro: Coroutine[Any, Any, Any]) -> None:
        tasks.append(asyncio.ensure_future(coro))

    runtime.spawn = spawn
    return tasks


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True).stdout


def _is_reflection(request: dict[str, Any]) -> bool:
    return str(request["messages"][0]["content"]).startswith("You are the reflection")


def _router(model: ScriptedModel, reflection: list[Reply], chat: list[Reply],
            gate: threading.Event | None = None) -> None:
    """Reflection and chat requests get their own scripted replies; with ``gate``, the
    reflection's first reply is held back until the test opens it."""
    def route(request: dict[str, Any]) -> Reply:
        if _is_reflection(request):
            if gate is not None:
                gate.wait()
            return reflection.pop(0) if reflection else Reply(text="done")
        return chat.pop(0) if chat else Reply(text="done")

    model.responder = route


async def _reflection_reached_the_model(model: ScriptedModel) -> None:
    """Wait until the reflection (in its worktree by then) sent its request."""
    await asyncio.to_thread(model.wait_for, _is_reflection)


def _create(path: str, content: str, reason: str) -> ToolCall:
    return ToolCall("memory", {"command": "create", "path": path, "description": "notes",
                               "content": content, "reason": reason})


async def test_step_count_trigger_reflects_in_the_background(
    runtime: Runtime, model: ScriptedModel
) -> None:
    tasks = _host(runtime)
    runtime.set_sleeptime("memory-agent", {"trigger": "step_count", "step_count": 2})
    _router(model, [Reply(tool_calls=[_create("system/prefs.md", "Tabs.\n", "user: tabs")])],
            [Reply(text="one"), Reply(text="two")])
    await collect(runtime.chat("I use tabs"))
    assert tasks == []
    await collect(runtime.chat("always tabs"))
    assert len(tasks) == 1, "the second user message fired the trigger"
    outcome: Outcome = await tasks[0]
    assert outcome.status == "merged" and outcome.files == ["system/prefs.md"]
    [run] = runtime.runs.recent("memory-agent")
    assert (run.trigger, run.status, run.commit) == ("step_count", "merged", outcome.commit)
    root = runtime.memory(runtime.agent()).root
    assert _git(root, "log", "-1", "--format=%s").strip() == "chore(reflection): user: tabs"
    conversation = runtime.conversation(runtime.agent())
    assert conversation.reflection_cursor > 0 and conversation.steps_since_reflection == 0
    assert _git(root, "worktree", "list").count("\n") == 1
    assert "memfs/reflection" not in _git(root, "branch")


async def test_compaction_trigger(model: ScriptedModel, workspace: Path) -> None:
    runtime = Runtime(workspace=workspace, editor_settings={"contextWindow": 4000})
    tasks = _host(runtime)
    long = "lorem ipsum dolor " * 70
    _router(model, [Reply(text="nothing to keep")], [Reply(text=long) for _ in range(8)])
    for n in range(6):
        await collect(runtime.chat(f"{n} {long}"))
        if tasks:
            break
    assert tasks, "a compaction fired the reflection"
    outcome = await tasks[0]
    assert outcome.status == "no_changes"


async def test_chat_and_reflection_both_land(runtime: Runtime, model: ScriptedModel) -> None:
    gate = threading.Event()
    _router(model, [Reply(tool_calls=[_create("reflected.md", "from reflection\n", "r")])],
            [Reply(text="hi"), Reply(tool_calls=[_create("chat.md", "from chat\n", "c")]),
             Reply(text="saved")], gate)
    await collect(runtime.chat("hello"))
    reflection = asyncio.ensure_future(runtime.reflect())
    await _reflection_reached_the_model(model)
    await collect(runtime.chat("note this"))  # lands on main while the reflection works
    gate.set()
    outcome = await reflection
    assert outcome.status == "merged"
    root = runtime.memory(runtime.agent()).root
    assert (root / "reflected.md").exists() and (root / "chat.md").exists()
    assert _git(root, "log", "-1", "--format=%s").startswith("merge(reflection):")
    assert _git(root, "status", "--porcelain") == ""


async def test_a_reflection_never_takes_the_connection_a_turn_reuses(
        runtime: Runtime, model: ScriptedModel) -> None:
    """A reflection's model calls have connections of their own: the user's next turn finds
    its warm connection free (with a remote provider a new one costs a TLS handshake)."""
    gate = threading.Event()
    _router(model, [Reply(text="nothing worth keeping")], [Reply(text="hi")], gate)
    await collect(runtime.chat("hello"))
    first = next(port for port, body in model.peers
                 if ScriptedModel.last_user_text(body) == "hello")
    reflection = asyncio.ensure_future(runtime.reflect())
    await _reflection_reached_the_model(model)
    gate.set()
    await reflection
    reflecting = [port for port, body in model.peers if _is_reflection(body)]
    assert reflecting and first not in reflecting


async def test_conflicting_edit_aborts_and_keeps_the_cursor(
    runtime: Runtime, model: ScriptedModel
) -> None:
    edit = {"command": "str_replace", "path": "system/human.md",
            "old_text": "Nothing recorded about the user yet."}
    gate = threading.Event()
    _router(model, [Reply(tool_calls=[ToolCall("memory", {**edit, "new_text": "Name: Bob",
                                                          "reason": "r"})])],
            [Reply(text="hi"), Reply(tool_calls=[ToolCall("memory", {
                **edit, "new_text": "Name: Ada", "reason": "c"})]), Reply(text="ok")], gate)
    await collect(runtime.chat("hello"))
    before = runtime.conversation(runtime.agent()).reflection_cursor
    reflection = asyncio.ensure_future(runtime.reflect())
    await _reflection_reached_the_model(model)
    await collect(runtime.chat("my name is Ada"))
    gate.set()
    outcome = await reflection
    assert outcome.status == "conflict" and "retry" in outcome.message
    store = runtime.memory(runtime.agent())
    assert "Name: Ada" in store.read("system/human.md").body
    assert runtime.conversation(runtime.agent()).reflection_cursor == before
    assert _git(store.root, "status", "--porcelain") == ""
    assert "memfs/reflection" not in _git(store.root, "branch")


async def test_cancel_leaves_main_untouched(runtime: Runtime, model: ScriptedModel) -> None:
    gate = threading.Event()
    _router(model, [Reply(tool_calls=[_create("never.md", "x\n", "r")])], [Reply(text="hi")],
            gate)
    await collect(runtime.chat("hello"))
    root = runtime.memory(runtime.agent()).root
    head = _git(root, "rev-parse", "HEAD")
    task = asyncio.ensure_future(runtime.reflect())
    await _reflection_reached_the_model(model)
    assert "memfs/reflection/" in _git(root, "branch"), "cancelled while at work"
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    gate.set()
    assert runtime.runs.recent("memory-agent")[0].status == "cancelled"
    assert _git(root, "rev-parse", "HEAD") == head
    assert runtime.conversation(runtime.agent()).reflection_cursor == 0
    assert _git(root, "worktree", "list").count("\n") == 1
    assert "memfs/reflection" not in _git(root, "branch")


async def test_killed_mid_reflection_then_recovers(model: ScriptedModel,
                                                   workspace: Path) -> None:
    runtime = Runtime(workspace=workspace)
    gate = threading.Event()
    _router(model, [Reply(text="never sent")], [Reply(text="hi")], gate)
    await collect(runtime.chat("hello"))
    root = runtime.memory(runtime.agent()).root
    head = _git(root, "rev-parse", "HEAD")
    env = {**os.environ, "MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url}
    proc = subprocess.Popen([MEMFS, "reflect", "--workspace", str(workspace)], env=env,
                            start_new_session=True, stderr=subprocess.PIPE)
    await _reflection_reached_the_model(model)
    assert "memfs/reflection/" in _git(root, "branch") and proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    gate.set()
    assert _git(root, "rev-parse", "HEAD") == head
    assert runtime.runs.recent("memory-agent")[0].status == "interrupted"
    _router(model, [Reply(tool_calls=[_create("later.md", "ok\n", "r")])], [])
    outcome = await runtime.reflect()
    assert outcome.status == "merged"
    assert _git(root, "worktree", "list").count("\n") == 1
    assert _git(root, "branch").split() == ["*", "main"]


async def test_review_mode_waits_for_a_decision(runtime: Runtime, model: ScriptedModel
                                               ) -> None:
    runtime.set_sleeptime("memory-agent", {"merge": "review"})
    _router(model, [Reply(tool_calls=[_create("reviewed.md", "ok\n", "r")])],
            [Reply(text="hi")])
    await collect(runtime.chat("hello"))
    outcome = await runtime.reflect()
    assert outcome.status == "review"
    store = runtime.memory(runtime.agent())
    assert not (store.root / "reviewed.md").exists()
    agent_id = runtime.agent().id
    shown = await runtime.reflections.review(agent_id, store, None)
    assert shown["pending"] and "+ok" in shown["diff"]
    accepted = await runtime.reflections.review(agent_id, store, True)
    assert accepted["commit"] and (store.root / "reviewed.md").exists()
    assert runtime.conversation(runtime.agent()).reflection_cursor > 0


async def test_a_long_backlog_is_reflected_oldest_slice_first(runtime: Runtime,
                                                              model: ScriptedModel) -> None:
    agent = runtime.agent()
    stored = runtime.conversations.add_messages(runtime.conversation(agent), [
        ({"role": "user", "content": f"note {i}: the user prefers tabs over spaces"}, "complete")
        for i in range(1200)])
    _router(model, [Reply(text="nothing new"), Reply(text="nothing new")], [])
    outcomes = [await runtime.reflect(), await runtime.reflect()]
    assert [o.status for o in outcomes] == ["no_changes", "no_changes"]
    sent = [[int(line[1:line.index("]")]) for line in str(r["messages"][1]["content"])
             .splitlines() if line.startswith("[")] for r in model.requests if _is_reflection(r)]
    ids = [m.id for m in stored]
    assert 400 < len(sent[0]) < len(ids), "the first slice spans pages, within its budget"
    assert sent == [ids[:len(sent[0])], ids[len(sent[0]):]]
    assert runtime.conversation(agent).reflection_cursor == ids[-1]


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priority is Linux's")
async def test_reflection_git_work_yields_to_the_user_s_turns(
    runtime: Runtime, model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reflection's git processes run at a lower OS priority than the chat's, except the
    merge, which holds the memory's write lock the user's turns take too."""
    base = os.getpriority(os.PRIO_PROCESS, 0)
    if base >= 19:
        pytest.skip("this process already runs at the lowest priority")
    log = tmp_path / "git-calls.txt"
    shim = tmp_path / "bin" / "git"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\necho "$(nice) $(pwd) $*" >> "{log}"\n'
                    f'exec "{shutil.which("git")}" "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    _router(model, [Reply(tool_calls=[_create("system/prefs.md", "Tabs.\n", "user: tabs")])],
            [Reply(tool_calls=[_create("chat.md", "from chat\n", "c")]), Reply(text="saved")])
    await collect(runtime.chat("note this, and I use tabs"))
    outcome = await runtime.reflect()
    assert outcome.status == "merged"
    root = runtime.memory(runtime.agent()).root
    calls = [(int(n), folder, args) for n, folder, args in
             (line.split(" ", 2) for line in log.read_text().splitlines())]

    def niceness(where: Callable[[str, str], bool]) -> set[int]:
        found = {n for n, folder, args in calls if where(folder, args)}
        assert found, "no such git call"
        return found

    def in_worktree(folder: str, args: str) -> bool:
        return "/worktrees/" in folder

    assert niceness(lambda f, a: a.startswith("commit") and f == str(root)) == {base}
    assert niceness(lambda f, a: a.startswith("merge")) == {base}
    assert min(niceness(lambda f, a: a.startswith("worktree add"))) > base
    assert min(niceness(lambda f, a: in_worktree(f, a) and a.startswith("commit"))) > base
    assert min(niceness(lambda f, a: a.startswith("worktree remove"))) > base


async def test_a_failed_reflection_frees_the_agent_for_the_next_one(
    runtime: Runtime, model: ScriptedModel
) -> None:
    """Its lock is released as it ends, even while its failure is still held (a host keeps
    the failed task), so another process's reflection need not wait for it."""
    from filelock import FileLock

    from memfs.home import agent_dir

    _router(model, [Reply(status=401, error="bad key")], [Reply(text="hi")])
    await collect(runtime.chat("hello"))
    failed = asyncio.ensure_future(runtime.reflect())
    await asyncio.wait([failed])
    assert failed.exception() is not None
    other = FileLock(str(agent_dir(runtime.agent().id, runtime.home) / "reflection.lock"),
                     timeout=0)
    other.acquire()
    other.release()
