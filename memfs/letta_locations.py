"""Where Letta Code keeps agent memories: ``~/.letta/agents/<id>/memory`` (server mode) and
``~/.letta/lc-local-backend/memfs/<id>/memory`` (local mode; ``$LETTA_LOCAL_BACKEND_DIR``
replaces ``~/.letta/lc-local-backend``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from memfs.errors import InvalidArgument


@dataclass(frozen=True)
class LettaMemory:
    """One Letta Code agent's memory folder."""

    agent_id: str
    path: Path
    mode: str  # "server" or "local"


def roots() -> list[tuple[str, Path]]:
    """The folders holding ``<id>/memory``, with the mode each belongs to."""
    letta = Path.home() / ".letta"
    local = Path(os.environ.get("LETTA_LOCAL_BACKEND_DIR") or letta / "lc-local-backend")
    return [("server", letta / "agents"), ("local", local.expanduser() / "memfs")]


def find() -> list[LettaMemory]:
    """Every Letta Code memory folder on this machine."""
    found: list[LettaMemory] = []
    for mode, root in roots():
        if root.is_dir():
            found += [LettaMemory(p.name, p / "memory", mode) for p in sorted(root.iterdir())
                      if (p / "memory").is_dir()]
    return found


def locate(source: str) -> Path:
    """``source`` as a folder, else the memory of the Letta Code agent with that id."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    matches = [m.path for m in find() if m.agent_id == source]
    if len(matches) == 1:
        return matches[0]
    where = " and ".join(str(root / "<id>" / "memory") for _, root in roots())
    if matches:
        raise InvalidArgument(f"Letta agent {source!r} has memory in {len(matches)} places",
                              "pass the folder to import: " + ", ".join(map(str, matches)))
    raise InvalidArgument(f"{source} is neither a folder nor a Letta Code agent id found in "
                          f"{where}", "pass a Letta memory folder, or list them with "
                          "'memfs memory import --list'")
