"""Chat time-to-first-delta while a reflection runs in the background, against the same turns
with none running: an in-process Runtime and the scripted model, whose reflection replies take
``REFLECTION_DELAY`` seconds to start so that a reflection stays in flight."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.events import TextDelta
from agent.runtime import Runtime
from bench.agent_env import agent_env
from bench.messages import Words, chat_bodies, insert_messages
from bench.report import Row, ms
from bench.timing import median
from testkit.model_server import Reply, ScriptedModel

PROMPT = "What does the build do?"
CHAT_REPLY = "The build runs make, then the tests, then packages the wheel."
REFLECTION_DELAY = 1.0
SEED_MESSAGES = 1500  # a reflection takes ~12k tokens of them: enough for every reflection
GAP_S = 0.25  # between turns: a block's turns span a whole reflection, every phase of it
TARGET = 1.1
WARMUP = 3
PER_BLOCK = 4  # turns per block; blocks with and without a reflection alternate


def is_reflection(request: dict[str, Any]) -> bool:
    """Whether a model request comes from the reflection subagent."""
    messages = request.get("messages") or [{}]
    return str(messages[0].get("content") or "").startswith("You are the reflection")


def respond(request: dict[str, Any]) -> Reply:
    """A short streamed answer to chats; a slow, edit-free answer to reflections."""
    if is_reflection(request):
        return Reply(text="Nothing worth keeping.", first_byte_delay=REFLECTION_DELAY)
    return Reply(text=CHAT_REPLY, chunk_chars=8)


@dataclass
class Reflector:
    """Keeps one reflection of ``conversation_id`` running: restarts it whenever it ends."""

    runtime: Runtime
    conversation_id: str
    statuses: list[str] = field(default_factory=list)
    running: bool = False
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Future[None] | None = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            self.running = True
            try:
                outcome = await self.runtime.reflect(self.conversation_id)
            finally:
                self.running = False
            self.statuses.append(outcome.status)
            if outcome.status == "nothing_new":  # out of transcript: add more, don't spin
                await asyncio.to_thread(seed, self.runtime, self.conversation_id)

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.ensure_future(self._loop())

    async def stop(self, grace: float = 3 * REFLECTION_DELAY) -> None:
        """Let the reflection in flight finish (cancel it after ``grace`` seconds)."""
        self._stop.set()
        if self._task is None:
            return
        task, self._task = self._task, None
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def seed(runtime: Runtime, conversation_id: str) -> None:
    """Give the conversation ``SEED_MESSAGES`` unreflected messages."""
    agent_id = runtime.conversations.get(conversation_id).agent_id
    bodies = chat_bodies(Words(seed=5, stream=50_000), SEED_MESSAGES)
    insert_messages(runtime.db, ((conversation_id, agent_id, b) for b in bodies))


async def ttfd(runtime: Runtime) -> float:
    """Seconds to the first text delta of one turn in a fresh conversation (run to its end)."""
    start = time.perf_counter()
    first = 0.0
    async for event in runtime.chat(PROMPT, new=True):
        if isinstance(event, TextDelta) and not first:
            first = time.perf_counter() - start
    return first


async def block(runtime: Runtime, turns: int, reflector: Reflector | None
                ) -> tuple[list[float], int]:
    """``turns`` TTFD samples (with ``reflector`` running if given); (samples, turns that
    started while a reflection was in flight)."""
    samples: list[float] = []
    overlapped = 0
    if reflector is not None:
        reflector.start()
    try:
        for _ in range(turns):
            await asyncio.sleep(GAP_S)
            overlapped += bool(reflector and reflector.running)
            samples.append(await ttfd(runtime))
    finally:
        if reflector is not None:
            await reflector.stop()
    return samples, overlapped


@dataclass
class Result:
    """Samples without and with a reflection running, and what the reflections did."""

    idle: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    overlapped: int = 0
    statuses: list[str] = field(default_factory=list)


async def _measure(runtime: Runtime, rounds: int) -> Result:
    for _ in range(WARMUP):  # creates the memory repo and database, warms litellm
        await ttfd(runtime)
    agent = runtime.agents.default()
    conversation = runtime.conversations.new(agent.id, "reflection bench")
    seed(runtime, conversation.id)
    reflector = Reflector(runtime, conversation.id)
    await runtime.reflect(conversation.id)  # warms the reflection path, untimed
    result = Result()
    for _ in range(rounds):  # alternate blocks, so drift hits both sides alike
        idle, _ = await block(runtime, PER_BLOCK, None)
        busy, overlapped = await block(runtime, PER_BLOCK, reflector)
        result.idle += idle
        result.busy += busy
        result.overlapped += overlapped
    result.statuses = reflector.statuses
    return result


def rows(result: Result) -> list[Row]:
    with_, without = median(result.busy), median(result.idle)
    ratio = with_ / without
    done = ", ".join(f"{result.statuses.count(s)} {s}" for s in sorted(set(result.statuses)))
    note = (f"median of {len(result.busy)} turns each, in alternating blocks; "
            f"{result.overlapped}/{len(result.busy)} turns started with a reflection in flight "
            f"(reflections: {done or 'none finished'}); baseline = no reflection running")
    return [Row("chat TTFD while reflecting", ms(with_), ms(without), ratio,
                f"<= {TARGET:g}x", ratio <= TARGET, note)]


def bench_reflection(tmp: Path, quick: bool) -> list[Row]:
    """The TTFD row, with data under ``tmp``."""
    root = tmp / "reflection"
    root.mkdir(parents=True)
    with ScriptedModel() as model, agent_env(root, model.url):
        model.responder = respond
        runtime = Runtime(workspace=None)
        try:
            result = asyncio.run(_measure(runtime, 1 if quick else 8))
        finally:
            runtime.db.close()
    return rows(result)


def run(quick: bool) -> list[Row]:
    """Every row of this module; data lives in a temporary folder removed at the end."""
    with tempfile.TemporaryDirectory(prefix="memfs-reflection-bench-") as tmp:
        return bench_reflection(Path(tmp), quick)
