"""``memfs memory ...``: one small handler per subcommand, registered from a table. Each acts
on ``--agent``, else the workspace's current agent."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from memfs import backup as backups
from memfs import export as exporting
from memfs import history, letta_locations, remote
from memfs.errors import InvalidArgument
from memfs.home import default_name, memory_dir
from memfs.letta_import import import_letta
from memfs.lint import ERROR, Finding, lint
from memfs.project import PREFIX, ProjectStore
from memfs.projection import FileEntry, project, render_tree
from memfs.store import MemoryStore
from memfs.tokens import DEFAULT_SYSTEM_BUDGET
from memfs_cli.agent_commands import runtime_for
from memfs_cli.memory_status import cmd_status, store_of
from memfs_cli.output import emit, emit_json

Handler = Callable[[argparse.Namespace], int]


def for_agent(handler: Handler, may_create: bool) -> Handler:
    """Run ``handler`` for ``--agent``, else the workspace's current agent (as every other
    command does). Only init, import and restore may name an agent that does not exist yet."""
    def run(args: argparse.Namespace) -> int:
        args.runtime = runtime_for(args)
        if args.agent is None:
            args.agent = (args.runtime.agent_id() if may_create
                          else args.runtime.agent().id)
        elif not may_create:
            args.runtime.agents.get(args.agent)
        return handler(args)

    return run


def _body_from_stdin() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        raise InvalidArgument("no content on stdin", "pipe the file body in: echo text | memfs ...")
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument(
            "stdin is not UTF-8 text", "memory files are UTF-8 markdown"
        ) from None


def _print_edit(args: argparse.Namespace, result: object) -> int:
    data = result.to_dict()  # type: ignore[attr-defined]
    if getattr(args, "json", False):
        emit_json(data)
    else:
        emit(f"{str(data['commit'])[:10]} {data['message']} ({', '.join(data['paths'])})")
    return 0


# ----- handlers ---------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace) -> int:
    root = memory_dir(args.agent)
    existed = (root / ".git").is_dir()
    agent = args.runtime.agents.ensure(args.agent)
    store = MemoryStore.open(agent.id, create=True)
    emit(f"{'memory already at' if existed else 'created memory at'} {store.root}"
         + ("" if existed else f" (agent {agent.id})"))
    return 0


def _shared(args: argparse.Namespace) -> ProjectStore | None:
    """The workspace's project memory, when it has one (tree, tokens, lint and the markdown
    exports cover it too, its paths under ``project/``)."""
    return args.runtime.project_memory()  # type: ignore[no-any-return]


def _both(args: argparse.Namespace, store: MemoryStore) -> list[FileEntry]:
    files = list(project(store.repo).files)
    shared = _shared(args)
    return files + (list(shared.projection().files) if shared is not None else [])


def cmd_tree(args: argparse.Namespace) -> int:
    files = _both(args, store_of(args))
    if args.json:
        emit_json([{"path": f.path, "description": f.description, "size": f.size,
                    "tokens": f.tokens, "in_context": f.in_context, "paths": list(f.globs),
                    "expires": f.expires, "expired": f.expired,
                    "tier": "project" if f.path.startswith(PREFIX) else "personal"}
                   for f in files])
        return 0
    text, _ = render_tree(files)
    emit(text)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store = store_of(args)
    if args.lines:
        start, _, end = args.lines.partition("-")
        if not start.isdigit() or (end and not end.isdigit()):
            raise InvalidArgument(f"bad --lines {args.lines!r}", "use e.g. --lines 3-10")
        emit(store.view(args.path, int(start), int(end) if end else None, rev=args.rev))
    else:
        sys.stdout.write(store.read_text(args.path, args.rev))
    return 0


def cmd_prompt(args: argparse.Namespace) -> int:
    emit(project(store_of(args).repo).text)
    return 0


def cmd_write(args: argparse.Namespace) -> int:
    store = store_of(args)
    body = _body_from_stdin()
    result = store.write(args.path, args.description, body, args.reason,
                         read_only=args.read_only, limit=args.limit, force=args.force)
    return _print_edit(args, result)


def cmd_rm(args: argparse.Namespace) -> int:
    return _print_edit(args, store_of(args).delete(args.path, args.reason, force=args.force))


def cmd_mv(args: argparse.Namespace) -> int:
    store = store_of(args)
    return _print_edit(args, store.rename(args.old, args.new, args.reason, force=args.force))


def cmd_log(args: argparse.Namespace) -> int:
    entries = history.log(store_of(args).repo, args.path, args.limit)
    if args.json:
        emit_json([e.to_dict() for e in entries])
    else:
        emit("\n".join(f"{e.commit[:10]} {e.date[:19]} {e.subject}" for e in entries))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    sys.stdout.write(history.diff(store_of(args).repo, args.rev_a, args.rev_b, args.path))
    return 0


def cmd_revert(args: argparse.Namespace) -> int:
    return _print_edit(args, history.revert(store_of(args).repo, args.rev, args.reason))


def cmd_search(args: argparse.Namespace) -> int:
    hits, truncated = store_of(args).search(args.query, regex=args.regex,
                                          ignore_case=not args.case_sensitive, limit=args.limit)
    if args.json:
        emit_json({"hits": [{"path": h.path, "line": h.line, "text": h.text} for h in hits],
                   "truncated": truncated})
    elif hits:
        emit("\n".join(str(h) for h in hits) + ("\n... (more hits)" if truncated else ""))
    return 0 if hits else 1


def cmd_tokens(args: argparse.Namespace) -> int:
    proj = project(store_of(args).repo)
    shared = _shared(args)
    team = shared.projection() if shared is not None else None
    rows = sorted(list(proj.files) + list(team.files if team else ()),
                  key=lambda f: (not f.in_context, -f.tokens, f.path))
    data = {"system_tokens": proj.system_tokens, "budget": args.budget,
            "prompt_tokens": proj.tokens,
            "project_system_tokens": team.system_tokens if team else 0,
            "files": [{"path": f.path, "tokens": f.tokens, "in_context": f.in_context,
                       "scoped": bool(f.globs)} for f in rows]}
    if args.json:
        emit_json(data)
        return 0
    lines = [f"{f.tokens:>7}  {'*' if f.in_context else '~' if f.globs else ' '} {f.path}"
             for f in rows]
    lines.append(f"system/ ~{proj.system_tokens} of {args.budget} tokens (* = always in "
                 f"context, ~ = scoped: in context while a matching file is worked on); "
                 f"memory block in the prompt ~{proj.tokens} tokens"
                 + (f"; project memory ~{team.tokens} tokens, project/system/ "
                    f"~{team.system_tokens}" if team else ""))
    emit("\n".join(lines))
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    shared = _shared(args)
    workspace = args.runtime.workspace
    findings = lint(store_of(args).root, args.budget, workspace=workspace,
                    other_tier={PREFIX + p for p in shared.list_files()} if shared else None)
    if shared is not None:
        findings += [Finding(f.code, f.severity, PREFIX + f.path, f.start_line, f.end_line,
                             f.message)
                     for f in lint(shared.root, args.budget, workspace=workspace,
                                   project=True)]
    if args.json:
        emit_json([f.to_dict() for f in findings])
    else:
        emit("\n".join(str(f) for f in findings) if findings else "no findings")
    return 1 if any(f.severity == ERROR for f in findings) else 0


def cmd_backup(args: argparse.Namespace) -> int:
    made = backups.backup(store_of(args).repo, args.agent)
    emit_json(made.to_dict()) if args.json else emit(f"backed up to {made.path}")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    found = backups.list_backups(agent_id=None if args.all else args.agent)
    if args.json:
        emit_json([b.to_dict() for b in found])
    else:
        emit("\n".join(f"{b.created[:19]}  {b.size:>9}  {b.path}" for b in found)
             or "no backups")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    repo = backups.restore(Path(args.bundle), memory_dir(args.agent), default_name(args.agent),
                           args.agent, force=args.force)
    args.runtime.agents.get(args.agent)  # registers an agent the bundle created
    emit(f"restored memory of {args.agent} at {repo.head()[:12]}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = store_of(args)
    default = {"tar.gz": "memory.tar.gz", "agents-md": "AGENTS.md", "claude-md": "CLAUDE.md"}
    if args.format not in default:
        raise InvalidArgument(f"unknown format {args.format!r}",
                              f"use one of {', '.join(default)}")
    if args.output == "-":
        if args.format == "tar.gz":
            raise InvalidArgument("a tar.gz export needs a file", "pass -o FILE")
        title = "AGENTS.md" if args.format == "agents-md" else "CLAUDE.md"
        shared = _shared(args)
        sys.stdout.write(exporting.render_markdown(store.repo, default_name(args.agent), title,
                                                   shared.root if shared else None))
        return 0
    target = Path(args.output or default[args.format])
    shared = _shared(args) if args.format != "tar.gz" else None
    exporting.export(store.repo, args.format, target, default_name(args.agent), args.force,
                     shared.root if shared else None)
    emit(f"exported {args.format} to {target}"
         + (" (with the project memory)" if shared is not None else ""))
    if args.format == "tar.gz":
        for dropped in exporting.letta_dropped(store.repo):
            emit(f"dropped for Letta Code: {', '.join(dropped.keys)} of {dropped.path} (Letta "
                 "Code does not know these frontmatter keys)")
    return 0


def cmd_remote(args: argparse.Namespace) -> int:
    repo = store_of(args).repo
    action = args.action
    if action == "set":
        if not args.url:
            raise InvalidArgument("remote set needs a URL", "memfs memory remote set URL")
        remote.set_url(repo, args.url)
    elif action == "unset":
        remote.unset_url(repo)
    elif action in ("pull", "push", "sync"):
        {"pull": remote.pull, "push": remote.push, "sync": remote.sync}[action](repo)
    state = remote.status(repo)
    if args.json:
        emit_json(state.to_dict())
    elif state.url is None:
        emit("no remote (memory is local only)")
    else:
        emit(f"{state.url}: {state.state} (ahead {state.ahead}, behind {state.behind})")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    if args.list:
        found = letta_locations.find()
        emit("\n".join(f"{m.agent_id}  {m.path}  ({m.mode} mode)" for m in found) if found
             else "no Letta Code memories in " + " or ".join(
                 str(root) for _, root in letta_locations.roots()))
        return 0
    if not args.source:
        raise InvalidArgument("import needs a Letta memory folder or agent id",
                              "e.g. memfs --agent NEW memory import ~/.letta/agents/<id>/memory, "
                              "or list them with 'memfs memory import --list'")
    source = letta_locations.locate(args.source)
    repo = import_letta(source, memory_dir(args.agent), default_name(args.agent),
                        args.agent, force=args.force, history=args.history)
    agent = args.runtime.agents.get(args.agent)  # registers a new agent
    findings = lint(repo.root)
    emit(f"imported {source} as memory of agent {agent.id} ({len(findings)} lint findings; "
         "see 'memfs memory lint')")
    return 0


# ----- registration -----------------------------------------------------------------------------
def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="structured output")


def _reason(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reason", required=True, help="why; becomes the commit message")


def _force(p: argparse.ArgumentParser, text: str = "allow changing a read_only file") -> None:
    p.add_argument("--force", action="store_true", help=text)


def _args_show(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    p.add_argument("--rev", help="a revision (default: the working tree)")
    p.add_argument("--lines", help="numbered view of a line range, e.g. 3-10")


def _args_write(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    p.add_argument("--description", required=True, help="what the file is for")
    _reason(p)
    p.add_argument("--read-only", action="store_true", help="mark the file read_only")
    p.add_argument("--limit", type=int, help="maximum characters of body")
    _force(p)
    _json(p)


def _args_rm(p: argparse.ArgumentParser) -> None:
    p.add_argument("path")
    _reason(p)
    _force(p)
    _json(p)


def _args_mv(p: argparse.ArgumentParser) -> None:
    p.add_argument("old")
    p.add_argument("new")
    _reason(p)
    _force(p)
    _json(p)


def _args_log(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?")
    p.add_argument("--limit", type=int, default=50)
    _json(p)


def _args_diff(p: argparse.ArgumentParser) -> None:
    p.add_argument("rev_a", nargs="?", help="none: uncommitted changes; one: that commit")
    p.add_argument("rev_b", nargs="?")
    p.add_argument("--path")


def _args_revert(p: argparse.ArgumentParser) -> None:
    p.add_argument("rev")
    p.add_argument("--reason", help="commit message (default: 'revert: <subject>')")
    _json(p)


def _args_search(p: argparse.ArgumentParser) -> None:
    p.add_argument("query")
    p.add_argument("--regex", action="store_true")
    p.add_argument("--case-sensitive", action="store_true")
    p.add_argument("--limit", type=int, default=200)
    _json(p)


def _args_budget(p: argparse.ArgumentParser) -> None:
    p.add_argument("--budget", type=int, default=DEFAULT_SYSTEM_BUDGET,
                   help="token budget of system/")
    _json(p)


def _args_backups(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", action="store_true", help="every agent's backups")
    _json(p)


def _args_restore(p: argparse.ArgumentParser) -> None:
    p.add_argument("bundle")
    _force(p, "replace existing memory (it is backed up first)")


def _args_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", default="tar.gz", help="tar.gz | agents-md | claude-md")
    p.add_argument("-o", "--output", help="target file ('-': print a markdown export)")
    _force(p, "replace an existing target file")


def _args_remote(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", default="show",
                   choices=["show", "set", "unset", "pull", "push", "sync"])
    p.add_argument("url", nargs="?")
    _json(p)


def _args_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", nargs="?", help="a Letta Code memory folder, or the id of a "
                   "Letta Code agent (found in ~/.letta/agents and the local backend's memfs)")
    p.add_argument("--list", action="store_true", help="list Letta Code memories found")
    p.add_argument("--no-history", dest="history", action="store_false",
                   help="import only the current files, not the git history")
    _force(p, "replace existing memory (it is backed up first)")


def _none(p: argparse.ArgumentParser) -> None:
    return None


COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None], Handler]] = [
    ("init", "create the agent (and its memory) if missing", _none, cmd_init),
    ("status", "HEAD, sizes, uncommitted changes, remote", _json, cmd_status),
    ("tree", "files with descriptions and token estimates", _json, cmd_tree),
    ("show", "print a file (optionally at a revision)", _args_show, cmd_show),
    ("prompt", "the memory block exactly as the model sees it", _none, cmd_prompt),
    ("write", "create or replace a file; body on stdin", _args_write, cmd_write),
    ("rm", "delete a file", _args_rm, cmd_rm),
    ("mv", "move or rename a file", _args_mv, cmd_mv),
    ("log", "commits, optionally of one file", _args_log, cmd_log),
    ("diff", "changes between revisions", _args_diff, cmd_diff),
    ("revert", "undo a commit with a new commit", _args_revert, cmd_revert),
    ("search", "find lines (substring or --regex)", _args_search, cmd_search),
    ("tokens", "token estimates per file", _args_budget, cmd_tokens),
    ("lint", "check memory (exit 1 on errors)", _args_budget, cmd_lint),
    ("backup", "write a git bundle to $MEMFS_HOME/backups", _json, cmd_backup),
    ("backups", "list backups", _args_backups, cmd_backups),
    ("restore", "restore memory from a bundle", _args_restore, cmd_restore),
    ("export", "tar.gz, or one AGENTS.md / CLAUDE.md file", _args_export, cmd_export),
    ("remote", "show/set/unset the remote; pull, push, sync", _args_remote, cmd_remote),
    ("import", "import a Letta Code memory (a folder or a Letta agent id)", _args_import,
     cmd_import),
]
MAY_CREATE = {"init", "restore", "import"}


def register(parser: argparse.ArgumentParser) -> None:
    """Add every ``memory`` subcommand to ``parser``."""
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND",
                                parser_class=type(parser))
    sub.required = True
    for name, help_text, add_args, handler in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(handler=for_agent(handler, name in MAY_CREATE))
