"""What a person at a shell sees when a turn cannot do what was asked: a clear line on
stderr and exit 1 (real ``memfs`` processes against the scripted model server)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from testkit.model_server import Reply, ScriptedModel, ToolCall, refused_port

MEMFS = str(Path(sys.executable).parent / "memfs")


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEMFS, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def _model_env(model: ScriptedModel) -> dict[str, str]:
    return {"MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url}


def test_remember_that_changes_nothing_exits_1_saying_why(tmp_path: Path) -> None:
    with ScriptedModel() as model:
        model.script(Reply(tool_calls=[ToolCall("memory", {
            "command": "str_replace", "path": "system/human.md", "old_text": "not there",
            "new_text": "Prefers tabs.", "reason": "learn: tabs"})]), "I could not save it.")
        done = run("remember", "--workspace", str(tmp_path), "I prefer tabs",
                   env=_model_env(model))
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("memfs: nothing was remembered: the memory edit failed: ")
    assert "0 matches" in last


def test_init_outside_a_git_repository_says_what_to_do_at_a_shell(tmp_path: Path) -> None:
    folder = tmp_path / "not-a-repo"
    folder.mkdir()
    done = run("init", "--depth", "quick", "--no-history", cwd=folder)
    assert done.returncode == 1
    assert "run it inside a git repository, or pass --workspace DIR" in done.stderr
    assert "editor" not in done.stderr


def test_a_refused_connection_says_nothing_listens_there(tmp_path: Path) -> None:
    with refused_port() as url:
        done = run("chat", "--workspace", str(tmp_path), "hello",
                   env={"MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": url})
    assert done.returncode == 1
    assert f"memfs: nothing is listening at {url}" in done.stderr
    assert "start the model server" in done.stderr and "retry" not in done.stderr


def test_two_processes_never_interleave_turns_in_one_conversation(tmp_path: Path) -> None:
    """Two `memfs chat` processes on one data home and one conversation: the second is told
    the conversation is busy, and the first finishes normally."""
    with ScriptedModel() as model:
        release = threading.Event()
        model.script(Reply(text="first answer", gate=release))
        env = {**os.environ, **_model_env(model)}
        first = subprocess.Popen([MEMFS, "chat", "--workspace", str(tmp_path), "first"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env)
        try:
            model.wait_for_requests(1)
            second = run("chat", "--workspace", str(tmp_path), "second", env=env)
        finally:
            release.set()
            out, err = first.communicate(timeout=120)
    assert second.returncode == 1
    assert "is busy: a turn is running in it in another window or process" in second.stderr
    assert first.returncode == 0, err
    assert out == "first answer\n"
    assert len(model.requests) == 1
