"""``memfs status``: the workspace's agent, conversation, model (and where it comes from),
memory, reflections, and project settings withheld from an untrusted folder."""

from __future__ import annotations

import argparse
from datetime import datetime

from agent.status import ModelState, ReflectionState, status
from memfs_cli.agent_commands import runtime_for
from memfs_cli.output import emit, emit_json


def _model(model: ModelState) -> str:
    if not model.name:
        return f"none ({model.problem}: {model.hint})"
    text = f"{model.name} (from {model.source})"
    if model.api_base:
        text += f", api base {model.api_base} (from {model.api_base_source})"
    if not model.configured:
        text += f"; refused: {model.problem} ({model.hint})"
    return text


def _reflection(state: ReflectionState) -> list[str]:
    config = state.sleeptime
    every = f" every {config.step_count} user messages" if config.trigger == "step_count" \
        else ""
    lines = [f"reflection:   trigger {config.trigger}{every}, merge {config.merge}"
             + ("; one is waiting for review (memfs review-reflection)"
                if state.pending_review else "")]
    for run in state.runs[:3]:
        when = datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M")
        commit = f" (commit {run.commit[:10]})" if run.commit else ""
        message = f": {run.message}" if run.message else ""
        lines.append(f"              {when} {run.trigger}: {run.status}{message}{commit}")
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    data = status(runtime, agent_id=args.agent)
    if args.json:
        emit_json(data)
        return 0
    memory, workspace = data.memory, data.workspace
    lines = [f"agent:        {data.agent.name} ({data.agent.id})",
             f"conversation: {data.conversation.title} ({data.conversation.id})",
             f"model:        {_model(data.model)}",
             f"memory:       {memory.path} at {memory.head[:10]}, {memory.files} "
             f"files, system/ ~{memory.system_tokens} of {memory.token_budget} tokens"
             + (f", uncommitted: {', '.join(memory.dirty)}" if memory.dirty else "")]
    lines += _reflection(data.reflection)
    if workspace.path:
        trusted = "trusted" if workspace.trusted else "not trusted"
        lines.append(f"workspace:    {workspace.path} ({trusted})")
        for item in workspace.withheld:
            lines.append(f"              withheld: '{item.key}' from {item.file} "
                         f"(memfs trust {workspace.path} applies it)")
    lines += [f"warning:      {problem}" for problem in data.settings_problems]
    emit("\n".join(lines))
    return 0


def register(groups: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``status`` command."""
    p = groups.add_parser("status", help="agent, conversation, model and its source, memory, "
                          "reflections, withheld project settings")
    p.add_argument("--workspace", help="project folder (default: the current git repository)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)
