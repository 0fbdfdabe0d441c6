"""The warm worker behind one-shot ``memfs chat``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.runtime import Runtime
from testkit.model_server import Reply, ScriptedModel

MEMFS = str(Path(sys.executable).parent / "memfs")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[dict[str, str], ScriptedModel]]:
    with ScriptedModel() as model:
        values = {k: v for k, v in os.environ.items() if k != "MEMFS_NO_WORKER"}
        values.update({"MEMFS_MODEL": "openai/scripted", "MEMFS_API_BASE": model.url,
                       "XDG_RUNTIME_DIR": str(tmp_path / "run")})
        (tmp_path / "run").mkdir()
        yield values, model
        subprocess.run([MEMFS, "worker", "stop"], env=values, capture_output=True, timeout=30)


def memfs(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MEMFS, *args], env=env, capture_output=True, text=True, timeout=120)


def _worker_pids(run_dir: Path) -> set[str]:
    out = subprocess.run(["pgrep", "-f", f"memfs_cli.worker {run_dir}"], capture_output=True,
                         text=True).stdout
    return set(out.split())


def test_later_invocations_reuse_one_warm_worker(
    env: tuple[dict[str, str], ScriptedModel], tmp_path: Path
) -> None:
    values, model = env
    model.script("first reply", "second reply")
    assert memfs(values, "worker").returncode == 1
    first = memfs(values, "chat", "--workspace", str(tmp_path), "one")
    assert first.returncode == 0 and first.stdout == "first reply\n", first.stderr
    assert memfs(values, "worker").returncode == 0
    pids = _worker_pids(tmp_path / "run")
    assert len(pids) == 1
    second = memfs(values, "chat", "--workspace", str(tmp_path), "two")
    assert second.stdout == "second reply\n"
    assert _worker_pids(tmp_path / "run") == pids
    runtime = Runtime(workspace=tmp_path)
    texts = [m.body["content"] for m in runtime.conversations.messages(
        runtime.conversation(runtime.agent()).id)]
    assert texts == ["one", "first reply", "two", "second reply"]
    assert "no worker" not in memfs(values, "worker", "stop").stdout
    deadline = time.monotonic() + 60  # stops a hung test only
    while _worker_pids(tmp_path / "run") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _worker_pids(tmp_path / "run")


def test_a_different_environment_gets_its_own_worker(
    env: tuple[dict[str, str], ScriptedModel], tmp_path: Path
) -> None:
    values, model = env
    model.script("from a", "from b")
    assert memfs(values, "chat", "--workspace", str(tmp_path), "a").returncode == 0
    other = {**values, "MEMFS_CONTEXT_WINDOW": "50000"}
    assert memfs(other, "chat", "--workspace", str(tmp_path), "b").stdout == "from b\n"
    assert len(_worker_pids(tmp_path / "run")) == 2
    memfs(other, "worker", "stop")


def test_ctrl_c_cancels_the_turn_in_the_worker(
    env: tuple[dict[str, str], ScriptedModel], tmp_path: Path
) -> None:
    values, model = env
    model.script(Reply(text="slow " * 500, chunk_chars=5, hold_after=3))
    # started as from a terminal: Ctrl-C's SIGINT at its default (a test run started in the
    # background may have it ignored, and a child inherits that)
    proc = subprocess.Popen([MEMFS, "chat", "--workspace", str(tmp_path), "go"], env=values,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    assert proc.stdout.read(10).startswith(b"slow")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    runtime = Runtime(workspace=tmp_path)
    conversation = runtime.conversation(runtime.agent())
    deadline = time.monotonic() + 60  # stops a hung test only
    while time.monotonic() < deadline:
        messages = runtime.conversations.messages(conversation.id)
        if messages[-1].role == "assistant":
            break
        time.sleep(0.05)
    assert messages[-1].status == "interrupted"
    assert messages[-1].body["content"].startswith("slow")


def test_status_and_stop_see_every_worker_of_the_data_home(
    env: tuple[dict[str, str], ScriptedModel], tmp_path: Path
) -> None:
    values, model = env
    model.script("from a", "from b")
    other = {**values, "MEMFS_CONTEXT_WINDOW": "50000"}
    assert memfs(values, "chat", "--workspace", str(tmp_path), "a").returncode == 0
    assert memfs(other, "chat", "--workspace", str(tmp_path), "b").returncode == 0
    pids = _worker_pids(tmp_path / "run")
    assert len(pids) == 2
    seen = memfs(values, "worker").stdout.splitlines()
    assert len(seen) == 2 and sum("(serves this environment)" in line for line in seen) == 1
    assert {line.split()[1] for line in seen} == pids
    third = {**values, "MEMFS_CONTEXT_WINDOW": "60000"}  # an environment with no worker
    listed = memfs(third, "worker")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 2
    assert "serves this environment" not in listed.stdout
    another_home = {**values, "MEMFS_HOME": str(tmp_path / "another-home")}
    assert memfs(another_home, "worker").returncode == 1, "only this data home's workers"
    assert memfs(third, "worker", "stop").stdout.strip() == "stopped 2 workers"
    deadline = time.monotonic() + 30
    while _worker_pids(tmp_path / "run") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _worker_pids(tmp_path / "run")
