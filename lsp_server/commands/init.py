"""memfs.init: asks depth, whether to read past sessions and (when the workspace has no project
memory yet) whether to put the project's essentials into project memory
(window/showMessageRequest) when the arguments do not say, then runs /init with progress per
phase."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from agent.commands.init import InitReport, init
from lsp_server.errors import guarded
from lsp_server.params import InitParams, parse
from lsp_server.progress import WorkDone
from lsp_server.watcher import label_writes
from memfs import project

if TYPE_CHECKING:
    from lsp_server.server import MemfsServer

SHARED, PERSONAL = "Yes, shared", "No, keep it personal"


async def _ask(ls: MemfsServer, message: str, choices: list[str]) -> str | None:
    answer = await ls.window_show_message_request_async(types.ShowMessageRequestParams(
        type=types.MessageType.Info, message=message,
        actions=[types.MessageActionItem(title=c) for c in choices]))
    return answer.title if answer is not None else None


@guarded
async def run(ls: MemfsServer, *args: Any) -> InitReport | dict[str, Any]:
    params = parse(InitParams, args)
    depth = params.depth
    if depth is None:
        picked = await _ask(ls, "memfs init: how deep should the agent research this project?",
                            ["Quick", "Standard", "Deep"])
        if picked is None:
            return {"cancelled": True}
        depth = picked.lower()  # type: ignore[assignment]
    history = params.history
    if history is None:
        answer = await _ask(ls, "memfs init: read your past Claude Code and Codex sessions "
                            "for this project (secrets are redacted)?", ["Yes", "No"])
        history = answer == "Yes"
    runtime = await ls.sessions.runtime(params.workspace_uri)
    shared = params.project_memory
    if shared is None and runtime.workspace is not None and \
            await asyncio.to_thread(runtime.project_memory) is None:
        answer = await _ask(ls, "memfs init: put this project's essentials into project "
                            "memory (.memfs/memory/, shared with everyone on this repository "
                            "through git; you review and commit it)?", [SHARED, PERSONAL])
        shared = answer == SHARED
    bar = WorkDone(ls, "memfs: init")
    bar.begin(f"{depth} init")
    try:
        report = await init(runtime, depth or "standard", history, bar.report, shared)
    except BaseException:
        bar.end("init failed")
        raise
    for commit in report.commits:
        ls.own_commits[str(commit["commit"])] = "init"
    seeded = [project.PREFIX + p for p in project.SEED] if report.project_created else []
    label_writes(ls, runtime.workspace, report.files + seeded, "init")
    bar.end(report.message.splitlines()[0] if report.message else "done")
    return report
