"""memfs.memoryStatus, memfs.memoryLog, memfs.revert, memfs.lint."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from agent.commands.doctor import lint_tiers
from lsp_server.errors import guarded
from lsp_server.features import memory as memory_features
from lsp_server.params import LogParams, Params, RevertParams
from lsp_server.sessions import resolve
from memfs import history
from memfs.store import EditResult

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def status(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """The same answer as ``memfs/status``."""
    return await memory_features.status(ls, list(args))


@guarded
async def log(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """Memory commits, newest first (optionally for one path)."""
    params, runtime = await resolve(ls, LogParams, args)

    def run() -> dict[str, Any]:
        repo = runtime.memory(runtime.agent()).repo
        return {"commits": history.log(repo, params.path, params.limit)}

    return await asyncio.to_thread(run)


@guarded
async def revert(ls: MemfsServer, *args: Any) -> EditResult:
    """Undo one memory commit with a new commit."""
    params, runtime = await resolve(ls, RevertParams, args)

    def run() -> EditResult:
        return history.revert(runtime.memory(runtime.agent()).repo, params.commit)

    result = await asyncio.to_thread(run)
    ls.own_commits[result.commit] = "revert"
    return result


@guarded
async def lint(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """Lint findings for the whole memory, and the workspace's project memory (its paths
    under ``project/``)."""
    params, runtime = await resolve(ls, Params, args)

    def run() -> dict[str, Any]:
        store = runtime.memory(runtime.agent())
        return {"findings": lint_tiers(runtime, store, runtime.project_memory())}

    return await asyncio.to_thread(run)
