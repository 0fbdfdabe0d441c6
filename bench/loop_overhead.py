"""Loop overhead: a full ``Runtime.chat`` turn against calling ``litellm.acompletion``
directly, both streaming the same ~400-delta reply from the same scripted server."""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent import llm
from agent.events import TextDelta
from agent.runtime import Runtime
from bench.agent_env import MODEL, agent_env
from bench.report import Row, ms
from bench.timing import median
from testkit.model_server import Reply, ScriptedModel

REPLY_CHARS = 2000
CHUNK_CHARS = 5
PROMPT = "Explain the build in a few paragraphs."
TTFD_TARGET = 1.1
PER_DELTA_TARGET_S = 0.0002
WARMUP = 3


@dataclass(frozen=True)
class Sample:
    """One streamed reply: seconds to the first text delta, seconds in all, deltas seen."""

    first: float
    total: float
    deltas: int


def reply_text() -> str:
    """The scripted answer: ``REPLY_CHARS`` characters of prose."""
    sentence = "The build runs make, then the tests, then packages the wheel. "
    return (sentence * (REPLY_CHARS // len(sentence) + 1))[:REPLY_CHARS]


async def direct(lm: Any, url: str) -> Sample:
    """Baseline: one bare streamed ``acompletion`` call, iterated to the end."""
    start = time.perf_counter()
    first, deltas = 0.0, 0
    response = await lm.acompletion(model=MODEL, api_base=url, api_key="sk-x", stream=True,
                                    messages=[{"role": "user", "content": PROMPT}])
    async for chunk in response:
        if chunk.choices and chunk.choices[0].delta.content:
            if not deltas:
                first = time.perf_counter() - start
            deltas += 1
    return Sample(first, time.perf_counter() - start, deltas)


async def ours(runtime: Runtime) -> Sample:
    """One full turn in a fresh conversation (same request shape every time)."""
    start = time.perf_counter()
    first, deltas = 0.0, 0
    async for event in runtime.chat(PROMPT, new=True):
        if isinstance(event, TextDelta):
            if not deltas:
                first = time.perf_counter() - start
            deltas += 1
    return Sample(first, time.perf_counter() - start, deltas)


async def _measure(runtime: Runtime, url: str, runs: int) -> tuple[list[Sample], list[Sample]]:
    lm = llm.litellm()
    for _ in range(WARMUP):  # the first turn creates the memory repo and the database
        await ours(runtime)
        await direct(lm, url)
    gc.collect()
    base: list[Sample] = []
    mine: list[Sample] = []
    for i in range(runs):  # alternate which goes first, so neither always follows the other
        if i % 2:
            mine.append(await ours(runtime))
            base.append(await direct(lm, url))
        else:
            base.append(await direct(lm, url))
            mine.append(await ours(runtime))
    return base, mine


def bench_loop_overhead(tmp: Path, quick: bool) -> list[Row]:
    """Time-to-first-delta, total and per-delta overhead rows."""
    root = tmp / "loop"
    workspace = root / "workspace"
    workspace.mkdir(parents=True)
    with ScriptedModel() as model, agent_env(root, model.url):
        model.responder = lambda request: Reply(text=reply_text(), chunk_chars=CHUNK_CHARS)
        runtime = Runtime(workspace=workspace)
        try:
            base, mine = asyncio.run(_measure(runtime, model.url, 5 if quick else 15))
        finally:
            runtime.db.close()
    deltas = mine[0].deltas
    if deltas != base[0].deltas:
        raise RuntimeError(f"ours streamed {deltas} deltas, direct {base[0].deltas}")
    first_ours, first_base = median([s.first for s in mine]), median([s.first for s in base])
    total_ours, total_base = median([s.total for s in mine]), median([s.total for s in base])
    per_delta = (total_ours - total_base) / deltas
    ttfd_ratio = first_ours / first_base
    return [
        Row("turn: time to first delta", ms(first_ours), ms(first_base), ttfd_ratio,
            f"<= {TTFD_TARGET:g}x", ttfd_ratio <= TTFD_TARGET),
        Row(f"turn: whole streamed reply, {deltas} deltas", ms(total_ours), ms(total_base),
            total_ours / total_base),
        Row("turn: overhead per delta (total diff / n)", ms(per_delta),
            ms(total_base / deltas), None, f"< {PER_DELTA_TARGET_S * 1000:g} ms",
            per_delta < PER_DELTA_TARGET_S),
    ]
