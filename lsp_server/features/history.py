"""``memfs/messages`` (a conversation as the user saw it, a page at a time) and
``memfs/commit`` (one memory commit with its diff)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from agent import transcript
from lsp_server.errors import guarded
from lsp_server.params import CommitParams, MessagesParams
from lsp_server.sessions import resolve
from lsp_server.wire import to_wire
from memfs import history

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer


@guarded
async def messages(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    """A page of the conversation (the workspace's current one unless named), newest first;
    an item's absent fields are left out rather than sent as null."""
    params, runtime = await resolve(ls, MessagesParams, raw)

    def build() -> transcript.Page:
        if params.conversation_id:
            conversation = runtime.conversations.get(params.conversation_id)
        else:
            conversation = runtime.conversation(runtime.agent())
        return transcript.page(runtime.db, conversation, params.before, params.limit)

    result: dict[str, Any] = to_wire(await asyncio.to_thread(build))
    result["items"] = [_present(item) for item in result["items"]]
    return result


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without the null ones, in nested objects too (a tool call's own
    ``arguments`` are data and stay as the model sent them)."""
    return {key: _present(value) if isinstance(value, dict) and key != "arguments" else value
            for key, value in fields.items() if value is not None}


@guarded
async def commit(ls: MemfsServer, raw: Any) -> Any:
    """Message, author, date, source, paths and unified diff of one memory commit."""
    params, runtime = await resolve(ls, CommitParams, raw)

    def build() -> history.CommitDetails:
        repo = runtime.memory(runtime.agent(params.agent_id)).repo
        return history.commit_details(repo, params.sha)

    return to_wire(await asyncio.to_thread(build))
