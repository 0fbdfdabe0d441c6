"""``memfs chat``: one message, streamed to the terminal, or a small REPL.

The reply goes to stdout; tool calls, memory commits and compactions go to stderr as short
notes. Ctrl-C cancels the current turn (not the program); Ctrl-D leaves the REPL. A memory
edit that needs approval is asked about on the terminal (``memfs_cli.approval``).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from agent.events import (
    Compaction,
    Done,
    ErrorEvent,
    Event,
    MemoryCommit,
    MemoryWrite,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    event_from_dict,
)
from agent.runtime import Runtime
from memfs_cli import worker
from memfs_cli.agent_commands import runtime_for
from memfs_cli.approval import ask_terminal, interactive, terminal_approver
from memfs_cli.output import emit, fail
from memfs_cli.workspace import workspace_of


def _note(text: str) -> None:
    sys.stderr.write(f"  \u23bf {text}\n")
    sys.stderr.flush()


def render(event: Event) -> int | None:
    """Print one event; returns an exit code when the turn ended."""
    if isinstance(event, TextDelta):
        sys.stdout.write(event.text)
        sys.stdout.flush()
    elif isinstance(event, ToolCallStarted):
        target = event.arguments.get("path") or event.arguments.get("query") or ""
        command = event.arguments.get("command", "")
        _note(" ".join(str(p) for p in (event.name, command, target) if p))
    elif isinstance(event, ToolCallFinished) and not event.ok:
        _note(f"{event.name} failed: {event.output[:200]}")
    elif isinstance(event, MemoryCommit):
        _note(f"memory {event.commit[:10]} {event.message}")
    elif isinstance(event, MemoryWrite):
        _note(f"project memory: wrote {', '.join(event.paths)} (uncommitted: review it with "
              "'git diff' and commit it with your code)")
    elif isinstance(event, Compaction):
        _note(f"compacted {event.summarized_messages} messages "
              f"({event.tokens_before} -> {event.tokens_after} tokens)")
    elif isinstance(event, ErrorEvent):
        sys.stdout.write("\n")
        return fail(f"{event.message} ({event.hint})" if event.hint else event.message)
    elif isinstance(event, Done):
        if event.text and not event.text.endswith("\n"):
            sys.stdout.write("\n")
        return 0 if event.stop_reason in ("end_turn", "max_steps") else 1
    return None


async def run_once(runtime: Runtime, text: str, conversation: str | None, agent: str | None,
                   new: bool) -> int:
    """One turn; Ctrl-C cancels it and returns 130."""
    code = 0
    runtime.approver = terminal_approver if interactive() else None

    async def consume() -> None:
        nonlocal code
        async for event in runtime.chat(text, conversation_id=conversation, agent_id=agent,
                                        new=new):
            result = render(event)
            if result is not None:
                code = result or code

    task = asyncio.ensure_future(consume())
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        sys.stdout.write("\n")
        fail("cancelled; what was said so far is kept")
        return 130
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    return code


def via_worker(payload: dict[str, Any]) -> int | None:
    """Run the turn in the warm worker; None when no worker could be reached."""
    conn = worker.connect()
    if conn is None:
        return None
    code = 0
    try:
        with conn:
            for data in worker.request(conn, {**payload, "interactive": interactive()}):
                if data["kind"] == "refusal":
                    return fail(str(data["message"]))
                if data["kind"] == "warning":
                    sys.stderr.write(f"memfs: warning: {data['message']}\n")
                    continue
                if data["kind"] == "approval":
                    worker.answer(conn, str(data["id"]), ask_terminal(data))
                    continue
                result = render(event_from_dict(data))
                if result is not None:
                    code = result or code
    except KeyboardInterrupt:
        sys.stdout.write("\n")
        return fail("cancelled; what was said so far is kept", code=130)
    return code


def cmd_chat(args: argparse.Namespace) -> int:
    workspace = workspace_of(args)
    if args.message:
        text = " ".join(args.message)
        if worker.enabled():
            code = via_worker({"text": text, "conversation": args.conversation,
                               "agent": args.agent, "new": args.new,
                               "workspace": str(workspace) if workspace else None})
            if code is not None:
                return code
        return asyncio.run(run_once(runtime_for(args), text, args.conversation, args.agent,
                                    args.new))
    runtime = runtime_for(args)
    agent = runtime.agent(args.agent)
    from agent.llm import warm_up  # the model client loads only when there is a chat

    warm_up(runtime.model(agent).name)
    conversation = runtime.conversation(agent, args.conversation, args.new)
    sys.stderr.write(f"{agent.name} · {conversation.title} ({conversation.id}). "
                     "Ctrl-C cancels a reply, Ctrl-D quits.\n")
    loop = asyncio.new_event_loop()  # one loop for the session: litellm's clients live on it
    try:
        while True:
            try:
                text = input("> ")
            except EOFError:
                sys.stderr.write("\n")
                return 0
            except KeyboardInterrupt:
                sys.stderr.write("\n")
                continue
            if text.strip():
                loop.run_until_complete(run_once(runtime, text, conversation.id, agent.id,
                                                 False))
    finally:
        loop.close()


def cmd_worker(args: argparse.Namespace) -> int:
    if args.action == "stop":
        stopped = worker.stop()
        emit(f"stopped {len(stopped)} worker{'s' if len(stopped) != 1 else ''}" if stopped
             else "no worker running")
        return 0
    found = worker.workers()
    if not found:
        emit(f"no worker running for this data home (this environment's socket would be "
             f"{worker.socket_path()})")
        return 1
    for info in found:
        emit(f"worker {info.pid}  {info.socket}"
             + ("  (serves this environment)" if info.current else ""))
    return 0


def register(groups: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``chat`` and ``worker`` commands."""
    p = groups.add_parser("chat", help="talk to the agent (a REPL without MESSAGE)")
    p.add_argument("message", nargs="*", help="send this and print the reply")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--new", action="store_true", help="start a new conversation")
    where.add_argument("--conversation", help="continue this conversation")
    p.add_argument("--workspace", help="project folder (default: the current git repository)")
    p.set_defaults(handler=cmd_chat)
    p = groups.add_parser("worker", help="the warm background workers of one-shot chat (every "
                          "environment's, for this data home)")
    p.add_argument("action", nargs="?", default="status", choices=["status", "stop"])
    p.set_defaults(handler=cmd_worker)
