"""Approval at the terminal, and ``memfs approval [show | reset [TIER]]``.

Under ``approval: ask`` a memory edit proposed during ``memfs chat`` is shown on the terminal
with its diff and lands only on "y" (or "always": no more questions for that tier in this
workspace). Without a terminal (stdin is not a TTY) nobody can be asked, so such an edit is
refused and the model is told why.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from agent.approval import TIERS, ApprovalRequest, Decision, Tier
from memfs_cli.agent_commands import runtime_for
from memfs_cli.output import emit, emit_json, fail


def interactive() -> bool:
    """Whether the user can be asked (stdin is a terminal)."""
    return sys.stdin is not None and sys.stdin.isatty()


def ask_terminal(request: dict[str, Any]) -> dict[str, Any]:
    """Show an edit (``request``: tier, path, operation, reason, diff) and read the answer:
    ``{"outcome": "accept" | "reject" | "always", "reason": ...}``."""
    err = sys.stderr
    err.write(f"\nmemfs: the agent wants to {request['operation']} {request['path']} "
              f"({request['tier']} memory): {request['reason']}\n")
    err.write(str(request["diff"]) or "(no textual change)\n")
    err.flush()
    while True:
        try:
            answer = input("Apply this memory edit? [y]es / [n]o / [a]lways for "
                           f"{request['tier']} memory here: ").strip().lower()
        except EOFError:
            return {"outcome": "reject", "reason": "no answer (end of input)"}
        if answer in ("y", "yes"):
            return {"outcome": "accept"}
        if answer in ("a", "always"):
            return {"outcome": "always"}
        if answer in ("n", "no"):
            try:
                why = input("Why not? (optional, tells the agent): ").strip()
            except EOFError:
                why = ""
            return {"outcome": "reject", "reason": why or "the user said no"}


def request_dict(request: ApprovalRequest) -> dict[str, Any]:
    """What the terminal (or the worker's client) needs to ask."""
    return {"id": request.id, "tier": request.tier, "path": request.path,
            "operation": request.operation, "reason": request.reason, "diff": request.diff}


def decision_of(answer: dict[str, Any]) -> Decision:
    outcome = answer.get("outcome")
    if outcome not in ("accept", "reject", "always"):
        return Decision("reject", "the answer could not be read")
    reason = answer.get("reason")
    return Decision(outcome, str(reason) if reason else None)


async def terminal_approver(request: ApprovalRequest) -> Decision:
    """An ``Approver`` that asks on this process's terminal."""
    return decision_of(await asyncio.to_thread(ask_terminal, request_dict(request)))


def cmd_approval(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    if args.action == "reset":
        tier: Tier | None = args.tier
        reset = runtime.grants.reset(runtime.workspace, tier)
        if not reset:
            return fail("no 'always' answer to reset here (see 'memfs approval')")
        emit(f"reset 'always' for {', '.join(reset)} memory: edits are asked about again "
             "where approval says ask")
        return 0
    state = runtime.approval()
    setting = runtime.settings.approval
    if args.json:
        emit_json({"personal": state.personal, "project": state.project,
                   "always": state.always, "setting": setting.model_dump(),
                   "workspace": str(runtime.workspace) if runtime.workspace else None})
        return 0
    for name in TIERS:
        note = " (you answered 'always' here; 'memfs approval reset' undoes it)" \
            if name in state.always else ""
        emit(f"{name}: {state.policy(name)}{note}")
    return 0


def register(groups: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``approval`` command."""
    p = groups.add_parser(
        "approval", help="which memory edits need your approval (reset 'always' answers)",
        description="The 'approval' setting gives a policy per tier: auto (edits land), ask "
        "(each edit is shown with its diff first), off (the agent may not write that tier). "
        "Defaults: personal auto, project ask. Answering 'always' turns ask into auto for "
        "that tier in this workspace until reset.")
    p.add_argument("action", nargs="?", default="show", choices=["show", "reset"])
    p.add_argument("tier", nargs="?", choices=list(TIERS), help="reset only this tier")
    p.add_argument("--workspace", help="project folder (default: the current git repository)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_approval)
