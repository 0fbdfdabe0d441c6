"""``memfs-acp``: the memfs agent over the Agent Client Protocol on stdin/stdout.

Stdout carries the protocol only: the process's own file descriptor 1 (and ``sys.stdout``)
is pointed at stderr before anything else runs, so a library that prints cannot corrupt the
stream; logs go to stderr (and ``--log-file``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import cast

from acp import Agent, run_agent, stdio_streams

STREAM_LIMIT = 50 * 1024 * 1024  # bytes of one message (the SDK's own default)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("memfs-lsp")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+source"


async def serve(protocol_fd: int) -> None:
    """Talk ACP on stdin and ``protocol_fd`` until the client closes stdin."""
    from acp_server.server import MemfsAcpAgent
    from acp_server.transport import LineTransport

    saved, sys.stdout = sys.stdout, os.fdopen(protocol_fd, "w", closefd=False)
    try:
        reader, writer = await stdio_streams(limit=STREAM_LIMIT)
    finally:
        sys.stdout = saved
    # The SDK routes only the methods an agent defines (others: Method not found), so ours
    # need not define the unstable ones its ``Agent`` protocol lists.
    await run_agent(cast(Agent, MemfsAcpAgent(_version())),
                    LineTransport(reader, writer, STREAM_LIMIT))


def main(argv: Sequence[str] | None = None) -> None:
    """Start the agent; it exits when the client closes its stdin."""
    parser = argparse.ArgumentParser(
        prog="memfs-acp", description="memfs agent over the Agent Client Protocol (stdio)")
    parser.add_argument("--log-file", help="also write logs to this file")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--version", action="version", version=f"memfs-acp {_version()}")
    args = parser.parse_args(argv)
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file, encoding="utf-8"))
    logging.basicConfig(level=args.log_level, handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("memfs.acp").info("memfs-acp %s starting", _version())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(protocol_fd))
    sys.exit(0)
