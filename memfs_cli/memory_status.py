"""``memfs memory status``: HEAD, sizes, uncommitted changes and remote of an agent's memory.

The look at memory people run most, so it starts light and ends without the interpreter's
teardown (``leave``). ``quick_args`` recognises the plain forms of the command (anything else
goes through the whole parser), and ``quick_status`` resolves the agent as every command does
(``--agent``, else the ``agent`` setting, else the workspace's binding, else the default),
reading the settings layers without the settings model (``agent.setting_layers.quick``); when
a setting needs the model's verdict, it resolves through the full runtime instead, so problems
are reported exactly as everywhere else.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from agent import setting_layers
from agent.agents import Agents
from agent.bindings import Bindings
from agent.db import Database, db_path
from memfs import remote
from memfs.home import DEFAULT_AGENT_ID, memfs_home
from memfs.objects import reader_for
from memfs.projection import project
from memfs.repo import MemoryRepo
from memfs.store import MemoryStore
from memfs.tokens import DEFAULT_SYSTEM_BUDGET
from memfs_cli.output import emit, emit_json
from memfs_cli.workspace import setting_notes, workspace_of

if TYPE_CHECKING:
    import argparse


def store_of(args: argparse.Namespace) -> MemoryStore:
    """The selected agent's memory; the default agent's is created on first use."""
    return MemoryStore.open(args.agent, create=args.agent == DEFAULT_AGENT_ID)


def cmd_status(args: argparse.Namespace) -> int:
    """Print the status of the selected agent's memory."""
    store = store_of(args)
    proj = project(store.repo)
    dirty = store.repo.dirty_paths()
    sync = remote.status(store.repo)
    data = {
        "agent": args.agent, "path": str(store.root), "head": proj.head,
        "files": len(proj.files), "system_files": sum(1 for f in proj.files if f.in_context),
        "system_tokens": proj.system_tokens, "system_budget": DEFAULT_SYSTEM_BUDGET,
        "prompt_tokens": proj.tokens, "dirty": dirty, "remote": sync.to_dict(),
    }
    if args.json:
        emit_json(data)
        return 0
    emit("\n".join([
        f"agent:   {args.agent}",
        f"memory:  {store.root}",
        f"head:    {proj.head[:12]} ({_subject(store.repo, proj.head)})",
        f"files:   {data['files']} ({data['system_files']} in system/, always in context)",
        f"system/: ~{proj.system_tokens} tokens of a {DEFAULT_SYSTEM_BUDGET} budget; "
        f"whole memory block ~{proj.tokens} tokens",
        f"changes: {', '.join(dirty) if dirty else 'none uncommitted'}",
        f"remote:  {sync.url or 'none'}" + (f" ({sync.state})" if sync.url else ""),
    ]))
    return 0


def _subject(repo: MemoryRepo, head: str) -> str:
    """HEAD's subject, read in-process (``git log`` only for a message in another encoding)."""
    subject = reader_for(repo.common_dir).subject(head)
    if subject is None:
        from memfs import history

        return history.log(repo, limit=1)[0].subject
    return subject


def leave(code: int) -> None:
    """End the process with ``code`` once the output is flushed, skipping the interpreter's
    teardown (a fifth to a third of this command's CPU time): the command leaves nothing
    behind that teardown would finish (no thread, no exit hook, no unwritten file; its
    database writes are committed). When flushing fails, returns, so the interpreter's own
    exit reports it as for any command."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        return
    os._exit(code)


def quick_args(argv: list[str]) -> argparse.Namespace | None:
    """The arguments of ``[--agent ID] memory status [--json]`` as the parser would give
    them (``quick_status`` as the handler; the same attributes, without loading argparse);
    None for any other command line."""
    agent = None
    rest = argv
    if rest[:1] == ["--agent"] and len(rest) > 1 and rest[1] and not rest[1].startswith("-"):
        agent, rest = rest[1], rest[2:]
    elif rest and rest[0].startswith("--agent=") and rest[0] != "--agent=":
        agent, rest = rest[0].removeprefix("--agent="), rest[1:]
    if rest not in (["memory", "status"], ["memory", "status", "--json"]):
        return None
    return cast("argparse.Namespace",
                SimpleNamespace(agent=agent, group="memory", command="status",
                                json=len(rest) == 3, handler=quick_status))


def quick_status(args: argparse.Namespace) -> int:
    """``cmd_status`` for the agent resolved as ``memory_commands`` resolves it."""
    found_at = workspace_of(args)
    workspace = found_at.resolve() if found_at is not None else None  # as the runtime does
    found = setting_layers.quick(workspace)
    if found is None:  # a setting only the settings model can judge
        from memfs_cli.memory_commands import for_agent

        return for_agent(cmd_status, may_create=False)(args)
    home = memfs_home()
    db = Database(db_path(home))
    bindings = Bindings(db)
    if workspace is not None:
        bindings.adopt_legacy(workspace)
    for note in setting_notes(found.problems, found.withheld, workspace):
        sys.stderr.write(f"memfs: warning: {note}\n")
    agents = Agents(db, home)
    chosen = args.agent or bindings.current(workspace, found.values.get("agent"))
    args.agent = agents.get(chosen).id
    return cmd_status(args)
