"""The embedded store: SQLite in WAL mode at ``$MEMFS_HOME/memfs.db``, with versioned migrations.

Each process (and each thread) opens its own connection; writes are short transactions, so
several editor windows and a background reflection can share one database, and a killed
process loses at most the transaction it was in.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from memfs.home import memfs_home

MIGRATIONS: list[str] = [
    # 1: agents, conversations, messages, full-text search over messages
    """
    CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        model TEXT,
        api_base TEXT,
        context_window INTEGER,
        created REAL NOT NULL,
        pinned INTEGER NOT NULL DEFAULT 0,
        last_used REAL NOT NULL
    );
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        title TEXT NOT NULL DEFAULT '',
        is_default INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        summary_until INTEGER NOT NULL DEFAULT 0,
        reflection_cursor INTEGER NOT NULL DEFAULT 0,
        steps_since_reflection INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX conversations_one_default ON conversations(agent_id) WHERE is_default = 1;
    CREATE INDEX conversations_by_activity ON conversations(agent_id, updated DESC);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        agent_id TEXT NOT NULL,
        role TEXT NOT NULL,
        body TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        tokens INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'complete',
        created REAL NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
    END;
    """,
    # 2: state that lives in the data home rather than in a project: a workspace's current
    # agent and its last conversation per agent, per-agent reflection settings, and the
    # reflection runs (so a background reflection's outcome can be shown after the fact)
    """
    CREATE TABLE workspace_bindings (
        workspace TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        updated REAL NOT NULL
    );
    CREATE TABLE workspace_conversations (
        workspace TEXT NOT NULL,
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        updated REAL NOT NULL,
        PRIMARY KEY (workspace, agent_id)
    );
    CREATE TABLE agent_sleeptime (
        agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
        settings TEXT NOT NULL
    );
    CREATE TABLE reflection_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        conversation_id TEXT,
        trigger TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        commit_sha TEXT,
        files TEXT NOT NULL DEFAULT '[]',
        pid INTEGER,
        started REAL NOT NULL,
        finished REAL
    );
    CREATE INDEX reflection_runs_by_agent ON reflection_runs(agent_id, id DESC);
    """,
    # 3: recall. The one full-text index over every agent's messages gives way to one index per
    # agent with English stemming (agent/recall.py builds them from the stored messages on
    # first use); message vectors for optional semantic search (agent/embeddings.py).
    """
    DROP TRIGGER IF EXISTS messages_ai;
    DROP TRIGGER IF EXISTS messages_ad;
    DROP TRIGGER IF EXISTS messages_au;
    DROP TABLE IF EXISTS messages_fts;
    CREATE TABLE recall_indexes (
        number INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL
    );
    CREATE INDEX messages_by_agent_time ON messages(agent_id, created);
    CREATE TABLE message_vectors (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
        agent_id TEXT NOT NULL,
        model TEXT NOT NULL,
        vector BLOB NOT NULL
    );
    CREATE INDEX message_vectors_by_agent ON message_vectors(agent_id, model, seq);
    """,
    # 4: what clients show of a conversation beyond what the model sees: per-message facts
    # (a tool call's outcome and memory commit, a Remember turn's own words), who titled a
    # conversation ('' placeholder, user, model, words), and markers that are no message
    # (compaction, an error, an interrupted reply), placed after the newest message then;
    # messages by role count a conversation's messages without reading them
    """
    ALTER TABLE messages ADD COLUMN meta TEXT;
    CREATE INDEX messages_by_role ON messages(conversation_id, role);
    ALTER TABLE conversations ADD COLUMN title_source TEXT NOT NULL DEFAULT '';
    UPDATE conversations SET title_source = 'user'
        WHERE title NOT IN ('New conversation', 'Main conversation');
    CREATE TABLE conversation_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        after_message INTEGER NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}',
        created REAL NOT NULL
    );
    CREATE INDEX conversation_events_by_place ON conversation_events(conversation_id,
                                                                     after_message);
    """,
    # 5: "always" answers to memory-edit approvals: that tier's edits land without asking in
    # that workspace (by real path; '' without one) until reset (agent/approval.py)
    """
    CREATE TABLE approval_always (
        workspace TEXT NOT NULL,
        tier TEXT NOT NULL,
        since REAL NOT NULL,
        PRIMARY KEY (workspace, tier)
    );
    """,
    # 6: front-door sessions that went on in another conversation (ACP's /new keeps the
    # session id and moves its turns to a fresh conversation; a restarted agent resumes there)
    """
    CREATE TABLE session_moves (
        session_id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        updated REAL NOT NULL
    );
    """,
]


def db_path(home: Path | None = None) -> Path:
    """Where the database lives."""
    return (home or memfs_home()) / "memfs.db"


class Database:
    """A per-thread SQLite connection to one database file, migrated on first open."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._migrate()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None,
                                   check_same_thread=True)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction (BEGIN IMMEDIATE, so writers queue instead of failing)."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Run a read and return all rows."""
        return self.connection().execute(sql, params).fetchall()

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _migrate(self) -> None:
        current = self.connection().execute("PRAGMA user_version").fetchone()[0]
        if current == len(MIGRATIONS):
            return  # read without taking the write lock (a read waits behind no writer)
        with self.write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path} was written by a newer memfs (schema {version}); upgrade memfs"
                )
            for number in range(version, len(MIGRATIONS)):
                for statement in _statements(MIGRATIONS[number]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (triggers keep their inner semicolons)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
