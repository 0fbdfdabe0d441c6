"""One model request as ``agent.llm.stream`` makes it, against httpx streaming the same body
from the same scripted server, with a one-message and a 1,000-message conversation: time to
the first delta and the whole call. The server runs in its own process, so the CPU seconds
measured here (``time.process_time``) are the client's alone; ratios use CPU time (the
machine is shared and wall time is noisy), wall medians are in the notes. The same call
through litellm (``MEMFS_DIRECT_HTTP=0``) is shown beside them."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agent import llm
from agent.model import ModelConfig
from bench.report import Row, ms
from bench.timing import median

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1, 1_000)
TTFD_TARGET = 1.2
CALL_TARGET = 1.3
SERVER = ("import sys\nfrom testkit.model_server import ScriptedModel\n"
          "model = ScriptedModel().start()\nprint(model.url, flush=True)\nsys.stdin.read()\n"
          "model.stop()\n")


@dataclass(frozen=True)
class Sample:
    """Seconds to the first text delta and for the whole call, wall and CPU."""

    first_wall: float
    first_cpu: float
    wall: float
    cpu: float


def conversation(size: int) -> list[dict[str, Any]]:
    """``size`` messages: a system prompt, users and assistants taking turns, a last user."""
    last = {"role": "user", "content": "Go on."}
    if size == 1:
        return [last]
    middle = [{"role": "user" if i % 2 == 0 else "assistant",
               "content": f"Message {i}: the build runs make, then the tests, then packages "
                          "the wheel; keep the lock file sorted. " * 3}
              for i in range(size - 2)]
    return [{"role": "system", "content": "You are a coding agent."}, *middle, last]


async def _timed(run: Callable[[Callable[[], None]], Awaitable[None]]) -> Sample:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    first: list[float] = []

    def mark() -> None:
        if not first:
            first.extend((time.perf_counter() - wall0, time.process_time() - cpu0))

    await run(mark)
    return Sample(first[0], first[1], time.perf_counter() - wall0, time.process_time() - cpu0)


async def ours(config: ModelConfig, messages: list[dict[str, Any]]) -> Sample:
    """``agent.llm.stream`` with the route ``MEMFS_DIRECT_HTTP`` chooses."""
    async def run(mark: Callable[[], None]) -> None:
        result = llm.StreamResult()
        async for _ in llm.stream(config, messages, None, result, timeout=60, max_retries=0):
            mark()
    return await _timed(run)


async def baseline(client: httpx.AsyncClient, url: str, messages: list[dict[str, Any]]
                   ) -> Sample:
    """httpx streaming the same body, each event parsed."""
    async def run(mark: Callable[[], None]) -> None:
        body = {"model": "scripted", "messages": messages, "stream": True,
                "stream_options": {"include_usage": True}}
        async with client.stream("POST", f"{url}/chat/completions",
                                 content=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer sk-x",
                                          "Content-Type": "application/json"}) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    choices = json.loads(line[6:]).get("choices") or [{}]
                    if (choices[0].get("delta") or {}).get("content"):
                        mark()
    return await _timed(run)


async def _measure(url: str, size: int, runs: int) -> dict[str, list[Sample]]:
    """ours and httpx interleaved, then litellm and httpx interleaved (``httpx-2``), so the
    first pair runs before litellm is imported, as it does for an ``openai/`` model."""
    config = ModelConfig("openai/scripted", url, 32_768)
    messages = conversation(size)
    found: dict[str, list[Sample]] = {"ours": [], "httpx": [], "litellm": [], "httpx-2": []}

    async def litellm() -> Sample:
        os.environ["MEMFS_DIRECT_HTTP"] = "0"
        try:
            return await ours(config, messages)
        finally:
            os.environ.pop("MEMFS_DIRECT_HTTP", None)

    async with httpx.AsyncClient(timeout=60) as client:
        phases: list[dict[str, Callable[[], Awaitable[Sample]]]] = [
            {"ours": lambda: ours(config, messages),
             "httpx": lambda: baseline(client, url, messages)},
            {"litellm": litellm, "httpx-2": lambda: baseline(client, url, messages)}]
        for takes in phases:
            for take in takes.values():  # warm-up: connections, imports, caches
                await take()
            gc.collect()
            names = list(takes)
            for i in range(runs):  # interleaved, alternating which goes first
                for name in (names if i % 2 == 0 else names[::-1]):
                    found[name].append(await takes[name]())
    return found


def _rows(size: int, found: dict[str, list[Sample]]) -> list[Row]:
    def med(name: str, field: str) -> float:
        return median([getattr(s, field) for s in found[name]])

    label = f"{size:,} message{'s' if size > 1 else ''}"
    walls = (f"wall medians: ours {ms(med('ours', 'first_wall'))} / {ms(med('ours', 'wall'))}, "
             f"httpx {ms(med('httpx', 'first_wall'))} / {ms(med('httpx', 'wall'))}, litellm "
             f"{ms(med('litellm', 'first_wall'))} / {ms(med('litellm', 'wall'))} "
             f"(first delta / whole call); n={len(found['ours'])} interleaved")
    first = med("ours", "first_cpu") / med("httpx", "first_cpu")
    call = med("ours", "cpu") / med("httpx", "cpu")
    rows = [Row(f"request: first delta, {label} (CPU)", ms(med("ours", "first_cpu")),
                ms(med("httpx", "first_cpu")), first, f"<= {TTFD_TARGET:g}x",
                first <= TTFD_TARGET, walls)]
    if size > 1:
        rows.append(Row(f"request: whole call, {label} (CPU)", ms(med("ours", "cpu")),
                        ms(med("httpx", "cpu")), call, f"<= {CALL_TARGET:g}x",
                        call <= CALL_TARGET))
    lite = med("litellm", "cpu") / med("httpx-2", "cpu")
    rows.append(Row(f"request via litellm, {label} (CPU)", ms(med("litellm", "cpu")),
                    ms(med("httpx-2", "cpu")), lite, "-", None,
                    "the route every non-openai/ provider takes (MEMFS_DIRECT_HTTP=0)"))
    return rows


def bench_request_overhead(tmp: Path, quick: bool) -> list[Row]:
    """First-delta and whole-call rows at each conversation size."""
    server = subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        rows: list[Row] = []
        for size in SIZES:
            rows += _rows(size, asyncio.run(_measure(url, size, 5 if quick else 41)))
        return rows
    finally:
        server.communicate("", timeout=30)
