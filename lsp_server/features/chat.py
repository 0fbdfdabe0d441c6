"""``memfs/chat``: one turn, streamed as ``memfs/chatDelta`` notifications and work-done
progress; ``$/cancelRequest`` cancels it (the partial reply is kept, marked interrupted)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from agent.events import (
    Done,
    ErrorEvent,
    Event,
    MemoryCommit,
    MemoryWrite,
    TextDelta,
    ToolCallStarted,
    Usage,
)
from agent.model import NoModelConfigured
from lsp_server.errors import guarded
from lsp_server.features.scoped import focus_for, refresh_lenses
from lsp_server.params import ChatParams
from lsp_server.progress import WorkDone
from lsp_server.sessions import resolve
from lsp_server.watcher import label_writes
from lsp_server.wire import to_wire

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

STREAMED = ("text", "toolCallStarted", "toolCallFinished", "memoryCommit", "memoryWrite",
            "error", "compaction")
ERROR_STATES = ("auth-failed", "missing-key", "unknown-model", "no-model")


@guarded
async def chat(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    params, runtime = await resolve(ls, ChatParams, raw)
    progress = WorkDone(ls, "memfs", token=params.work_done_token)
    progress.begin("thinking")
    chat_id = params.chat_id or uuid.uuid4().hex[:12]
    seq = 0
    ls.busy += 1
    ls.set_status("busy", "thinking")
    done: Done | None = None
    error: ErrorEvent | None = None
    focus = focus_for(ls, runtime, params.active_uri)
    changed = False  # memory changed: which scoped memories apply may have too
    try:
        async for event in runtime.chat(params.text, params.conversation_id, focus=focus):
            if event.kind in STREAMED:
                seq += 1
                ls.notify("memfs/chatDelta", {"chatId": chat_id, "seq": seq,
                                              "kind": event.kind, **to_wire(event)})
            _report(progress, event)
            changed = changed or isinstance(event, MemoryCommit | MemoryWrite)
            if isinstance(event, MemoryCommit):
                ls.own_commits[event.commit] = "chat"
            elif isinstance(event, MemoryWrite):
                label_writes(ls, runtime.workspace, event.paths, "chat")
            elif isinstance(event, ErrorEvent):
                error = event
            elif isinstance(event, Done):
                done = event
    except NoModelConfigured as exc:
        ls.busy -= 1
        ls.set_status("error", str(exc))
        progress.end("no model configured")
        raise
    except BaseException:
        ls.busy -= 1
        ls.set_status("idle" if not ls.busy else "busy", "cancelled")
        progress.end("cancelled")
        raise
    ls.busy -= 1
    if changed:
        refresh_lenses(ls)
    if error is not None and error.code in ERROR_STATES:
        ls.set_status("error", f"{error.message} ({error.hint})")
    else:
        ls.set_status("idle" if not ls.busy else "busy")
    progress.end("done" if error is None else error.message)
    assert done is not None
    return {"chatId": chat_id, "conversationId": done.conversation_id,
            "messageId": done.message_id, "text": done.text, "toolCalls": done.tool_calls,
            "memoryCommits": done.memory_commits, "usage": Usage(**done.usage),
            "stopReason": done.stop_reason, "error": error}


def _report(progress: WorkDone, event: Event) -> None:
    message = None
    if isinstance(event, ToolCallStarted):
        target = event.arguments.get("path") or event.arguments.get("query") or ""
        message = f"{event.name} {target}".strip()
    elif isinstance(event, MemoryCommit):
        message = f"memory: {event.message}"
    elif isinstance(event, TextDelta):
        return
    if message:
        progress.report(message)
