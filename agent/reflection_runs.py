"""Reflection runs, kept in the data home: when each reflection started, what triggered it, and
how it ended (outcome, commit), so one that ran in a background process can be shown later
(``memfs reflect --status``, ``memfs status``, ``memfs/status``)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field

from agent.db import Database

ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Run:
    """One reflection run. ``status`` is queued, running, an Outcome status (merged, review,
    no_changes, nothing_new, conflict, dirty, busy_review), failed, cancelled, or interrupted
    (its process died before it finished)."""

    id: int
    agent_id: str
    conversation_id: str | None
    trigger: str
    status: str
    message: str
    commit: str | None
    files: list[str] = field(default_factory=list)
    pid: int | None = None
    started: float = 0.0
    finished: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run(row: sqlite3.Row) -> Run:
    status, message = row["status"], row["message"]
    if status in ACTIVE and not _alive(row["pid"]):
        status, message = "interrupted", "its process ended before it finished; will retry"
    return Run(row["id"], row["agent_id"], row["conversation_id"], row["trigger"], status,
               message, row["commit_sha"], json.loads(row["files"]), row["pid"],
               row["started"], row["finished"])


class ReflectionRuns:
    """Record and list reflection runs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, agent_id: str, conversation_id: str | None, trigger: str,
              status: str = "running", pid: int | None = None) -> int:
        """Record a run that is about to start; returns its id."""
        with self.db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO reflection_runs (agent_id, conversation_id, trigger, status, pid, "
                "started) VALUES (?, ?, ?, ?, ?, ?)",
                (agent_id, conversation_id, trigger, status, pid or os.getpid(), time.time()))
            return int(cursor.lastrowid or 0)

    def running(self, run_id: int, pid: int | None = None) -> None:
        """The run's process (``pid``, default this one) started working on it."""
        self._set(run_id, status="running", pid=pid or os.getpid())

    def set_pid(self, run_id: int, pid: int) -> None:
        """The process that will do the run."""
        self._set(run_id, pid=pid)

    def finish(self, run_id: int, status: str, message: str, commit: str | None = None,
               files: list[str] | None = None) -> None:
        """Record how the run ended."""
        self._set(run_id, status=status, message=message, commit_sha=commit,
                  files=json.dumps(files or []), finished=time.time())

    def get(self, run_id: int) -> Run | None:
        rows = self.db.query("SELECT * FROM reflection_runs WHERE id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def recent(self, agent_id: str, limit: int = 5) -> list[Run]:
        """The agent's newest runs first."""
        rows = self.db.query("SELECT * FROM reflection_runs WHERE agent_id = ? "
                             "ORDER BY id DESC LIMIT ?", (agent_id, limit))
        return [_run(r) for r in rows]

    def active(self, agent_id: str, conversation_id: str) -> bool:
        """Whether a run for this conversation is queued or running in a live process."""
        rows = self.db.query("SELECT * FROM reflection_runs WHERE agent_id = ? AND "
                             "conversation_id = ? AND status IN ('queued', 'running')",
                             (agent_id, conversation_id))
        return any(_run(r).status in ACTIVE for r in rows)

    def _set(self, run_id: int, **values: object) -> None:
        columns = ", ".join(f"{name} = ?" for name in values)
        with self.db.write() as conn:
            conn.execute(f"UPDATE reflection_runs SET {columns} WHERE id = ?",
                         (*values.values(), run_id))
