"""Memory edits under ``approval: ask`` as ``session/request_permission``: the edit's diff
with Allow / Always allow / Reject; the answer is the ``Decision`` the turn waits for. A
cancelled turn withdraws the question (the client answers it ``cancelled``)."""

from __future__ import annotations

from pathlib import Path

from acp import tool_diff_content
from acp.schema import AllowedOutcome, PermissionOption, ToolCallUpdate

from agent.approval import ApprovalRequest, Decision

ALLOW, ALWAYS, REJECT = "allow", "always", "reject"


def options(request: ApprovalRequest) -> list[PermissionOption]:
    return [PermissionOption(option_id=ALLOW, name="Allow", kind="allow_once"),
            PermissionOption(option_id=ALWAYS, kind="allow_always",
                             name=f"Always allow {request.tier} memory edits here"),
            PermissionOption(option_id=REJECT, name="Reject", kind="reject_once")]


def tool_call(request: ApprovalRequest, call_id: str, root: Path) -> ToolCallUpdate:
    """The edit waiting for approval, as the tool call it belongs to, with its diff."""
    rel = request.path.removeprefix("project/") if request.tier == "project" else request.path
    return ToolCallUpdate(
        tool_call_id=call_id, kind="edit", status="pending",
        title=f"{request.operation} {request.path} ({request.tier} memory): {request.reason}",
        content=[tool_diff_content(str(root / rel), request.after or "", request.before)],
        raw_input={"tier": request.tier, "path": request.path,
                   "operation": request.operation, "reason": request.reason,
                   "diff": request.diff})


def decision(outcome: object) -> Decision:
    """The client's answer as our decision (a dismissed question is a rejection)."""
    if not isinstance(outcome, AllowedOutcome):
        return Decision("reject", "the user dismissed the question")
    if outcome.option_id == ALLOW:
        return Decision("accept")
    if outcome.option_id == ALWAYS:
        return Decision("always")
    if outcome.option_id == REJECT:
        return Decision("reject", "the user rejected it")
    return Decision("reject", f"the client answered an unknown option {outcome.option_id!r}")
