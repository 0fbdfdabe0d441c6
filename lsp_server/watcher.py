"""``memfs/memoryChanged``: watch every agent's memory HEAD (two small file reads a second)
and every workspace's project memory folder (each file's mtime and size), and tell the client
what changed, whoever changed it (this server, the CLI, another editor, a teammate's pull).

The baseline (every HEAD as it stands) is taken once, before the server touches any memory
for a request (``Sessions`` waits for ``start``), so a change made after a request was
answered is always seen. A memory that appears later is announced as ``created`` (its first
commit), and whatever was committed on top of it since as its own change. A new HEAD that
no handler has labelled (``own_commits``) waits while the server's own work runs, so the
server's commits are never announced as ``external``.

Project memory (``tier: "project"``, ``commit`` null) is never committed by memfs, so its
fingerprint stands in for HEAD: a workspace folder's is taken with the baseline, a workspace
first met later (a new session) before its session is handed out. A changed file that no
handler has labelled with the state it wrote (``own_writes``) waits while the server's own
work runs, like an unlabelled commit.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pygls.uris import from_fs_path, to_fs_path

from memfs import project
from memfs.errors import MemfsError
from memfs.home import list_agent_ids, memory_dir
from memfs.objects import reader_for
from memfs.repo import MemoryRepo

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

log = logging.getLogger("memfs.lsp")
INTERVAL = 0.5
Change = tuple[str, list[str], str | None]  # commit, paths, source when known
Stat = tuple[int, int]  # a project memory file's mtime (ns) and size


async def start(ls: MemfsServer) -> None:
    """Start watching (once); returns when the baseline is taken."""
    if ls.watcher is None:
        folders = [Path(to_fs_path(uri) or uri).resolve() for uri in ls.folders]
        ls.watcher = asyncio.ensure_future(asyncio.to_thread(_baseline, ls, folders))
        # polling is background work from now on, so a shutdown stops it even before it began
        ls.background(_watch(ls, ls.watcher), own_work=False)
    await asyncio.shield(ls.watcher)


def _baseline(ls: MemfsServer, folders: list[Path]) -> dict[str, tuple[MemoryRepo, str]]:
    for folder in folders:
        ls.project_files.setdefault(str(folder), project.snapshot(folder))
    try:
        return _heads()
    except OSError as exc:  # an unreadable home: every memory then counts as new
        log.warning("memory watcher: %s", exc)
        return {}


def watch_workspace(ls: MemfsServer, workspace: Path | None) -> None:
    """Watch a workspace's project memory from now on (its fingerprint, unless known)."""
    if workspace is not None and str(workspace) not in ls.project_files:
        ls.project_files[str(workspace)] = project.snapshot(workspace)


def label_writes(ls: MemfsServer, workspace: Path | None, paths: list[str], source: str
                 ) -> None:
    """Record that the server just wrote these project memory files (``project/...``), each
    in the state it has now (None: deleted), as ``source``."""
    if workspace is None:
        return
    root = project.memory_root(workspace)
    for path in paths:
        if path.startswith(project.PREFIX):
            rel = path[len(project.PREFIX):]
            try:
                st = (root / rel).lstat()
                state: Stat | None = (st.st_mtime_ns, st.st_size)
            except OSError:
                state = None
            ls.own_writes[(str(workspace), rel)] = (state, source)


def _heads() -> dict[str, tuple[MemoryRepo, str]]:
    found: dict[str, tuple[MemoryRepo, str]] = {}
    for agent_id in list_agent_ids():
        try:
            repo = MemoryRepo(memory_dir(agent_id))
            found[agent_id] = (repo, repo.head())
        except (MemfsError, OSError):  # a memory being created or restored right now
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


async def _watch(ls: MemfsServer,
                 baseline: asyncio.Future[dict[str, tuple[MemoryRepo, str]]]) -> None:
    """Poll HEADs forever, once the baseline is taken (until shutdown cancels the task)."""
    known = {agent: head for agent, (_, head) in (await asyncio.shield(baseline)).items()}
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
                    "source": source or ls.own_commits.pop(commit, "external"),
                    "tier": "personal"})
        await _watch_projects(ls)


async def _watch_projects(ls: MemfsServer) -> None:
    """Announce what changed in each watched project memory folder since it was last seen."""
    workspaces = list(ls.project_files)
    try:
        current = await asyncio.to_thread(lambda: [project.snapshot(Path(w)) for w in workspaces])
    except Exception as exc:
        log.warning("project memory watcher: %s", exc)
        return
    for workspace, files in zip(workspaces, current, strict=True):
        by_source = _project_changes(ls, workspace, files)
        if not by_source:
            continue
        agent_id = await asyncio.to_thread(_agent_of, ls, workspace)
        for source, paths in by_source.items():
            ls.notify("memfs/memoryChanged", {
                "agentId": agent_id, "commit": None,
                "paths": [project.PREFIX + p for p in paths], "source": source,
                "tier": "project", "workspaceUri": from_fs_path(workspace)})


def _project_changes(ls: MemfsServer, workspace: str, files: dict[str, Stat]
                     ) -> dict[str, list[str]]:
    """The changed files of one project memory folder by source (``known`` moves on for the
    files announced; one the server may have written but not labelled yet waits)."""
    known = ls.project_files[workspace]
    by_source: dict[str, list[str]] = {}
    for rel in sorted(known.keys() | files.keys()):
        state = files.get(rel)
        if known.get(rel) == state:
            continue
        label = ls.own_writes.get((workspace, rel))
        if label is not None and label[0] == state:
            source = label[1]
        elif ls.own_work:
            continue  # maybe ours and not labelled yet: look again later
        else:
            source = "external"
        ls.own_writes.pop((workspace, rel), None)
        if state is None:
            known.pop(rel, None)
        else:
            known[rel] = state
        by_source.setdefault(source, []).append(rel)
    return by_source


def _agent_of(ls: MemfsServer, workspace: str) -> str | None:
    """The agent of the workspace's session (None before it has one)."""
    for runtime in ls.sessions.all():
        if str(runtime.workspace) == workspace:
            return runtime.agent_id()
    return None
