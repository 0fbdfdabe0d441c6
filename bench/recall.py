"""conversation_search over 100,000 messages (FTS5 + bm25), against a plain LIKE scan."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from agent.runtime import Runtime
from bench.agent_env import UNUSED_API_BASE, agent_env
from bench.messages import Words, insert_messages
from bench.report import Row, ms
from bench.timing import interleaved, median, timed

FULL_MESSAGES = 100_000
QUICK_MESSAGES = 20_000
CONVERSATIONS = 4
RARE = "zephyrquill"
RARE_HITS = 5
MEDIUM_RANK = 200  # by frequency: in about 2% of the messages
SEED = 21
TARGET_S = 0.020
RUN_BUDGET_S = 3.0  # per query, for both sides together


def _bodies(count: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """Alternating user/assistant messages; ``RARE`` appears in ``RARE_HITS`` of them."""
    words = Words(seed)
    marked = set(random.Random(seed).sample(range(count), RARE_HITS))
    for i in range(count):
        text = words.text(8, 40) if i % 2 == 0 else words.text(20, 120)
        if i in marked:
            text = f"{text} About {RARE} again."
        yield {"role": "user" if i % 2 == 0 else "assistant", "content": text}


def _populate(runtime: Runtime, count: int) -> tuple[str, list[tuple[str, str]]]:
    """Insert the messages; returns the agent id and the (kind, word) queries."""
    agent = runtime.agents.default()
    ids = [runtime.conversations.default(agent.id).id]
    ids += [runtime.conversations.new(agent.id, f"c{i}").id for i in range(1, CONVERSATIONS)]
    per = count // CONVERSATIONS
    insert_messages(runtime.db, ((ids[min(i // per, CONVERSATIONS - 1)], agent.id, body)
                                 for i, body in enumerate(_bodies(count))))
    runtime.db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    vocab = Words(SEED).vocab
    return agent.id, [("rare", RARE), ("medium", vocab[MEDIUM_RANK]), ("common", vocab[0])]


def _like(conn: sqlite3.Connection, word: str) -> list[int]:
    rows = conn.execute("SELECT id FROM messages WHERE text LIKE ? LIMIT 10", (f"%{word}%",))
    return [r[0] for r in rows]


def _hits(conn: sqlite3.Connection, word: str) -> int:
    return int(conn.execute("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?",
                            (f'"{word}"',)).fetchone()[0])


def _row(label: str, ours: Callable[[], object], base: Callable[[], object], quick: bool
         ) -> Row:
    """Interleaved runs of both after a warm-up; fewer runs when a call is slow."""
    slowest = max(timed(ours), timed(base), timed(ours), timed(base))
    runs = max(5, min(10 if quick else 25, int(RUN_BUDGET_S / slowest)))
    base_times, ours_times = interleaved(base, ours, runs)
    ours_s, base_s = median(ours_times), median(base_times)
    return Row(label, ms(ours_s), ms(base_s), ours_s / base_s, f"< {TARGET_S * 1000:g} ms",
               ours_s < TARGET_S)


def bench_recall(tmp: Path, quick: bool) -> list[Row]:
    """Search time for a rare, a medium and a common word."""
    count = QUICK_MESSAGES if quick else FULL_MESSAGES
    rows: list[Row] = []
    with agent_env(tmp / "recall", UNUSED_API_BASE):
        runtime = Runtime()
        agent_id, queries = _populate(runtime, count)
        conn = sqlite3.connect(runtime.db.path)
        try:
            for kind, word in queries:
                share = _hits(conn, word) / count
                label = f"recall {count // 1000}k msgs, {kind} word (in {share:.2%})"
                rows.append(_row(label, partial(runtime.conversations.search, agent_id, word, 10),
                                 partial(_like, conn, word), quick))
        finally:
            conn.close()
            runtime.db.close()
    return rows
