"""Where everything lives: ``$MEMFS_HOME`` (default ``$XDG_DATA_HOME/memfs``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from memfs.errors import InvalidArgument

DEFAULT_AGENT_ID = "memory-agent"
DEFAULT_AGENT_NAME = "Memory Agent"
_AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def memfs_home() -> Path:
    """The data home: ``$MEMFS_HOME``, else ``$XDG_DATA_HOME/memfs``, else ~/.local/share/memfs."""
    explicit = os.environ.get("MEMFS_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg).expanduser() / "memfs"


def check_agent_id(agent_id: str) -> str:
    """Return ``agent_id`` when it is a safe folder name, else raise InvalidArgument."""
    if not _AGENT_ID.match(agent_id or ""):
        raise InvalidArgument(
            f"invalid agent id {agent_id!r}",
            "use 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return agent_id


def default_name(agent_id: str) -> str:
    """The display name of an agent created without one ("Memory Agent" for the default)."""
    return DEFAULT_AGENT_NAME if agent_id == DEFAULT_AGENT_ID else agent_id


def agent_dir(agent_id: str, home: Path | None = None) -> Path:
    """Folder of one agent: ``$MEMFS_HOME/agents/<id>``."""
    return (home or memfs_home()) / "agents" / check_agent_id(agent_id)


def memory_dir(agent_id: str, home: Path | None = None) -> Path:
    """The agent's memory repository: ``$MEMFS_HOME/agents/<id>/memory``."""
    return agent_dir(agent_id, home) / "memory"


def backups_dir(home: Path | None = None) -> Path:
    """Where memory bundles go: ``$MEMFS_HOME/backups``."""
    return (home or memfs_home()) / "backups"


def list_agent_ids(home: Path | None = None) -> list[str]:
    """Ids of agents that have a memory repository, sorted."""
    root = (home or memfs_home()) / "agents"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "memory" / ".git").is_dir())
