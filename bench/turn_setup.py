"""Turn setup with a 1,000-file memory and a 10,000-message conversation: everything a turn
does before its first model request (prompt, tools, budget, history, messages)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from agent.conversations import Conversations
from agent.loop import Turn, build_messages, prepare
from agent.runtime import Runtime
from bench.agent_env import UNUSED_API_BASE, agent_env
from bench.corpus import corpus, working_tree_paths, write_files
from bench.messages import Words, chat_bodies, insert_messages
from bench.report import Row, ms
from bench.settle import settle
from bench.timing import median

N_FILES = 1_000
N_MESSAGES = 10_000
WINDOW = 200_000
TARGET_S = 0.020


async def setup(turn: Turn) -> int:
    """The timed work; returns how many messages would be sent."""
    system, _tools, budget, _ctx = await prepare(turn)
    conversations: Conversations = turn.conversations
    conversation = conversations.get(turn.conversation.id)
    history = conversations.recent(conversation, budget.window)
    return len(build_messages(system, conversation, history))


def baseline(conn: sqlite3.Connection, conversation_id: str, paths: list[str]) -> int:
    """Plain sqlite3 SELECT of the conversation's bodies in order + reading the memory files."""
    rows = conn.execute("SELECT body FROM messages WHERE conversation_id = ? ORDER BY id",
                        (conversation_id,)).fetchall()
    total = len(rows)
    for path in paths:
        with open(path, "rb") as handle:
            total += len(handle.read())
    return total


async def _measure(turn: Turn, conn: sqlite3.Connection, paths: list[str], runs: int
                   ) -> tuple[float, list[float], list[float], int]:
    start = time.perf_counter()
    sent = await setup(turn)
    cold = time.perf_counter() - start
    for _ in range(3):
        await setup(turn)
        baseline(conn, turn.conversation.id, paths)
    ours: list[float] = []
    base: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        await setup(turn)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        baseline(conn, turn.conversation.id, paths)
        base.append(time.perf_counter() - start)
    return cold, ours, base, sent


def _populate(runtime: Runtime) -> Turn:
    agent = runtime.agents.default()
    repo = runtime.memory(agent).repo
    write_files(repo.root, corpus(N_FILES, seed=7))
    repo.git.run("add", "-A")
    repo.git.run("commit", "-q", "-m", "bench: add corpus")
    settle(repo.root)
    conversation = runtime.conversations.default(agent.id)
    bodies = chat_bodies(Words(seed=11), N_MESSAGES)
    insert_messages(runtime.db, ((conversation.id, agent.id, b) for b in bodies))
    return runtime.turn(agent, runtime.conversations.get(conversation.id))


def bench_turn_setup(tmp: Path, quick: bool) -> list[Row]:
    """Cold (first) and warm turn-setup rows."""
    root = tmp / "setup"
    workspace = root / "workspace"
    workspace.mkdir(parents=True)
    with agent_env(root, UNUSED_API_BASE):
        runtime = Runtime(workspace=workspace, editor_settings={"contextWindow": WINDOW})
        turn = _populate(runtime)
        paths = working_tree_paths(turn.memory.repo.root)
        conn = sqlite3.connect(runtime.db.path)
        try:
            cold, ours, base, sent = asyncio.run(_measure(turn, conn, paths, 10 if quick else 30))
        finally:
            conn.close()
            runtime.db.close()
    label = f"{N_FILES // 1000}k files, {N_MESSAGES // 1000}k msgs"
    base_label = "vs SELECT+read"
    warm_s, base_s = median(ours), median(base)
    return [
        Row(f"turn setup first call, {label} {base_label}", ms(cold), ms(base_s),
            cold / base_s),
        Row(f"turn setup warm, {label} ({sent - 1:,} sent) {base_label}", ms(warm_s),
            ms(base_s), warm_s / base_s, f"< {TARGET_S * 1000:g} ms", warm_s < TARGET_S),
    ]
