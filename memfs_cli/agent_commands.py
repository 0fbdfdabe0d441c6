"""``memfs agent ...`` and ``memfs conversation ...``."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from agent.runtime import Runtime
from memfs_cli.background import spawn_reflection
from memfs_cli.output import emit, emit_json
from memfs_cli.workspace import setting_notes, workspace_of

if TYPE_CHECKING:
    from agent.effective import EffectiveModel


def warnings(runtime: Runtime) -> list[str]:
    """Settings problems, and withheld project settings the command goes on without."""
    return setting_notes(runtime.report.problems, runtime.report.withheld, runtime.workspace)


def runtime_for(args: argparse.Namespace) -> Runtime:
    """A runtime for the command's workspace; warnings go to stderr. A reflection its turns
    trigger runs in a detached process, so the command can exit before it finishes."""
    runtime = Runtime(workspace=workspace_of(args))
    runtime.detach = spawn_reflection
    for note in warnings(runtime):
        sys.stderr.write(f"memfs: warning: {note}\n")
    return runtime


def describe_model(chosen: EffectiveModel) -> str:
    """``openai/x (from environment), api base URL (from project settings)``."""
    if not chosen.name:
        return f"none ({chosen.problem})" if chosen.problem else "none"
    text = f"{chosen.name} (from {chosen.source})"
    if chosen.api_base:
        text += f", api base {chosen.api_base} (from {chosen.api_base_source})"
    if chosen.problem is not None:
        text += f"; refused: {chosen.problem}"
    return text


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


# ----- agents -----------------------------------------------------------------------------------
def cmd_agent_list(args: argparse.Namespace) -> int:
    rt = runtime_for(args)
    agents = rt.agents.all()
    models = {a.id: rt.model(a) for a in agents}
    if args.json:
        emit_json([{**a.to_dict(), "effective_model": models[a.id].name,
                    "model_source": models[a.id].source} for a in agents])
        return 0
    current = rt.agent().id
    for a in agents:
        mark = "*" if a.id == current else " "
        pin = " (pinned)" if a.pinned else ""
        chosen = models[a.id]
        model = f"{chosen.name} (from {chosen.source})" if chosen.name else "none"
        emit(f"{mark} {a.id:<20} {a.name}{pin}  model: {model}  last used {_when(a.last_used)}")
    return 0


def cmd_agent_create(args: argparse.Namespace) -> int:
    agent = runtime_for(args).agents.create(args.name, args.model, args.api_base)
    emit_json(agent.to_dict()) if args.json else emit(f"created {agent.id} ({agent.name})")
    return 0


def cmd_agent_rename(args: argparse.Namespace) -> int:
    agent = runtime_for(args).agents.rename(args.id, args.name)
    emit(f"renamed {agent.id} to {agent.name}")
    return 0


def cmd_agent_delete(args: argparse.Namespace) -> int:
    saved = runtime_for(args).agents.delete(args.id)
    emit(f"deleted {args.id}; its memory was backed up to {saved}")
    return 0


def cmd_agent_pin(args: argparse.Namespace) -> int:
    agent = runtime_for(args).agents.pin(args.id, not args.unpin)
    emit(f"{agent.id} {'pinned' if agent.pinned else 'unpinned'}")
    return 0


def cmd_agent_model(args: argparse.Namespace) -> int:
    rt = runtime_for(args)
    if args.model is None:
        agent = rt.agents.get(args.id)
    else:
        agent = rt.agents.set_model(args.id, args.model, args.api_base, args.context_window)
    chosen = rt.model(agent)
    own = agent.model or "none (the model setting decides)"
    lines = [f"{agent.id}: own model {own}"
             + (f", api base {agent.api_base}" if agent.api_base else "")
             + (f", context window {agent.context_window}" if agent.context_window else ""),
             f"in use here: {describe_model(chosen)}"]
    setting = rt.settings.model
    if agent.model and setting and setting != agent.model:
        lines.append(f"(the agent's own model wins over the model setting {setting} from "
                     f"{rt.report.sources.get('model')})")
    emit("\n".join(lines))
    return 0


def cmd_agent_switch(args: argparse.Namespace) -> int:
    agent, conversation = runtime_for(args).switch_agent(args.id)
    emit(f"now using {agent.name} ({agent.id}) in conversation {conversation.title} "
         f"({conversation.id})")
    return 0


# ----- conversations ----------------------------------------------------------------------------
def cmd_conversation_list(args: argparse.Namespace) -> int:
    rt = runtime_for(args)
    agent = rt.agent(args.agent)
    items = rt.conversations.for_agent(agent.id)
    current = rt.conversation(agent).id
    if args.json:
        emit_json([{**c.to_dict(), "is_current": c.id == current} for c in items])
        return 0
    for c in items:
        mark = "*" if c.id == current else " "
        main = " (main)" if c.is_default else ""
        emit(f"{mark} {c.id}  {_when(c.updated)}  {c.title}{main}")
    return 0


def cmd_conversation_new(args: argparse.Namespace) -> int:
    rt = runtime_for(args)
    conversation = rt.new_conversation(rt.agent(args.agent), args.title or "")
    emit_json(conversation.to_dict()) if args.json else emit(conversation.id)
    return 0


def cmd_conversation_show(args: argparse.Namespace) -> int:
    rt = runtime_for(args)
    conversation = rt.conversations.get(args.id)
    messages = rt.conversations.messages(conversation.id, limit=args.limit)
    if args.json:
        emit_json({"conversation": conversation.to_dict(),
                   "messages": [{"id": m.id, "role": m.role, "status": m.status,
                                 "created": m.created, "body": m.body} for m in messages]})
        return 0
    emit(f"# {conversation.title} ({conversation.id})")
    if conversation.summary:
        emit(f"[summary of earlier messages]\n{conversation.summary}\n")
    for m in messages:
        content = m.body.get("content") or ""
        calls = [c["function"]["name"] for c in m.body.get("tool_calls") or []]
        note = f" [calls {', '.join(calls)}]" if calls else ""
        status = "" if m.status == "complete" else f" ({m.status})"
        emit(f"{m.role}{status}:{note} {content}")
    return 0


def cmd_conversation_rename(args: argparse.Namespace) -> int:
    conversation = runtime_for(args).conversations.rename(args.id, args.title)
    emit(f"renamed {conversation.id} to {conversation.title}")
    return 0


def register(groups: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``agent`` and ``conversation`` command groups."""
    agent = groups.add_parser("agent", help="list, create and manage agents")
    sub = agent.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=type(agent))
    sub.required = True
    p = sub.add_parser("list", help="agents, pinned first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_agent_list)
    p = sub.add_parser("create", help="a new agent with fresh memory")
    p.add_argument("name")
    p.add_argument("--model")
    p.add_argument("--api-base")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_agent_create)
    p = sub.add_parser("rename", help="change an agent's name")
    p.add_argument("id")
    p.add_argument("name")
    p.set_defaults(handler=cmd_agent_rename)
    p = sub.add_parser("delete", help="delete an agent (its memory is backed up first)")
    p.add_argument("id")
    p.set_defaults(handler=cmd_agent_delete)
    p = sub.add_parser("pin", help="favourite an agent")
    p.add_argument("id")
    p.add_argument("--unpin", action="store_true")
    p.set_defaults(handler=cmd_agent_pin)
    p = sub.add_parser("switch", help="use this agent in this workspace (back in the "
                       "conversation last used here with it)")
    p.add_argument("id")
    p.add_argument("--workspace", help="project folder (default: the current git repository)")
    p.set_defaults(handler=cmd_agent_switch)
    p = sub.add_parser("model", help="show or set an agent's model, and the one in use here")
    p.add_argument("id")
    p.add_argument("model", nargs="?")
    p.add_argument("--api-base")
    p.add_argument("--context-window", type=int)
    p.set_defaults(handler=cmd_agent_model)

    conv = groups.add_parser("conversation", help="list, start and read conversations")
    sub = conv.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=type(conv))
    sub.required = True
    p = sub.add_parser("list", help="conversations by activity (* marks the current one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_conversation_list)
    p = sub.add_parser("new", help="start a conversation (it becomes this workspace's current)")
    p.add_argument("--title")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_conversation_new)
    p = sub.add_parser("show", help="print a conversation")
    p.add_argument("id")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_conversation_show)
    p = sub.add_parser("rename", help="retitle a conversation")
    p.add_argument("id")
    p.add_argument("title")
    p.set_defaults(handler=cmd_conversation_rename)
