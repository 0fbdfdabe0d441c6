"""Agents: create, list, rename, pin, set model, delete (memory is backed up first)."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.db import Database
from memfs.errors import InvalidArgument, NotFound
from memfs.home import (
    DEFAULT_AGENT_ID,
    DEFAULT_AGENT_NAME,
    agent_dir,
    check_agent_id,
    default_name,
    list_agent_ids,
    memory_dir,
)
from memfs.repo import MemoryRepo
from memfs.store import MemoryStore


@dataclass(frozen=True)
class Agent:
    """One agent's record."""

    id: str
    name: str
    model: str | None
    api_base: str | None
    context_window: int | None
    created: float
    pinned: bool
    last_used: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _agent(row: sqlite3.Row) -> Agent:
    return Agent(row["id"], row["name"], row["model"], row["api_base"], row["context_window"],
                 row["created"], bool(row["pinned"]), row["last_used"])


class Agents:
    """The agent registry, backed by the database and one memory repo per agent."""

    def __init__(self, db: Database, home: Path) -> None:
        self.db = db
        self.home = home

    def get(self, agent_id: str) -> Agent:
        """One agent, or NotFound (the default agent is created on first use)."""
        rows = self.db.query("SELECT * FROM agents WHERE id = ?", (agent_id,))
        if rows:
            return _agent(rows[0])
        if agent_id == DEFAULT_AGENT_ID:
            return self._insert(DEFAULT_AGENT_ID, DEFAULT_AGENT_NAME)
        if (memory_dir(agent_id, self.home) / ".git").is_dir():  # memory made by an import
            return self._insert(agent_id, default_name(agent_id))
        raise NotFound(f"no agent {agent_id!r}", "list agents with 'memfs agent list'")

    def ensure(self, agent_id: str) -> Agent:
        """The agent with this id, created (with fresh memory, named after its id) if missing."""
        try:
            return self.get(agent_id)
        except NotFound:
            return self._insert(check_agent_id(agent_id), default_name(agent_id))

    def default(self) -> Agent:
        """The pre-installed "Memory Agent"."""
        return self.get(DEFAULT_AGENT_ID)

    def all(self) -> list[Agent]:
        """Pinned first, then by last use (memory folders without a record are adopted)."""
        self.default()
        known = {str(r["id"]) for r in self.db.query("SELECT id FROM agents")}
        for orphan in set(list_agent_ids(self.home)) - known:
            self.get(orphan)
        rows = self.db.query("SELECT * FROM agents ORDER BY pinned DESC, last_used DESC, id")
        return [_agent(r) for r in rows]

    def create(self, name: str, model: str | None = None, api_base: str | None = None) -> Agent:
        """A new agent with fresh memory."""
        name = (name or "").strip()
        if not name:
            raise InvalidArgument("an agent needs a name", "e.g. memfs agent create 'Work'")
        return self._insert(f"agent-{os.urandom(6).hex()}", name, model, api_base)

    def _insert(self, agent_id: str, name: str, model: str | None = None,
                api_base: str | None = None) -> Agent:
        root = memory_dir(agent_id, self.home)
        if not (root / ".git").is_dir():
            MemoryStore.open(agent_id, self.home, create=True, agent_name=name)
        now = time.time()
        with self.db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO agents (id, name, model, api_base, created, last_used) "
                "VALUES (?, ?, ?, ?, ?, ?)", (agent_id, name, model, api_base, now, now))
        from agent.conversations import Conversations  # not loaded just to find an agent

        Conversations(self.db).default(agent_id)
        return self.get(agent_id)

    def rename(self, agent_id: str, name: str) -> Agent:
        """Change an agent's display name (and its memory commits' author from now on)."""
        agent = self.get(agent_id)
        if not name.strip():
            raise InvalidArgument("the new name is empty", "pass a name")
        self._update(agent.id, "name", name.strip())
        MemoryRepo(memory_dir(agent.id, self.home)).configure(name.strip(), agent.id)
        return self.get(agent.id)

    def pin(self, agent_id: str, pinned: bool = True) -> Agent:
        """Favourite (or unfavourite) an agent; pinned agents list first."""
        self._update(self.get(agent_id).id, "pinned", int(pinned))
        return self.get(agent_id)

    def set_model(self, agent_id: str, model: str | None, api_base: str | None = None,
                  context_window: int | None = None) -> Agent:
        """The agent's own model settings (settings files and the editor can override them)."""
        agent = self.get(agent_id)
        if context_window is not None and context_window < 1024:
            raise InvalidArgument("context window must be at least 1024 tokens")
        with self.db.write() as conn:
            conn.execute("UPDATE agents SET model = ?, api_base = ?, context_window = ? "
                         "WHERE id = ?", (model or None, api_base or None, context_window,
                                          agent.id))
        return self.get(agent.id)

    def touch(self, agent_id: str) -> None:
        """Record that the agent was just used."""
        self._update(agent_id, "last_used", time.time())

    def delete(self, agent_id: str) -> str:
        """Delete an agent; its memory is written to a backup bundle first. Returns its path."""
        agent = self.get(agent_id)
        if agent.id == DEFAULT_AGENT_ID:
            raise InvalidArgument("the default agent cannot be deleted",
                                  "rename it, or reset its memory with 'memfs memory restore'")
        import shutil

        from memfs.backup import backup  # bundles: only here, where an agent is deleted

        root = memory_dir(agent.id, self.home)
        saved = backup(MemoryRepo(root), agent.id, self.home).path if root.is_dir() else ""
        with self.db.write() as conn:
            conn.execute("DELETE FROM agents WHERE id = ?", (agent.id,))
        shutil.rmtree(agent_dir(agent.id, self.home), ignore_errors=True)
        return saved

    def _update(self, agent_id: str, column: str, value: object) -> None:
        with self.db.write() as conn:
            conn.execute(f"UPDATE agents SET {column} = ? WHERE id = ?", (value, agent_id))
