"""One-shot ``memfs chat`` as a whole process (a memory edit, then a text reply), with the warm
worker and without it, beside the time ``import litellm`` alone takes."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.agent_env import agent_vars
from bench.report import Row, secs
from bench.timing import median, timed
from testkit.model_server import Reply, ScriptedModel, ToolCall

BIN = Path(sys.executable).parent
MESSAGE = "remember that I use make"
TARGET_S = 3.0
REFERENCE = "Letta Code CLI: ~3 s (about 1 s of it the turn)"
IMPORT_LITELLM = ("import os; os.environ['LITELLM_LOCAL_MODEL_COST_MAP']='True'; "
                  "import litellm")


class Responder:
    """A memory ``create`` call after each user message, then the text "ok"."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)

    def __call__(self, request: dict[str, Any]) -> Reply:
        if request["messages"][-1].get("role") != "user":
            return Reply(text="ok")
        return Reply(tool_calls=[ToolCall("memory", {
            "command": "create", "path": f"notes/x-{next(self.counter)}.md", "description": "d",
            "content": "uses make\n", "reason": "learn"})])


def chat_once(workspace: Path, env: dict[str, str]) -> float:
    """Seconds one ``memfs chat`` process takes; raises when the turn did not work."""
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "memfs"), "chat", "--workspace", str(workspace), MESSAGE],
                          capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or done.stdout.strip() != "ok":
        raise RuntimeError(f"memfs chat failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def import_litellm() -> float:
    """Seconds a fresh interpreter takes to import litellm (as memfs configures it)."""
    return timed(lambda: subprocess.run([sys.executable, "-c", IMPORT_LITELLM], check=True))


def stop_workers(env: dict[str, str], marker: str) -> None:
    """``memfs worker stop``, then end any process still running from our temp folder."""
    subprocess.run([str(BIN / "memfs"), "worker", "stop"], capture_output=True, env=env,
                   timeout=60, check=False)
    deadline = time.monotonic() + 10
    while (left := _ours(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        os.kill(pid, signal.SIGTERM)


def _ours(marker: str) -> list[int]:
    """Processes whose command line names ``marker`` (our unique temp folder)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


def bench_one_shot(tmp: Path, quick: bool) -> list[Row]:
    """Warm-worker and cold rows, each beside the litellm import time."""
    root = tmp / "oneshot"
    workspace = root / "workspace"
    runtime_dir = root / "run"  # the worker's socket folder: private to this run
    workspace.mkdir(parents=True)
    runtime_dir.mkdir(mode=0o700)
    runs = 3 if quick else 5
    with ScriptedModel() as model:
        model.responder = Responder()
        env = {**os.environ, **agent_vars(root, model.url), "XDG_RUNTIME_DIR": str(runtime_dir),
               "MEMFS_WORKER_IDLE": "120"}
        for key in ("OPENAI_API_KEY", "MEMFS_NO_WORKER", "MEMFS_CONTEXT_WINDOW"):
            env.pop(key, None)
        cold_env = {**env, "MEMFS_NO_WORKER": "1"}
        try:
            first = chat_once(workspace, env)  # starts the worker (untimed warm-up)
            warm = [chat_once(workspace, env) for _ in range(runs)]
            cold = [chat_once(workspace, cold_env) for _ in range(runs)]
        finally:
            stop_workers(env, str(root))
    imports = median([import_litellm() for _ in range(1 if quick else 3)])
    warm_s, cold_s = median(warm), median(cold)
    return [
        Row("one-shot chat first (starts worker)", secs(first), f"import {secs(imports)}",
            first / imports),
        Row("one-shot chat (warm worker)", secs(warm_s), f"import {secs(imports)}",
            warm_s / imports, f"<= {TARGET_S:g} s", warm_s <= TARGET_S, REFERENCE),
        Row("one-shot chat (cold, no worker)", secs(cold_s), f"import {secs(imports)}",
            cold_s / imports),
    ]
