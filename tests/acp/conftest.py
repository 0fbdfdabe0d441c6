"""The real ``memfs-acp`` as a subprocess, driven by the ACP SDK's own client side (an
independent client, not our code); the model is the scripted server over HTTP."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from acp import PROTOCOL_VERSION, spawn_agent_process
from acp.client.connection import ClientSideConnection
from acp.interfaces import Client
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    DeniedOutcome,
    FileSystemCapabilities,
    PermissionOption,
    ReadTextFileResponse,
    RequestPermissionResponse,
    ToolCallUpdate,
)

AGENT = str(Path(sys.executable).with_name("memfs-acp"))


class Recorder:
    """An ACP client: records every ``session/update``, answers permission requests from
    ``answers`` (an option id, or None to dismiss) in turn, and, given ``buffers``, offers
    ``fs/read_text_file`` and answers it with their text."""

    def __init__(self, answers: list[str | None] | None = None,
                 buffers: dict[str, str] | None = None) -> None:
        self.updates: list[dict[str, Any]] = []
        self.buffers = dict(buffers or {})  # unsaved editor text by path (offers fs reads)
        self.reads: list[str] = []
        self.permissions: list[dict[str, Any]] = []
        self.answers = list(answers or [])
        self.changed = asyncio.Condition()
        self.pid = 0  # the agent's process, once started

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        async with self.changed:
            self.updates.append({"sessionId": session_id,
                                 **update.model_dump(mode="json", by_alias=True,
                                                     exclude_none=True)})
            self.changed.notify_all()

    async def request_permission(self, session_id: str, tool_call: ToolCallUpdate,
                                 options: list[PermissionOption],
                                 **kwargs: Any) -> RequestPermissionResponse:
        self.permissions.append({"sessionId": session_id,
                                 "toolCall": tool_call.model_dump(mode="json", by_alias=True,
                                                                  exclude_none=True),
                                 "options": [o.option_id for o in options]})
        answer = self.answers.pop(0) if self.answers else None
        if answer is None:
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected",
                                                                option_id=answer))

    async def read_text_file(self, session_id: str, path: str, line: int | None = None,
                             limit: int | None = None, **kwargs: Any) -> ReadTextFileResponse:
        self.reads.append(path)
        return ReadTextFileResponse(content=self.buffers[path])

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool],
                       timeout: float = 60.0) -> dict[str, Any]:
        """The first update matching ``predicate`` (waits for it to arrive)."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(
                lambda: any(predicate(u) for u in self.updates)), timeout)
            return next(u for u in self.updates if predicate(u))

    def of(self, kind: str, session_id: str | None = None) -> list[dict[str, Any]]:
        return [u for u in self.updates if u["sessionUpdate"] == kind
                and (session_id is None or u["sessionId"] == session_id)]

    def text(self, kind: str = "agent_message_chunk", session_id: str | None = None) -> str:
        return "".join(u["content"]["text"] for u in self.of(kind, session_id)
                       if u["content"].get("type") == "text")


@asynccontextmanager
async def acp_agent(recorder: Recorder, log: Path, env: dict[str, str] | None = None
                    ) -> AsyncIterator[ClientSideConnection]:
    """A started, initialized ``memfs-acp`` (its stderr in ``log``)."""
    with log.open("ab") as errors:
        # A client need not define the terminal and elicitation methods it does not offer.
        async with spawn_agent_process(cast(Client, recorder), AGENT, env=dict(env or os.environ),
                                       transport_kwargs={"stderr": errors}) as (conn, process):
            recorder.pid = process.pid
            fs = FileSystemCapabilities(read_text_file=bool(recorder.buffers))
            await conn.initialize(protocol_version=PROTOCOL_VERSION,
                                  client_capabilities=ClientCapabilities(fs=fs))
            yield conn
