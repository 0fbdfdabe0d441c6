"""The ``memfs`` command line: ``memfs [--agent ID] memory <command> ...``.

Exit codes: 0 success; 1 a refusal (one line on stderr saying what and how to fix);
2 a usage error. ``--json`` wherever output is structured.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"memfs: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree (importing every command's module: the agent, git, pydantic)."""
    from memfs.home import DEFAULT_AGENT_ID
    from memfs_cli import (
        agent_commands,
        approval,
        chat,
        import_commands,
        memory_commands,
        memory_tasks,
        project_commands,
        status,
        trust,
    )

    parser = _Parser(prog="memfs", description="Persistent, git-backed memory for coding agents.")
    parser.add_argument("--agent", help="agent id (default: the workspace's current agent, "
                        f"else {DEFAULT_AGENT_ID})")
    parser.add_argument("--version", action="version", version=_version())
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", parser_class=_Parser)
    groups.required = True
    memory = groups.add_parser("memory", help="read, edit and manage memory")
    memory_commands.register(memory)
    agent_commands.register(groups)
    chat.register(groups)
    memory_tasks.register(groups)
    import_commands.register(groups)
    status.register(groups)
    trust.register(groups)
    project_commands.register(groups)
    approval.register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``memfs`` console script."""
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        print(_version())  # answered before the command modules (and their imports) load
        return 0
    from memfs.errors import MemfsError
    from memfs_cli import memory_status
    from memfs_cli.output import fail

    args = memory_status.quick_args(list(sys.argv[1:] if argv is None else argv))
    if args is None:  # every command but the plain 'memory status' (which starts light)
        args = build_parser().parse_args(argv)
    try:
        code = int(args.handler(args) or 0)
    except MemfsError as exc:
        code = fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted", code=130)
    except BrokenPipeError:
        return 0
    if argv is None and args.handler is memory_status.quick_status:
        memory_status.leave(code)  # the console script's 'memory status' ends here
    return code


def _version() -> str:
    from memfs import __version__

    return f"memfs {__version__}"


if __name__ == "__main__":
    sys.exit(main())
