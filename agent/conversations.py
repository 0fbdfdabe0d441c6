"""Conversations (message threads of one agent) and their messages (recall:
agent/recall.py).

A tool call and its result are stored together: the assistant message that calls tools is
written in one transaction with a placeholder result per call (status ``interrupted``), which
the tool's real result replaces. One turn at a time runs in a conversation, across processes
(``claim``). ``paired`` repairs any history stored before these rules, so strict providers
always see each call directly followed by its result.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from agent.db import Database
from memfs.errors import InvalidArgument, MemfsError, NotFound
from memfs.tokens import estimate_text_tokens

BUSY_WAIT = 2.0  # seconds a second turn waits for a conversation before it is told it is busy
NO_RESULT = ("no result was recorded: the call was interrupted before it finished (if it was a "
             "memory edit, the memory log shows whether it landed)")


class ConversationBusy(MemfsError):
    code = "conversation-busy"

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id} is busy: a turn is running in it in "
                         "another window or process",
                         "wait for that reply to finish (or cancel it there), or start a new "
                         "conversation")


class TurnClaim:
    """The right to run a turn in one conversation (an inter-process file lock)."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def release(self) -> None:
        self._lock.release()


@dataclass(frozen=True)
class Conversation:
    """One conversation's record."""

    id: str
    agent_id: str
    title: str
    is_default: bool
    created: float
    updated: float
    summary: str
    summary_until: int
    reflection_cursor: int
    steps_since_reflection: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class StoredMessage:
    """A persisted chat message; ``body`` is the OpenAI-format message dict."""

    id: int
    conversation_id: str
    role: str
    body: dict[str, Any]
    tokens: int
    status: str
    created: float


def _conversation(row: sqlite3.Row) -> Conversation:
    return Conversation(row["id"], row["agent_id"], row["title"], bool(row["is_default"]),
                        row["created"], row["updated"], row["summary"], row["summary_until"],
                        row["reflection_cursor"], row["steps_since_reflection"])


def _message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(row["id"], row["conversation_id"], row["role"], json.loads(row["body"]),
                         row["tokens"], row["status"], row["created"])


