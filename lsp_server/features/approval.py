"""Approval in the editor: a memory edit that needs the user's consent (``approval: ask``) is
shown before it lands, and the turn waits for the answer.

A client that declares ``initializationOptions.memfs.approvalUi: true`` gets the request
``memfs/approve {id, tier, path, operation, reason, diff, agentId, conversationId}`` and
answers ``{decision: "accept" | "reject" | "always", reason?}`` (its own diff view and a reason
box). Any other client gets ``window/showMessageRequest`` (Accept / Reject / Always, with a
short diff summary), after ``window/showDocument`` of the diff as a read-only file when it
can show documents: both work in VS Code and Neovim without client code. Whatever asks, the
question can also be answered by ``memfs.resolveApproval {id, decision, reason?}`` (a client
listing ``memfs/pendingApprovals``), and the list's changes are announced with
``memfs/approvalsChanged {approvals}``. A cancelled turn withdraws its question
(``$/cancelRequest`` to the client).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from agent.approval import ApprovalRequest, Decision
from agent.runtime import Runtime
from lsp_server.errors import guarded
from lsp_server.jsonish import plain
from lsp_server.params import ApprovalParams, ResolveApprovalParams, parse
from lsp_server.sessions import resolve
from memfs.home import memfs_home

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

log = logging.getLogger("memfs.lsp")
ACCEPT, REJECT, ALWAYS = "Accept", "Reject", "Always"
DIFF_LINES = 3  # changed lines quoted in a message request


@dataclass(frozen=True)
class ApprovalItem:
    """A question waiting for the user (what ``memfs/pendingApprovals`` lists)."""

    id: str
    tier: str
    path: str
    operation: str
    reason: str
    diff: str
    agent_id: str
    conversation_id: str | None


@dataclass
class _Pending:
    request: ApprovalRequest
    answer: asyncio.Future[Decision] = field(default_factory=asyncio.Future)


PENDING: dict[str, _Pending] = {}


def item(request: ApprovalRequest) -> ApprovalItem:
    return ApprovalItem(request.id, request.tier, request.path, request.operation,
                        request.reason, request.diff, request.agent_id,
                        request.conversation_id)


def attach(ls: MemfsServer, runtime: Runtime) -> None:
    """Let the runtime's turns ask this editor about memory edits."""
    async def approver(request: ApprovalRequest) -> Decision:
        return await ask(ls, request)

    runtime.approver = approver


async def ask(ls: MemfsServer, request: ApprovalRequest) -> Decision:
    """The user's decision on ``request``, by whichever way answers first."""
    pending = PENDING[request.id] = _Pending(request)
    _changed(ls)
    question = asyncio.ensure_future(_ask_client(ls, request))
    try:
        done, _ = await asyncio.wait({question, pending.answer},
                                     return_when=asyncio.FIRST_COMPLETED)
        if pending.answer in done:
            return pending.answer.result()
        return question.result()
    finally:
        question.cancel()
        PENDING.pop(request.id, None)
        _changed(ls)


def _changed(ls: MemfsServer) -> None:
    ls.notify("memfs/approvalsChanged",
              {"approvals": [item(p.request) for p in PENDING.values()]})


async def _ask_client(ls: MemfsServer, request: ApprovalRequest) -> Decision:
    if ls.init_options.get("approvalUi") is True:
        try:
            answer = await _request(ls, "memfs/approve", {
                "id": request.id, "tier": request.tier, "path": request.path,
                "operation": request.operation, "reason": request.reason,
                "diff": request.diff, "agentId": request.agent_id,
                "conversationId": request.conversation_id})
            return _decision(plain(answer))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the client could not show it: ask the standard way
            log.warning("memfs/approve failed (%s); asking with a message instead", exc)
    return await _message(ls, request)


async def _request(ls: MemfsServer, method: str, params: Any) -> Any:
    """A request to the client, withdrawn (``$/cancelRequest``) if this task is cancelled."""
    msg_id = f"memfs-{uuid.uuid4().hex[:12]}"
    try:
        return await ls.protocol.send_request_async(method, params, msg_id=msg_id)
    except asyncio.CancelledError:
        ls.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        ls.protocol._request_futures.pop(msg_id, None)
        raise


