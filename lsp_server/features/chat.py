"""``memfs/chat``: one turn, streamed as ``memfs/chatDelta`` notifications and work-done
progress; ``$/cancelRequest`` cancels it (the partial reply is kept, marked interrupted)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from agent.events import Done, ErrorEvent, Event, MemoryCommit, TextDelta, ToolCallStarted
from agent.model import NoModelConfigured
from lsp_server.errors import guarded
from lsp_server.params import ChatParams
from lsp_server.sessions import resolve

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

STREAMED = ("text", "toolCallStarted", "toolCallFinished", "memoryCommit", "error",
            "compaction")
ERROR_STATES = ("auth-failed", "missing-key", "unknown-model", "no-model")


@guarded
async def chat(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    params, runtime = await resolve(ls, ChatParams, raw)
    progress = await _progress(ls, params.work_done_token)
    chat_id = uuid.uuid4().hex[:12]
    seq = 0
    ls.busy += 1
    ls.set_status("busy", "thinking")
    done: Done | None = None
    error: ErrorEvent | None = None
    try:
        async for event in runtime.chat(params.text, params.conversation_id):
            if event.kind in STREAMED:
                seq += 1
                ls.notify("memfs/chatDelta", {"chatId": chat_id, "seq": seq,
                                              **_camel(event.to_dict())})
            _report(ls, progress, event)
            if isinstance(event, MemoryCommit):
                ls.own_commits[event.commit] = "chat"
            elif isinstance(event, ErrorEvent):
                error = event
            elif isinstance(event, Done):
                done = event
    except NoModelConfigured as exc:
        ls.busy -= 1
        ls.set_status("error", str(exc))
        _end(ls, progress, "no model configured")
        raise
    except BaseException:
        ls.busy -= 1
        ls.set_status("idle" if not ls.busy else "busy", "cancelled")
        _end(ls, progress, "cancelled")
        raise
    ls.busy -= 1
    if error is not None and error.code in ERROR_STATES:
        ls.set_status("error", f"{error.message} ({error.hint})")
    else:
        ls.set_status("idle" if not ls.busy else "busy")
    _end(ls, progress, "done" if error is None else error.message)
    assert done is not None
    return {"chatId": chat_id, "conversationId": done.conversation_id,
            "messageId": done.message_id, "text": done.text, "toolCalls": done.tool_calls,
            "memoryCommits": done.memory_commits, "usage": _camel(done.usage),
            "stopReason": done.stop_reason,
            "error": _camel(error.to_dict()) if error is not None else None}


def _camel(data: dict[str, Any]) -> dict[str, Any]:
    def convert(key: str) -> str:
        head, *rest = key.split("_")
        return head + "".join(part.title() for part in rest)

    return {convert(k): v for k, v in data.items()}


async def _progress(ls: MemfsServer, token: str | int | None) -> str | int | None:
    """The client's work-done token, or one we create when the client supports progress."""
    if token is None:
        window = ls.client_capabilities.window
        if window is None or not window.work_done_progress:
            return None
        token = f"memfs-chat-{uuid.uuid4().hex[:12]}"
        try:
            await ls.work_done_progress.create_async(token)
        except Exception:
            return None
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
        title="memfs", message="thinking", cancellable=False))
    return token


def _report(ls: MemfsServer, token: str | int | None, event: Event) -> None:
    if token is None:
        return
    message = None
    if isinstance(event, ToolCallStarted):
        target = event.arguments.get("path") or event.arguments.get("query") or ""
        message = f"{event.name} {target}".strip()
    elif isinstance(event, MemoryCommit):
        message = f"memory: {event.message}"
    elif isinstance(event, TextDelta):
        return
    if message:
        ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))


def _end(ls: MemfsServer, token: str | int | None, message: str) -> None:
    if token is not None:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