def paired(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as strict providers require them: every tool call directly followed by its
    result (moved up when other messages came between them), a call without a result given
    one that says so, and a result without its call dropped."""
    results: dict[str, deque[dict[str, Any]]] = {}
    for body in bodies:
        if body.get("role") == "tool":
            results.setdefault(str(body.get("tool_call_id")), deque()).append(body)
    repaired: list[dict[str, Any]] = []
    for body in bodies:
        if body.get("role") == "tool":
            continue
        repaired.append(body)
        calls = body.get("tool_calls") if body.get("role") == "assistant" else None
        for call in calls or []:
            found = results.get(str(call.get("id")))
            repaired.append(found.popleft() if found else {
                "role": "tool", "tool_call_id": call.get("id"), "content": NO_RESULT})
    return repaired


def content_text(body: dict[str, Any]) -> str:
    """A message's own text content (no tool calls)."""
    content = body.get("content")
    if isinstance(content, list):
        return "\n".join(t for t in (str(b.get("text", "")) for b in content
                                     if isinstance(b, dict)) if t)
    return content if isinstance(content, str) else ""


def message_text(body: dict[str, Any]) -> str:
    """The searchable plain text of a message (its text content and tool call arguments)."""
    parts = [content_text(body)]
    for call in body.get("tool_calls") or []:
        fn = call.get("function", {})
        parts.append(f"{fn.get('name', '')} {fn.get('arguments', '')}")
    return "\n".join(p for p in parts if p)


class Conversations:
    """Conversation and message persistence for all agents."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ----- conversations -----------------------------------------------------------------------
    def get(self, conversation_id: str) -> Conversation:
        rows = self.db.query("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        if not rows:
            raise NotFound(f"no conversation {conversation_id!r}",
                           "list them with 'memfs conversation list'")
        return _conversation(rows[0])

    def default(self, agent_id: str) -> Conversation:
        """The agent's main conversation, created on first use."""
        rows = self.db.query(
            "SELECT * FROM conversations WHERE agent_id = ? AND is_default = 1", (agent_id,))
        if rows:
            return _conversation(rows[0])
        return self._insert(agent_id, "Main conversation", is_default=True)

    def new(self, agent_id: str, title: str = "") -> Conversation:
        """A new parallel conversation (a title given here is the user's)."""
        conversation = self._insert(agent_id, "New conversation", is_default=False)
        return self.rename(conversation.id, title) if title.strip() else conversation

    def _insert(self, agent_id: str, title: str, is_default: bool) -> Conversation:
        conversation_id = f"conv-{os.urandom(6).hex()}"
        now = time.time()
        with self.db.write() as conn:
            if is_default:
                row = conn.execute("SELECT id FROM conversations WHERE agent_id = ? AND "
                                   "is_default = 1", (agent_id,)).fetchone()
                if row:
                    return self.get(row["id"])
            conn.execute(
                "INSERT INTO conversations (id, agent_id, title, is_default, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, agent_id, title, int(is_default), now, now))
        return self.get(conversation_id)

    def for_agent(self, agent_id: str) -> list[Conversation]:
        """An agent's conversations, most recently active first."""
        self.default(agent_id)
        rows = self.db.query("SELECT * FROM conversations WHERE agent_id = ? "
                             "ORDER BY updated DESC, created DESC", (agent_id,))
        return [_conversation(r) for r in rows]

    def rename(self, conversation_id: str, title: str) -> Conversation:
        """The user's title (never replaced by a made one)."""
        if not title.strip():
            raise InvalidArgument("the new title is empty", "pass a title")
        self._update(self.get(conversation_id).id, title=" ".join(title.split()),
                     title_source="user")
        return self.get(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """Delete a conversation and its messages; the default one cannot be deleted."""
        conversation = self.get(conversation_id)
        if conversation.is_default:
            raise InvalidArgument("the main conversation cannot be deleted",
                                  "start a new one with 'memfs conversation new'")
        with self.db.write() as conn:
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation.id,))

    def session_conversation(self, session_id: str) -> str:
        """Where a front door's session goes now: the conversation it last moved to (ACP's
        ``/new``), else the one it started with (whose id it has)."""
        rows = self.db.query("SELECT conversation_id FROM session_moves WHERE session_id = ?",
                             (session_id,))
        return str(rows[0]["conversation_id"]) if rows else session_id

    def move_session(self, session_id: str, conversation_id: str) -> None:
        """Record that the session's turns go to ``conversation_id`` from now on."""
        with self.db.write() as conn:
            conn.execute("INSERT INTO session_moves (session_id, conversation_id, updated) "
                         "VALUES (?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET "
                         "conversation_id = excluded.conversation_id, updated = excluded.updated",
                         (session_id, conversation_id, time.time()))

    def set_summary(self, conversation_id: str, summary: str, until: int) -> None:
        """Persist a compaction: ``summary`` replaces every message with id <= ``until``."""
        self._update(conversation_id, summary=summary, summary_until=until)

    def set_reflection(self, conversation_id: str, cursor: int | None) -> None:
        """After a reflection attempt: move the cursor (when its slice landed) and restart the
        step count either way, so a failed slice is retried later rather than every turn."""
        if cursor is None:
            self._update(conversation_id, steps_since_reflection=0)
        else:
            self._update(conversation_id, steps_since_reflection=0, reflection_cursor=cursor)

    def _update(self, conversation_id: str, **fields: object) -> None:
        columns = ", ".join(f"{name} = ?" for name in fields)
        with self.db.write() as conn:
            conn.execute(f"UPDATE conversations SET {columns} WHERE id = ?",
                         (*fields.values(), conversation_id))

    def claim(self, conversation_id: str) -> TurnClaim | None:
        """Take the conversation for one turn, or None when a turn runs in it (in this or
        another process). Release the claim when the turn ends; a killed process releases it
        with its file lock."""
        from filelock import FileLock, Timeout

        folder = self.db.path.parent / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w-]", "_", conversation_id)
        lock = FileLock(str(folder / f"turn-{name}.lock"), thread_local=False)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            return None
        return TurnClaim(lock)

    # ----- messages ----------------------------------------------------------------------------
    def add_message(self, conversation: Conversation, body: dict[str, Any],
                    status: str = "complete") -> StoredMessage:
        """Persist one message and bump the conversation's activity time."""
        return self.add_messages(conversation, [(body, status)])[0]

    def add_step(self, conversation: Conversation, body: dict[str, Any]
                 ) -> tuple[StoredMessage, list[StoredMessage]]:
        """Persist an assistant message and, in the same transaction, a placeholder result
        for each of its tool calls (replace them with ``set_tool_result``)."""
        placeholders = [({"role": "tool", "tool_call_id": call["id"], "content": NO_RESULT},
                         "interrupted") for call in body.get("tool_calls") or []]
        stored = self.add_messages(conversation, [(body, "complete"), *placeholders])
        return stored[0], stored[1:]

    def add_messages(self, conversation: Conversation,
                     items: list[tuple[dict[str, Any], str]]) -> list[StoredMessage]:
        """Persist messages (body, status) in one transaction, in order."""
        now = time.time()
        stored: list[StoredMessage] = []
        with self.db.write() as conn:
            for body, status in items:
                encoded = json.dumps(body, ensure_ascii=False)
                tokens = estimate_text_tokens(encoded)
                cursor = conn.execute(
                    "INSERT INTO messages (conversation_id, agent_id, role, body, text, tokens, "
                    "status, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (conversation.id, conversation.agent_id, body["role"], encoded,
                     message_text(body), tokens, status, now))
                stored.append(StoredMessage(int(cursor.lastrowid or 0), conversation.id,
                                            body["role"], body, tokens, status, now))
            user_steps = sum(1 for body, _ in items if body.get("role") == "user")
            conn.execute("UPDATE conversations SET updated = ?, steps_since_reflection = "
                         "steps_since_reflection + ? WHERE id = ?",
                         (now, user_steps, conversation.id))
        return stored

    def set_tool_result(self, message_id: int, content: str, status: str) -> None:
        """Replace a tool result's text (and status) in place, keeping its call id."""
        with self.db.write() as conn:
            row = conn.execute("SELECT body FROM messages WHERE id = ? AND role = 'tool'",
                               (message_id,)).fetchone()
            if row is None:
                return  # the conversation was deleted meanwhile
            body = {**json.loads(row["body"]), "content": content}
            encoded = json.dumps(body, ensure_ascii=False)
            conn.execute("UPDATE messages SET body = ?, text = ?, tokens = ?, status = ? "
                         "WHERE id = ?", (encoded, message_text(body),
                                          estimate_text_tokens(encoded), status, message_id))

    def recent(self, conversation: Conversation, token_budget: int) -> list[StoredMessage]:
        """Messages after the compaction point, newest ones that fit ``token_budget``,
        returned oldest first and never starting with an orphaned tool result."""
        cursor = self.db.connection().execute(
            "SELECT * FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id DESC",
            (conversation.id, conversation.summary_until))
        picked: list[StoredMessage] = []
        used = 0
        for row in cursor:
            if picked and used + row["tokens"] > token_budget:
                break
            used += row["tokens"]
            picked.append(_message(row))
        cursor.close()
        picked.reverse()
        while picked and picked[0].role == "tool":
            picked.pop(0)
        return picked

    def messages(self, conversation_id: str, after: int = 0, limit: int = 1000
                 ) -> list[StoredMessage]:
        """Messages in order (for transcripts and reflection)."""
        rows = self.db.query("SELECT * FROM messages WHERE conversation_id = ? AND id > ? "
                             "ORDER BY id LIMIT ?", (conversation_id, after, limit))
        return [_message(r) for r in rows]

    # ----- what clients show beside the messages (read by agent/transcript.py) -----------------
    def set_meta(self, message_id: int, meta: dict[str, Any]) -> None:
        """Attach what a client shows about a message (a tool call's outcome and memory commit,
        a Remember turn's own words); never part of what the model is sent."""
        with self.db.write() as conn:
            conn.execute("UPDATE messages SET meta = ? WHERE id = ?",
                         (json.dumps(meta, ensure_ascii=False), message_id))

    def add_event(self, conversation_id: str, kind: str, data: dict[str, Any]) -> None:
        """Record a marker that is no message (``compaction``, ``error``, ``interrupted``),
        placed after the conversation's newest message."""
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO conversation_events (conversation_id, after_message, kind, data, "
                "created) VALUES (?, (SELECT COALESCE(MAX(id), 0) FROM messages WHERE "
                "conversation_id = ?), ?, ?, ?)",
                (conversation_id, conversation_id, kind, json.dumps(data, ensure_ascii=False),
                 time.time()))

    def set_made_title(self, conversation_id: str, title: str, source: str) -> bool:
        """Give a title made by ``source`` (``model``, ``words``) to a conversation that still
        has its placeholder and is not the main one; False when it has a title by now."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "UPDATE conversations SET title = ?, title_source = ? WHERE id = ? AND "
                "title_source = '' AND is_default = 0",
                (" ".join(title.split()), source, conversation_id))
            return cursor.rowcount == 1

    def first_exchange(self, conversation_id: str) -> tuple[str, str] | None:
        """The first user words and the first reply (or '') of a conversation still waiting
        for a made title; None when it has one, is the main one or has no message yet."""
        rows = self.db.query("SELECT 1 FROM conversations WHERE id = ? AND title_source = '' "
                             "AND is_default = 0", (conversation_id,))
        first = self.db.query("SELECT id, body, meta FROM messages WHERE conversation_id = ? "
                              "AND role = 'user' ORDER BY id LIMIT 1",
                              (conversation_id,)) if rows else []
        if not first:
            return None
        replies = self.db.query("SELECT body FROM messages WHERE conversation_id = ? AND id > ? "
                                "AND role = 'assistant' ORDER BY id LIMIT 20",
                                (conversation_id, first[0]["id"]))
        reply = next((t for t in (content_text(json.loads(r["body"]))
                                  for r in replies) if t), "")
        return user_words(json.loads(first[0]["body"]), first[0]["meta"]), reply

    def message_counts(self, agent_id: str) -> dict[str, int]:
        """User and agent messages per conversation of the agent."""
        rows = self.db.query(
            "SELECT m.conversation_id AS id, COUNT(*) AS n FROM conversations c "
            "JOIN messages m ON m.conversation_id = c.id WHERE c.agent_id = ? AND "
            "m.role IN ('user', 'assistant') GROUP BY m.conversation_id", (agent_id,))
        return {r["id"]: r["n"] for r in rows}


def user_words(body: dict[str, Any], meta: str | None) -> str:
    """What the user typed: a Remember turn's own text rather than its directed prompt."""
    facts = json.loads(meta) if meta else {}
    if facts.get("source") == "remember":
        return str(facts.get("text") or "")
    return content_text(body)
