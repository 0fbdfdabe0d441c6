"""One-shot ``memfs chat`` as a whole process (a memory edit, then a text reply), cold
(``MEMFS_NO_WORKER=1``) and with the warm worker, each interleaved with its baseline: a fresh
interpreter that imports httpx and streams the same request from the same server. The cold
ratio uses the child processes' CPU seconds (``resource.getrusage``), which a shared machine's
load barely moves; wall medians are in the notes. The warm row's CPU would be the client's
only (the worker is not our child), so it is judged on wall time."""

from __future__ import annotations

import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.agent_env import agent_vars
from bench.report import Row, secs
from bench.timing import median
from testkit.model_server import Reply, ScriptedModel, ToolCall

BIN = Path(sys.executable).parent
MESSAGE = "remember that I use make"
TARGET_S = 3.0
COLD_TARGET = 4.0
REFERENCE = "Letta Code CLI: ~3 s (about 1 s of it the turn)"
STREAM_SAME = (
    "import json, sys, httpx\n"
    "body = json.load(open(sys.argv[1]))\n"
    "with httpx.Client() as client, client.stream('POST', sys.argv[2] + '/chat/completions',"
    " json=body, headers={'Authorization': 'Bearer sk-x'}) as response:\n"
    "    for line in response.iter_lines():\n"
    "        pass\n")


@dataclass(frozen=True)
class Run:
    """One whole process: wall seconds and CPU seconds (user + system)."""

    wall: float
    cpu: float


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


def _run(command: list[str], env: dict[str, str], cwd: Path | None = None
         ) -> tuple[Run, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120,
                          cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu), done


def chat_once(workspace: Path, env: dict[str, str]) -> Run:
    """One ``memfs chat`` process; raises when the turn did not work."""
    run, done = _run([str(BIN / "memfs"), "chat", "--workspace", str(workspace), MESSAGE], env)
    if done.returncode != 0 or done.stdout.strip() != "ok":
        raise RuntimeError(f"memfs chat failed ({done.returncode}): {done.stderr.strip()}")
    return run


def stream_same(body: Path, url: str, env: dict[str, str]) -> Run:
    """The baseline: a fresh interpreter streaming ``body`` with httpx."""
    run, done = _run([sys.executable, "-c", STREAM_SAME, str(body), url], env)
    if done.returncode != 0:
        raise RuntimeError(f"the httpx baseline failed: {done.stderr.strip()}")
    return run


def interleave(ours: Callable[[], Run], base: Callable[[], Run], runs: int
               ) -> tuple[list[Run], list[Run]]:
    """``runs`` of each, alternating which goes first."""
    mine: list[Run] = []
    theirs: list[Run] = []
    for i in range(runs):
        if i % 2:
            theirs.append(base())
            mine.append(ours())
        else:
            mine.append(ours())
            theirs.append(base())
    return mine, theirs


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


def _median(runs: list[Run], field: str) -> float:
    return median([getattr(r, field) for r in runs])


def bench_one_shot(tmp: Path, quick: bool) -> list[Row]:
    """Cold and warm-worker rows, each beside the httpx baseline process."""
    root = tmp / "oneshot"
    workspace = root / "workspace"
    runtime_dir = root / "run"  # the worker's socket folder: private to this run
    workspace.mkdir(parents=True)
    runtime_dir.mkdir(mode=0o700)
    runs = 3 if quick else 7
    with ScriptedModel() as model:
        model.responder = Responder()
        env = {**os.environ, **agent_vars(root, model.url), "XDG_RUNTIME_DIR": str(runtime_dir),
               "MEMFS_WORKER_IDLE": "120"}
        for key in ("OPENAI_API_KEY", "MEMFS_NO_WORKER", "MEMFS_CONTEXT_WINDOW"):
            env.pop(key, None)
        cold_env = {**env, "MEMFS_NO_WORKER": "1"}
        body = root / "request.json"
        try:
            first = chat_once(workspace, env)  # starts the worker (untimed warm-up)
            body.write_text(json.dumps(model.requests[0]))
            stream_same(body, model.url, env)
            warm, warm_base = interleave(lambda: chat_once(workspace, env),
                                         lambda: stream_same(body, model.url, env), runs)
        finally:
            stop_workers(env, str(root))
        cold, cold_base = interleave(lambda: chat_once(workspace, cold_env),
                                     lambda: stream_same(body, model.url, env), runs)
    cold_ratio = _median(cold, "cpu") / _median(cold_base, "cpu")
    cold_wall, base_wall = _median(cold, "wall"), _median(cold_base, "wall")
    warm_wall = _median(warm, "wall")
    return [
        Row("one-shot chat cold (no worker), CPU", secs(_median(cold, "cpu")),
            secs(_median(cold_base, "cpu")), cold_ratio, f"<= {COLD_TARGET:g}x",
            cold_ratio <= COLD_TARGET,
            f"wall medians {secs(cold_wall)} vs {secs(base_wall)} ({cold_wall / base_wall:.2f}x)"
            f"; n={runs} interleaved; baseline: a fresh python streaming the same request "
            "from the same server with httpx"),
        Row("one-shot chat (warm worker), wall", secs(warm_wall),
            secs(_median(warm_base, "wall")), warm_wall / _median(warm_base, "wall"),
            f"<= {TARGET_S:g} s", warm_wall <= TARGET_S,
            f"{REFERENCE}; the first call, which starts the worker, took {secs(first.wall)}"),
    ]
