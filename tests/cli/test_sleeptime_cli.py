"""Sleeptime from the command line: the trigger fires however the turn ran (one-shot in
process, the warm worker, the REPL), the reflection finishes after the command exited, and
``memfs reflect --status`` / ``memfs status`` show that it ran and how it ended."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.reflection_runs import Run
from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel, ToolCall

MEMFS = str(Path(sys.executable).parent / "memfs")


def _is_reflection(request: dict[str, Any]) -> bool:
    return str(request["messages"][0]["content"]).startswith("You are the reflection")


@pytest.fixture
def scripted() -> Iterator[tuple[ScriptedModel, threading.Event]]:
    """The model; the reflection's reply is held back until the test opens the gate."""
    gate = threading.Event()
    with ScriptedModel() as model:
        def route(request: dict[str, Any]) -> Reply:
            if not _is_reflection(request):
                return Reply(text="ok")
            gate.wait()
            if any(m.get("role") == "tool" for m in request["messages"]):
                return Reply(text="kept the preference")
            return Reply(tool_calls=[ToolCall("memory", {
                "command": "create", "path": "system/prefs.md", "description": "Preferences",
                "content": "Prefers tabs.\n", "reason": "user prefers tabs"})])

        model.responder = route
        yield model, gate
        gate.set()


def _wait(check: Callable[[], Run | None], what: str) -> Run:
    """Poll the data home until ``check`` finds the run (the bound only stops a hung test)."""
    deadline = time.monotonic() + 180
    while (found := check()) is None:
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)
    return found


@pytest.mark.parametrize("mode", ["one-shot", "worker", "repl"])
def test_step_count_reflection_runs_after_the_cli_exits_and_is_shown(
    mode: str, scripted: tuple[ScriptedModel, threading.Event], tmp_path: Path,
    workspace: Path
) -> None:
    model, gate = scripted
    env = {**os.environ, "MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url}
    if mode == "worker":
        env.pop("MEMFS_NO_WORKER")
        env["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
        (tmp_path / "run").mkdir()

    def memfs(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([MEMFS, *args], env=env, input=stdin, capture_output=True,
                              text=True, timeout=120)

    ws = ["--workspace", str(workspace)]
    assert memfs("sleeptime", *ws, "--trigger", "step_count", "--step-count", "2"
                 ).returncode == 0
    try:
        if mode == "repl":
            done = memfs("chat", *ws, stdin="I use tabs\nalways tabs\nthird\n")
            assert done.returncode == 0, done.stderr
        else:
            for text in ("I use tabs", "always tabs", "third"):
                done = memfs("chat", *ws, text)
                assert done.returncode == 0 and done.stdout == "ok\n", done.stderr
    finally:
        if mode == "worker":
            memfs("worker", "stop")
    # Every memfs process that ran a turn has exited; the reflection is waiting on the model.
    model.wait_for(_is_reflection)
    runtime = Runtime(workspace=workspace)
    [running] = runtime.runs.recent("memory-agent")
    assert (running.trigger, running.status) == ("step_count", "running")
    gate.set()
    run = _wait(lambda: next((r for r in runtime.runs.recent("memory-agent")
                              if r.status not in ("queued", "running")), None),
                "the reflection to finish")
    assert run.status == "merged" and run.files == ["system/prefs.md"], run
    memory = runtime.memory(runtime.agent())
    assert "Prefers tabs." in memory.read("system/prefs.md").body
    shown = memfs("reflect", "--status", *ws)
    assert shown.returncode == 0
    assert "step_count" in shown.stdout and "merged" in shown.stdout
    assert str(run.commit)[:10] in shown.stdout
    status = json.loads(memfs("status", *ws, "--json").stdout)
    assert status["reflection"]["runs"][0]["status"] == "merged"
    assert len(runtime.runs.recent("memory-agent")) == 1, "the third turn did not start another"
