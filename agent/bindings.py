"""Workspace bindings: a workspace's current agent, and per agent the conversation last used
there. Kept in the data home's database, keyed by the workspace's real path, so a project
folder is never written to and each data home (``MEMFS_HOME``) has its own bindings.

Earlier versions kept the binding (``lastAgent``, ``lastConversation``) and per-agent
``sleeptime`` in ``<ws>/.memfs/settings.local.json``; ``adopt_legacy`` moves them here once.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

from agent.db import Database
from agent.setting_layers import LOCAL_FILE, PROJECT_FOLDER, links_out, project_file, read_json
from memfs.errors import InvalidArgument
from memfs.home import DEFAULT_AGENT_ID

LEGACY_KEYS = ("lastAgent", "lastConversation")
LEGACY_IGNORE = "# memfs: machine-local files\nsettings.local.json\n"


class Bindings:
    """Read and record workspace bindings in one data home."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def agent(self, workspace: Path) -> str | None:
        """The workspace's current agent, if one was recorded."""
        rows = self.db.query("SELECT agent_id FROM workspace_bindings WHERE workspace = ?",
                             (str(workspace),))
        return str(rows[0]["agent_id"]) if rows else None

    def current(self, workspace: Path | None, chosen: str | None = None) -> str:
        """The agent a workspace works with: ``chosen`` (named, or the ``agent`` setting),
        else the one recorded for the workspace, else the default agent."""
        if not chosen and workspace is not None:
            chosen = self.agent(workspace)
        return chosen or DEFAULT_AGENT_ID

    def conversation(self, workspace: Path, agent_id: str) -> str | None:
        """The conversation last used in the workspace with this agent."""
        rows = self.db.query("SELECT conversation_id FROM workspace_conversations "
                             "WHERE workspace = ? AND agent_id = ?", (str(workspace), agent_id))
        return str(rows[0]["conversation_id"]) if rows else None

    def remember(self, workspace: Path, agent_id: str, conversation_id: str) -> None:
        """Record the agent and its conversation as the workspace's current ones."""
        now = time.time()
        with self.db.write() as conn:
            conn.execute("INSERT INTO workspace_bindings (workspace, agent_id, updated) "
                         "VALUES (?, ?, ?) ON CONFLICT(workspace) DO UPDATE SET "
                         "agent_id = excluded.agent_id, updated = excluded.updated",
                         (str(workspace), agent_id, now))
            conn.execute("INSERT INTO workspace_conversations (workspace, agent_id, "
                         "conversation_id, updated) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT(workspace, agent_id) DO UPDATE SET "
                         "conversation_id = excluded.conversation_id, updated = excluded.updated",
                         (str(workspace), agent_id, conversation_id, now))

    def adopt_legacy(self, workspace: Path) -> bool:
        """Import a binding an earlier version wrote into the project, when this data home has
        none yet and knows that agent; then remove the keys that version wrote (and its
        ``.gitignore``), so the project is as it was. Nothing is touched through a link."""
        if self.agent(workspace) is not None:
            return False
        path = project_file(workspace, LOCAL_FILE)
        if not path.is_file() or _linked(workspace, path):
            return False
        data = read_json(path, [])
        agent_id, conversation_id = data.get("lastAgent"), data.get("lastConversation")
        if not isinstance(agent_id, str) or not self.db.query(
                "SELECT 1 FROM agents WHERE id = ?", (agent_id,)):
            return False  # written by another data home (or nothing to adopt)
        if not isinstance(conversation_id, str) or not self.db.query(
                "SELECT 1 FROM conversations WHERE id = ? AND agent_id = ?",
                (conversation_id, agent_id)):
            rows = self.db.query("SELECT id FROM conversations WHERE agent_id = ? AND "
                                 "is_default = 1", (agent_id,))
            if not rows:
                return False
            conversation_id = str(rows[0]["id"])
        self.remember(workspace, agent_id, conversation_id)
        per_agent = data.get("sleeptime")
        if isinstance(per_agent, dict):
            from agent import sleeptime  # its settings model loads only for this migration

            for key in [k for k, v in per_agent.items() if isinstance(v, dict)]:
                if self.db.query("SELECT 1 FROM agents WHERE id = ?", (key,)):
                    if not sleeptime.stored(self.db, key):
                        with contextlib.suppress(InvalidArgument):
                            sleeptime.save(self.db, key, per_agent[key])
                    del per_agent[key]
            if not per_agent:
                del data["sleeptime"]
        for key in LEGACY_KEYS:
            data.pop(key, None)
        _tidy(workspace, path, data)
        return True


def _linked(workspace: Path, path: Path) -> bool:
    folder = path.parent
    return folder.is_symlink() or path.is_symlink() or links_out(workspace, path)


def _tidy(workspace: Path, path: Path, rest: dict[str, Any]) -> None:
    """Rewrite (or remove) the legacy local file, then our .gitignore and the empty folder."""
    if rest:
        import tempfile  # only for this one-time migration

        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(rest, indent=2) + "\n")
        os.replace(tmp, path)
        return
    path.unlink()
    ignore = path.parent / ".gitignore"
    if not ignore.is_symlink() and ignore.is_file() and \
            ignore.read_text(encoding="utf-8") == LEGACY_IGNORE:
        ignore.unlink()
    folder = Path(workspace) / PROJECT_FOLDER
    with contextlib.suppress(OSError):
        folder.rmdir()  # only when empty
