"""``memfs project init | status | lint``: the workspace's project memory (``.memfs/memory/``),
shared with everyone on the repository through git."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from agent.runtime import Runtime
from memfs import project
from memfs.errors import InvalidArgument, NotFound
from memfs.lint import ERROR, lint
from memfs.project import ProjectStore
from memfs.projection import render_tree
from memfs.tokens import DEFAULT_SYSTEM_BUDGET
from memfs_cli.agent_commands import runtime_for
from memfs_cli.output import emit, emit_json


def _workspace(runtime: Runtime) -> Path:
    if runtime.workspace is None:
        raise InvalidArgument("project memory needs a project: run this inside a git "
                              "repository, or pass --workspace DIR")
    return runtime.workspace


def _store(runtime: Runtime) -> ProjectStore:
    workspace = _workspace(runtime)
    store = runtime.project_memory(strict=True)
    if store is None:
        raise NotFound(f"{workspace} has no project memory",
                       f"create it with 'memfs project init --workspace {workspace}'")
    return store


def cmd_init(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    workspace = _workspace(runtime)
    store, written = project.create(workspace, runtime.home)
    if written:
        emit(f"created project memory at {store.root} ({', '.join(written)})")
    else:
        emit(f"project memory already at {store.root}")
    if project.ignored_by_git(workspace):
        emit("warning: git ignores .memfs/memory/, so your team will not see it; un-ignore "
             "it in .gitignore")
    emit("It is shared with everyone on this repository: review and commit .memfs/memory/ "
         "with your code. The agent's edits to it are written to the working tree (approval "
         f"for them: {runtime.approval().project}; see 'memfs approval').")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    store = _store(runtime)
    projection = store.projection()
    today = date.today()
    scoped = [f for f in projection.files if f.globs and not f.expired]
    expired = [f for f in projection.files if f.expired]
    if args.json:
        emit_json({"path": str(store.root), "files": list(projection.files),
                   "system_tokens": projection.system_tokens,
                   "approval": runtime.approval().project})
        return 0
    lines = [f"project memory: {store.root}",
             f"files:          {len(projection.files)} ("
             f"{sum(1 for f in projection.files if f.in_context)} always in context, "
             f"{len(scoped)} scoped, {len(expired)} expired as of {today.isoformat()})",
             f"system/:        ~{projection.system_tokens} tokens",
             f"approval:       {runtime.approval().project} (memfs approval)"]
    text, _ = render_tree(list(projection.files))
    emit("\n".join(lines) + ("\n" + text if text else ""))
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    runtime = runtime_for(args)
    store = _store(runtime)
    findings = lint(store.root, args.budget, workspace=runtime.workspace, project=True)
    if args.json:
        emit_json([f.to_dict() for f in findings])
    else:
        emit("\n".join(str(f) for f in findings) if findings else "no findings")
    return 1 if any(f.severity == ERROR for f in findings) else 0


def register(groups: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``project`` command group."""
    group = groups.add_parser(
        "project", help="the workspace's project memory (.memfs/memory/, shared with the team)",
        description="Project memory is a memory folder inside the project, shared with "
        "everyone on the repository: the agent reads it in every turn (labelled as provided "
        "by the project) and writes it to the working tree for you to review and commit.")
    sub = group.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=type(group))
    sub.required = True
    p = sub.add_parser("init", help="create .memfs/memory/ in this project")
    p.add_argument("--workspace", help="project folder (default: the current git repository)")
    p.set_defaults(handler=cmd_init)
    p = sub.add_parser("status", help="where it is, its files and tree, approval")
    p.add_argument("--workspace")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)
    p = sub.add_parser("lint", help="check project memory (exit 1 on errors)")
    p.add_argument("--workspace")
    p.add_argument("--budget", type=int, default=DEFAULT_SYSTEM_BUDGET)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_lint)