def _decision(answer: Any) -> Decision:
    value = answer.get("decision") if isinstance(answer, dict) else None
    if value not in ("accept", "reject", "always"):
        return Decision("reject", "the editor's answer was not accept, reject or always")
    reason = answer.get("reason")
    return Decision(value, str(reason) if reason else None)


async def _message(ls: MemfsServer, request: ApprovalRequest) -> Decision:
    """Accept / Reject / Always in a message request, the diff beside it when possible."""
    shown = await _show_diff(ls, request)
    try:
        answer = await _request(ls, types.WINDOW_SHOW_MESSAGE_REQUEST,
                                types.ShowMessageRequestParams(
                                    type=types.MessageType.Info,
                                    message=summary(request, shown is not None),
                                    actions=[types.MessageActionItem(title=t)
                                             for t in (ACCEPT, REJECT, ALWAYS)]))
    finally:
        if shown is not None:
            shown.unlink(missing_ok=True)
    title = getattr(answer, "title", None) or (answer.get("title")
                                               if isinstance(answer, dict) else None)
    if title == ACCEPT:
        return Decision("accept")
    if title == ALWAYS:
        return Decision("always")
    if title == REJECT:
        return Decision("reject", "the user rejected it")
    return Decision("reject", "the user dismissed the question")


def summary(request: ApprovalRequest, diff_shown: bool) -> str:
    """``memfs: the agent wants to str_replace project/x.md (project memory: why). +1 -1:
    -old / +new. Apply it?``"""
    lines = request.diff.splitlines()
    added = [ln for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    quoted = " / ".join(ln[:80] for ln in (removed + added)[:DIFF_LINES])
    return (f"memfs: the agent wants to {request.operation} {request.path} ({request.tier} "
            f"memory: {request.reason}). +{len(added)} -{len(removed)} lines: {quoted}"
            + (" (the whole diff is open beside)" if diff_shown else "") + ". Apply it?")


async def _show_diff(ls: MemfsServer, request: ApprovalRequest) -> Path | None:
    """Show the diff as a read-only file (in the data home) when the client can show
    documents; its path, or None."""
    window = ls.client_capabilities.window
    if window is None or window.show_document is None or not window.show_document.support:
        return None
    folder = memfs_home() / "approvals"
    target = folder / f"{request.id}.diff"
    try:
        await asyncio.to_thread(_write_read_only, folder, target, request.diff)
        await _request(ls, types.WINDOW_SHOW_DOCUMENT, types.ShowDocumentParams(
            uri=target.as_uri(), take_focus=False))
    except asyncio.CancelledError:
        target.unlink(missing_ok=True)
        raise
    except Exception as exc:  # the diff is a courtesy; the question still goes out
        log.warning("could not show the diff of %s: %s", request.path, exc)
    return target


def _write_read_only(folder: Path, target: Path, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    target.write_text(text, encoding="utf-8")
    os.chmod(target, 0o444)


async def pending(ls: MemfsServer, raw: Any) -> dict[str, Any]:
    """``memfs/pendingApprovals {}`` -> ``{approvals: [ApprovalItem]}``."""
    return {"approvals": [item(p.request) for p in PENDING.values()]}


@guarded
async def resolve_approval(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """``memfs.resolveApproval {id, decision, reason?}`` -> ``{resolved}`` (false when no such
    question is waiting)."""
    params = parse(ResolveApprovalParams, args)
    waiting = PENDING.get(params.id)
    if waiting is None or waiting.answer.done():
        return {"resolved": False}
    waiting.answer.set_result(Decision(params.decision, params.reason))
    return {"resolved": True}


@guarded
async def approval(ls: MemfsServer, *args: Any) -> dict[str, Any]:
    """``memfs.approval {reset?}`` -> ``{personal, project, always}``: the policies in force
    in the workspace; ``reset`` forgets "always" answers (a tier, or ``all``)."""
    params, runtime = await resolve(ls, ApprovalParams, args)

    def run() -> dict[str, Any]:
        if params.reset is not None:
            runtime.grants.reset(runtime.workspace,
                                 None if params.reset == "all" else params.reset)
        state = runtime.approval()
        return {"personal": state.personal, "project": state.project, "always": state.always}

    return await asyncio.to_thread(run)
