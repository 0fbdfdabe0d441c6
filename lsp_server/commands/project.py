"""memfs.initProjectMemory: create the workspace's project memory (``.memfs/memory/``) on
purpose; nothing else ever creates it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsp_server.errors import guarded
from lsp_server.params import Params
from lsp_server.sessions import resolve
from lsp_server.watcher import label_writes
from memfs import project
from memfs.errors import InvalidArgument

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@dataclass(frozen=True)
class ProjectMemoryCreated:
    """Where project memory is, whether this call created it, the files it wrote, and
    whether git ignores it (then the team would not see it)."""

    root: str
    created: bool
    files: list[str]
    ignored: bool


@guarded
async def init(ls: MemfsServer, *args: Any) -> ProjectMemoryCreated:
    params, runtime = await resolve(ls, Params, args)
    workspace = runtime.workspace
    if workspace is None:
        raise InvalidArgument("project memory needs a workspace folder",
                              "open the project's folder in the editor")

    def run() -> ProjectMemoryCreated:
        store, written = project.create(workspace, runtime.home)
        return ProjectMemoryCreated(str(store.root), bool(written),
                                    [project.PREFIX + p for p in written],
                                    project.ignored_by_git(workspace))

    created = await asyncio.to_thread(run)
    label_writes(ls, workspace, created.files, "created")
    return created


# The approval and scoped-memory commands live with their features.
from lsp_server.features.approval import approval, resolve_approval  # noqa: E402
from lsp_server.features.scoped import open_scoped  # noqa: E402

__all__ = ["approval", "init", "open_scoped", "resolve_approval"]
