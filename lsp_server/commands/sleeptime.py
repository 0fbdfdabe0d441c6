"""memfs.sleeptime: get (no fields) or set the agent's reflection settings."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from agent.settings import Sleeptime
from lsp_server.errors import guarded
from lsp_server.params import SleeptimeParams
from lsp_server.sessions import resolve

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def run(ls: MemfsServer, *args: Any) -> Sleeptime:
    params, runtime = await resolve(ls, SleeptimeParams, args)
    changes = {k: v for k, v in {"trigger": params.trigger, "step_count": params.step_count,
                                 "merge": params.merge}.items() if v is not None}

    def apply() -> Sleeptime:
        agent = runtime.agent()
        if changes:
            return runtime.set_sleeptime(agent.id, changes)
        return runtime.sleeptime(agent.id)

    return await asyncio.to_thread(apply)
