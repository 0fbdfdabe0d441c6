"""Synthetic chat messages with a Zipf-like vocabulary, inserted straight into the agent's
database the way ``Conversations.add_message`` writes them (one transaction, FTS by trigger)."""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterable
from typing import Any

from agent.conversations import message_text
from agent.db import Database
from memfs.tokens import estimate_text_tokens

_SYLLABLES = ("ka", "lo", "mi", "ren", "tas", "vo", "zu", "pel", "dor", "quin", "sa", "te",
              "bri", "mon", "gal", "fe", "ish", "un", "ar", "ol", "ne", "cy", "ther", "wa")
_INSERT = ("INSERT INTO messages (conversation_id, agent_id, role, body, text, tokens, status, "
           "created) VALUES (?, ?, ?, ?, ?, ?, 'complete', ?)")


class Words:
    """Random text whose word frequencies follow Zipf's law (``vocab[0]`` is the commonest).

    Texts are random slices of one pre-sampled stream of words, which is much faster than
    sampling every word (100,000 messages hold millions of words).
    """

    def __init__(self, seed: int, size: int = 5000, stream: int = 400_000) -> None:
        self.rng = random.Random(seed)
        found: set[str] = set()
        while len(found) < size:
            found.add("".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 4))))
        self.vocab = sorted(found)
        self.rng.shuffle(self.vocab)
        cum = list(itertools.accumulate(1 / rank for rank in range(1, size + 1)))
        self.stream = self.rng.choices(self.vocab, cum_weights=cum, k=stream)

    def text(self, low: int, high: int) -> str:
        """A sentence-like string of ``low``..``high`` words."""
        count = self.rng.randint(low, high)
        start = self.rng.randrange(len(self.stream) - count)
        return " ".join(self.stream[start:start + count]).capitalize() + "."


def chat_bodies(words: Words, count: int) -> list[dict[str, Any]]:
    """``count`` alternating user/assistant bodies; every 5th exchange has a tool call."""
    bodies: list[dict[str, Any]] = []
    exchange = 0
    while len(bodies) < count:
        bodies.append({"role": "user", "content": words.text(10, 60)})
        if exchange % 5 == 4:
            call_id = f"call_{exchange:06d}"
            arguments = json.dumps({"path": f"topics/n{exchange % 97}.md"})
            bodies.append({"role": "assistant", "content": None, "tool_calls": [{
                "id": call_id, "type": "function",
                "function": {"name": "memory_view", "arguments": arguments}}]})
            bodies.append({"role": "tool", "tool_call_id": call_id,
                           "content": words.text(40, 160)})
        bodies.append({"role": "assistant", "content": words.text(40, 250)})
        exchange += 1
    return bodies[:count]


def insert_messages(db: Database, rows: Iterable[tuple[str, str, dict[str, Any]]]) -> int:
    """Insert (conversation id, agent id, body) rows in one transaction; returns the count."""
    start = time.time()
    count = 0

    def values() -> Iterable[tuple[object, ...]]:
        nonlocal count
        for conversation_id, agent_id, body in rows:
            encoded = json.dumps(body, ensure_ascii=False)
            count += 1
            yield (conversation_id, agent_id, body["role"], encoded, message_text(body),
                   estimate_text_tokens(encoded), start + count * 1e-3)

    with db.write() as conn:
        conn.executemany(_INSERT, values())
    return count
