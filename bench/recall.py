"""conversation_search over 100,000 messages (FTS5 + bm25), against a plain LIKE scan."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.runtime import Runtime
from bench.agent_env import agent_env
from bench.messages import Words
from bench.report import Row, ms
from bench.timing import interleaved, median
from bench.turn_setup import UNUSED_API_BASE

FULL_MESSAGES = 100_000
QUICK_MESSAGES = 20_000
CONVERSATIONS = 4
RARE = "zephyrquill"
RARE_HITS = 5
TARGET_S = 0.020


def _bodies(count: int, seed: int = 21) -> Iterator[dict[str, Any]]:
    """Alternating user/assistant messages; ``RARE`` appears in ``RARE_HITS`` of them."""
    words = Words(seed)
    marked = set(random.Random(seed).sample(range(count), RARE_HITS))
    for i in range(count):
        text = words.text(8, 40) if i % 2 == 0 else words.text(20, 120)
        if i in marked:
            text = f"{text} About {RARE} again."
        yield {"role": "user" if i % 2 == 0 else "assistant", "content": text}


def _populate(runtime: Runtime, count: int) -> tuple[str, str]:
    """Insert the messages; returns (agent id, the commonest word)."""
    from bench.messages import insert_messages

    agent = runtime.agents.default()
    ids = [runtime.conversations.default(agent.id).id]
    ids += [runtime.conversations.new(agent.id, f"c{i}").id for i in range(1, CONVERSATIONS)]
    started = time.perf_counter()
    per = count // CONVERSATIONS
    insert_messages(runtime.db, ((ids[min(i // per, CONVERSATIONS - 1)], agent.id, body)
                                 for i, body in enumerate(_bodies(count))))
    runtime.db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _ = time.perf_counter() - started
    return agent.id, Words(21).vocab[0]


def _like(conn: sqlite3.Connection, word: str) -> list[int]:
    rows = conn.execute("SELECT id FROM messages WHERE text LIKE ? LIMIT 10", (f"%{word}%",))
    return [r[0] for r in rows]


def _hits(conn: sqlite3.Connection, word: str) -> int:
    return int(conn.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?",
                            (f'"{word}"',)).fetchone()[0])


def bench_recall(tmp: Path, quick: bool) -> list[Row]:
    """Search time for a rare and a common word."""
    count = QUICK_MESSAGES if quick else FULL_MESSAGES
    root = tmp / "recall"
    rows: list[Row] = []
    with agent_env(root, UNUSED_API_BASE):
        runtime = Runtime()
        agent_id, common = _populate(runtime, count)
        conn = sqlite3.connect(runtime.db.path)
        try:
            for kind, word in (("rare", RARE), ("common", common)):
                share = _hits(conn, word) / count
                search = runtime.conversations.search
                for _ in range(2):
                    search(agent_id, word, 10)
                    _like(conn, word)
                base, ours = interleaved(lambda w=word: _like(conn, w),  # type: ignore[misc]
                                         lambda w=word: search(agent_id, w, 10),
                                         10 if quick else 25)
                ours_s, base_s = median(ours), median(base)
                rows.append(Row(f"recall {count // 1000}k msgs, {kind} word ({share:.2%} of msgs)",
                                ms(ours_s), ms(base_s), ours_s / base_s,
                                f"< {TARGET_S * 1000:g} ms", ours_s < TARGET_S))
        finally:
            conn.close()
            runtime.db.close()
    return rows
