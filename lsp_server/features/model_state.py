"""The model on ``memfs/status`` notifications: what turns in the first workspace folder would
use and where that comes from, sent at start and again as soon as settings or a folder's trust
change, so a client shows the no-model state before anyone types."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from agent.llm import warm_up
from agent.status import model_state
from lsp_server.wire import to_wire
from memfs.errors import MemfsError

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

log = logging.getLogger("memfs.lsp")


_ONE_AT_A_TIME = asyncio.Lock()  # so the last status sent is from the last settings read


async def refresh(ls: MemfsServer) -> None:
    """Re-read the model state and send ``memfs/status`` with it (``error`` without one)."""
    async with _ONE_AT_A_TIME:
        try:
            runtime = await ls.sessions.runtime(None)
            state = to_wire(await asyncio.to_thread(model_state, runtime))
        except MemfsError as exc:  # e.g. the configured agent is missing: turns will say so
            log.warning("could not tell which model is in use: %s", exc)
            return
        ls.model_state = state
        warm_up(state["name"] if state["configured"] else None)  # litellm, if the model needs it
        if state["configured"]:
            ls.set_status("busy" if ls.busy else "idle")
        else:
            hint = f" ({state['hint']})" if state.get("hint") else ""
            ls.set_status("error", f"{state.get('problem')}{hint}")
