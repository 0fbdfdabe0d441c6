"""The ``memfs`` command tree (argparse), built for every command line but the plain
``memory status``, which ``memory_status.quick_args`` recognises without it."""

from __future__ import annotations

import argparse

from memfs_cli.main import version_text


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
    parser.add_argument("--version", action="version", version=version_text())
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
