"""``memfs/memoryChanged``: watch every agent's memory HEAD (two small file reads a second)
and tell the client what changed, whoever changed it (this server, the CLI, another editor)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from memfs.home import list_agent_ids, memory_dir
from memfs.objects import reader_for
from memfs.repo import MemoryRepo

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

log = logging.getLogger("memfs.lsp")
INTERVAL = 0.5


def _heads() -> dict[str, tuple[MemoryRepo, str]]:
    found: dict[str, tuple[MemoryRepo, str]] = {}
    for agent_id in list_agent_ids():
        try:
            repo = MemoryRepo(memory_dir(agent_id))
            found[agent_id] = (repo, repo.head())
        except Exception:  # a memory being created or restored right now
            continue
    return found


def _changed_paths(repo: MemoryRepo, old: str | None, new: str) -> list[str]:
    """Paths that differ between two commits (every path when the memory is new)."""
    if old is None:
        return [path for path, _ in reader_for(repo.common_dir).files(new)]
    out = repo.git.text("diff", "--name-only", "-z", old, new, ok_codes=(0, 128))
    return [p for p in out.split("\0") if p]


async def watch(ls: MemfsServer) -> None:
    """Poll HEADs forever (until shutdown cancels the task)."""
    known = {agent: head for agent, (_, head) in (await asyncio.to_thread(_heads)).items()}
    while True:
        await asyncio.sleep(INTERVAL)
        try:
            current = await asyncio.to_thread(_heads)
        except Exception as exc:
            log.warning("memory watcher: %s", exc)
            continue
        for agent_id, (repo, head) in current.items():
            old = known.get(agent_id)
            if old == head:
                continue
            known[agent_id] = head
            paths = await asyncio.to_thread(_changed_paths, repo, old, head)
            ls.notify("memfs/memoryChanged", {
                "agentId": agent_id, "commit": head, "paths": paths,
                "source": ls.own_commits.pop(head, "created" if old is None else "external")})
