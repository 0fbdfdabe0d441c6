"""``memfs/memoryChanged``: watch every agent's memory HEAD (two small file reads a second)
and tell the client what changed, whoever changed it (this server, the CLI, another editor).

The baseline (every HEAD as it stands) is taken once, before the server touches any memory
for a request (``Sessions`` waits for ``start``), so a change made after a request was
answered is always seen. A memory that appears later is announced as ``created`` (its first
commit), and whatever was committed on top of it since as its own change. A new HEAD that
no handler has labelled (``own_commits``) waits while the server's own work runs, so the
server's commits are never announced as ``external``.
"""

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
Change = tuple[str, list[str], str | None]  # commit, paths, source when known


async def start(ls: MemfsServer) -> None:
    """Start watching (once); returns when the baseline is taken."""
    if ls.watcher is None:
        ls.watcher = asyncio.ensure_future(asyncio.to_thread(_baseline))
        ls.watcher.add_done_callback(
            lambda baseline: None if baseline.cancelled()
            else ls.background(_watch(ls, baseline.result()), own_work=False))
    await asyncio.shield(ls.watcher)


def _baseline() -> dict[str, tuple[MemoryRepo, str]]:
    try:
        return _heads()
    except OSError as exc:  # an unreadable home: every memory then counts as new
        log.warning("memory watcher: %s", exc)
        return {}


def _heads() -> dict[str, tuple[MemoryRepo, str]]:
    found: dict[str, tuple[MemoryRepo, str]] = {}
    for agent_id in list_agent_ids():
        try:
            repo = MemoryRepo(memory_dir(agent_id))
            found[agent_id] = (repo, repo.head())
        except Exception:  # a memory being created or restored right now
            continue
    return found


def _changes(repo: MemoryRepo, old: str | None, new: str) -> list[Change]:
    """What to announce for HEAD moving from ``old`` to ``new`` (``old`` None: a memory
    seen for the first time)."""
    if old is not None:
        return [(new, _diff(repo, old, new), None)]
    root = repo.git.text("rev-list", "--max-parents=0", new).split()[-1]
    created: list[Change] = [(root, [p for p, _ in reader_for(repo.common_dir).files(root)],
                              "created")]
    return created if root == new else created + [(new, _diff(repo, root, new), None)]


def _diff(repo: MemoryRepo, old: str, new: str) -> list[str]:
    out = repo.git.text("diff", "--name-only", "-z", old, new, ok_codes=(0, 128))
    return [p for p in out.split("\0") if p]


async def _watch(ls: MemfsServer, baseline: dict[str, tuple[MemoryRepo, str]]) -> None:
    """Poll HEADs forever (until shutdown cancels the task)."""
    known = {agent: head for agent, (_, head) in baseline.items()}
    while True:
        await asyncio.sleep(INTERVAL)
        try:
            current = await asyncio.to_thread(_heads)
        except Exception as exc:
            log.warning("memory watcher: %s", exc)
            continue
        for agent_id, (repo, head) in current.items():
            old = known.get(agent_id)
            if old == head or (ls.own_work and head not in ls.own_commits):
                continue  # unchanged, or maybe ours and not labelled yet: look again later
            known[agent_id] = head
            for commit, paths, source in await asyncio.to_thread(_changes, repo, old, head):
                ls.notify("memfs/memoryChanged", {
                    "agentId": agent_id, "commit": commit, "paths": paths,
                    "source": source or ls.own_commits.pop(commit, "external")})
